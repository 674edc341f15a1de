"""The systemd unit starts the daemon with the default paths."""

import configparser
from pathlib import Path

UNIT = Path(__file__).resolve().parents[2] / "agent" / "packaging" / "kiemke-agent.service"


def test_unit_runs_the_daemon_with_its_state_dir():
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read_string(UNIT.read_text())
    service = parser["Service"]
    assert service["ExecStart"].split()[1:3] == ["run", "--config"]
    assert service["ExecStart"].endswith("/etc/kiemke/agent.conf")
    assert service["StateDirectory"] == "kiemke-agent"  # /var/lib/kiemke-agent, the default
    assert "/var/lib/kiemke-agent" in service["ReadWritePaths"]
    assert parser["Install"]["WantedBy"] == "multi-user.target"
