"""Collector contracts: the three names, a pure parser, categories that map into the report,
and per-platform loading without the other platform's modules."""

import importlib
import json
import subprocess
import sys
from pathlib import Path

import msgspec
import pytest

from agent import collectors
from agent.report import field_struct
from agent.schema import SECTIONS, Report

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", collectors.MODULES)
def test_collector_declares_its_contract(name):
    mod = importlib.import_module(name)
    assert isinstance(mod.CATEGORY, str)
    assert callable(mod.is_enabled) and callable(mod.collect)
    short = name.rsplit(".", 1)[1]
    if ".linux." in name or ".windows." in name:
        category = short.split("_", 1)[0]
        assert category in ("os", "hardware", "software", "antivirus", "firewall", "updates",
                            "accounts", "encryption", "screenlock", "ssh", "office", "mail"), (
            f"{short}: module names are <category>_<source>.py")
        parsers = [n for n in dir(mod) if n.startswith("parse_") and callable(getattr(mod, n))]
        assert parsers, f"{short}: needs a pure parse_<source>(text) function"


@pytest.mark.parametrize("name", collectors.MODULES)
def test_category_maps_into_a_report_section(name):
    mod = importlib.import_module(name)
    parts = mod.CATEGORY.split(".")
    assert parts[0] in SECTIONS, mod.CATEGORY
    cls = Report
    for part in parts:
        assert cls is not None, f"{mod.CATEGORY}: {part} is below a plain value"
        assert part in {f.name for f in msgspec.structs.fields(cls)}, mod.CATEGORY
        cls = field_struct(cls, part)


def test_every_windows_module_has_a_script():
    for name in collectors.MODULES:
        if ".windows." in name:
            mod = importlib.import_module(name)
            assert "ConvertTo-Json" in mod.SCRIPT, name


def _run(code):
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, timeout=60, check=False)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


WINDOWS_REPORT = r"""
import json, sys
from agent import collectors
from agent.collectors.context import Context
from agent.report import collect
from tests.agent.helpers import ReplayContext, fixture_text
from agent.collectors.windows import (os_cim, hardware_wmi, software_registry, software_licensing,
    antivirus_defender, antivirus_securitycenter, antivirus_services, firewall_netsecurity,
    updates_windowsupdate, accounts_local, encryption_bitlocker, screenlock_policy)
scripts = {
    os_cim.SCRIPT: fixture_text("windows", "os", "win11-pro-vi.json"),
    hardware_wmi.SCRIPT: fixture_text("windows", "wmi", "win11-laptop.json"),
    software_registry.SCRIPT: fixture_text("windows", "uninstall", "win11-mixed.json"),
    software_licensing.SCRIPT: fixture_text("windows", "licensing", "win11-pro-office.json"),
    antivirus_defender.SCRIPT: fixture_text("windows", "defender", "passive.json"),
    antivirus_securitycenter.SCRIPT: fixture_text("windows", "securitycenter",
                                                  "defender-and-kaspersky.json"),
    antivirus_services.SCRIPT: fixture_text("windows", "services", "workstation.json"),
    firewall_netsecurity.SCRIPT: fixture_text("windows", "firewall", "all-on.json"),
    updates_windowsupdate.SCRIPT: fixture_text("windows", "windowsupdate", "default-auto.json"),
    accounts_local.SCRIPT: fixture_text("windows", "accounts", "win11-en.json"),
    encryption_bitlocker.SCRIPT: fixture_text("windows", "bitlocker", "docs-os-on.json"),
    screenlock_policy.SCRIPT: fixture_text("windows", "screenlock", "machine-policy.json"),
}
r = collect(ReplayContext(scripts, platform="win32"))
linux = sorted(m for m in sys.modules if m.startswith("agent.collectors.linux."))
print(json.dumps({"linux": linux, "errors": [e.collector for e in r.errors],
    "av": r.security.antivirus.product, "av_running": r.security.antivirus.running,
    "fw": r.security.firewall.enabled, "enc": r.security.encryption.root_encrypted,
    "lic": [l.partial_key for l in r.software.licenses], "pkgs": len(r.software.packages),
    "chassis": r.hardware.system.chassis_type, "modules": len(r.hardware.memory.modules),
    "cpu_threads": r.hardware.cpu.threads, "role": r.host.role,
    "os": r.os.name, "locale": r.os.locale,
    "digests": sorted(r.digests), "office": r.security.office.suite,
    "office_installed": r.security.office.installed}))
"""


def test_windows_report_from_captured_output_without_linux_modules():
    out = _run(WINDOWS_REPORT)
    assert out["linux"] == []
    assert out["errors"] == []
    assert out["av"] == "Kaspersky Endpoint Security for Windows" and out["av_running"] is True
    assert out["fw"] is True and out["enc"] is True
    assert out["lic"] == ["3V66T", "6MWKP"] and out["pkgs"] == 5
    assert out["chassis"] == "notebook" and out["modules"] == 2
    assert out["cpu_threads"] >= 1  # psutil's part merged with WMI's
    assert out["role"] == "workstation"
    assert out["os"] == "Windows 11 Pro" and out["locale"] == "vi_VN"
    # LibreOffice is in the Uninstall list though its files are not on this test machine.
    assert out["office"] == "LibreOffice" and out["office_installed"] is True
    assert out["digests"] == sorted(["os", "hardware", "network", "software", "security"])


def test_windows_report_survives_missing_powershell():
    code = ("import json, sys\nfrom agent.report import collect\n"
            "from tests.agent.helpers import ReplayContext\n"
            "r = collect(ReplayContext({}, platform='win32'))\n"
            "print(json.dumps({'errors': sorted({e.collector for e in r.errors}),"
            " 'sections': sorted(r.digests)}))")
    out = _run(code)
    assert "software_registry" in out["errors"] and "antivirus_defender" in out["errors"]
    assert out["sections"] == sorted(["os", "hardware", "network", "software", "security"])


def test_linux_report_does_not_import_windows_modules():
    code = ("import json, sys\nfrom agent.report import collect\n"
            "from agent.collectors.context import Context\n"
            "ctx = Context(); ctx.platform = 'linux'\nr = collect(ctx)\n"
            "print(json.dumps(sorted(m for m in sys.modules"
            " if m.startswith('agent.collectors.windows.'))))")
    assert _run(code) == []


def test_every_command_has_a_timeout():
    """Every ctx.run(...) and ctx.powershell(...) in a collector passes timeout=."""
    import ast

    missing = []
    for path in (ROOT / "agent" / "collectors").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("run", "powershell")
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "ctx"
                    and not any(k.arg == "timeout" for k in node.keywords)):
                missing.append(f"{path.name}:{node.lineno}")
    assert missing == []
