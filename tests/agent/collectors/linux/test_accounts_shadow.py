"""Accounts from passwd/group/shadow and policy from login.defs and pwquality."""

from agent.collectors.context import Context
from agent.collectors.linux import accounts_shadow as acc
from tests.agent.helpers import fixture_text

PASSWD = fixture_text("linux", "passwd", "passwd-debian12")
GROUP = fixture_text("linux", "passwd", "group-debian12")
LOGIN_DEFS = fixture_text("linux", "login_defs", "login.defs-debian12")


def test_captured_machine():
    a = acc.build(PASSWD, GROUP, "", LOGIN_DEFS, "")
    assert a.uid0 == ["root"]
    assert a.password_max_days == 99999  # Debian's default: passwords never expire
    assert all(u.shell not in acc.NOLOGIN_SHELLS for u in a.users)
    assert "daemon" not in {u.name for u in a.users}  # system account, nologin shell


def test_sudo_members_and_extra_uid0():
    passwd = PASSWD + "canbo:x:1001:1001:Can Bo:/home/canbo:/bin/bash\n" \
                      "toor:x:0:0:backdoor:/root:/bin/sh\n"
    group = "\n".join(
        line + ("canbo" if line.startswith("sudo:") and line.endswith(":") else "")
        for line in GROUP.splitlines()
    ) + "\n"
    shadow = "canbo:$y$j9T$abc:19000:0:99999:7:::\nroot:*:19000:0:99999:7:::\n"
    a = acc.build(passwd, group, shadow, LOGIN_DEFS, "")
    assert "canbo" in a.administrators
    assert sorted(a.uid0) == ["root", "toor"]
    canbo = next(u for u in a.users if u.name == "canbo")
    assert canbo.admin is True and canbo.disabled is False
    assert next(u for u in a.users if u.name == "root").disabled is True


def test_pwquality_minlen():
    assert acc.parse_pwquality(fixture_text("linux", "pwquality", "pwquality.conf-default")) \
        is None
    assert acc.parse_pwquality(fixture_text("linux", "pwquality", "pwquality.conf-minlen12")) \
        == 12
    pam = "password requisite pam_pwquality.so retry=3 minlen=14\n"
    assert acc.parse_pwquality(pam) == 14


def test_collect_tree(make_tree):
    root = make_tree({
        "etc/passwd": PASSWD, "etc/group": GROUP, "etc/login.defs": LOGIN_DEFS,
        "etc/security/pwquality.conf": fixture_text("linux", "pwquality",
                                                    "pwquality.conf-minlen12"),
    })
    a = acc.collect(Context(root=root))
    assert a.password_min_length == 12 and a.uid0 == ["root"]
