"""apt periodic settings and history."""

from agent.collectors.context import Context
from agent.collectors.linux import updates_apt
from tests.agent.helpers import fixture_text


def test_enabled_and_disabled_fragments():
    on = updates_apt.parse_apt_conf(fixture_text("linux", "apt", "20auto-upgrades-enabled"))
    off = updates_apt.parse_apt_conf(fixture_text("linux", "apt", "20auto-upgrades-disabled"))
    assert updates_apt.automatic(on) is True
    assert updates_apt.automatic(off) is False
    assert updates_apt.automatic({}) is False


def test_comments_are_ignored():
    text = '// APT::Periodic::Unattended-Upgrade "1";\nAPT::Periodic::Unattended-Upgrade "0";\n'
    assert updates_apt.parse_apt_conf(text) == {"APT::Periodic::Unattended-Upgrade": "0"}


def test_history_last_end_date():
    last = updates_apt.parse_history(fixture_text("linux", "apt", "history.log"))
    assert last is not None and last.tzinfo is not None and last.year == 2026


def test_update_notifier_counts():
    text = "12 updates can be applied immediately.\n5 of these updates are standard security " \
           "updates.\n"
    assert updates_apt.parse_updates_available(text) == {"pending": 12, "pending_security": 5}


def test_collect_tree(make_tree):
    root = make_tree({
        "etc/apt/apt.conf.d/20auto-upgrades": fixture_text("linux", "apt",
                                                           "20auto-upgrades-enabled"),
        "usr/bin/unattended-upgrade": "#!/usr/bin/python3\n",
        "var/log/apt/history.log": fixture_text("linux", "apt", "history.log"),
        "var/run/reboot-required": "",
    })
    u = updates_apt.collect(Context(root=root))
    assert u.automatic is True and u.mechanism == "unattended-upgrades"
    assert u.reboot_required is True and u.last_update is not None


def test_rotated_history_is_read(make_tree):
    import gzip

    root = make_tree({
        "etc/apt/apt.conf.d/20auto-upgrades": "",
        "var/log/apt/history.log": "",
        "var/log/apt/history.log.1.gz": gzip.compress(
            fixture_text("linux", "apt", "history.log").encode()),
    })
    assert updates_apt.collect(Context(root=root)).last_update is not None
