"""dnf-automatic configuration."""

from agent.collectors.context import Context
from agent.collectors.linux import updates_dnf


def test_apply_updates_needs_timer():
    conf = updates_dnf.parse_ini("[commands]\nupgrade_type = security\napply_updates = yes\n")
    assert updates_dnf.automatic_dnf(conf, True) is True
    assert updates_dnf.automatic_dnf(conf, False) is False
    assert updates_dnf.automatic_dnf(updates_dnf.parse_ini("[commands]\napply_updates = no\n"),
                                     True) is False


def test_install_timer_means_automatic(make_tree):
    root = make_tree({
        "etc/dnf/dnf.conf": "[main]\n",
        "etc/systemd/system/timers.target.wants/dnf-automatic-install.timer": "",
    })
    ctx = Context(root=root)
    assert updates_dnf.is_enabled(ctx)
    assert updates_dnf.collect(ctx).automatic is True
