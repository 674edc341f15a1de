"""The collectors' context: file modification times read relative to one directory."""

import os

from agent.collectors.context import Context


def test_mtimes_relative_to_the_directory_and_without_dir_fd(make_tree, monkeypatch):
    root = make_tree({"info/a.list": "a", "info/b.list": "b", "info/link.list": b""})
    info = os.path.join(root, "info")
    os.utime(os.path.join(info, "a.list"), (1_000, 1_000))
    os.utime(os.path.join(info, "b.list"), (2_000.5, 2_000.5))
    os.remove(os.path.join(info, "link.list"))
    os.symlink("b.list", os.path.join(info, "link.list"))  # followed, like os.stat
    names = ["a.list", "missing.list", "b.list", "link.list"]
    expected = [1_000, None, 2_000.5, 2_000.5]
    ctx = Context(root=root)
    assert ctx.mtimes("/info", names) == expected
    assert ctx.mtimes("/missing", names) == [None] * 4
    assert ctx.mtimes("/info/a.list", names) == [None] * 4  # not a directory
    # Where os.stat takes no dir_fd (Windows), each path is joined and stat'ed on its own.
    monkeypatch.setattr(os, "supports_dir_fd", set())
    assert ctx.mtimes("/info", names) == expected
    assert ctx.mtimes("/missing", names) == [None] * 4
