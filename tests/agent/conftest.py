"""Fixtures for the agent tests."""

import pytest


@pytest.fixture
def make_tree(tmp_path):
    """Build a fake root file system: make_tree({"etc/passwd": "..."}) -> its path."""

    def build(files):
        for rel, content in files.items():
            path = tmp_path / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        return str(tmp_path)

    return build
