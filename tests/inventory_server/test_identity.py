"""Host identity across reinstalls and renames; duplicates and merging; version-range search."""

from agent.schema import EnrollRequest, encode
from tests.inventory_server.reports import body, make_report


def enroll(client, secret, report):
    req = EnrollRequest(secret=secret, host=report.host, agent=report.agent)
    r = client.post("/api/v1/enroll", data=encode(req), content_type="application/json")
    assert r.status_code == 201, r.get_json()
    data = r.get_json()
    assert (
        client.post(
            "/api/v1/reports",
            data=body(report),
            content_type="application/json",
            headers={"Authorization": f"Bearer {data['token']}"},
        ).status_code
        == 200
    )
    return data["host_id"]


def api(client, token, path, **kw):
    return client.get(path, headers={"Authorization": f"Bearer {token}"}, **kw)


def test_reinstall_keeps_host_by_dmi_serial(client, seed):
    first = make_report("pc-01", machine_id="1" * 32, serial="SN-A")
    reinstalled = make_report("pc-01", machine_id="2" * 32, serial="SN-A")
    assert enroll(client, seed.secret, first) == enroll(client, seed.secret, reinstalled)


def test_rename_keeps_host_by_machine_id_and_records_it(client, seed):
    a = enroll(client, seed.secret, make_report("old-name", machine_id="3" * 32, serial=None))
    b = enroll(client, seed.secret, make_report("new-name", machine_id="3" * 32, serial=None))
    assert a == b
    host = api(client, seed.admin_token, f"/api/v1/hosts/{a}").get_json()
    assert host["hostname"] == "new-name"
    events = api(client, seed.admin_token, f"/api/v1/hosts/{a}/events").get_json()["items"]
    assert {"kind": "renamed", "before": "old-name", "after": "new-name"}.items() <= next(
        e for e in events if e["kind"] == "renamed"
    ).items()


def test_mac_rule_and_configurable_rules(app, seed):
    client = app.test_client()
    a = enroll(
        client,
        seed.secret,
        make_report("x1", machine_id="4" * 32, serial=None, mac="52:54:00:aa:bb:01"),
    )
    b = enroll(
        client,
        seed.secret,
        make_report("x2", machine_id="5" * 32, serial=None, mac="52:54:00:aa:bb:01"),
    )
    assert a == b  # only the MAC matched
    app.config["IDENTITY_RULES"] = "machine_id"
    c = enroll(
        client,
        seed.secret,
        make_report("x3", machine_id="6" * 32, serial=None, mac="52:54:00:aa:bb:01"),
    )
    assert c != a  # with machine_id only, a new installation is a new host


def test_duplicates_found_and_merged(client, seed):
    app_rules = client.application.config
    app_rules["IDENTITY_RULES"] = "machine_id"
    a = enroll(
        client,
        seed.secret,
        make_report("pc-a", machine_id="7" * 32, serial="SN-DUP", mac="52:54:00:00:0d:01"),
    )
    b = enroll(
        client,
        seed.secret,
        make_report("pc-b", machine_id="8" * 32, serial="SN-DUP", mac="52:54:00:00:0d:02"),
    )
    groups = api(client, seed.admin_token, "/api/v1/hosts/duplicates").get_json()["items"]
    assert {"reason": "serial", "value": "SN-DUP", "host_ids": sorted([a, b])} in groups

    hdr = {"Authorization": f"Bearer {seed.security_token}"}
    assert (
        client.post(f"/api/v1/hosts/{b}/merge", json={"duplicate_id": a}, headers=hdr).status_code
        == 403
    )
    hdr = {"Authorization": f"Bearer {seed.admin_token}"}
    bad = client.post(f"/api/v1/hosts/{b}/merge", json={"duplicate_id": "a"}, headers=hdr)
    assert bad.status_code == 422 and bad.get_json()["error"]["field"] == "$.duplicate_id"
    assert (
        client.post(f"/api/v1/hosts/{b}/merge", json={"duplicate_id": b}, headers=hdr).status_code
        == 409
    )
    r = client.post(f"/api/v1/hosts/{b}/merge", json={"duplicate_id": a}, headers=hdr)
    assert r.status_code == 200, r.get_json()
    listed = api(client, seed.admin_token, "/api/v1/hosts").get_json()
    assert [h["id"] for h in listed["items"]] == [b]
    assert api(client, seed.admin_token, f"/api/v1/hosts/{a}").status_code == 200  # kept, merged
    events = api(client, seed.admin_token, f"/api/v1/hosts/{b}/events").get_json()["items"]
    assert any(e["kind"] == "merged" and e["before"] == str(a) for e in events)
    assert api(client, seed.admin_token, "/api/v1/hosts/duplicates").get_json()["items"] == []


def test_software_version_range_search(client, seed):
    enroll(
        client,
        seed.secret,
        make_report(
            "old-office",
            machine_id="a1" * 16,
            serial="S1",
            mac="52:54:00:00:0e:01",
            extra_packages=[("libreoffice-core", "4:7.4.7-1")],
        ),
    )
    enroll(
        client,
        seed.secret,
        make_report(
            "new-office",
            machine_id="a2" * 16,
            serial="S2",
            mac="52:54:00:00:0e:02",
            extra_packages=[("libreoffice-core", "4:24.2.1-1")],
        ),
    )
    enroll(
        client,
        seed.secret,
        make_report("no-office", machine_id="a3" * 16, serial="S3", mac="52:54:00:00:0e:03"),
    )
    t = seed.admin_token

    def hosts(q):
        r = api(client, t, f"/api/v1/hosts?{q}")
        assert r.status_code == 200, r.get_json()
        return sorted(h["hostname"] for h in r.get_json()["items"])

    assert hosts("software=libreoffice-core&version_lt=7.5") == ["old-office"]
    assert hosts("software=libreoffice*&version_ge=7.5") == ["new-office"]
    assert hosts("software=libreoffice*") == ["new-office", "old-office"]
    assert hosts("software=libreoffice*&version_lt=1") == []
    r = api(client, t, "/api/v1/hosts?version_lt=7.5")
    assert r.status_code == 400 and r.get_json()["error"]["field"] == "software"
    r = api(client, t, "/api/v1/hosts?software=x&version_lt=1&version_gt=0")
    assert r.status_code == 400


def test_rename_between_reports_is_recorded(client, seed):
    report = make_report("before-rename", machine_id="9" * 32, serial=None)
    req = EnrollRequest(secret=seed.secret, host=report.host, agent=report.agent)
    data = client.post(
        "/api/v1/enroll", data=encode(req), content_type="application/json"
    ).get_json()
    hdr = {"Authorization": f"Bearer {data['token']}"}
    client.post("/api/v1/reports", data=body(report), content_type="application/json", headers=hdr)
    renamed = make_report("after-rename", machine_id="9" * 32, serial=None)
    r = client.post(
        "/api/v1/reports", data=body(renamed), content_type="application/json", headers=hdr
    )
    assert r.status_code == 200
    host = api(client, seed.admin_token, f"/api/v1/hosts/{data['host_id']}").get_json()
    assert host["hostname"] == "after-rename"
    events = api(client, seed.admin_token, f"/api/v1/hosts/{data['host_id']}/events").get_json()
    assert any(
        e["kind"] == "renamed" and e["before"] == "before-rename" and e["after"] == "after-rename"
        for e in events["items"]
    )
