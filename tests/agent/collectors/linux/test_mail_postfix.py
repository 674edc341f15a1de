"""Postfix relayhost from main.cf and postconf output."""

from agent.collectors.linux import mail_postfix as pf
from tests.agent.helpers import fixture_text


def test_main_cf_with_relay():
    m = pf.build(pf.parse_main_cf(fixture_text("linux", "postfix", "main-relay.cf")))
    assert m.relayhost == "[mail.hanoi.gov.vn]:587" and m.relay_tls == "encrypt"


def test_default_main_cf_has_no_relay():
    assert pf.build(pf.parse_main_cf(fixture_text("linux", "postfix", "main-default.cf"))) \
        .relayhost is None


def test_postconf_output():
    m = pf.build(pf.parse_main_cf(fixture_text("linux", "postfix", "postconf-relay.txt")))
    assert m.relayhost == "[mail.hanoi.gov.vn]:587"


def test_continuation_lines():
    values = pf.parse_main_cf("smtpd_relay_restrictions = permit_mynetworks\n"
                              "    reject_unauth_destination\n")
    assert values["smtpd_relay_restrictions"] == "permit_mynetworks reject_unauth_destination"
