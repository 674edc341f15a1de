"""The context collectors gather raw text through, so parsers stay pure and testable."""

import os
import subprocess
import sys
import threading
from typing import List, Optional


def _which(name: str) -> Optional[str]:
    """shutil.which without importing shutil (it pulls in bz2, lzma and zlib at start-up)."""
    exts = [""]
    if sys.platform == "win32":
        exts = os.environ.get("PATHEXT", ".COM;.EXE;.BAT;.CMD").lower().split(";")
        if os.path.splitext(name)[1].lower() in exts:
            exts = [""]
    for directory in os.environ.get("PATH", os.defpath).split(os.pathsep):
        for ext in exts:
            path = os.path.join(directory, name + ext)
            if os.path.isfile(path) and os.access(path, os.X_OK):
                return path
    return None


class CommandError(RuntimeError):
    """An external command failed, timed out or could not be started."""


class Context:
    """Runs commands and reads files for collectors; every command has a timeout."""

    def __init__(self, root: str = "/", default_timeout: float = 20.0, config=None):
        self.root = root
        self.default_timeout = default_timeout
        self.platform = sys.platform
        self.config = config
        self._which = {}
        self._processes = None
        self._lock = threading.Lock()

    def path(self, path: str) -> str:
        """Return ``path`` under the context's root (``/`` on a live system)."""
        if self.root in ("/", ""):
            return path
        return os.path.join(self.root, path.lstrip("/"))

    def which(self, name: str) -> Optional[str]:
        """Return the full path of a program on PATH, or None."""
        if name not in self._which:
            self._which[name] = _which(name)
        return self._which[name]

    def exists(self, path: str) -> bool:
        """Return True when ``path`` exists."""
        return os.path.exists(self.path(path))

    def read_text(self, path: str, limit: int = 64 * 1024 * 1024) -> Optional[str]:
        """Return a file's text (UTF-8, errors replaced), or None when it cannot be read."""
        try:
            with open(self.path(path), "rb") as fh:
                return fh.read(limit).decode("utf-8", "replace")
        except OSError:
            return None

    def mtime(self, path: str) -> Optional[float]:
        """Return a file's modification time (seconds since the epoch), or None."""
        try:
            return os.stat(self.path(path)).st_mtime
        except OSError:
            return None

    def mtimes(self, directory: str, names: List[str]) -> List[Optional[float]]:
        """Return the modification time of each named file in a directory (None if unreadable).

        The directory is opened once and each name looked up relative to it, which is about
        half the cost of a stat of the full path (dpkg's info directory holds thousands of
        files, and install dates are the mtimes of its .list files).
        """
        path = self.path(directory)
        if os.stat not in os.supports_dir_fd:  # Windows
            return [self.mtime(os.path.join(directory, name)) for name in names]
        try:
            fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            return [None] * len(names)
        out: List[Optional[float]] = []
        try:
            for name in names:
                try:
                    out.append(os.stat(name, dir_fd=fd).st_mtime)
                except OSError:
                    out.append(None)
        finally:
            os.close(fd)
        return out

    def listdir(self, path: str) -> List[str]:
        """Return the names in a directory, or an empty list."""
        try:
            return sorted(os.listdir(self.path(path)))
        except OSError:
            return []

    def is_admin(self) -> bool:
        """Return True when the agent runs as root (Linux) or elevated (Windows)."""
        geteuid = getattr(os, "geteuid", None)
        if geteuid is not None:
            return geteuid() == 0
        try:
            import ctypes

            return bool(ctypes.windll.shell32.IsUserAnAdmin())  # type: ignore[attr-defined]
        except (ImportError, AttributeError, OSError):
            return False

    def processes(self) -> List[str]:
        """Return the names of running processes (lower case, cached for the run)."""
        with self._lock:
            return self._process_names()

    def _process_names(self) -> List[str]:
        if self._processes is None:
            import psutil

            names = set()
            for proc in psutil.process_iter(["name"]):
                name = proc.info.get("name")
                if name:
                    names.add(name.lower())
            self._processes = sorted(names)
        return self._processes

    def powershell(self, script: str, timeout: Optional[float] = None) -> str:
        """Run a PowerShell script (Windows) and return its stdout, usually JSON."""
        exe = self.which("powershell.exe") or self.which("powershell") or self.which("pwsh")
        if not exe:
            raise CommandError("powershell: not found")
        return self.run(
            [exe, "-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass",
             "-Command", script],
            timeout=timeout or 60,
        )

    def run(self, argv: List[str], timeout: Optional[float] = None, ok_codes=(0,)) -> str:
        """Run a command without a shell and return its stdout; raise CommandError on failure."""
        env = dict(os.environ, LC_ALL="C", LANG="C")
        try:
            proc = subprocess.run(
                argv,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=timeout or self.default_timeout,
                env=env,
                check=False,
            )
        except FileNotFoundError as exc:
            raise CommandError(f"{argv[0]}: not found") from exc
        except subprocess.TimeoutExpired as exc:
            raise CommandError(f"{argv[0]}: timed out after {exc.timeout:g}s") from exc
        except OSError as exc:
            raise CommandError(f"{argv[0]}: {exc}") from exc
        if proc.returncode not in ok_codes:
            err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            raise CommandError(
                f"{argv[0]} exited with {proc.returncode}" + (f": {err[-1]}" if err else "")
            )
        return proc.stdout.decode("utf-8", "replace")
