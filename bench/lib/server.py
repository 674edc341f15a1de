"""A throw-away PostgreSQL database and a real kiemke-server under gunicorn for benchmarks."""

import json
import os
import secrets
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DEFAULT_PG = "postgresql+psycopg://@/postgres?host=/var/run/postgresql"


def pg_url(base: str, dbname: str) -> str:
    """Return ``base`` pointing at database ``dbname``."""
    from sqlalchemy.engine import make_url

    return make_url(base).set(database=dbname).render_as_string(hide_password=False)


def create_database(base: str, prefix: str) -> str:
    """Create an empty database named ``prefix_<random>``; return its name."""
    from sqlalchemy import create_engine, text

    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(pg_url(base, "postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return name


def drop_database(base: str, name: str) -> None:
    """Drop database ``name``."""
    from sqlalchemy import create_engine, text

    admin = create_engine(pg_url(base, "postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def server_env(db_url: str, data_dir: str, **extra: str) -> dict[str, str]:
    """Return the environment of kiemke-server commands on ``db_url``."""
    return dict(
        os.environ,
        KIEMKE_DATABASE_URL=db_url,
        KIEMKE_DATA_DIR=data_dir,
        KIEMKE_SECRET_KEY=secrets.token_hex(16),
        **extra,
    )


def cli(env: dict, *args: str) -> str:
    """Run ``kiemke-server ARGS``; return its output; raise with the output on failure."""
    proc = subprocess.run(
        [str(BIN / "kiemke-server"), *args], env=env, capture_output=True, text=True, cwd=ROOT
    )
    if proc.returncode != 0:
        raise RuntimeError(f"kiemke-server {' '.join(args)} failed:\n{proc.stdout}{proc.stderr}")
    return proc.stdout


def last_line(text: str) -> str:
    """Return the last non-empty line of ``text``."""
    return [line for line in text.splitlines() if line.strip()][-1].strip()


@dataclass
class Server:
    """A running ``kiemke-server run`` (gunicorn master and its workers)."""

    url: str
    proc: subprocess.Popen
    log_path: str
    env: dict = field(repr=False)

    def workers(self) -> list[psutil.Process]:
        """Return the gunicorn worker processes."""
        return psutil.Process(self.proc.pid).children()

    def worker_rss(self) -> list[int]:
        """Return each worker's resident set size, in bytes."""
        return [w.memory_info().rss for w in self.workers()]

    def stop(self) -> None:
        """Stop the server gracefully."""
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def start(env: dict, port: int, workers: int, gunicorn_args: str = "") -> Server:
    """Start ``kiemke-server run`` and wait for /healthz; extra gunicorn flags go through
    GUNICORN_CMD_ARGS (e.g. ``--worker-class gthread --threads 4``)."""
    env = dict(env)
    if gunicorn_args:
        env["GUNICORN_CMD_ARGS"] = gunicorn_args
    log_path = os.path.join(env["KIEMKE_DATA_DIR"], "server.log")
    os.makedirs(env["KIEMKE_DATA_DIR"], exist_ok=True)
    log = open(log_path, "wb")  # noqa: SIM115 - kept open for the server's lifetime
    proc = subprocess.Popen(
        [str(BIN / "kiemke-server"), "run", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited:\n{Path(log_path).read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as r:  # noqa: S310
                if r.status == 200:
                    server = Server(url, proc, log_path, env)
                    while len(server.workers()) < workers and time.monotonic() < deadline:
                        time.sleep(0.1)
                    return server
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"server did not start:\n{Path(log_path).read_text(errors='replace')}")


def free_port() -> int:
    """Return a free TCP port on the loopback interface."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class BackendCPU:
    """CPU time of the PostgreSQL backends serving ``dbname`` over a phase, sampled in a thread.

    Backends come and go (a connection pool closes its overflow connections), so their pids and
    CPU times are read every ``interval`` seconds: a backend that exits loses at most its last
    interval; one that starts during the phase counts from zero.
    """

    def __init__(self, base: str, dbname: str, interval: float = 0.2):
        import threading

        from sqlalchemy import create_engine

        self._engine = create_engine(pg_url(base, "postgres"))
        self._dbname = dbname
        self._interval = interval
        self._start: dict[int, float] = {}
        self._last: dict[int, float] = {}
        self._stop = threading.Event()
        self._sample(first=True)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _sample(self, first: bool = False) -> None:
        from sqlalchemy import text

        with self._engine.connect() as c:
            pids = (
                c.execute(
                    text("SELECT pid FROM pg_stat_activity WHERE datname = :d"), {"d": self._dbname}
                )
                .scalars()
                .all()
            )
        for pid in pids:
            try:
                t = psutil.Process(pid).cpu_times()
            except psutil.Error:
                continue
            used = t.user + t.system
            if first:
                self._start[pid] = used
            self._last[pid] = used

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self._sample()

    def stop(self) -> float:
        """Stop sampling; return the CPU seconds the backends used since the start."""
        self._stop.set()
        self._thread.join()
        self._sample()
        self._engine.dispose()
        return sum(used - self._start.get(pid, 0.0) for pid, used in self._last.items())


def cpu_seconds(pids: list[int]) -> float:
    """Return user+system CPU seconds of ``pids`` (missing processes count 0)."""
    total = 0.0
    for pid in pids:
        try:
            t = psutil.Process(pid).cpu_times()
            total += t.user + t.system
        except psutil.Error:
            pass
    return total


def machine_busy_seconds() -> float:
    """Return the CPU seconds every core of the machine has spent busy since boot.

    Busy is all but idle and I/O wait: every process (PostgreSQL's background processes and
    other users of the machine included) and the kernel's own work.
    """
    t = psutil.cpu_times()
    return (
        sum(t)
        - t.idle
        - getattr(t, "iowait", 0.0)
        - getattr(t, "guest", 0.0)
        - getattr(t, "guest_nice", 0.0)
    )


def dump(obj) -> str:
    """Return ``obj`` as compact JSON."""
    return json.dumps(obj, separators=(",", ":"))
