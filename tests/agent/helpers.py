"""Helpers for the agent tests: fixture files and a context that replays captured output."""

from pathlib import Path

from agent.collectors.context import CommandError, Context

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def fixture_path(*parts: str) -> Path:
    """Return the path of a fixture file under tests/fixtures."""
    path = FIXTURES.joinpath(*parts)
    assert path.exists(), f"missing fixture {path}"
    return path


def fixture_text(*parts: str) -> str:
    """Return a fixture file's text."""
    return fixture_path(*parts).read_text(encoding="utf-8")


class ReplayContext(Context):
    """A Context whose PowerShell answers come from fixtures, keyed by the script text."""

    def __init__(self, scripts, platform="win32", root="/"):
        super().__init__(root=root)
        self.platform = platform
        self.scripts = scripts
        self.calls = []

    def powershell(self, script, timeout=None):
        """Return the captured output for this script, as PowerShell would print it."""
        self.calls.append(script)
        if script not in self.scripts:
            raise CommandError("powershell: no fixture for this script")
        return self.scripts[script]
