"""mail_relay on a real test host: Postfix's own checks accept what the role wrote."""

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("testhost")]


def test_postfix_check_accepts_the_configuration(provisioned):
    proc = provisioned.host.run("postfix check", check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip() == ""


def test_postfix_relays_everything_to_the_provincial_server_over_tls(provisioned):
    conf = {}
    for line in provisioned.host.run("postconf -n").stdout.splitlines():
        name, _, value = line.partition("=")
        conf[name.strip()] = value.strip()
    assert conf["relayhost"] == provisioned.vars["mail_relay_relayhost"]
    assert conf["smtp_tls_security_level"] == "encrypt"
    assert conf["smtp_tls_mandatory_protocols"] == ">=TLSv1.2"
    assert conf["inet_interfaces"] == "loopback-only"
    assert conf["mydestination"] == ""
    assert conf["myorigin"] == "$mydomain"
    assert conf["mydomain"] == provisioned.vars["mail_relay_domain"]
    assert conf["smtp_sasl_auth_enable"] == "yes"


def test_sasl_credentials_are_private_and_compiled(provisioned):
    host = provisioned.host
    assert host.run("stat -c %a:%U /etc/postfix/sasl_passwd").stdout.strip() == "600:root"
    found = host.run(
        ["postmap", "-q", provisioned.vars["mail_relay_relayhost"], "hash:/etc/postfix/sasl_passwd"]
    ).stdout.strip()
    assert found == "relay@tinh.example.gov.vn:s3cret-from-vault"
    # The password never reaches Ansible's output (no_log on the task that writes it).
    assert "s3cret-from-vault" not in provisioned.first.stdout


def test_postfix_is_running_and_root_mail_is_aliased(provisioned):
    host = provisioned.host
    assert host.run("postfix status", check=False).returncode == 0
    assert host.run("postalias -q root hash:/etc/aliases").stdout.strip() == (
        "it@tinh.example.gov.vn"
    )
    assert host.read_text("/etc/mailname").strip() == "tinh.example.gov.vn"
