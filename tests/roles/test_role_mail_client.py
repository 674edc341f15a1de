"""mail_client on a real test host: Thunderbird's policies and autoconfig are written.

Thunderbird itself (about 300 MB with its GTK stack) is not installed in the test
(mail_client_install: false); the files it reads at start are, and are checked here.
"""

import json
import xml.dom.minidom

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("testhost")]


def test_policies_turn_off_updates_and_telemetry_and_trust_the_provincial_ca(provisioned):
    policies = json.loads(provisioned.host.read_text("/etc/thunderbird/policies/policies.json"))
    p = policies["policies"]
    assert p["DisableAppUpdate"] is True
    assert p["DisableTelemetry"] is True
    assert p["Certificates"]["Install"] == ["/usr/local/share/ca-certificates/tinh-ca.crt"]
    assert p["Preferences"]["app.update.auto"] == {"Value": False, "Status": "locked"}
    assert p["Preferences"]["security.tls.version.min"] == {"Value": 3, "Status": "locked"}


def test_autoconfig_offers_imap_pop3_and_submission_over_tls(provisioned):
    text = provisioned.host.read_text("/usr/lib/thunderbird/isp/tinh.example.gov.vn.xml")
    doc = xml.dom.minidom.parseString(text)  # noqa: S318 - the role's own output

    def server(tag, kind):
        node = next(n for n in doc.getElementsByTagName(tag) if n.getAttribute("type") == kind)
        return {
            f: node.getElementsByTagName(f)[0].firstChild.data
            for f in ("hostname", "port", "socketType")
        }

    assert server("incomingServer", "imap") == {
        "hostname": "imap.tinh.example.gov.vn", "port": "993", "socketType": "SSL"}
    assert server("incomingServer", "pop3") == {
        "hostname": "pop.tinh.example.gov.vn", "port": "995", "socketType": "SSL"}
    assert server("outgoingServer", "smtp") == {
        "hostname": "smtp.tinh.example.gov.vn", "port": "587", "socketType": "STARTTLS"}
