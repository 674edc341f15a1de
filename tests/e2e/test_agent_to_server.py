"""End to end: a real kiemke-agent process enrolls with a real server and reports this machine."""

import json
import os
import subprocess
import urllib.request

from tests.conftest import VENV_BIN, seed_database


def _api(server, path, token):
    req = urllib.request.Request(  # noqa: S310 - loopback test server
        server.url + path, headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(req, timeout=10) as r:  # noqa: S310 - loopback test server
        return json.loads(r.read())


def _agent(*args, cwd=None):
    return subprocess.run([os.path.join(VENV_BIN, "kiemke-agent"), *args], capture_output=True,
                          text=True, timeout=120, check=False, cwd=cwd)


def test_real_agent_enrolls_reports_and_host_is_found(live_server, tmp_path):
    seed = seed_database(live_server.db_url)
    conf = str(tmp_path / "agent" / "agent.conf")

    shown = _agent("show", "--config", conf)
    assert shown.returncode == 0, shown.stderr
    local = json.loads(shown.stdout)
    packages = {(p["name"], p["source"], p.get("arch") or "") for p in
                local["software"]["packages"]}
    assert packages, "this machine reports no packages"

    enrolled = _agent("enroll", "--server", live_server.url, "--secret", seed.secret,
                      "--config", conf)
    assert enrolled.returncode == 0, enrolled.stderr
    token_file = tmp_path / "agent" / "state" / "token"
    assert oct(token_file.stat().st_mode & 0o777) == "0o600"

    once = _agent("once", "--config", conf)
    assert once.returncode == 0, once.stderr + live_server.log()
    assert "full" in once.stdout

    hosts = _api(live_server, "/api/v1/hosts", seed.admin_token)
    assert hosts["total"] == 1
    host = hosts["items"][0]
    assert host["hostname"] == local["host"]["hostname"]
    assert host["os_family"] == "linux"
    assert host["software_count"] == len(packages)

    detail = _api(live_server, f"/api/v1/hosts/{host['id']}", seed.admin_token)
    assert detail["machine_id"] == local["host"]["machine_id"]
    assert detail["components"], "hardware components are stored"
    assert any(i["mac"] for i in detail["interfaces"]) or not local["host"]["mac_addresses"]
    sw = _api(live_server, f"/api/v1/hosts/{host['id']}/software", seed.admin_token)
    assert sw["total"] == len(packages)

    # A second run sends a delta: the host keeps its identity and its software.
    again = _agent("once", "--config", conf)
    assert again.returncode == 0, again.stderr
    assert "delta" in again.stdout
    hosts = _api(live_server, "/api/v1/hosts", seed.admin_token)
    assert hosts["total"] == 1
    assert hosts["items"][0]["software_count"] == len(packages)


def test_agent_with_wrong_secret_says_why(live_server, tmp_path):
    seed_database(live_server.db_url)
    res = _agent("enroll", "--server", live_server.url, "--secret", "kme_wrong",
                 "--config", str(tmp_path / "a.conf"))
    assert res.returncode == 1
    assert "403" in res.stderr and "secret" in res.stderr


def test_agent_not_enrolled_says_so(tmp_path):
    res = _agent("once", "--config", str(tmp_path / "none.conf"))
    assert res.returncode == 1
    assert "not enrolled" in res.stderr


def test_agent_resends_what_a_restored_database_lacks(live_server, tmp_path):
    """A database restored from a backup older than the agent's last report (docs/operations.md,
    Backups) holds the section digests from before it: the agent's next run is answered
    need_full and sends those sections at once, with no one's help."""
    from sqlalchemy import text

    from inventory_server.db import make_engine

    seed = seed_database(live_server.db_url)
    conf = str(tmp_path / "agent" / "agent.conf")
    enrolled = _agent("enroll", "--server", live_server.url, "--secret", seed.secret,
                      "--config", conf)
    assert enrolled.returncode == 0, enrolled.stderr
    assert _agent("once", "--config", conf).returncode == 0
    host = _api(live_server, "/api/v1/hosts", seed.admin_token)["items"][0]
    packages = host["software_count"]
    assert packages > 0

    # What a backup taken before that report holds: the host enrolled, no section stored.
    engine = make_engine(live_server.db_url)
    with engine.begin() as conn:
        for table in ("host_sections", "host_software", "hardware_components",
                      "network_interfaces", "host_addresses"):
            conn.execute(text(f"DELETE FROM {table} WHERE host_id = :h"),  # noqa: S608
                         {"h": host["id"]})
    engine.dispose()
    assert _api(live_server, f"/api/v1/hosts/{host['id']}/software", seed.admin_token)[
        "total"] == 0

    again = _agent("once", "--config", conf)
    assert again.returncode == 0, again.stderr + live_server.log()
    sw = _api(live_server, f"/api/v1/hosts/{host['id']}/software", seed.admin_token)
    assert sw["total"] == packages
    detail = _api(live_server, f"/api/v1/hosts/{host['id']}", seed.admin_token)
    assert detail["components"], "hardware components are stored again"
