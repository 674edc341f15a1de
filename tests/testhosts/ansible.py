"""Run the real ``ansible-playbook`` from the project's environment and read its recap."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CACHE_ROOT = Path(os.environ.get("KIEMKE_TESTHOST_CACHE", "/var/cache/kiemke-testhost"))
AGENT_DEPENDENCIES = ("psutil>=5.9", "msgspec>=0.18")
RECAP = re.compile(
    r"^(?P<host>\S+)\s+:\s+ok=(?P<ok>\d+)\s+changed=(?P<changed>\d+)\s+"
    r"unreachable=(?P<unreachable>\d+)\s+failed=(?P<failed>\d+)",
    re.MULTILINE,
)


@dataclass
class PlaybookRun:
    """The outcome of one ansible-playbook run."""

    returncode: int
    stdout: str
    stderr: str

    def recap(self) -> dict[str, dict[str, int]]:
        """Return the PLAY RECAP counters per host."""
        tail = self.stdout.rsplit("PLAY RECAP", 1)[-1]
        return {
            m["host"]: {k: int(m[k]) for k in ("ok", "changed", "unreachable", "failed")}
            for m in RECAP.finditer(tail)
        }

    def explain(self) -> str:
        """Return the end of the output, for assertion messages."""
        return f"rc={self.returncode}\n{self.stdout[-6000:]}\n{self.stderr[-3000:]}"


def ansible_env() -> dict[str, str]:
    """Return the environment that makes Ansible use the project's configuration."""
    env = dict(os.environ)
    env.update(
        ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_HOST_KEY_CHECKING="False",
        ANSIBLE_LOCAL_TEMP=tempfile.gettempdir(),
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
    )
    return env


def run_playbook(playbook: str | Path, inventory: str | Path, *args: str,
                 timeout: float = 900, env: dict[str, str] | None = None) -> PlaybookRun:
    """Run ``ansible-playbook`` on a playbook (relative to the repository) and return the run."""
    proc = subprocess.run(
        [str(BIN / "ansible-playbook"), "-i", str(inventory), str(REPO / playbook), *args],
        capture_output=True, text=True, timeout=timeout, env={**ansible_env(), **(env or {})},
        cwd=REPO, check=False,
    )
    return PlaybookRun(proc.returncode, proc.stdout, proc.stderr)


def build_wheelhouse(dest: Path) -> Path:
    """Fill ``dest`` with the kiemke wheel built from this tree and the wheels it needs.

    The kiemke wheel is built with ``pip wheel --no-deps`` from a copy of the tree (so a build
    never writes into the shared working tree); its dependencies are fetched once and cached.
    """
    dest.mkdir(parents=True, exist_ok=True)
    key = hashlib.sha256(" ".join(AGENT_DEPENDENCIES).encode()).hexdigest()[:12]
    deps = CACHE_ROOT / f"wheels-{key}"
    if not (deps / "complete").exists():
        deps.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [str(BIN / "python"), "-m", "pip", "download", "-q", "--only-binary=:all:",
             "-d", str(deps), *AGENT_DEPENDENCIES],
            check=True, capture_output=True, text=True,
        )
        (deps / "complete").write_text("ok\n")
    for wheel in deps.glob("*.whl"):
        shutil.copy2(wheel, dest)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "src"
        shutil.copytree(
            REPO, src,
            ignore=shutil.ignore_patterns(".git", ".venv", "var", "node_modules", "tests",
                                          "build", "dist", "*.egg-info", "__pycache__",
                                          ".pytest_cache", ".ruff_cache", "bench", "docs"),
        )
        proc = subprocess.run(
            [str(BIN / "python"), "-m", "pip", "wheel", "-q", "--no-deps", str(src),
             "-w", str(dest)],
            capture_output=True, text=True, check=False,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"pip wheel failed: {proc.stderr[-2000:]}")
    return dest
