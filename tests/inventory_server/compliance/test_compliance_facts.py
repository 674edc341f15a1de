"""Fact building: defaults omitted on the wire, derived facts, host facts, known paths."""

from pathlib import Path

import msgspec
import pytest

from agent import schema
from inventory_server.compliance import facts


def wire(struct) -> dict:
    """Plain JSON of a section as the server stores it (defaults omitted, like on the wire)."""
    return msgspec.to_builtins(struct)


def test_defaults_omitted_on_the_wire_are_restored():
    security = wire(schema.Security(antivirus=schema.Antivirus(), mail=schema.Mail()))
    assert security == {"antivirus": {}, "mail": {}}  # what the server receives
    built = facts.build_facts({"security": security}, {})
    assert built["security"]["antivirus"]["installed"] is False
    assert built["security"]["mail"]["client_installed"] is False
    assert built["security"]["mail"]["account_domains"] == []
    assert "firewall" not in built["security"]  # not collected stays missing
    assert built["security"]["antivirus"].get("running") is None  # optional stays unknown


def test_defaults_are_restored_inside_lists():
    hardware = wire(schema.Hardware(disks=[schema.Disk(name="sda")]))
    built = facts.build_facts({"hardware": hardware}, {})
    assert built["hardware"]["disks"] == [{"name": "sda"}]  # Disk fields default to None
    assert built["hardware"]["monitors"] == []


def test_software_digest_lowercases_names_and_keeps_versions():
    software = wire(
        schema.Software(
            packages=[
                schema.Package(name="LibreOffice 7.6", version="7.6", source="windows"),
                schema.Package(name="zsh", version="5.9", source="deb"),
            ]
        )
    )
    built = facts.build_facts({"software": software}, {})["software"]
    assert built["names"] == frozenset({"libreoffice 7.6", "zsh"})
    assert built["versions"] == {"libreoffice 7.6": "7.6", "zsh": "5.9"}
    assert built["count"] == 2


def test_derived_security_facts():
    security = wire(
        schema.Security(
            antivirus=schema.Antivirus(
                installed=True,
                products=[
                    schema.AntivirusProduct(name="A", updater_running=False),
                    schema.AntivirusProduct(name="B", updater_running=True),
                ],
            ),
            screen_lock=schema.ScreenLock(
                enabled=True, idle_delay_seconds=300, lock_delay_seconds=60
            ),
            accounts=schema.Accounts(administrators=["a", "b"]),
        )
    )
    built = facts.build_facts({"security": security}, {})["security"]
    assert built["antivirus"]["updater_running"] is True
    assert built["screen_lock"]["idle_delay_minutes"] == 6
    assert built["accounts"]["admin_count"] == 2


def test_updater_running_is_unknown_when_no_product_says():
    security = wire(
        schema.Security(antivirus=schema.Antivirus(products=[schema.AntivirusProduct(name="A")]))
    )
    assert (
        "updater_running"
        not in facts.build_facts({"security": security}, {})["security"]["antivirus"]
    )


def test_headless_machine_screen_lock_facts_are_dropped():
    security = wire(schema.Security(screen_lock=schema.ScreenLock(applicable=False, enabled=False)))
    assert facts.build_facts({"security": security}, {})["security"]["screen_lock"] == {
        "applicable": False
    }


def test_host_facts_and_platform_from_os():
    os_section = wire(schema.OSInfo(family="windows", name="Windows 11 Pro"))
    host = {"id": 7, "hostname": "pc1", "role": "workstation", "unit_code": "SNV-KT"}
    built = facts.build_facts({"os": os_section}, host)["host"]
    assert built["platform"] == "windows"
    assert built["unit_path"] == ["SNV-KT"]
    assert built["hostname"] == "pc1" and built["id"] == 7
    explicit = facts.build_facts({}, dict(host, unit_path=["A", "B"]))["host"]
    assert explicit["unit_path"] == ["A", "B"] and explicit["platform"] is None


@pytest.mark.parametrize(
    "path",
    [
        "security.antivirus.signature_age_days",
        "security.office.default_formats.writer",
        "os.locale",
        "hardware.cpu.cores",
        "software.names",
        "host.unit_path",
        "security.screen_lock.idle_delay_minutes",
    ],
)
def test_known_paths(path):
    assert facts.check_fact_path(path) is None


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("security.antivirs.running", "'security' has no field 'antivirs'"),
        ("security.office.default_formats.writer.x", "has no field"),
        ("registry.hklm", "must start with"),
    ],
)
def test_unknown_paths(path, words):
    assert words in facts.check_fact_path(path)


def test_merge_patch():
    base = {"a": {"b": 1, "c": [1, 2]}, "d": 1}
    assert facts.merge_patch(base, {"a": {"b": None, "c": [3]}, "e": 2}) == {
        "a": {"c": [3]},
        "d": 1,
        "e": 2,
    }
    assert base == {"a": {"b": 1, "c": [1, 2]}, "d": 1}


def test_every_fact_path_is_documented():
    doc = (Path(__file__).resolve().parents[3] / "docs" / "policies.md").read_text("utf-8")
    missing = [
        p
        for p, kind in facts.known_fact_paths().items()
        if kind != "object" and f"| `{p}` |" not in doc
    ]
    assert missing == []


def test_this_machines_agent_report_evaluates_without_errors():
    """Sanity on the real machine: the agent's facts fit the shipped rules' types (no error)."""
    import json
    import subprocess
    import sys

    from inventory_server.compliance import evaluator, loader

    out = subprocess.run(
        [sys.executable, "-m", "agent", "show"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    report = json.loads(out.stdout)
    built = facts.build_facts(
        {name: report.get(name) for name in facts.SECTIONS},
        {"hostname": report["host"]["hostname"], "role": "workstation", "unit_code": "X"},
    )
    engine = evaluator.Engine(loader.load_shipped().values())
    results = engine.evaluate(built)
    assert results and {r.status for r in results} <= {"pass", "fail", "not_applicable"}
    assert built["host"]["platform"] == report["os"]["family"]
    assert built["software"]["count"] == len(report["software"]["packages"])


def test_admin_names_drop_computer_and_domain_prefixes():
    security = wire(
        schema.Security(
            accounts=schema.Accounts(
                administrators=["PC-KT01\\Administrator", "SOTTTT\\Domain Admins", "quantri"]
            )
        )
    )
    accounts = facts.build_facts({"security": security}, {})["security"]["accounts"]
    assert accounts["admin_names"] == ["Administrator", "Domain Admins", "quantri"]
    assert accounts["admin_count"] == 3
