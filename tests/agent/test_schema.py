"""The wire schema: generated JSON Schema committed, every field described, 3.9-safe syntax."""

import ast
import json
from pathlib import Path

import msgspec
import pytest

from agent import schema

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "schema" / "report.schema.json"


def test_committed_json_schema_is_current():
    assert COMMITTED.exists(), "schema/report.schema.json is missing"
    committed = COMMITTED.read_text(encoding="utf-8")
    assert committed == schema.schema_text(), (
        "schema/report.schema.json is out of date with agent/schema.py; regenerate it with: "
        ".venv/bin/python -m agent.schema > schema/report.schema.json"
    )


def _all_properties(js):
    for name, definition in js["$defs"].items():
        for prop, spec in definition.get("properties", {}).items():
            yield name, prop, spec


def test_every_field_and_class_is_described():
    js = schema.json_schema()
    missing = [f"{n}.{p}" for n, p, spec in _all_properties(js) if not spec.get("description")]
    assert missing == [], f"fields without a description: {missing}"
    undocumented = [n for n, d in js["$defs"].items() if not d.get("description")]
    assert undocumented == []


def test_policy_fact_paths_exist():
    """The server's policies use these paths; they must stay (names and meaning)."""
    paths = [
        "security.antivirus.installed", "security.antivirus.running", "security.antivirus.realtime",
        "security.antivirus.product", "security.antivirus.signature_age_days",
        "security.firewall.enabled", "security.updates.automatic",
        "security.screen_lock.enabled", "security.screen_lock.idle_delay_seconds",
        "security.accounts.administrators", "security.accounts.password_min_length",
        "security.accounts.password_max_days", "security.encryption.root_encrypted",
        "security.ssh.permit_root_login", "security.ssh.password_authentication",
        "security.office.odf_default", "security.office.macro_security_level",
        "security.office.default_formats", "security.office.locked",
        "security.mail.client_installed", "security.mail.account_domains",
        "security.mail.relayhost", "security.mail.policies_present",
    ]
    defs = schema.json_schema()["$defs"]
    for path in paths:
        node = defs["Report"]
        for part in path.split("."):
            assert part in node["properties"], path
            spec = node["properties"][part]
            refs = [spec.get("$ref")] + [a.get("$ref") for a in spec.get("anyOf", [])]
            ref = next((r for r in refs if r), None)
            node = defs[ref.rsplit("/", 1)[1]] if ref else spec


def test_wrong_type_names_the_field():
    bad = {"schema_version": 1, "agent": {"version": "1", "platform": "linux"},
           "host": {"hostname": "pc"}, "collected_at": "2024-01-01T00:00:00Z",
           "security": {"antivirus": {"installed": "yes"}}}
    with pytest.raises(msgspec.ValidationError, match=r"security\.antivirus\.installed"):
        schema.decode_report(json.dumps(bad).encode())


def test_unknown_fields_are_tolerated():
    ok = {"schema_version": 1, "agent": {"version": "1", "platform": "linux"},
          "host": {"hostname": "pc"}, "collected_at": "2024-01-01T00:00:00Z", "future": 1}
    assert schema.decode_report(json.dumps(ok).encode()).host.hostname == "pc"


def test_agent_sources_avoid_syntax_newer_than_python_39():
    """``X | None`` in annotations and ``match`` would break the agent on Python 3.9."""
    offenders = []
    for path in (ROOT / "agent").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"), feature_version=(3, 9))
        for node in ast.walk(tree):
            ann = getattr(node, "annotation", None) or getattr(node, "returns", None)
            if ann is not None and any(isinstance(n, ast.BinOp) and isinstance(n.op, ast.BitOr)
                                       for n in ast.walk(ann)):
                offenders.append(f"{path.name}:{node.lineno}")
    assert offenders == []
