"""Example payloads in tests/fixtures/reports decode, match the JSON Schema and stay small."""

import json

import jsonschema
import pytest

from agent.schema import decode_report, encode, json_schema
from tests.agent.helpers import FIXTURES

EXAMPLES = sorted((FIXTURES / "reports").glob("*.json"))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_decodes_and_validates(path):
    data = path.read_bytes()
    report = decode_report(data)
    jsonschema.validate(json.loads(data), json_schema())
    assert json.loads(encode(report)) == json.loads(data)  # nothing lost in a round trip


def test_examples_present():
    assert {p.stem for p in EXAMPLES} >= {"linux-full", "windows-full", "linux-delta-unchanged"}


def test_unchanged_delta_is_under_two_kilobytes():
    data = (FIXTURES / "reports" / "linux-delta-unchanged.json").read_bytes()
    assert len(encode(decode_report(data))) < 2048
