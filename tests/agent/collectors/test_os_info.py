"""os-release parsing and the running system's description."""

from agent.collectors import os_info
from agent.collectors.context import Context
from tests.agent.helpers import fixture_text


def test_os_release():
    rel = os_info.parse_os_release(fixture_text("linux", "os_release", "debian12"))
    assert rel["ID"] == "debian" and rel["VERSION_ID"] == "12"
    assert rel["PRETTY_NAME"] == "Debian GNU/Linux 12 (bookworm)"


def test_quoting_and_comments():
    rel = os_info.parse_os_release('# c\nNAME="Ubuntu"\nID_LIKE=\'debian\'\nBAD LINE\n')
    assert rel == {"NAME": "Ubuntu", "ID_LIKE": "debian"}


def test_collect_from_a_tree(make_tree):
    root = make_tree({"etc/os-release": fixture_text("linux", "os_release", "debian12"),
                      "etc/default/locale": "LANG=vi_VN.UTF-8\n"})
    ctx = Context(root=root)
    ctx.platform = "linux"
    o = os_info.collect(ctx)
    assert o.family == "linux" and o.codename == "bookworm" and o.locale == "vi_VN.UTF-8"
    assert o.boot_time is not None
