"""Shared fixtures: real SQLite and PostgreSQL databases, the app, a live server, seed data.

PostgreSQL: tests connect to ``KIEMKE_TEST_PG_URL`` (default: the local cluster over its Unix
socket, started by ``scripts/start-postgres``). When it is unreachable, PostgreSQL tests skip —
unless ``KIEMKE_REQUIRE_POSTGRES=1`` (set by CI), when they fail.
"""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV_BIN = os.path.dirname(sys.executable)
PG_URL = os.environ.get(
    "KIEMKE_TEST_PG_URL", "postgresql+psycopg://@/postgres?host=/var/run/postgresql"
)
REQUIRE_PG = os.environ.get("KIEMKE_REQUIRE_POSTGRES", "") not in ("", "0", "false")


def _pg_admin_url(dbname: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(PG_URL).set(database=dbname).render_as_string(hide_password=False)


def terminate_backend(db_url: str, pid: int) -> None:
    """End one PostgreSQL backend, as a restart ends them all, and wait until it has."""
    from sqlalchemy import text

    from inventory_server.db import make_engine

    admin = make_engine(db_url, pre_ping=False)
    with admin.connect() as c:
        assert c.execute(text("SELECT pg_terminate_backend(:p, 10000)"), {"p": pid}).scalar()
    admin.dispose()


def _pg_available() -> str | None:
    """Return None when PostgreSQL answers, else the reason."""
    try:
        import psycopg
        from sqlalchemy.engine import make_url

        u = make_url(PG_URL)
        conninfo = {"dbname": u.database or "postgres", "host": u.query.get("host") or u.host,
                    "user": u.username, "password": u.password, "port": u.port}
        with psycopg.connect(**{k: v for k, v in conninfo.items() if v}, connect_timeout=3):
            return None
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"


@pytest.fixture(scope="session")
def pg_template():
    """A PostgreSQL database migrated to head, used as the template for per-test databases."""
    reason = _pg_available()
    if reason:
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL is required (KIEMKE_REQUIRE_POSTGRES) but unavailable: "
                        f"{reason}")
        pytest.skip(f"PostgreSQL unavailable: {reason}")
    from sqlalchemy import create_engine, text

    from inventory_server.migrate import upgrade

    name = f"kiemke_tmpl_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(_pg_admin_url("postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    upgrade(_pg_admin_url(name))
    yield name
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """An SQLite file migrated to head, copied for each test."""
    from inventory_server.migrate import upgrade

    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


def _fresh_db(kind: str, request, tmp_path) -> str:
    if kind == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        path = tmp_path / "kiemke.db"
        shutil.copy(template, path)
        return f"sqlite:///{path}"
    template = request.getfixturevalue("pg_template")
    from sqlalchemy import create_engine, text

    name = f"kiemke_t_{uuid.uuid4().hex[:10]}"
    admin = create_engine(_pg_admin_url("postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))

    def _drop():
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    request.addfinalizer(_drop)
    return _pg_admin_url(name)


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request, tmp_path):
    """A fresh, migrated database: every test using it runs on SQLite and on PostgreSQL."""
    return _fresh_db(request.param, request, tmp_path)


@pytest.fixture
def sqlite_url(request, tmp_path):
    """A fresh, migrated SQLite database (for tests that need not run twice)."""
    return _fresh_db("sqlite", request, tmp_path)


@dataclass
class Seed:
    """What ``seed`` created: units, users, their passwords and tokens, an enrollment secret."""

    secret: str
    admin_token: str
    officer_token: str
    other_officer_token: str
    security_token: str
    passwords: dict


def seed_database(url: str) -> Seed:
    """Create a small org tree (TINH > SO-TTTT > PHONG-HC; TINH > SO-TC), users and secrets."""
    from inventory_server.db import make_engine, make_sessionmaker
    from inventory_server.enrollment.services import create_secret
    from inventory_server.units.services import create_unit
    from inventory_server.users.services import create_token, create_user

    engine = make_engine(url)
    with make_sessionmaker(engine)() as db:
        root = create_unit(db, code="TINH", name="Tỉnh Bình Dương")
        create_unit(db, code="SO-TTTT", name="Sở Thông tin và Truyền thông", parent_code="TINH")
        create_unit(db, code="PHONG-HC", name="Phòng Hành chính", parent_code="SO-TTTT")
        create_unit(db, code="SO-TC", name="Sở Tài chính", parent_code="TINH")
        pw = {"admin": "admin-password-1", "officer": "officer-password-1",
              "other": "other-password-1", "security": "security-password-1",
              "auditor": "auditor-password-1"}
        admin = create_user(db, username="admin", password=pw["admin"], role="admin")
        officer = create_user(db, username="officer", password=pw["officer"], role="it_officer",
                              unit_code="SO-TTTT")
        other = create_user(db, username="other", password=pw["other"], role="it_officer",
                            unit_code="SO-TC")
        sec = create_user(db, username="security", password=pw["security"], role="security")
        create_user(db, username="auditor", password=pw["auditor"], role="auditor")
        secret, _ = create_secret(db, unit=root, days=1)
        seed = Seed(
            secret=secret,
            admin_token=create_token(db, user=admin),
            officer_token=create_token(db, user=officer),
            other_officer_token=create_token(db, user=other),
            security_token=create_token(db, user=sec),
            passwords=pw,
        )
        db.commit()
    engine.dispose()
    return seed


@pytest.fixture
def app(db_url, tmp_path):
    """The Flask app on a fresh database (SQLite and PostgreSQL)."""
    from inventory_server.app import create_app, dispose

    application = create_app({"DATABASE_URL": db_url, "DATA_DIR": str(tmp_path / "data"),
                              "SECRET_KEY": "test-secret-key", "TESTING": True})
    yield application
    dispose(application)


@pytest.fixture
def seed(db_url):
    """Seed data in the test's database."""
    return seed_database(db_url)


@pytest.fixture
def client(app):
    """A test client for ``app``."""
    return app.test_client()


def free_port() -> int:
    """Return a free TCP port on the loopback interface."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveServer:
    """A real kiemke-server under gunicorn on a loopback port."""

    url: str
    db_url: str
    data_dir: str
    proc: subprocess.Popen
    log_path: str

    def log(self) -> str:
        """Return what the server printed."""
        with open(self.log_path, encoding="utf-8", errors="replace") as fh:
            return fh.read()


def start_server(db_url: str, data_dir: str, workers: int = 2, extra_env=None) -> LiveServer:
    """Start ``kiemke-server run`` and wait until /healthz answers."""
    port = free_port()
    os.makedirs(data_dir, exist_ok=True)
    env = dict(os.environ, KIEMKE_DATABASE_URL=db_url, KIEMKE_DATA_DIR=data_dir,
               KIEMKE_SECRET_KEY="live-test-key", **(extra_env or {}))
    log_path = os.path.join(data_dir, "server.log")
    log = open(log_path, "wb")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(
        [os.path.join(VENV_BIN, "kiemke-server"), "run", "--port", str(port), "--workers",
         str(workers)], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {_read(log_path)}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=1) as r:  # noqa: S310
                if r.status == 200:
                    return LiveServer(url, db_url, data_dir, proc, log_path)
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"server did not start: {_read(log_path)}")


def _read(path: str) -> str:
    with open(path, encoding="utf-8", errors="replace") as fh:
        return fh.read()


def stop_server(server: LiveServer) -> None:
    """Stop the server gracefully."""
    server.proc.terminate()
    try:
        server.proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.proc.kill()


@pytest.fixture
def live_server(db_url, tmp_path):
    """A real server on a fresh database (SQLite and PostgreSQL)."""
    server = start_server(db_url, str(tmp_path / "server"))
    yield server
    stop_server(server)
