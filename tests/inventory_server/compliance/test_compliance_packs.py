"""Every shipped check passes on its PASS fixture and fails on its FAIL fixture."""

import json
import re

import msgspec
import pytest

from inventory_server.compliance import facts
from tests.inventory_server.compliance.compliance_cases import (
    FIXTURES,
    NOW,
    engine,
    load_case,
    shipped,
)

CHECKS = [(p.id, c.id) for p in shipped().values() for c in p.checks]
CASES = [(pid, cid, outcome) for pid, cid in CHECKS for outcome in ("pass", "fail")]
ROLES = {"antivirus", "mail_client", "mail_relay", "office_suite"}
INSTRUMENTS = (
    "Chỉ thị 14/CT-TTg",
    "Thông tư 39/2017/TT-BTTTT",
    "Thông tư 19/2011/TT-BTTTT",
    "Quyết định 72/2002/QĐ-TTg",
    "Nghị định 85/2016/NĐ-CP",
)


@pytest.mark.parametrize(("pack_id", "check_id", "outcome"), CASES)
def test_check_on_its_fixture(pack_id, check_id, outcome):
    path = FIXTURES / pack_id / check_id / f"{outcome}.json"
    case = load_case(path)
    for name, value in case["sections"].items():  # fixtures are valid wire sections
        msgspec.convert(value, facts._SECTION_TYPES[name])
    host_facts = facts.build_facts(case["sections"], case["host"])
    results = {(r.pack_id, r.check_id): r for r in engine().evaluate(host_facts, now=NOW)}
    result = results[(pack_id, check_id)]
    assert result.status == outcome, (case["case"]["description"], result.evidence)
    assert result.evidence, "a decided check names the facts that decided it"


def test_fixture_directories_match_the_checks():
    on_disk = {
        (p.parent.parent.name, p.parent.name)
        for p in FIXTURES.glob("*/*/*.json")
        if p.parent.parent.name != "base"
    }
    assert on_disk == set(CHECKS)


@pytest.mark.parametrize(("pack_id", "check_id"), CHECKS)
def test_check_metadata(pack_id, check_id):
    check = shipped()[pack_id].check(check_id)
    assert check.name["vi"] != check.name["en"]
    assert re.search(r"[À-ỹ]", check.name["vi"]), "Vietnamese names carry diacritics"
    assert check.rationale and check.rationale["vi"] and check.rationale["en"]
    remediation = check.remediation
    assert remediation.get("role") or remediation.get("text")
    if "role" in remediation:
        assert remediation["role"] in ROLES
        assert remediation["tags"] == [check_id]
    for ref in check.references:
        assert ref.startswith(INSTRUMENTS), ref


def test_shipped_pack_set():
    packs = shipped()
    assert set(packs) == {
        "vn-workstation-baseline",
        "vn-server-baseline",
        "vn-ct14-antivirus",
        "vn-open-standards",
    }
    ws = {c.id for c in packs["vn-workstation-baseline"].checks}
    srv = {c.id for c in packs["vn-server-baseline"].checks}
    assert {"ssh_root_login_disabled", "ssh_password_auth_disabled"} <= srv - ws
    assert {"av_healthy", "firewall_enabled", "screen_lock", "mail_configured"} <= ws


@pytest.mark.parametrize("base", ["linux-workstation", "linux-server", "windows-workstation"])
def test_compliant_bases_have_no_failures(base):

    data = json.loads((FIXTURES / "base" / f"{base}.json").read_text(encoding="utf-8"))
    results = engine().evaluate(facts.build_facts(data["sections"], data["host"]), now=NOW)
    assert {r.status for r in results} <= {"pass", "not_applicable"}
    assert sum(r.status == "pass" for r in results) >= 12


def test_headless_workstation_screen_lock_is_not_applicable():
    data = json.loads((FIXTURES / "base" / "linux-workstation.json").read_text(encoding="utf-8"))
    sections = facts.merge_patch(data["sections"], {"security": {"screen_lock": None}})
    sections["security"]["screen_lock"] = {"applicable": False, "enabled": False}
    results = engine().evaluate(facts.build_facts(sections, data["host"]), now=NOW)
    (lock,) = [r for r in results if r.check_id == "screen_lock"]
    assert lock.status == "not_applicable"


def test_shipped_packs_pass_yamllint():
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    yamllint = Path(sys.executable).with_name("yamllint")
    out = subprocess.run(
        [
            str(yamllint),
            "--strict",
            "-c",
            str(root / ".yamllint"),
            str(root / "inventory_server" / "compliance" / "packs"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stdout
