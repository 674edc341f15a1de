"""OpenSSH settings from captured sshd -T output and from sshd_config files."""

from agent.collectors.linux import ssh_openssh as ssh
from tests.agent.helpers import fixture_text


def test_sshd_t_debian_default():
    s = ssh.build(ssh.parse_sshd_t(fixture_text("linux", "sshd", "debian12-default.txt")),
                  True, True, "sshd -T")
    assert s.permit_root_login == "prohibit-password"  # sshd -T prints without-password
    assert s.password_authentication is True and s.port == 22 and s.max_auth_tries == 6


def test_sshd_t_hardened():
    s = ssh.build(ssh.parse_sshd_t(fixture_text("linux", "sshd", "hardened.txt")),
                  True, True, "sshd -T")
    assert s.permit_root_login == "no" and s.password_authentication is False
    assert s.x11_forwarding is False and s.max_auth_tries == 3


def test_config_parse_agrees_with_sshd_t():
    for conf, effective in (("sshd_config-debian12", "debian12-default.txt"),
                            ("sshd_config-hardened", "hardened.txt")):
        parsed = ssh.build(ssh.parse_sshd_config(fixture_text("linux", "sshd", conf)),
                           True, None, "config")
        real = ssh.build(ssh.parse_sshd_t(fixture_text("linux", "sshd", effective)),
                         True, None, "sshd -T")
        assert parsed.permit_root_login == real.permit_root_login, conf
        assert parsed.password_authentication == real.password_authentication, conf
        assert parsed.x11_forwarding == real.x11_forwarding, conf


def test_first_value_wins_include_and_match():
    def include(pattern):
        assert pattern == "/etc/ssh/sshd_config.d/*.conf"
        yield "PasswordAuthentication no\n"

    text = ("Include /etc/ssh/sshd_config.d/*.conf\nPasswordAuthentication yes\n"
            "PermitRootLogin no\nMatch User backup\n  PermitRootLogin yes\n")
    values = ssh.parse_sshd_config(text, include)
    assert values["passwordauthentication"] == "no" and values["permitrootlogin"] == "no"
