"""Pack loading: schema, semantic checks, line numbers, safe YAML, packs kept in force."""

import textwrap

import pytest

from inventory_server.compliance import loader
from tests.inventory_server.compliance.compliance_cases import shipped

GOOD = textwrap.dedent(
    """\
    pack:
      id: test-pack
      version: 1
      name: {vi: "Gói thử", en: "Test pack"}
      params: {max_age: 2, allow: [a, b]}
    checks:
      - id: av_ok
        name: {vi: "Phần mềm diệt virus", en: "Antivirus"}
        severity: high
        condition: all
        rules:
          - {fact: security.antivirus.running, op: eq, value: true}
          - {fact: security.antivirus.signature_age_days, op: le, param: max_age}
      - id: admins
        name: {vi: "Quản trị", en: "Admins"}
        severity: low
        condition: all
        rules:
          - {fact: security.accounts.administrators, op: subset_of, param: allow}
    """
)


def refused(text: str) -> list[loader.PackError]:
    with pytest.raises(loader.PackLoadError) as exc:
        loader.parse_pack(text, "pack.yml")
    return exc.value.errors


def test_good_pack_loads_with_digest_and_params():
    pack = loader.parse_pack(GOOD, "pack.yml")
    assert pack.id == "test-pack" and pack.version == 1
    assert [c.id for c in pack.checks] == ["av_ok", "admins"]
    assert pack.params == {"max_age": 2, "allow": ["a", "b"]}
    assert pack.check("av_ok").rules[1].param == "max_age"
    assert len(pack.digest) == 64 and pack.source == "pack.yml"


def test_schema_error_names_file_line_and_check():
    (err,) = refused(GOOD.replace("op: le", "op: less"))
    assert err.file == "pack.yml"
    assert err.line == 13
    assert err.check_id == "av_ok"
    assert "less" in err.reason and "checks/0/rules/1/op" in err.reason
    assert str(err).startswith("pack.yml:13: check av_ok:")


def test_missing_required_field_names_check():
    (err,) = refused(GOOD.replace("    severity: low\n", ""))
    assert err.check_id == "admins" and err.line == 14  # the check's "- id:" line
    assert "severity" in err.reason


def test_unknown_fact_is_refused_with_line():
    (err,) = refused(GOOD.replace("antivirus.running", "antivirs.running"))
    assert err.line == 12 and err.check_id == "av_ok"
    assert "antivirs" in err.reason


def test_undefined_param_is_refused():
    (err,) = refused(GOOD.replace("param: max_age", "param: max_ages"))
    assert err.check_id == "av_ok" and "max_ages" in err.reason


def test_operator_value_types_are_checked():
    errors = refused(GOOD.replace("op: le, param: max_age", "op: le, value: soon"))
    assert "needs a number" in errors[0].reason
    errors = refused(GOOD.replace("op: subset_of, param: allow", "op: subset_of, value: a"))
    assert "needs a list" in errors[0].reason and errors[0].check_id == "admins"


def test_bad_and_long_patterns_are_refused():
    bad = GOOD.replace("op: eq, value: true", 'op: matches, value: "(unclosed"')
    assert "invalid pattern" in refused(bad)[0].reason
    long = GOOD.replace("op: eq, value: true", f'op: matches, value: "{"a" * 300}"')
    assert "longer than 256" in refused(long)[0].reason
    param = GOOD.replace("op: eq, value: true", "op: matches, param: max_age")
    assert "literal pattern" in refused(param)[0].reason


def test_matches_pattern_is_compiled_at_load():
    pack = loader.parse_pack(GOOD.replace("op: eq, value: true", 'op: matches, value: "^Clam"'))
    assert pack.check("av_ok").rules[0].pattern.pattern == "^Clam"


def test_value_and_param_together_are_refused():
    errors = refused(GOOD.replace("param: max_age", "param: max_age, value: 3"))
    assert errors[0].check_id == "av_ok"


def test_duplicate_check_id_is_refused():
    (err,) = refused(GOOD.replace("id: admins", "id: av_ok"))
    assert err.reason == "duplicate check id" and err.line == 14


def test_invalid_yaml_reports_line():
    (err,) = refused(GOOD.replace("severity: high", "severity: [high"))
    assert err.line is not None and "invalid YAML" in err.reason


def test_python_tags_are_never_constructed():
    text = GOOD.replace("max_age: 2", "max_age: !!python/object/apply:os.system ['true']")
    (err,) = refused(text)
    assert "invalid YAML" in err.reason and "python/object" in err.reason


def test_software_names_need_lower_case_values():
    text = GOOD.replace(
        "{fact: security.antivirus.running, op: eq, value: true}",
        "{fact: software.names, op: contains, value: LibreOffice}",
    )
    assert "lower-case" in refused(text)[0].reason


def test_oversized_pack_is_refused():
    (err,) = refused(GOOD + "#" * (loader.MAX_PACK_BYTES + 1))
    assert "larger than" in err.reason


def test_directory_keeps_packs_in_force_when_a_file_breaks(tmp_path):
    (tmp_path / "a.yml").write_text(GOOD, encoding="utf-8")
    other = GOOD.replace("id: test-pack", "id: other-pack")
    (tmp_path / "b.yaml").write_text(other, encoding="utf-8")
    (tmp_path / "notes.txt").write_text("ignored", encoding="utf-8")
    first = loader.load_directory(tmp_path)
    assert set(first.packs) == {"test-pack", "other-pack"} and first.errors == []

    (tmp_path / "a.yml").write_text(
        GOOD.replace("version: 1", "version: 2").replace("op: le", "op: lte"), encoding="utf-8"
    )
    second = loader.load_directory(tmp_path, current=first.packs)
    assert second.packs["test-pack"] is first.packs["test-pack"]  # the old version stays
    assert second.packs["other-pack"].id == "other-pack"
    assert [e.file for e in second.errors] == [str(tmp_path / "a.yml")]

    without_current = loader.load_directory(tmp_path)
    assert set(without_current.packs) == {"other-pack"}


def test_directory_refuses_duplicate_pack_ids(tmp_path):
    (tmp_path / "a.yml").write_text(GOOD, encoding="utf-8")
    (tmp_path / "b.yml").write_text(GOOD, encoding="utf-8")
    result = loader.load_directory(tmp_path)
    assert set(result.packs) == {"test-pack"}
    assert "already loaded" in result.errors[0].reason
    assert result.errors[0].file == str(tmp_path / "b.yml")


def test_validate_params_names_bad_overrides():
    pack = shipped()["vn-workstation-baseline"]
    assert loader.validate_params(pack, {"screen_lock_max_minutes": 10}) == []
    problems = loader.validate_params(pack, {"screen_lock_max_minutes": "ten", "nope": 1})
    assert any("screen_lock_max_minutes" in p for p in problems)
    assert any("nope" in p for p in problems)


def test_error_to_dict_is_json_ready():
    (err,) = refused(GOOD.replace("op: le", "op: less"))
    assert err.to_dict()["line"] == 13 and err.to_dict()["check_id"] == "av_ok"
