"""Thunderbird policies.json and profile prefs."""

import pytest

from agent.collectors import mail_thunderbird as tb
from agent.collectors.context import Context
from tests.agent.helpers import fixture_text


def test_policy_domains():
    assert tb.parse_policies(fixture_text("linux", "thunderbird", "policies.json")) == [
        "sotttt.hanoi.gov.vn"]


def test_bad_policies_named():
    with pytest.raises(ValueError, match="policies"):
        tb.parse_policies('{"nopolicies": {}}')


def test_prefs_domains():
    assert tb.parse_prefs(fixture_text("linux", "thunderbird", "prefs.js")) == [
        "gmail.com", "hanoi.gov.vn"]


def test_collect_tree(make_tree):
    root = make_tree({
        "usr/bin/thunderbird": "",
        "etc/thunderbird/policies/policies.json": fixture_text("linux", "thunderbird",
                                                               "policies.json"),
        "home/an/.thunderbird/abcd.default-esr/prefs.js": fixture_text("linux", "thunderbird",
                                                                       "prefs.js"),
    })
    m = tb.collect(Context(root=root))
    assert m.client_installed and m.client == "Thunderbird" and m.policies_present
    assert m.account_domains == ["gmail.com", "hanoi.gov.vn", "sotttt.hanoi.gov.vn"]
