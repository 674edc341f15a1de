"""GET /api/v1/hosts: filters, paging, scoping to the caller's unit subtree, CSV; host details."""

import pytest

from agent.schema import EnrollRequest, encode
from inventory_server.db import make_engine, make_sessionmaker
from inventory_server.enrollment.services import create_secret
from inventory_server.units.services import get_by_code
from tests.inventory_server.reports import body, make_report


def _enroll_into(client, db_url, unit_code, report):
    engine = make_engine(db_url)
    with make_sessionmaker(engine)() as db:
        secret, _ = create_secret(db, unit=get_by_code(db, unit_code), days=1)
        db.commit()
    engine.dispose()
    req = EnrollRequest(secret=secret, host=report.host, agent=report.agent)
    data = client.post("/api/v1/enroll", data=encode(req),
                       content_type="application/json").get_json()
    r = client.post("/api/v1/reports", data=body(report),
                    headers={"Authorization": f"Bearer {data['token']}"},
                    content_type="application/json")
    assert r.status_code == 200
    return data["host_id"]


@pytest.fixture
def fleet(client, seed, db_url):
    """Three hosts: two in SO-TTTT's subtree, one in SO-TC."""
    ids = {
        "pc-tttt": _enroll_into(client, db_url, "SO-TTTT", make_report(
            "pc-tttt", machine_id="a" * 32, serial="S1", ip="10.1.0.5",
            mac="52:54:00:00:00:01", extra_packages=[("libreoffice-core", "4:7.4.7-1")])),
        "pc-hc": _enroll_into(client, db_url, "PHONG-HC", make_report(
            "pc-hc", machine_id="b" * 32, serial="S2", ip="10.1.1.7", mac="52:54:00:00:00:02")),
        "pc-tc": _enroll_into(client, db_url, "SO-TC", make_report(
            "pc-tc", machine_id="c" * 32, serial="S3", ip="10.2.0.9", mac="52:54:00:00:00:03")),
    }
    return ids


def get(client, token, path):
    """GET with a bearer token."""
    return client.get(path, headers={"Authorization": f"Bearer {token}"})


def names(resp):
    """Host names in a list answer."""
    return sorted(h["hostname"] for h in resp.get_json()["items"])


def test_requires_a_user_token(client, seed, fleet):
    assert client.get("/api/v1/hosts").status_code == 401
    assert get(client, "kmu_bogus", "/api/v1/hosts").status_code == 401


def test_admin_sees_all_and_filters_work(client, seed, fleet):
    t = seed.admin_token
    assert names(get(client, t, "/api/v1/hosts")) == ["pc-hc", "pc-tc", "pc-tttt"]
    assert names(get(client, t, "/api/v1/hosts?unit=SO-TTTT")) == ["pc-hc", "pc-tttt"]
    assert names(get(client, t, "/api/v1/hosts?unit=SO-TTTT&subtree=0")) == ["pc-tttt"]
    assert names(get(client, t, "/api/v1/hosts?ip=10.2.0.9")) == ["pc-tc"]
    assert names(get(client, t, "/api/v1/hosts?mac=52-54-00-00-00-02")) == ["pc-hc"]
    assert names(get(client, t, "/api/v1/hosts?serial=S1")) == ["pc-tttt"]
    assert names(get(client, t, "/api/v1/hosts?software=LibreOffice-Core")) == ["pc-tttt"]
    assert names(get(client, t, "/api/v1/hosts?q=hc")) == ["pc-hc"]
    page = get(client, t, "/api/v1/hosts?sort=-hostname&per_page=2&page=1").get_json()
    assert [h["hostname"] for h in page["items"]] == ["pc-tttt", "pc-tc"]
    assert page["total"] == 3


def test_bad_parameters_are_400_naming_them(client, seed, fleet):
    for query, field in (("sort=colour", "sort"), ("page=x", "page"), ("per_page=5000",
                                                                           "per_page"),
                         ("unit=NOPE", "unit")):
        r = get(client, seed.admin_token, f"/api/v1/hosts?{query}")
        assert r.status_code == 400, query
        assert r.get_json()["error"]["field"] == field


def test_it_officer_sees_only_own_subtree(client, seed, fleet):
    assert names(get(client, seed.officer_token, "/api/v1/hosts")) == ["pc-hc", "pc-tttt"]
    assert names(get(client, seed.other_officer_token, "/api/v1/hosts")) == ["pc-tc"]
    r = get(client, seed.officer_token, f"/api/v1/hosts/{fleet['pc-tc']}")
    assert r.status_code == 404
    assert get(client, seed.officer_token, f"/api/v1/hosts/{fleet['pc-tc']}/software"
               ).status_code == 404
    inv = get(client, seed.officer_token, "/api/v1/ansible/inventory").get_json()
    assert sorted(inv["_meta"]["hostvars"]) == ["pc-hc", "pc-tttt"]
    assert names(get(client, seed.security_token, "/api/v1/hosts")) == ["pc-hc", "pc-tc",
                                                                         "pc-tttt"]


def test_host_detail_software_and_csv(client, seed, fleet):
    t = seed.admin_token
    d = get(client, t, f"/api/v1/hosts/{fleet['pc-tttt']}").get_json()
    assert d["vendor"] == "Dell Inc." and d["model"] == "OptiPlex 7090"
    assert d["memory_bytes"] == 8 * 1024**3
    assert {c["kind"] for c in d["components"]} >= {"cpu", "disk"}
    assert any(i["mac"] == "52:54:00:00:00:01" for i in d["interfaces"])
    assert d["security"]["antivirus"]["running"] is True
    sw = get(client, t, f"/api/v1/hosts/{fleet['pc-tttt']}/software?q=libreoffice").get_json()
    assert [s["name"] for s in sw["items"]] == ["libreoffice-core"]
    csv = get(client, t, "/api/v1/hosts?format=csv")
    assert csv.mimetype == "text/csv"
    lines = csv.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0].startswith("id,hostname,unit")
    assert len(lines) == 4
    assert "Sở Thông tin và Truyền thông" in csv.get_data(as_text=True)


def test_ansible_inventory_groups(client, seed, fleet):
    inv = get(client, seed.admin_token, "/api/v1/ansible/inventory").get_json()
    assert inv["unit_tinh"]["children"] == ["unit_so_tttt", "unit_so_tc"] or sorted(
        inv["unit_tinh"]["children"]) == ["unit_so_tc", "unit_so_tttt"]
    assert "unit_phong_hc" in inv["unit_so_tttt"]["children"]
    assert inv["unit_phong_hc"]["hosts"] == ["pc-hc"]
    assert sorted(inv["os_linux"]["hosts"]) == ["pc-hc", "pc-tc", "pc-tttt"]
    assert sorted(inv["role_workstation"]["hosts"]) == ["pc-hc", "pc-tc", "pc-tttt"]
    hv = inv["_meta"]["hostvars"]["pc-tc"]
    assert hv["ansible_host"] == "10.2.0.9"
    assert hv["kiemke_unit"] == "SO-TC"
    assert "unit_tinh" in inv["all"]["children"]


def test_vietnamese_software_names_match_composed_or_decomposed(client, seed, db_url):
    """A name one machine reports decomposed (base letters plus combining marks) and another
    composed is one title, and every search finds it typed either way."""
    import unicodedata
    from urllib.parse import quote

    name = "Phần mềm ký số VNPT-CA"
    nfd, nfc = unicodedata.normalize("NFD", name), unicodedata.normalize("NFC", name)
    assert nfd != nfc
    ids = {}
    for host, reported, mid in (("pc-nfd", nfd, "d" * 32), ("pc-nfc", nfc, "e" * 32)):
        ids[host] = _enroll_into(client, db_url, "SO-TTTT", make_report(
            host, machine_id=mid, serial=host, mac=f"52:54:00:00:01:{len(ids):02x}",
            extra_packages=[(reported, "2.1.0")]))
    t = seed.admin_token
    for typed in (nfc, nfd, nfc.upper(), "  ".join(nfd.split())):
        assert names(get(client, t, f"/api/v1/hosts?software={quote(typed)}")) == [
            "pc-nfc", "pc-nfd"], typed
    glob = quote(unicodedata.normalize("NFD", "phần mềm ký*"))
    assert names(get(client, t, f"/api/v1/hosts?software={glob}")) == ["pc-nfc", "pc-nfd"]
    catalogue = get(client, t, f"/api/v1/software?q={quote(unicodedata.normalize('NFD', 'ký số'))}")
    items = catalogue.get_json()["items"]
    assert [(i["name"], i["installs"]) for i in items] == [(nfd, 2)]  # one title, as first seen
    for host, host_id in ids.items():
        found = get(client, t, f"/api/v1/hosts/{host_id}/software?q={quote('KÝ SỐ')}").get_json()
        assert [i["version"] for i in found["items"]] == ["2.1.0"], host
    # LIKE's wildcards are plain characters in the catalogue and host-page filters.
    assert get(client, t, "/api/v1/software?q=%25").get_json()["total"] == 0
    pct = get(client, t, f"/api/v1/hosts/{ids['pc-nfc']}/software?q=_").get_json()
    assert pct["items"] == []
