"""The pages in a real browser: Debian's Chromium driven by Playwright against a real server.

Logs in as each role, navigates, filters, switches language, exports and creates a secret;
checks scoping in the page and through the API; saves screenshots at 1366×768 to
tests/artifacts/.
"""

import json
import os
import re
import shutil
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.conftest import ROOT, seed_database, start_server, stop_server
from tests.web.hosts import two_units

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = os.path.join(ROOT, "tests", "artifacts")
VIEWPORT = {"width": 1366, "height": 768}


class _Answer:
    """The part of a Flask test response that tests.web.hosts uses."""

    def __init__(self, status: int, data: bytes):
        self.status_code = status
        self.data = data

    def get_json(self):
        """Parse the body as JSON."""
        return json.loads(self.data)


class HttpClient:
    """A tiny HTTP client with the Flask test client's ``post`` signature, for a live server."""

    def __init__(self, base: str):
        self.base = base

    def post(self, path, *, json=None, data=None, content_type=None, headers=None):
        """POST to the live server; return status and body."""
        headers = dict(headers or {})
        if json is not None:
            data, content_type = _json.dumps(json).encode(), "application/json"
        headers["Content-Type"] = content_type
        req = urllib.request.Request(  # noqa: S310 - the loopback test server
            self.base + path, data=data, headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(req, timeout=30) as r:  # noqa: S310 - loopback test server
                return _Answer(r.status, r.read())
        except urllib.error.HTTPError as exc:
            return _Answer(exc.code, exc.read())


_json = json


@pytest.fixture(scope="session")
def chromium_path():
    """Debian's Chromium; installed with apt when missing."""
    if not os.path.exists(CHROMIUM):
        # A fresh machine may have no package lists yet.
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-q"], check=True, capture_output=True, env=env)
        subprocess.run(
            ["apt-get", "install", "-y", "-q", "chromium"], check=True, capture_output=True, env=env
        )
    return CHROMIUM


@pytest.fixture(scope="session")
def browser(chromium_path):
    """One headless Chromium for the whole session."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium_path, args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A real server on a seeded SQLite database with two hosts that posted real reports."""
    from inventory_server.migrate import upgrade

    tmp = tmp_path_factory.mktemp("browser")
    url = f"sqlite:///{tmp / 'kiemke.db'}"
    upgrade(url)
    seed = seed_database(url)
    server = start_server(url, str(tmp / "server"), workers=1)
    try:
        ids = two_units(HttpClient(server.url), seed)
        yield server, seed, ids
    finally:
        stop_server(server)
    os.makedirs(ARTIFACTS, exist_ok=True)
    shutil.copy(server.log_path, os.path.join(ARTIFACTS, "browser-server.log"))


def shot(page, name: str) -> None:
    """Save a screenshot of the visible 1366×768 window; the page must not scroll sideways."""
    os.makedirs(ARTIFACTS, exist_ok=True)
    page.screenshot(path=os.path.join(ARTIFACTS, f"{name}.png"))
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= VIEWPORT["width"], f"{name}: {width}px wide, wider than the screen"


def open_as(browser, site, who: str, lang: str = "en"):
    """A fresh browser context logged in as ``who`` through the log-in form."""
    server, seed, _ids = site
    ctx = browser.new_context(viewport=VIEWPORT, base_url=server.url, accept_downloads=True)
    ctx.add_cookies([{"name": "lang", "value": lang, "url": server.url}])
    page = ctx.new_page()
    page.goto("/login")
    page.get_by_label(re.compile("User name|Tên đăng nhập")).fill(who)
    page.get_by_label(re.compile("^(Password|Mật khẩu)$")).fill(seed.passwords[who])
    page.get_by_role("button", name=re.compile("^(Log in|Đăng nhập)$")).click()
    page.wait_for_url(re.compile(r"/$"))
    return ctx, page


def test_officer_sees_only_own_subtree_in_page_and_api(browser, site):
    _server, _seed, ids = site
    ctx, page = open_as(browser, site, "officer", "vi")
    assert page.locator("h1").first.inner_text().startswith("Tổng quan")
    shot(page, "officer-dashboard-vi")
    page.get_by_role("link", name="Máy tính", exact=True).click()
    page.wait_for_url(re.compile(r"/hosts$"))
    rows = page.locator("table#hosts tbody tr")
    expect(rows).to_have_count(1)
    assert "pc-hanh-chinh" in rows.first.inner_text()
    assert "pc-tai-chinh" not in page.content()
    resp = page.goto(f"/hosts/{ids['tc']}")
    assert resp.status == 404
    api = page.request.get("/api/v1/hosts")
    assert [h["hostname"] for h in api.json()["items"]] == ["pc-hanh-chinh"]
    assert page.request.get(f"/api/v1/hosts/{ids['tc']}").status == 404
    assert page.goto("/users").status == 403
    ctx.close()


def test_admin_tour_keyboard_filter_host_language_export_secret(browser, site):
    _server, _seed, ids = site
    ctx, page = open_as(browser, site, "admin")
    # Keyboard: the first Tab reaches the visible skip link, Enter moves focus to the content.
    page.keyboard.press("Tab")
    skip = page.locator("a.skip")
    assert skip.evaluate("e => e === document.activeElement")
    assert skip.bounding_box()["x"] >= 0
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    shot(page, "admin-dashboard-en")
    # Filter hosts by the search box and the unit list.
    page.goto("/hosts")
    page.get_by_label("Search").fill("tai")
    page.get_by_label("Unit").select_option("SO-TC")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r"q=tai"))
    assert page.locator("table#hosts tbody tr").count() == 1
    # Export what is shown.
    with page.expect_download() as dl:
        page.get_by_role("link", name="CSV").click()
    data = Path(dl.value.path()).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and b"pc-tai-chinh" in data
    assert b"pc-hanh-chinh" not in data
    # The host page, then the same page in Vietnamese through the language switch.
    page.get_by_role("link", name="pc-tai-chinh").click()
    page.wait_for_url(re.compile(rf"/hosts/{ids['tc']}$"))
    assert page.locator("#posture").inner_text().count("Installed, not running") == 1
    shot(page, "admin-host-en")
    with page.expect_navigation():
        page.get_by_role("link", name="VI", exact=True).click()
    assert page.url.endswith(f"/hosts/{ids['tc']}")
    assert "Phần mềm đã cài" in page.content()
    assert re.search(r"\d\d/\d\d/20\d\d", page.locator("#system").inner_text())
    shot(page, "admin-host-vi")
    # A new enrollment secret is shown once.
    page.get_by_role("link", name="Mã đăng ký").click()
    page.wait_for_url(re.compile(r"/secrets$"))
    page.get_by_label("Đơn vị").select_option("SO-TC")
    page.get_by_label("Nhãn").fill("Phòng Kế toán – tầng 3")
    with page.expect_navigation():
        page.get_by_role("button", name="Tạo", exact=True).click()
    secret = page.locator("#new-secret").inner_text()
    assert secret.startswith("kme_")
    shot(page, "admin-secret-vi")
    page.goto("/secrets")
    assert secret not in page.content() and "Phòng Kế toán – tầng 3" in page.content()
    page.goto("/audit")
    assert "Tạo mã đăng ký" in page.content() and "Xuất dữ liệu" in page.content()
    page.goto("/users")
    assert page.locator("table#users tbody tr").count() == 5
    shot(page, "admin-users-vi")
    ctx.close()


@pytest.mark.parametrize("who", ["security", "auditor"])
def test_read_only_roles(browser, site, who):
    ctx, page = open_as(browser, site, who)
    nav = page.get_by_role("navigation", name="Main").inner_text()
    assert "Hosts" in nav and "Compliance" in nav
    assert "Enrollment secrets" not in nav and "Users" not in nav
    page.get_by_role("link", name="Hosts", exact=True).click()
    page.wait_for_url(re.compile(r"/hosts$"))
    expect(page.locator("table#hosts tbody tr")).to_have_count(2)
    shot(page, f"{who}-hosts-en")
    assert page.goto("/secrets").status == 403
    page.goto("/compliance")
    assert page.locator("#compliance-units, .empty").count() >= 1
    shot(page, f"{who}-compliance-en")
    page.goto("/software")
    with page.expect_download() as dl:
        page.get_by_role("link", name="XLSX").click()
    assert Path(dl.value.path()).read_bytes()[:2] == b"PK"
    ctx.close()


def test_lockout_through_the_log_in_page(browser, site):
    server, seed, _ids = site
    ctx = browser.new_context(viewport=VIEWPORT, base_url=server.url)
    page = ctx.new_page()
    page.goto("/login?lang=en")
    for password in ["wrong-password"] * 5 + [seed.passwords["other"]]:
        page.get_by_label("User name").fill("other")
        page.get_by_label("Password").fill(password)
        with page.expect_navigation():
            page.get_by_role("button", name="Log in").click()
    alert = page.get_by_role("alert").inner_text()
    assert "locked" in alert
    shot(page, "lockout-en")
    ctx.close()
