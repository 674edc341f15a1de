"""Pages through the Flask client: log-in with lockout, CSRF, role and unit scoping, exports,
language and locale formats (SQLite; the same services run on PostgreSQL in the API tests)."""

import csv
import io
import re

import pytest
from openpyxl import load_workbook

from tests.conftest import seed_database
from tests.web.hosts import two_units


@pytest.fixture
def db_url(sqlite_url):
    """Pages run on SQLite only (the admin API tests cover PostgreSQL)."""
    return sqlite_url


@pytest.fixture
def seed(db_url):
    """Seed data in the test's database."""
    return seed_database(db_url)


@pytest.fixture
def hosts(client, seed):
    """Two hosts: pc-hanh-chinh under SO-TTTT, pc-tai-chinh in SO-TC."""
    return two_units(client, seed)


def csrf(client, path="/login") -> str:
    """Open a page and return the CSRF token of its form."""
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def login(client, seed, who: str, lang: str = "en"):
    """Log in through the form (pages then in ``lang``); return the response."""
    client.set_cookie("lang", lang)
    return client.post(
        "/login",
        data={"username": who, "password": seed.passwords[who], "csrf_token": csrf(client)},
    )


def test_login_lockout_and_audit(client, seed):
    token = csrf(client)
    for _ in range(5):
        r = client.post(
            "/login",
            data={"username": "officer", "password": "wrong-password", "csrf_token": token},
        )
        assert r.status_code == 401
        assert "Sai tên đăng nhập hoặc mật khẩu" in r.get_data(as_text=True)  # vi by default
    # Locked now: even the right password is refused, with its own message.
    r = client.post(
        "/login",
        data={"username": "officer", "password": seed.passwords["officer"], "csrf_token": token},
    )
    assert r.status_code == 401
    assert "tài khoản bị khóa" in r.get_data(as_text=True)
    assert login(client, seed, "admin").status_code == 302
    html = client.get("/audit?action=login_failed").get_data(as_text=True)
    # Failed log-ins have no user, only the name that was tried, and where from.
    assert html.count("<td>—</td><td>Failed log-in</td><td>officer</td><td>127.0.0.1</td>") == 6


def test_forms_need_the_csrf_token(client, seed):
    r = client.post("/login", data={"username": "admin", "password": seed.passwords["admin"]})
    assert r.status_code == 400
    login(client, seed, "admin")
    assert client.post("/secrets", data={"unit": "TINH"}).status_code == 400
    assert client.post("/logout").status_code == 400
    assert client.post("/users", data={"username": "x"}).status_code == 400


def test_session_cookie_flags(client, seed):
    r = login(client, seed, "admin")
    cookie = [v for k, v in r.headers.items() if k == "Set-Cookie" and v.startswith("session=")]
    assert cookie and "HttpOnly" in cookie[0] and "SameSite=Lax" in cookie[0]


def test_pages_need_a_log_in(client, seed):
    for path in (
        "/",
        "/hosts",
        "/software",
        "/units",
        "/secrets",
        "/users",
        "/audit",
        "/hosts/export/csv",
        "/compliance",
    ):
        r = client.get(path)
        assert r.status_code == 302 and "/login" in r.headers["Location"], path


def test_officer_sees_only_own_subtree(client, seed, hosts):
    login(client, seed, "officer")
    html = client.get("/hosts").get_data(as_text=True)
    assert "pc-hanh-chinh" in html and "pc-tai-chinh" not in html
    assert client.get(f"/hosts/{hosts['tc']}").status_code == 404
    assert client.get(f"/hosts/{hosts['hc']}").status_code == 200
    assert client.get("/?unit=SO-TC").status_code == 404
    exported = client.get("/hosts/export/csv").get_data(as_text=True)
    assert "pc-hanh-chinh" in exported and "pc-tai-chinh" not in exported
    units = client.get("/units").get_data(as_text=True)
    assert "Sở Tài chính" not in units and "Phòng Hành chính" in units
    # The officer may manage secrets of the own subtree, not users or the audit log.
    assert client.get("/secrets").status_code == 200
    assert client.get("/users").status_code == 403
    assert client.get("/audit").status_code == 403
    token = csrf(client, "/secrets")
    r = client.post("/secrets", data={"unit": "SO-TC", "days": "5", "csrf_token": token})
    assert r.status_code == 404


def test_security_and_auditor_read_everything_but_change_nothing(client, seed, hosts):
    for who in ("security", "auditor"):
        login(client, seed, who)
        html = client.get("/hosts").get_data(as_text=True)
        assert "pc-hanh-chinh" in html and "pc-tai-chinh" in html
        assert client.get("/secrets").status_code == 403
        assert client.get("/users").status_code == 403
        token = csrf(client, "/units")
        r = client.post("/units", data={"code": "X", "name": "X", "csrf_token": token})
        assert r.status_code == 403
        assert 'href="/secrets"' not in client.get("/").get_data(as_text=True)


def test_secret_is_shown_once_and_audited(client, seed):
    login(client, seed, "officer")
    token = csrf(client, "/secrets")
    r = client.post(
        "/secrets",
        data={"unit": "PHONG-HC", "days": "7", "label": "Phòng họp", "csrf_token": token},
    )
    assert r.status_code == 201
    shown = re.search(r'id="new-secret" class="secret">(kme_[^<]+)<', r.get_data(as_text=True))
    assert shown
    again = client.get("/secrets").get_data(as_text=True)
    assert shown.group(1) not in again and "Phòng họp" in again
    sid = re.search(r'action="/secrets/(\d+)/revoke"', again).group(1)
    r = client.post(f"/secrets/{sid}/revoke", data={"csrf_token": token})
    assert r.status_code == 302
    assert 'action="/secrets/' not in client.get("/secrets").get_data(as_text=True)
    login(client, seed, "admin")
    audit = client.get("/audit").get_data(as_text=True)
    assert "Enrollment secret created" in audit and "Enrollment secret revoked" in audit


def test_admin_adds_user_and_unit_with_errors_shown(client, seed):
    login(client, seed, "admin")
    token = csrf(client, "/users")
    r = client.post(
        "/users",
        data={"username": "hoa", "password": "ngan", "role": "auditor", "csrf_token": token},
    )
    assert r.status_code == 422 and "at least 10 characters" in r.get_data(as_text=True)
    r = client.post(
        "/users",
        data={
            "username": "hoa",
            "password": "mat-khau-rat-dai",
            "role": "auditor",
            "display_name": "Trần Thị Hoa",
            "csrf_token": token,
        },
    )
    assert r.status_code == 302
    assert "Trần Thị Hoa" in client.get("/users").get_data(as_text=True)
    r = client.post(
        "/units", data={"code": "SO-YT", "name": "Sở Y tế", "parent": "TINH", "csrf_token": token}
    )
    assert r.status_code == 302
    assert "Sở Y tế" in client.get("/units").get_data(as_text=True)
    r = client.post("/units", data={"code": "SO-YT", "name": "again", "csrf_token": token})
    assert r.status_code == 422 and "already exists" in r.get_data(as_text=True)


def test_exports_csv_with_bom_and_typed_xlsx(client, seed, hosts):
    login(client, seed, "admin")
    r = client.get("/hosts/export/csv?lang=vi")
    assert r.headers["Content-Disposition"].startswith("attachment; filename=hosts.csv")
    assert r.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Tên máy", "Đơn vị", "Tên đơn vị"]
    assert sorted(r[0] for r in rows[1:]) == ["pc-hanh-chinh", "pc-tai-chinh"]
    assert "Sở Tài chính" in {r[2] for r in rows[1:]}
    r = client.get("/hosts/export/xlsx?q=tai&lang=en")
    ws = load_workbook(io.BytesIO(r.data)).active
    assert ws.max_row == 2 and ws["A2"].value == "pc-tai-chinh"
    header = [c.value for c in ws[1]]
    assert ws.cell(2, header.index("Memory (bytes)") + 1).value == 8 * 1024**3
    assert ws.cell(2, header.index("Last seen") + 1).is_date
    for path in (
        "/software/export/xlsx",
        "/units/export/csv",
        "/secrets/export/xlsx",
        "/users/export/csv",
        "/audit/export/xlsx",
        f"/hosts/{hosts['hc']}/software/export/csv",
        f"/hosts/{hosts['hc']}/history/export/xlsx",
    ):
        assert client.get(path).status_code == 200, path
    assert client.get("/hosts/export/pdf").status_code == 404
    audit = client.get("/api/v1/audit-log?action=export").get_json()
    assert audit["total"] == 9 and audit["items"][-1]["target"] == "hosts.csv"


def test_language_switch_and_locale_formats(client, seed, hosts):
    login(client, seed, "admin")
    r = client.get("/language/vi", headers={"Referer": "http://localhost/hosts?q=pc"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/hosts?q=pc")
    html = client.get(f"/hosts/{hosts['hc']}").get_data(as_text=True)
    assert '<html lang="vi">' in html and "Phần mềm đã cài" in html
    assert re.search(r"\d\d/\d\d/20\d\d \d\d:\d\d UTC", html)  # dd/mm/yyyy
    assert "8,0 GiB" in html  # decimal comma
    client.get("/language/en")
    html = client.get(f"/hosts/{hosts['hc']}").get_data(as_text=True)
    assert "Installed software" in html and "8.0 GiB" in html
    assert re.search(r"20\d\d-\d\d-\d\d \d\d:\d\d UTC", html)


def test_dashboard_figures_and_filters(client, seed, hosts):
    login(client, seed, "security")
    html = client.get("/?lang=en").get_data(as_text=True)
    assert "<svg" in html and "Hosts by operating system" in html
    assert "No compliance results yet" in html or "evaluated hosts pass every check" in html
    assert re.search(r'class="big">50 %</span> antivirus coverage', html)
    hosts_html = client.get("/hosts?os=windows").get_data(as_text=True)
    assert "No host matches these filters." in hosts_html
    assert "pc-tai-chinh" in client.get("/hosts?unit=SO-TC").get_data(as_text=True)
    assert "pc-hanh-chinh" not in client.get("/hosts?unit=SO-TC").get_data(as_text=True)
    catalogue = client.get("/software?q=pkg-0030").get_data(as_text=True)
    assert "pkg-0030" in catalogue and "pkg-0001" not in catalogue


def test_dashboard_and_catalogue_say_when_software_titles_were_counted(client, seed, hosts, db_url):
    from inventory_server.admin.summaries import refresh_titles
    from inventory_server.db import make_engine, make_sessionmaker

    login(client, seed, "security")
    assert 'id="licence-as-of"' not in client.get("/?lang=en").get_data(as_text=True)
    assert 'id="counted-at"' not in client.get("/software?lang=en").get_data(as_text=True)
    engine = make_engine(db_url)
    with make_sessionmaker(engine)() as db:
        refresh_titles(db)
    engine.dispose()
    assert "Counted at " in client.get("/?lang=en").get_data(as_text=True)
    assert "Số liệu tính lúc " in client.get("/?lang=vi").get_data(as_text=True)
    catalogue = client.get("/software?lang=vi").get_data(as_text=True)
    assert 'id="counted-at"' in catalogue and "Số liệu tính lúc " in catalogue
    api = client.get("/api/v1/dashboard", headers={"Authorization": f"Bearer {seed.admin_token}"})
    assert api.get_json()["licence_as_of"].endswith("Z")


def test_next_parameter_cannot_leave_the_site(client, seed):
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example", "/hosts"):
        r = client.post(
            f"/login?next={target}",
            data={
                "username": "admin",
                "password": seed.passwords["admin"],
                "csrf_token": csrf(client),
            },
        )
        assert r.headers["Location"] == ("/hosts" if target == "/hosts" else "/"), target


def test_provisioning_groups_are_scoped(client, seed, hosts):
    login(client, seed, "officer")
    html = client.get("/provisioning").get_data(as_text=True)
    assert "unit_phong_hc" in html and "pc-hanh-chinh" in html
    assert "unit_so_tc" not in html and "pc-tai-chinh" not in html
    r = client.get("/provisioning/export/csv")
    assert b"unit_phong_hc" in r.data and b"pc-tai-chinh" not in r.data
    login(client, seed, "auditor")
    assert client.get("/provisioning").status_code == 403


def test_compliance_drill_down_is_scoped(client, seed, hosts):
    login(client, seed, "admin")
    page = client.get("/compliance").get_data(as_text=True)
    if "No compliance results yet" in page:
        pytest.skip("the compliance service produced no results on this server")
    link = re.search(r'href="(/compliance/checks/[^"?]+)', page).group(1)
    assert "pc-tai-chinh" in client.get(link).get_data(as_text=True)
    login(client, seed, "officer")
    html = client.get(link).get_data(as_text=True)
    assert "pc-hanh-chinh" in html and "pc-tai-chinh" not in html


def test_revoking_a_host_needs_rights_and_scope(client, seed, hosts):
    login(client, seed, "security")
    token = csrf(client, f"/hosts/{hosts['hc']}")
    assert "Revoke the agent" not in client.get(f"/hosts/{hosts['hc']}").get_data(as_text=True)
    assert (
        client.post(f"/hosts/{hosts['hc']}/revoke", data={"csrf_token": token}).status_code == 403
    )
    login(client, seed, "officer")
    token = csrf(client, f"/hosts/{hosts['hc']}")
    r = client.post(f"/hosts/{hosts['tc']}/revoke", data={"csrf_token": token, "confirm": "1"})
    assert r.status_code == 404
    r = client.post(f"/hosts/{hosts['hc']}/revoke", data={"csrf_token": token})
    assert r.status_code == 400  # not confirmed
    r = client.post(f"/hosts/{hosts['hc']}/revoke", data={"csrf_token": token, "confirm": "1"})
    assert r.status_code == 302
    assert "tokens of this host are revoked" in client.get(r.headers["Location"]).get_data(
        as_text=True
    )
    login(client, seed, "admin")
    log = client.get("/api/v1/audit-log?action=host_revoked").get_json()["items"]
    assert log[0]["username"] == "officer" and log[0]["target"].startswith("pc-hanh-chinh#")


def test_error_pages_speak_the_page_language(client, seed):
    login(client, seed, "auditor", lang="vi")
    r = client.get("/users", headers={"Accept": "text/html"})
    html = r.get_data(as_text=True)
    assert r.status_code == 403 and "Bạn không được phép mở trang này" in html
    assert "permission" not in html  # Werkzeug's English description is not shown
    r = client.get("/hosts/999", headers={"Accept": "text/html"})
    assert r.status_code == 404 and "Không có máy với id 999" in r.get_data(as_text=True)


def test_hosts_sort_by_column(client, seed, hosts):
    login(client, seed, "admin")
    html = client.get("/hosts?sort=-software_count").get_data(as_text=True)
    assert html.index("pc-hanh-chinh") < html.index("pc-tai-chinh")  # 50 before 20 packages
    assert 'aria-sort="descending"' in html
    html = client.get("/hosts?sort=software_count").get_data(as_text=True)
    assert html.index("pc-tai-chinh") < html.index("pc-hanh-chinh")
    assert 'href="?sort=-software_count"' in html  # clicking again reverses
    assert "sort must be one of" in client.get("/hosts?sort=bogus").get_data(as_text=True)


def test_decomposed_vietnamese_input_is_stored_composed(client, seed):
    import unicodedata

    login(client, seed, "admin")
    decomposed = unicodedata.normalize("NFD", "Sở Giáo dục và Đào tạo")
    assert decomposed != "Sở Giáo dục và Đào tạo"
    r = client.post(
        "/units",
        data={"code": "SO-GDDT", "name": decomposed, "parent": "TINH", "csrf_token": csrf(client)},
    )
    assert r.status_code == 302
    units = client.get("/api/v1/units").get_json()["items"]
    assert {u["code"]: u["name"] for u in units}["SO-GDDT"] == "Sở Giáo dục và Đào tạo"


def test_dashboard_and_compliance_lists_export(client, seed, hosts):
    login(client, seed, "officer")
    rows = list(
        csv.reader(io.StringIO(client.get("/dashboard/export/csv").data.decode("utf-8-sig")))
    )
    assert rows[0] == ["Code", "Unit", "Hosts", "Antivirus running", "Not seen recently"]
    assert rows[1:] == [["SO-TTTT", "Sở Thông tin và Truyền thông", "1", "1", "0"]]
    assert client.get("/dashboard/export/csv?unit=SO-TC").status_code == 404
    for kind in ("units", "checks"):
        r = client.get(f"/compliance/export/{kind}/xlsx")
        assert r.status_code == 200 and r.data[:2] == b"PK"
        ws = load_workbook(io.BytesIO(r.data)).active
        assert "SO-TC" not in {c.value for c in ws["A"]}
    assert client.get("/compliance/export/bogus/csv").status_code == 404


def test_admin_sets_a_password_which_ends_sessions_and_lockout(client, seed, app):
    officer = app.test_client()
    login(officer, seed, "officer")
    assert officer.get("/hosts").status_code == 200
    login(client, seed, "admin")
    users = client.get("/api/v1/users").get_json()["items"]
    officer_id = next(u["id"] for u in users if u["username"] == "officer")
    token = csrf(client, "/users")
    r = client.post(
        "/users/password", data={"user_id": officer_id, "password": "short", "csrf_token": token}
    )
    assert r.status_code == 422 and "at least 10 characters" in r.get_data(as_text=True)
    r = client.post(
        "/users/password",
        data={"user_id": officer_id, "password": "mat-khau-moi-123", "csrf_token": token},
    )
    assert r.status_code == 302
    assert officer.get("/hosts").status_code == 302  # the old session has ended
    seed.passwords["officer"] = "mat-khau-moi-123"
    assert login(officer, seed, "officer").status_code == 302
    log = client.get("/api/v1/audit-log?action=password_set").get_json()["items"]
    assert log[0]["target"] == "officer" and log[0]["username"] == "admin"
