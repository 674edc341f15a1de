"""The PostgreSQL pool: connections that rested are checked before use, busy ones are not."""

import time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from inventory_server import db
from inventory_server.db import make_engine
from tests.conftest import _fresh_db, terminate_backend


def _backend(engine) -> int:
    with engine.connect() as c:
        return c.execute(text("SELECT pg_backend_pid()")).scalar()


def test_a_pooled_connection_is_checked_when_ended_or_rested_and_not_in_between(
    request, tmp_path, monkeypatch
):
    db_url = _fresh_db("postgres", request, tmp_path)
    engine = make_engine(db_url)
    request.addfinalizer(engine.dispose)
    pings = []
    real = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda conn: pings.append(1) or real(conn))
    first = _backend(engine)  # a new connection: not checked
    assert _backend(engine) == first  # back in the pool a moment ago: not checked either
    assert pings == []

    terminate_backend(db_url, first)
    second = _backend(engine)  # ended by the server a moment ago: checked, and replaced
    assert pings == [1]
    assert second != first

    monkeypatch.setattr(db, "PING_RESTED", 0.05)
    time.sleep(0.1)
    assert _backend(engine) == second  # rested: checked, and kept
    assert pings == [1, 1]


def test_without_the_check_a_dropped_connection_fails_its_request(request, tmp_path):
    """What the check saves: the same drop, with it off, fails the next request."""
    db_url = _fresh_db("postgres", request, tmp_path)
    engine = make_engine(db_url, pre_ping=False)
    request.addfinalizer(engine.dispose)
    terminate_backend(db_url, _backend(engine))
    with pytest.raises(OperationalError):
        _backend(engine)
    assert _backend(engine)  # the pool replaced it after the failure
