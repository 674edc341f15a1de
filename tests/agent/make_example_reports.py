"""Regenerate tests/fixtures/reports/*.json: python -m tests.agent.make_example_reports."""

import json
import sys
from datetime import datetime, timezone

from agent import report as rep
from agent.collectors.windows import (
    accounts_local,
    antivirus_defender,
    antivirus_securitycenter,
    antivirus_services,
    encryption_bitlocker,
    firewall_netsecurity,
    hardware_wmi,
    screenlock_policy,
    software_licensing,
    software_registry,
    updates_windowsupdate,
)
from agent.schema import Interface, Network, encode
from tests.agent.helpers import FIXTURES, ReplayContext, fixture_text

WHEN = datetime(2024, 1, 15, 2, 0, tzinfo=timezone.utc)


def windows_scripts():
    """The captured output each Windows script is answered with."""
    return {
        hardware_wmi.SCRIPT: fixture_text("windows", "wmi", "win11-laptop.json"),
        software_registry.SCRIPT: fixture_text("windows", "uninstall", "win11-mixed.json"),
        software_licensing.SCRIPT: fixture_text("windows", "licensing", "win11-pro-office.json"),
        antivirus_defender.SCRIPT: fixture_text("windows", "defender", "ws2022-docs-normal.json"),
        antivirus_securitycenter.SCRIPT: fixture_text("windows", "securitycenter",
                                                      "defender-and-kaspersky.json"),
        antivirus_services.SCRIPT: fixture_text("windows", "services", "workstation.json"),
        firewall_netsecurity.SCRIPT: fixture_text("windows", "firewall", "all-on.json"),
        updates_windowsupdate.SCRIPT: fixture_text("windows", "windowsupdate",
                                                   "default-auto.json"),
        accounts_local.SCRIPT: fixture_text("windows", "accounts", "win11-en.json"),
        encryption_bitlocker.SCRIPT: fixture_text("windows", "bitlocker", "docs-os-on.json"),
        screenlock_policy.SCRIPT: fixture_text("windows", "screenlock", "machine-policy.json"),
    }


def _stable(r, hostname):
    r.collected_at = WHEN
    r.host.hostname = hostname
    r.host.fqdn = None
    r.agent.python = "3.11.2"
    r.digests = rep.digests(r)
    return r


def main() -> int:
    out = FIXTURES / "reports"
    linux = rep.collect()
    linux.software.packages = linux.software.packages[:5]
    linux = _stable(linux, "pc-linux-01")
    win = _stable(rep.collect(ReplayContext(windows_scripts(), platform="win32")), "PC-KT01")
    # Interfaces and kernel here are this Linux machine's: replace them with Windows-looking ones.
    win.agent.platform = "win32"
    win.os.version = win.os.kernel = "10.0.22631"
    win.os.name = "Windows 11 Professional"
    win.os.edition = "Professional"
    win.os.arch = "AMD64"
    win.network = Network(interfaces=[Interface(name="Ethernet", mac="8c:16:45:12:34:56",
                                                ipv4=["10.20.1.15/24"], up=True, virtual=False)],
                          default_gateway="10.20.1.1", domain="SOTTTT")
    win.host.mac_addresses = ["8c:16:45:12:34:56"]
    win.host.machine_id = "b1a2c3d4-e5f6-4711-9a8b-0c1d2e3f4a5b"
    win.digests = rep.digests(win)
    delta = rep.make_delta(linux, dict(linux.digests))
    for name, r in (("linux-full", linux), ("windows-full", win), ("linux-delta-unchanged",
                                                                    delta)):
        text = json.dumps(json.loads(encode(r)), indent=1, ensure_ascii=False) + "\n"
        (out / f"{name}.json").write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
