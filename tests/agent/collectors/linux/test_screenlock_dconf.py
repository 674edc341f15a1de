"""GNOME screen lock from dconf keyfiles and locks."""

from agent.collectors.context import Context
from agent.collectors.linux import screenlock_dconf as sl
from tests.agent.helpers import FIXTURES


def _ctx(make_tree, case):
    base = FIXTURES / "linux" / "dconf" / case
    files = {f"etc/dconf/{p.relative_to(base)}": p.read_text() for p in base.rglob("*")
             if p.is_file()}
    files["usr/sbin/gdm3"] = ""
    return Context(root=make_tree(files))


def test_locked_five_minutes(make_tree):
    s = sl.collect(_ctx(make_tree, "locked"))
    assert s.enabled is True and s.idle_delay_seconds == 300 and s.lock_delay_seconds == 0
    assert s.enforced is True and s.applicable is True


def test_disabled_and_not_enforced(make_tree):
    s = sl.collect(_ctx(make_tree, "unlocked"))
    assert s.enabled is False and s.idle_delay_seconds == 0 and s.enforced is False


def test_gnome_defaults_without_system_values():
    s = sl.build([], [], graphical=True)
    assert s.enabled is True and s.idle_delay_seconds == 300 and s.enforced is False


def test_headless_is_not_applicable(make_tree):
    s = sl.collect(Context(root=make_tree({"etc/hostname": "srv\n"})))
    assert s.applicable is False and s.enabled is None


def test_mate_minutes_and_cinnamon_keys():
    mate = "[org/mate/screensaver]\nidle-delay=5\nlock-enabled=true\n"
    s = sl.build([mate], ["/org/mate/screensaver/idle-delay\n/org/mate/screensaver/lock-enabled\n"],
                 graphical=True, desktop="mate")
    assert s.enabled is True and s.idle_delay_seconds == 300 and s.enforced is True
    cin = "[org/cinnamon/desktop/session]\nidle-delay=uint32 600\n"
    s = sl.build([cin], [], graphical=True, desktop="cinnamon")
    assert s.enabled is True and s.idle_delay_seconds == 600 and s.enforced is False
    assert sl.build([], [], graphical=True, desktop="cinnamon").enabled is False  # never idles
