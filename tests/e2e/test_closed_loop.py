"""The closed loop on a real test host: report, fail a check, remediate.yml, report, pass.

A test host without antivirus gets the Kiemke agent from the kiemke_agent role, enrolls with a
real kiemke-server (listening on the host side of the test host's private link) and reports.
The server's compliance engine fails ``ct14_av_installed``; the dynamic inventory plugin puts
the host in ``policy_fail_ct14_av_installed``; ``playbooks/remediate.yml``, run against that
inventory, installs and configures ClamAV; the next report passes and the group is empty.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.request

import pytest
import yaml

from tests.conftest import VENV_BIN, seed_database
from tests.roles.samples import TEST_SIGNATURES
from tests.testhosts.ansible import BIN, REPO, ansible_env, run_playbook
from tests.testhosts.fixtures import require_test_hosts, wheelhouse  # noqa: F401 - fixture
from tests.testhosts.host import TestHost

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("testhost")]

CHECK = "ct14_av_installed"
AGENT = "/opt/kiemke-agent/bin/kiemke-agent"
CONF = "/etc/kiemke/agent.conf"


def free_port(address: str) -> int:
    with socket.socket() as s:
        s.bind((address, 0))
        return s.getsockname()[1]


def api(url: str, token: str):
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})  # noqa: S310
    with urllib.request.urlopen(req, timeout=30) as r:  # noqa: S310 - test server on our link
        return json.loads(r.read())


@pytest.fixture(scope="module")
def loop_host():
    require_test_hosts()
    host = TestHost(name="kiemke-loop")
    try:
        host.start()
        yield host
    finally:
        host.stop()


@pytest.fixture
def server(loop_host, sqlite_url, tmp_path):
    """A real kiemke-server that the test host reaches over its private link."""
    seed = seed_database(sqlite_url)
    port = free_port(loop_host.gateway)
    env = dict(os.environ, KIEMKE_DATABASE_URL=sqlite_url, KIEMKE_DATA_DIR=str(tmp_path / "srv"),
               KIEMKE_SECRET_KEY="closed-loop-key")
    log_path = tmp_path / "server.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [os.path.join(VENV_BIN, "kiemke-server"), "run", "--host", loop_host.gateway,
             "--port", str(port), "--workers", "1"],
            env=env, stdout=log, stderr=subprocess.STDOUT, cwd=REPO,
        )
    url = f"http://{loop_host.gateway}:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=1):  # noqa: S310
                break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"server did not start: {log_path.read_text()}")
            time.sleep(0.2)
    yield url, seed, log_path
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


def inventory_list(tmp_path, url: str, token: str) -> dict:
    config = tmp_path / "loop.kiemke.yml"
    config.write_text("plugin: kiemke\n")
    env = dict(ansible_env(), KIEMKE_URL=url, KIEMKE_TOKEN=token)
    proc = subprocess.run([str(BIN / "ansible-inventory"), "-i", str(config), "--list"],
                          capture_output=True, text=True, env=env, timeout=60, check=True)
    return json.loads(proc.stdout)


def plain(value):
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def check_status(url: str, token: str, host_id: int) -> str:
    data = api(f"{url}/api/v1/compliance/hosts/{host_id}", token)
    statuses = {r["check"]: r["status"] for r in data["results"]}
    return statuses[CHECK]


def test_failing_host_is_remediated_and_then_passes(
    loop_host, server, wheelhouse, tmp_path  # noqa: F811 - the imported fixture
):
    url, seed, log_path = server
    host = loop_host

    # 1. The agent, installed and enrolled by its role (secret from a vars file, as from Vault).
    agent_vars = tmp_path / "agent-vars.yml"
    agent_vars.write_text(yaml.safe_dump({
        "role_under_test": "kiemke_agent",
        "kiemke_agent_wheelhouse": str(wheelhouse),
        "kiemke_agent_server_url": url,
        "kiemke_agent_enroll_secret": seed.secret,
        "kiemke_agent_role": "workstation",
        # Reports are sent by the test (kiemke-agent once), not on the daemon's schedule.
        "kiemke_agent_service_enabled": False,
    }))
    run = run_playbook("tests/roles/files/apply_role.yml", host.inventory_path,
                       "-e", f"@{agent_vars}")
    assert run.returncode == 0, run.explain()
    assert seed.secret not in run.stdout
    assert host.run("test -s /var/lib/kiemke-agent/token", check=False).returncode == 0

    # 2. First report: no antivirus, so the check fails and the host is in the failing group.
    host.run([AGENT, "once", "--config", CONF], timeout=300)
    hosts = api(f"{url}/api/v1/hosts", seed.admin_token)["items"]
    (record,) = [h for h in hosts if h["hostname"] == host.name]
    assert check_status(url, seed.admin_token, record["id"]) == "fail"
    inventory = plain(inventory_list(tmp_path, url, seed.admin_token))
    assert host.name in inventory[f"policy_fail_{CHECK}"]["hosts"]
    assert inventory["_meta"]["hostvars"][host.name]["ansible_host"] == host.ip

    # 3. remediate.yml against the server's inventory fixes it. The provincial mirror is out of
    #    reach of a test host: a one-signature database stands in for its downloads.
    host.run("mkdir -p /var/lib/clamav/main.inc /var/lib/clamav/daily.inc && "
             "cat > /var/lib/clamav/kiemke-test.hdb", input=TEST_SIGNATURES)
    fix_vars = tmp_path / "fix-vars.yml"
    fix_vars.write_text(yaml.safe_dump({
        "ansible_user": "root",
        "ansible_ssh_private_key_file": str(host.key_path),
        "ansible_ssh_common_args": "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null",
        "ansible_python_interpreter": "/usr/bin/python3",
        "antivirus_initial_update": False,
        "antivirus_private_mirrors": ["http://clamav.tinh.example.gov.vn"],
    }))
    fix = run_playbook("playbooks/remediate.yml", tmp_path / "loop.kiemke.yml",
                       "--tags", CHECK, "-e", f"@{fix_vars}",
                       env={"KIEMKE_URL": url, "KIEMKE_TOKEN": seed.admin_token})
    assert fix.returncode == 0, fix.explain()
    assert fix.recap()[host.name]["changed"] > 0
    assert "clamd" in host.run("ps -eo comm=").stdout

    # 4. Next report: the check passes and the failing group no longer lists the host.
    host.run([AGENT, "once", "--config", CONF], timeout=300)
    assert check_status(url, seed.admin_token, record["id"]) == "pass", log_path.read_text()
    inventory = plain(inventory_list(tmp_path, url, seed.admin_token))
    assert host.name not in inventory.get(f"policy_fail_{CHECK}", {}).get("hosts", [])
