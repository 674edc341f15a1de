"""Admin API on SQLite and PostgreSQL: scoping by role and unit, secrets, users, audit, figures."""

import io

import pytest
from openpyxl import load_workbook

from tests.web.hosts import auth, two_units


@pytest.fixture
def hosts(client, seed):
    """Two hosts: one under SO-TTTT, one in SO-TC."""
    return two_units(client, seed)


def test_units_are_scoped_to_the_officers_subtree(client, seed, hosts):
    codes = [
        u["code"]
        for u in client.get("/api/v1/units", headers=auth(seed.officer_token)).get_json()["items"]
    ]
    assert codes == ["SO-TTTT", "PHONG-HC"]
    tree = client.get("/api/v1/units", headers=auth(seed.admin_token)).get_json()["items"]
    assert [u["code"] for u in tree] == ["TINH", "SO-TTTT", "PHONG-HC", "SO-TC"]
    by = {u["code"]: u for u in tree}
    assert (by["TINH"]["hosts"], by["TINH"]["hosts_total"]) == (0, 2)
    assert (by["SO-TTTT"]["hosts_total"], by["PHONG-HC"]["hosts"]) == (1, 1)
    assert by["SO-TTTT"]["name"] == "Sở Thông tin và Truyền thông"


def test_dashboard_rolls_up_the_tree_and_respects_scope(client, seed, hosts):
    d = client.get("/api/v1/dashboard", headers=auth(seed.admin_token)).get_json()
    assert d["hosts"] == 2
    assert d["antivirus"] == {"protected": 1, "not_running": 1, "missing": 0, "unknown": 0}
    assert d["by_role"] == [{"name": "workstation", "hosts": 2}]
    assert d["by_os_family"] == [{"name": "linux", "hosts": 2}]
    assert d["not_seen"] == 0
    assert [c["code"] for c in d["children"]] == ["TINH"]
    d = client.get("/api/v1/dashboard?unit=TINH", headers=auth(seed.security_token)).get_json()
    assert {c["code"]: c["hosts"] for c in d["children"]} == {"SO-TC": 1, "SO-TTTT": 1}
    mine = client.get("/api/v1/dashboard", headers=auth(seed.officer_token)).get_json()
    assert mine["hosts"] == 1 and mine["antivirus"]["protected"] == 1
    r = client.get("/api/v1/dashboard?unit=SO-TC", headers=auth(seed.officer_token))
    assert r.status_code == 404 and r.get_json()["error"]["field"] == "unit"
    r = client.get("/api/v1/dashboard?not_seen_days=x", headers=auth(seed.admin_token))
    assert r.status_code == 400 and r.get_json()["error"]["field"] == "not_seen_days"


def test_software_catalogue_counts_installs_in_scope(client, seed, hosts):
    items = client.get("/api/v1/software?q=pkg-0001", headers=auth(seed.admin_token)).get_json()
    assert items["items"][0]["name"] == "pkg-0001" and items["items"][0]["installs"] == 2
    officer = client.get("/api/v1/software?q=pkg-0001", headers=auth(seed.officer_token))
    assert officer.get_json()["items"][0]["installs"] == 1
    # pkg-0030 is only on the 50-package host of PHONG-HC; SO-TC's officer does not see it.
    other = client.get("/api/v1/software?q=pkg-0030", headers=auth(seed.other_officer_token))
    assert other.get_json()["total"] == 0
    r = client.get("/api/v1/software?licence_class=pirated", headers=auth(seed.admin_token))
    assert r.status_code == 422 and r.get_json()["error"]["field"] == "licence_class"
    x = client.get("/api/v1/software?format=xlsx", headers=auth(seed.admin_token))
    ws = load_workbook(io.BytesIO(x.data)).active
    assert [c.value for c in ws[1]] == [
        "name",
        "publisher",
        "licence_class",
        "installs",
        "versions",
    ]
    assert isinstance(ws["D2"].value, int)


def test_officer_creates_and_revokes_secrets_only_in_own_subtree(client, seed):
    h = auth(seed.officer_token)
    r = client.post(
        "/api/v1/enrollment-secrets", json={"unit": "PHONG-HC", "label": "Tầng 2"}, headers=h
    )
    assert r.status_code == 201
    made = r.get_json()
    assert made["secret"].startswith("kme_") and made["label"] == "Tầng 2"
    listed = client.get("/api/v1/enrollment-secrets", headers=h).get_json()["items"]
    assert [s["id"] for s in listed] == [made["id"]]  # not the seed's TINH secret
    assert "secret" not in listed[0]
    r = client.post("/api/v1/enrollment-secrets", json={"unit": "SO-TC"}, headers=h)
    assert r.status_code == 404
    r = client.post("/api/v1/enrollment-secrets", json={"unit": "PHONG-HC", "days": 0}, headers=h)
    assert r.status_code == 422 and r.get_json()["error"]["field"] == "days"
    r = client.post("/api/v1/enrollment-secrets", json={"unit": "PHONG-HC", "days": "7"}, headers=h)
    assert r.status_code == 422 and r.get_json()["error"]["field"] == "days"
    other = client.post(
        f"/api/v1/enrollment-secrets/{made['id']}/revoke", headers=auth(seed.other_officer_token)
    )
    assert other.status_code == 404
    r = client.post(f"/api/v1/enrollment-secrets/{made['id']}/revoke", headers=h)
    assert r.status_code == 200 and r.get_json()["state"] == "revoked"
    log = client.get("/api/v1/audit-log", headers=auth(seed.admin_token)).get_json()["items"]
    assert [a["action"] for a in log[:2]] == ["secret_revoked", "secret_created"]
    assert log[0]["username"] == "officer" and log[0]["target"] == f"PHONG-HC#{made['id']}"


def test_roles_without_rights_are_refused(client, seed):
    for token in (seed.security_token, seed.officer_token):
        assert client.get("/api/v1/users", headers=auth(token)).status_code == 403
        assert client.get("/api/v1/audit-log", headers=auth(token)).status_code == 403
        r = client.post("/api/v1/units", json={"code": "X", "name": "X"}, headers=auth(token))
        assert r.status_code == 403
    r = client.post(
        "/api/v1/enrollment-secrets", json={"unit": "TINH"}, headers=auth(seed.security_token)
    )
    assert r.status_code == 403
    assert client.get("/api/v1/units").status_code == 401
    assert client.post("/api/v1/users", json={}).status_code == 401


def test_admin_creates_users_and_units_with_clear_errors(client, seed):
    h = auth(seed.admin_token)
    r = client.post(
        "/api/v1/units",
        json={"code": "UBND-HUYEN", "name": "UBND huyện Dầu Tiếng", "parent": "TINH"},
        headers=h,
    )
    assert r.status_code == 201 and r.get_json()["name"] == "UBND huyện Dầu Tiếng"
    r = client.post(
        "/api/v1/users",
        json={
            "username": "lan",
            "password": "mat-khau-dai-1",
            "role": "it_officer",
            "unit": "UBND-HUYEN",
            "display_name": "Nguyễn Thị Lan",
        },
        headers=h,
    )
    assert r.status_code == 201 and r.get_json()["unit"] == "UBND-HUYEN"
    r = client.post(
        "/api/v1/users",
        json={"username": "lan", "password": "mat-khau-dai-1", "role": "auditor"},
        headers=h,
    )
    assert r.status_code == 422 and "already exists" in r.get_json()["error"]["message"]
    r = client.post(
        "/api/v1/users", json={"username": "x", "password": "short", "role": "auditor"}, headers=h
    )
    assert r.status_code == 422 and "10 characters" in r.get_json()["error"]["message"]
    r = client.post("/api/v1/users", json={"username": "y", "role": "auditor"}, headers=h)
    assert r.status_code == 422 and r.get_json()["error"]["field"] == "password"
    r = client.post(
        "/api/v1/users",
        data="username=z",
        headers=h,
        content_type="application/x-www-form-urlencoded",
    )
    assert r.status_code == 415
    users = client.get("/api/v1/users", headers=h).get_json()["items"]
    assert "lan" in [u["username"] for u in users]
    actions = [a["action"] for a in client.get("/api/v1/audit-log", headers=h).get_json()["items"]]
    assert actions[:2] == ["user_created", "unit_created"]


def test_api_error_messages_are_translated(client, seed):
    r = client.get("/api/v1/dashboard?unit=NOPE&lang=vi", headers=auth(seed.admin_token))
    assert r.get_json()["error"]["message"] == "Không có đơn vị NOPE"


def test_hosts_api_is_scoped_by_role_and_unit(client, seed, hosts):
    def names(token):
        r = client.get("/api/v1/hosts", headers=auth(token))
        return sorted(h["hostname"] for h in r.get_json()["items"])

    assert names(seed.officer_token) == ["pc-hanh-chinh"]
    assert names(seed.other_officer_token) == ["pc-tai-chinh"]
    assert names(seed.security_token) == ["pc-hanh-chinh", "pc-tai-chinh"]
    assert names(seed.admin_token) == ["pc-hanh-chinh", "pc-tai-chinh"]
    r = client.get(f"/api/v1/hosts/{hosts['tc']}", headers=auth(seed.officer_token))
    assert r.status_code == 404
    r = client.get(f"/api/v1/hosts/{hosts['tc']}/software", headers=auth(seed.officer_token))
    assert r.status_code == 404
    r = client.get(f"/api/v1/hosts/{hosts['hc']}", headers=auth(seed.officer_token))
    assert r.status_code == 200 and r.get_json()["unit"] == "PHONG-HC"


def test_dashboard_licence_classes_count_titles_installed_in_scope(client, seed, hosts, db_url):
    from sqlalchemy import update

    from inventory_server.db import make_engine, make_sessionmaker
    from inventory_server.models import SoftwareTitle

    engine = make_engine(db_url)
    with make_sessionmaker(engine)() as db:
        open_source = [f"pkg-{i:04d}" for i in range(10)]
        db.execute(
            update(SoftwareTitle)
            .where(SoftwareTitle.name_key.in_(open_source))
            .values(licence_class="open_source")
        )
        db.execute(
            update(SoftwareTitle)
            .where(SoftwareTitle.name_key == "pkg-0030")
            .values(licence_class="licensed")
        )
        db.commit()
    engine.dispose()
    d = client.get("/api/v1/dashboard?unit=TINH", headers=auth(seed.admin_token)).get_json()
    # pc-hanh-chinh has pkg-0000..0049, pc-tai-chinh pkg-0000..0019: 50 distinct titles.
    assert d["licence_titles"] == {"open_source": 10, "licensed": 1, "freeware": 0, "unknown": 39}
    assert d["open_source_share"] == pytest.approx(10 / 50)
    d = client.get("/api/v1/dashboard?unit=SO-TC", headers=auth(seed.admin_token)).get_json()
    assert d["licence_titles"]["open_source"] == 10 and d["licence_titles"]["licensed"] == 0
    assert d["open_source_share"] == pytest.approx(0.5)
