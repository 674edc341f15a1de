"""kiemke_agent on a real test host: installed from the wheel, configured and running."""

import configparser
import json

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("testhost")]


def test_agent_configuration_is_what_the_agent_reads(provisioned):
    host = provisioned.host
    parser = configparser.ConfigParser()
    parser.read_string(host.read_text("/etc/kiemke/agent.conf"))
    agent = parser["agent"]
    assert agent["server_url"] == "http://127.0.0.1:9"
    assert agent["state_dir"] == "/var/lib/kiemke-agent"
    assert agent["role"] == "workstation"
    assert agent["interval_seconds"] == "3600"
    assert host.run("stat -c %a /var/lib/kiemke-agent").stdout.strip() == "700"


def test_agent_installed_in_its_venv_reports_this_host(provisioned):
    out = provisioned.host.run(
        "/opt/kiemke-agent/bin/kiemke-agent show --config /etc/kiemke/agent.conf"
    ).stdout
    report = json.loads(out)
    assert report["host"]["hostname"] == provisioned.host.name
    assert report["host"]["role"] == "workstation"
    assert report["kind"] == "full"


def test_agent_runs_as_a_service_without_systemd(provisioned):
    host = provisioned.host
    assert host.run("/etc/init.d/kiemke-agent status", check=False).returncode == 0
    procs = host.run("ps -eo args=").stdout
    assert "/opt/kiemke-agent/bin/kiemke-agent run --config /etc/kiemke/agent.conf" in procs
    # Not enrolled (no secret given): the agent says so instead of crashing.
    assert host.run("test -e /var/lib/kiemke-agent/token", check=False).returncode != 0
