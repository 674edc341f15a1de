"""The evaluator: operators, missing facts, Wazuh aggregation, applicability, params, evidence."""

import textwrap

import pytest

from inventory_server.compliance import evaluator, loader
from inventory_server.compliance.evaluator import ERROR, FAIL, NOT_APPLICABLE, PASS

NOW = 1795305600.0  # 2026-11-22T00:00:00Z


def pack_with(
    rules: str, condition: str = "all", extra: str = "", params: str = "{}"
) -> loader.Pack:
    text = textwrap.dedent(
        """\
        pack:
          id: t
          version: 1
          name: {{vi: "Thử", en: "Test"}}
          params: {params}
        {extra}
        checks:
          - id: c
            name: {{vi: "Kiểm tra", en: "Check"}}
            severity: low
            condition: {condition}
            rules:
        """
    ).format(params=params, extra=extra, condition=condition)
    text += textwrap.indent(textwrap.dedent(rules), "      ")
    return loader.parse_pack(text)


def run(pack: loader.Pack, facts: dict, params=None) -> evaluator.CheckResult:
    facts = {
        "host": {"platform": "linux", "role": "workstation", "unit_path": ["U1", "ROOT"]}
    } | facts
    (result,) = evaluator.Engine([pack]).evaluate(facts, params=params, now=NOW)
    return result


def one(op: str, value: str, actual, fact: str = "security.antivirus.product") -> str:
    pack = pack_with(f"- {{fact: {fact}, op: {op}, value: {value}}}\n")
    parts = fact.split(".")
    tree: dict = actual
    for key in reversed(parts):
        tree = {key: tree}
    return run(pack, tree).status


@pytest.mark.parametrize(
    ("op", "value", "actual", "fact", "expected"),
    [
        ("eq", "ClamAV", "ClamAV", None, PASS),
        ("eq", "ClamAV", "BKAV", None, FAIL),
        ("eq", "true", True, "security.antivirus.running", PASS),
        ("eq", "true", 1, "security.antivirus.running", FAIL),  # no bool/int confusion
        ("ne", "false", True, "security.antivirus.running", PASS),
        ("lt", "3", 2.5, "security.antivirus.signature_age_days", PASS),
        ("lt", "3", 3, "security.antivirus.signature_age_days", FAIL),
        ("le", "3", 3, "security.antivirus.signature_age_days", PASS),
        ("gt", "3", 3, "security.antivirus.signature_age_days", FAIL),
        ("ge", "3", 3, "security.antivirus.signature_age_days", PASS),
        ("le", "3", "old", "security.antivirus.signature_age_days", ERROR),
        ("le", "3", True, "security.antivirus.signature_age_days", ERROR),
        ("in", "[ClamAV, BKAV]", "BKAV", None, PASS),
        ("in", "[ClamAV, BKAV]", "ESET", None, FAIL),
        ("not_in", "[ClamAV, BKAV]", "ESET", None, PASS),
        ("contains", "Clam", "ClamAV", None, PASS),
        ("contains", "x.vn", ["a.vn", "x.vn"], "security.mail.account_domains", PASS),
        ("contains", "y.vn", ["a.vn", "x.vn"], "security.mail.account_domains", FAIL),
        ("contains", "x", 5, "security.antivirus.signature_age_days", ERROR),
        ("matches", '"(?i)^clam"', "clamav", None, PASS),
        ("matches", '"^Clam"', "Kaspersky", None, FAIL),
        ("matches", '"\\\\.vn$"', ["a.com", "b.gov.vn"], "security.mail.account_domains", PASS),
        ("matches", '"x"', 3, "security.antivirus.signature_age_days", ERROR),
        ("age_le", "7", "2026-11-20T00:00:00Z", "security.updates.last_update", PASS),
        ("age_le", "7", "2026-11-01T00:00:00+07:00", "security.updates.last_update", FAIL),
        ("age_le", "7", "2026-11-20T00:00:00", "security.updates.last_update", PASS),
        ("age_le", "7", "yesterday", "security.updates.last_update", ERROR),
        ("subset_of", "[a, b]", ["b"], "security.accounts.administrators", PASS),
        ("subset_of", "[a, b]", [], "security.accounts.administrators", PASS),
        ("subset_of", "[a, b]", ["a", "c"], "security.accounts.administrators", FAIL),
        ("subset_of", "[a, b]", "a", "security.accounts.administrators", ERROR),
    ],
)
def test_operator(op, value, actual, fact, expected):
    assert one(op, value, actual, fact or "security.antivirus.product") == expected


def test_exists_is_never_not_applicable():
    pack = pack_with("- {fact: security.ssh.port, op: exists}\n")
    assert run(pack, {"security": {"ssh": {"port": 22}}}).status == PASS
    assert run(pack, {"security": {}}).status == FAIL
    absent = pack_with("- {fact: security.ssh.port, op: exists, value: false}\n")
    assert run(absent, {}).status == PASS
    assert run(absent, {"security": {"ssh": {"port": 22}}}).status == FAIL


def test_missing_fact_is_not_applicable_unless_missing_fail():
    pack = pack_with("- {fact: security.firewall.enabled, op: eq, value: true}\n")
    assert run(pack, {}).status == NOT_APPLICABLE
    assert run(pack, {"security": {"firewall": {"enabled": None}}}).status == NOT_APPLICABLE
    strict = pack_with("- {fact: security.firewall.enabled, op: eq, value: true, missing: fail}\n")
    result = run(strict, {})
    assert result.status == FAIL
    assert result.evidence[0]["actual"] is None and result.evidence[0]["result"] == FAIL


RULES3 = """\
- {fact: security.ssh.port, op: eq, value: 1}
- {fact: security.ssh.running, op: eq, value: true}
- {fact: security.antivirus.signature_age_days, op: le, value: 1}
"""


def facts3(a, b, c) -> dict:
    """Facts making rule 1..3 pass (p), fail (f), be missing (n) or err (e)."""
    ssh: dict = {}
    if a != "n":
        ssh["port"] = {"p": 1, "f": 2}[a]
    if b != "n":
        ssh["running"] = {"p": True, "f": False}[b]
    av = {} if c == "n" else {"signature_age_days": {"p": 0.5, "f": 9, "e": "x"}[c]}
    return {"security": {"ssh": ssh, "antivirus": av}}


@pytest.mark.parametrize(
    ("combo", "all_", "any_", "none_"),
    [
        ("ppp", PASS, PASS, FAIL),
        ("ppf", FAIL, PASS, FAIL),
        ("fff", FAIL, FAIL, PASS),
        ("ffn", FAIL, NOT_APPLICABLE, NOT_APPLICABLE),
        ("ppn", NOT_APPLICABLE, PASS, FAIL),
        ("ffe", FAIL, ERROR, ERROR),
        ("ppe", ERROR, PASS, FAIL),
        ("pne", ERROR, PASS, FAIL),
        ("fne", FAIL, ERROR, ERROR),
        ("nne", ERROR, ERROR, ERROR),
        ("nnn", NOT_APPLICABLE, NOT_APPLICABLE, NOT_APPLICABLE),
    ],
)
def test_wazuh_aggregation(combo, all_, any_, none_):
    facts = facts3(*combo)
    for condition, expected in (("all", all_), ("any", any_), ("none", none_)):
        assert run(pack_with(RULES3, condition), facts).status == expected, condition


def test_evidence_names_the_deciding_facts():
    failing = run(pack_with(RULES3, "all"), facts3("p", "f", "p"))
    assert [e["fact"] for e in failing.evidence] == ["security.ssh.running"]
    assert failing.evidence[0] == {
        "fact": "security.ssh.running",
        "op": "eq",
        "expected": True,
        "actual": False,
        "result": FAIL,
    }
    passing = run(pack_with(RULES3, "all"), facts3("p", "p", "p"))
    assert len(passing.evidence) == 3
    na = run(pack_with(RULES3, "all"), facts3("p", "p", "n"))
    assert [e["fact"] for e in na.evidence] == ["security.antivirus.signature_age_days"]


def test_evidence_summarises_large_collections():
    pack = pack_with("- {fact: software.names, op: contains, value: zsh}\n")
    names = frozenset(f"pkg{i}" for i in range(500)) | {"zsh"}
    result = run(pack, {"software": {"names": names}})
    assert result.status == PASS
    assert result.evidence[0]["actual"] == {"count": 501, "contains": True}


def test_subset_of_evidence_lists_unexpected_members():
    pack = pack_with("- {fact: security.accounts.administrators, op: subset_of, value: [a]}\n")
    result = run(pack, {"security": {"accounts": {"administrators": ["a", "z", "y"]}}})
    assert result.evidence[0]["unexpected"] == ["y", "z"]


APPLIES = "  applies_to: {platform: linux, role: workstation, unit: [U1]}"


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ({"platform": "linux", "role": "workstation", "unit_path": ["U9", "U1"]}, PASS),
        ({"platform": "windows", "role": "workstation", "unit_path": ["U1"]}, NOT_APPLICABLE),
        ({"platform": "linux", "role": "server", "unit_path": ["U1"]}, NOT_APPLICABLE),
        ({"platform": "linux", "role": "workstation", "unit_path": ["U2"]}, NOT_APPLICABLE),
        ({"platform": "linux", "role": None, "unit_path": ["U1"]}, NOT_APPLICABLE),
    ],
)
def test_pack_applies_to(host, expected):
    pack = pack_with("- {fact: security.ssh.port, op: eq, value: 1}\n", extra=APPLIES)
    facts = {"host": host, "security": {"ssh": {"port": 1}}}
    (result,) = evaluator.Engine([pack]).evaluate(facts, now=NOW)
    assert result.status == expected
    if expected == NOT_APPLICABLE:
        assert result.evidence[0]["result"] == NOT_APPLICABLE


def test_check_platforms_and_roles():
    text = textwrap.dedent(
        """\
        pack: {id: t, version: 1, name: {vi: "Thử", en: "Test"}}
        checks:
          - id: win_only
            name: {vi: "Chỉ Windows", en: "Windows only"}
            severity: low
            platforms: windows
            condition: all
            rules: [{fact: security.ssh.port, op: eq, value: 1}]
          - id: servers_only
            name: {vi: "Chỉ máy chủ", en: "Servers only"}
            severity: low
            roles: [server]
            condition: all
            rules: [{fact: security.ssh.port, op: eq, value: 1}]
        """
    )
    engine = evaluator.Engine([loader.parse_pack(text)])
    linux_ws = {
        "host": {"platform": "linux", "role": "workstation"},
        "security": {"ssh": {"port": 1}},
    }
    assert [r.status for r in engine.evaluate(linux_ws)] == [NOT_APPLICABLE, NOT_APPLICABLE]
    win_srv = {"host": {"platform": "windows", "role": "server"}, "security": {"ssh": {"port": 1}}}
    assert [r.status for r in engine.evaluate(win_srv)] == [PASS, PASS]


def test_params_default_and_override():
    pack = pack_with(
        "- {fact: security.antivirus.signature_age_days, op: le, param: days}\n", params="{days: 2}"
    )
    facts = {"security": {"antivirus": {"signature_age_days": 5}}}
    assert run(pack, facts).status == FAIL
    engine = evaluator.Engine([pack])
    params = engine.params_for({"t": {"days": 7}})
    assert run(pack, facts, params=params).status == PASS
    assert engine.params_for(None) == {"t": {"days": 2}}
    assert run(pack, facts).evidence[0]["param"] == "days"


def test_unit_params_nearest_unit_wins():
    pack = pack_with(
        "- {fact: security.antivirus.signature_age_days, op: le, param: days}\n",
        params="{days: 2, other: 1}",
    )
    overrides = {"ROOT": {"t": {"days": 5, "other": 9}}, "U1": {"t": {"days": 3}}}
    assert evaluator.unit_params([pack], ["U1", "ROOT"], overrides) == {
        "t": {"days": 3, "other": 9}
    }
    assert evaluator.unit_params([pack], ["U7"], overrides) == {"t": {"days": 2, "other": 1}}


def test_engine_evaluates_every_check_of_every_pack():
    a = pack_with("- {fact: security.ssh.port, op: eq, value: 1}\n")
    b = loader.parse_pack(
        textwrap.dedent(
            """\
            pack: {id: u, version: 1, name: {vi: "Khác", en: "Other"}}
            checks:
              - id: c
                name: {vi: "Kiểm tra", en: "Check"}
                severity: low
                condition: all
                rules: [{fact: security.ssh.port, op: eq, value: 2}]
            """
        )
    )
    results = evaluator.Engine([a, b]).evaluate({"security": {"ssh": {"port": 1}}})
    assert [(r.pack_id, r.check_id, r.status) for r in results] == [
        ("t", "c", PASS),
        ("u", "c", FAIL),
    ]
