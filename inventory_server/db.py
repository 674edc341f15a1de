"""Database: declarative base with shared column types, engines and sessions."""

import datetime as dt
import os
import select
import time
import weakref
from typing import Annotated, Any, ClassVar

import msgspec
from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Integer,
    MetaData,
    String,
    create_engine,
    event,
    inspect,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import (
    ColumnProperty,
    DeclarativeBase,
    Session,
    mapped_column,
    sessionmaker,
)
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC timestamp on every database (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        """Store UTC."""
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
        return value

    def process_result_value(self, value, dialect):
        """Return aware UTC datetimes."""
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value


JSONType = JSON().with_variant(JSONB(), "postgresql")

intpk = Annotated[int, mapped_column(primary_key=True)]
str64 = Annotated[str, 64]
str255 = Annotated[str, 255]
timestamp = Annotated[dt.datetime, mapped_column(UTCDateTime)]


class Base(DeclarativeBase):
    """Base of every model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict] = {
        dict[str, Any]: JSONType,
        list[Any]: JSONType,
        str64: String(64),
        str255: String(255),
        dt.datetime: UTCDateTime,
        # SQLite only auto-increments INTEGER PRIMARY KEY, not BIGINT.
        int: BigInteger().with_variant(Integer(), "sqlite"),
    }


def utcnow() -> dt.datetime:
    """Return the current time in UTC, to the second."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _sqlite_pragmas(dbapi_conn, _record):
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def make_engine(url: str, echo: bool = False, pre_ping: bool = True) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        engine = create_engine(url, echo=echo, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # A request thread can hold two connections of it at once (its session and the after-ingest
    # hook's): a pool of 12 keeps them open for six threads, where closing and reopening overflow
    # connections costs PostgreSQL a backend each.
    engine = create_engine(url, echo=echo, pool_size=12, max_overflow=12)
    if pre_ping:
        _ping_rested(engine)
    return engine


PING_RESTED = 1.0
"""Seconds a pooled PostgreSQL connection may rest in the pool and go out again unchecked.

Under load a connection comes back and goes out again within milliseconds, and checking it every
time would cost each request a round trip. A connection goes out with a round trip to check it
when it rested longer, or when its socket has something to read, which an idle connection has
not unless the server ended it (a restart of PostgreSQL, or an administrator, ends a backend
with a message and closes its socket). A connection that fails the check is replaced."""


def _has_input(dbapi_conn) -> bool:
    """True when the connection's socket can be read without waiting (or has no socket)."""
    try:
        fd = dbapi_conn.fileno()
    except Exception:
        return True
    poll = select.poll()
    poll.register(fd, select.POLLIN)
    return bool(poll.poll(0))


def _ping_rested(engine: Engine) -> None:
    """Check a pooled connection before use when it rested or the server may have ended it."""

    def rest(_dbapi_conn, record, *_args) -> None:
        record.info["rested_from"] = time.monotonic()

    def checkout(dbapi_conn, record, _proxy) -> None:
        rested = time.monotonic() - record.info.get("rested_from", 0.0)
        if rested < PING_RESTED and not (
            dbapi_conn.closed or dbapi_conn.broken or _has_input(dbapi_conn)
        ):
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as exc:
            # The pool closes this connection and hands out a new one.
            raise DisconnectionError(f"pooled connection failed its check: {exc}") from exc

    event.listen(engine, "connect", rest)
    event.listen(engine, "checkin", rest)
    event.listen(engine, "checkout", checkout)


NOWAIT_POOL = 4
"""Connections kept by each engine's no-wait pool (one per gunicorn thread by default)."""
_nowait: "weakref.WeakKeyDictionary[Engine, Engine]" = weakref.WeakKeyDictionary()


def _no_wal_wait(dbapi_conn, _record) -> None:
    dbapi_conn.autocommit = True
    dbapi_conn.execute("SET synchronous_commit TO OFF")


def nowait_engine(engine: Engine, url: str | None = None) -> Engine:
    """Return the small pool beside ``engine`` (PostgreSQL) for writes that need not wait.

    Its connections are in autocommit mode, and their commits do not wait for the WAL flush
    (``synchronous_commit`` off for their session): for a visit of an unchanged report, which a
    crash may lose, and for new catalogue rows, which the report using them commits later in
    the same write-ahead log. They are not checked before use: callers drop a connection that
    fails (``invalidate()``). Created on first use, once per engine, on ``url`` (a database
    role of their own, behind a pooler in transaction mode) or else ``engine``'s; closed by
    :func:`dispose_engine`.
    """
    side = _nowait.get(engine)
    if side is None:
        side = create_engine(
            url or engine.url,
            pool_size=NOWAIT_POOL,
            max_overflow=NOWAIT_POOL,
            pool_reset_on_return=None,
        )
        event.listen(side, "connect", _no_wal_wait)
        _nowait[engine] = side
    return side


def dispose_engine(engine: Engine) -> None:
    """Close ``engine``'s pooled connections and those of its no-wait pool."""
    engine.dispose()
    side = _nowait.pop(engine, None)
    if side is not None:
        side.dispose()


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Return the session factory used by requests and services."""
    return sessionmaker(engine, expire_on_commit=False)


def pg_unnest_insert(conn, table, rows: list[dict[str, Any]], conflict: str = ""):
    """Insert ``rows`` on PostgreSQL with one ``INSERT ... SELECT FROM unnest(arrays)``.

    One array per column, so any number of rows is one statement (executemany sends one per
    row). Each array travels as one array literal (see ``pg_array_literal``) that PostgreSQL
    parses, instead of as a list the driver adapts element by element. JSON columns are given
    as text and cast back. ``conflict`` is an optional ``ON CONFLICT`` clause (and/or a
    ``RETURNING`` one: the result is returned). Names and types come from the table's metadata
    only; the values travel as parameters.
    """
    return conn.exec_driver_sql(*pg_unnest_statement(conn.dialect, table, rows, conflict))


def pg_unnest_statement(dialect, table, rows: list[dict[str, Any]], conflict: str = ""):
    """Return the statement and parameters :func:`pg_unnest_insert` runs (for
    :func:`pg_insert_together`)."""
    keys = tuple(rows[0])
    shape = (table, keys, conflict, dialect.name)
    sql = _UNNEST_SQL.get(shape)
    if sql is None:
        sql = _UNNEST_SQL[shape] = _unnest_sql(dialect, table, keys, conflict)
    return sql, tuple(pg_array_literal([row[k] for row in rows]) for k in keys)


def pg_insert_together(conn, statements: list[tuple[str, tuple]]) -> None:
    """Run INSERT (or UPDATE) statements into different tables as one statement (PostgreSQL).

    ``statements`` are (SQL with ``%s`` placeholders, parameters) pairs, none reading what
    another writes; all but the last become data-modifying ``WITH`` queries of the last, so
    that several tables are written in one round trip.
    """
    if not statements:
        return
    *first, (last, params) = statements
    sql = last
    if first:
        sql = "WITH " + ", ".join(f"w{i} AS ({s})" for i, (s, _p) in enumerate(first)) + " " + last
        params = tuple(p for _s, ps in statements for p in ps)
    conn.exec_driver_sql(sql, params)


def pg_pending_update(obj) -> tuple[str, tuple] | None:
    """Return the UPDATE a flush would run for ``obj``'s changed columns, and mark them unchanged.

    For one loaded, persistent ORM object on PostgreSQL: (SQL with ``%s`` placeholders,
    parameters), which :func:`pg_insert_together` can run with other statements, so that the row
    is written in their round trip instead of a flush of its own; the session then holds the
    values as written. None when no column changed (or a relationship did: the flush does that).
    """
    state = inspect(obj)
    mapper = state.mapper
    changed = []
    for key in state.committed_state:
        prop = mapper.attrs.get(key)
        if not isinstance(prop, ColumnProperty) or len(prop.columns) != 1:
            return None
        history = state.attrs[key].history
        if history.added:
            changed.append((key, prop.columns[0], history.added[0]))
    if not changed:
        return None
    dialect = state.session.get_bind().dialect
    quote = dialect.identifier_preparer.quote
    sets, params = [], []
    for _key, column, value in changed:
        if not isinstance(value, (str, int, float, dt.datetime, type(None))):
            return None  # an SQL expression, or a value only the flush knows how to bind
        process = column.type._cached_bind_processor(dialect)
        # No cast: the column's type applies, and a value too long for it is refused, not cut.
        sets.append(f"{quote(column.name)} = %s")
        params.append(process(value) if process else value)
    (pk,) = mapper.primary_key
    params.append(mapper.primary_key_from_instance(obj)[0])
    table = quote(mapper.local_table.name)
    sql = f"UPDATE {table} SET {', '.join(sets)} WHERE {quote(pk.name)} = %s"  # noqa: S608
    for key, _column, value in changed:
        set_committed_value(obj, key, value)
    return sql, tuple(params)


_UNNEST_SQL: dict[tuple, str] = {}
"""(table, columns, conflict clause, dialect) → the statement of ``pg_unnest_insert``: the few
shapes written (results, their history, catalogue rows, counts) are built once, not per call."""


def _unnest_sql(dialect, table, keys: tuple[str, ...], conflict: str) -> str:
    names, picks, source = _unnest_parts(dialect, table, keys)
    into = dialect.identifier_preparer.quote(table.name)
    return f"INSERT INTO {into} ({names}) SELECT {picks} FROM {source} {conflict}"  # noqa: S608


def _unnest_parts(dialect, table, keys: tuple[str, ...]) -> tuple[str, str, str]:
    """Return the quoted column names, the picks from ``u`` and ``unnest(...) AS u(c0, ...)``."""
    quote = dialect.identifier_preparer.quote
    types = [table.c[k].type.compile(dialect=dialect) for k in keys]
    as_text = [t in ("JSON", "JSONB") for t in types]
    arrays = ", ".join(
        "%s::text[]" if text else f"%s::{t}[]" for t, text in zip(types, as_text, strict=True)
    )
    picks = ", ".join(
        f"u.c{i}::{t}" if text else f"u.c{i}"
        for i, (t, text) in enumerate(zip(types, as_text, strict=True))
    )
    aliases = ", ".join(f"c{i}" for i in range(len(keys)))
    return ", ".join(quote(k) for k in keys), picks, f"unnest({arrays}) AS u({aliases})"


def pg_get_or_insert(pg, dialect, table, key: str, rows: list[dict[str, Any]]) -> dict[Any, int]:
    """Return key → id of every row of ``rows``, inserting those ``table`` lacks (PostgreSQL).

    ``pg`` is a psycopg connection, ``key`` a column with a unique index, ``rows`` dicts with
    the same columns, the key's among them. One statement finds the rows committed already and
    inserts the others, in key order (so that two transactions adding the same keys lock them in
    the same order). A key another transaction had inserted but not committed when the statement
    began is in neither part: the insert waits for that transaction, and the key is looked up
    again afterwards, once it has committed. Arrays travel as in :func:`pg_unnest_insert`.
    """
    keys = tuple(rows[0])
    shape = (table, keys, key, dialect.name)
    sql = _GET_OR_INSERT_SQL.get(shape)
    if sql is None:
        sql = _GET_OR_INSERT_SQL[shape] = _get_or_insert_sql(dialect, table, keys, key)
    ids = dict(pg.execute(sql[0], [pg_array_literal([row[k] for row in rows]) for k in keys]))
    if len(ids) < len(rows):
        rest = [row[key] for row in rows if row[key] not in ids]
        ids.update(pg.execute(sql[1], [pg_array_literal(rest)]))
    return ids


_GET_OR_INSERT_SQL: dict[tuple, tuple[str, str]] = {}


def _get_or_insert_sql(dialect, table, keys: tuple[str, ...], key: str) -> tuple[str, str]:
    quote = dialect.identifier_preparer.quote
    names, picks, source = _unnest_parts(dialect, table, keys)
    t, k, u_key = quote(table.name), quote(key), f"u.c{keys.index(key)}"
    key_type = table.c[key].type.compile(dialect=dialect)
    both = (
        f"WITH u AS (SELECT * FROM {source}), "  # noqa: S608
        f"ins AS (INSERT INTO {t} ({names}) SELECT {picks} FROM u "
        f"WHERE NOT EXISTS (SELECT FROM {t} e WHERE e.{k} = {u_key}) ORDER BY {u_key} "
        f"ON CONFLICT ({k}) DO NOTHING RETURNING {k}, id) "
        f"SELECT {k}, id FROM ins UNION ALL SELECT e.{k}, e.id FROM {t} e JOIN u ON e.{k} = {u_key}"
    )
    again = f"SELECT {k}, id FROM {t} WHERE {k} = ANY(%s::{key_type}[])"  # noqa: S608
    return both, again


_json_encoder = msgspec.json.Encoder()


def json_text(value: Any) -> str:
    """Return the JSON text bound to a JSON column in an ``unnest`` insert (None is JSON null, as
    the column stores it when inserted one row at a time)."""
    return _json_encoder.encode(value).decode()


def pg_int_array_literal(values: list) -> str:
    """Return a PostgreSQL array literal of integers (None is NULL), as ``pg_array_literal``
    does, a few times faster: for the 1,000-3,000 elements of a host's software arrays in
    ``IntArray`` columns (ingest writes the same form as it builds them)."""
    if None in values:
        return "{" + ",".join("NULL" if v is None else str(int(v)) for v in values) + "}"
    return "{" + ",".join(map(str, map(int, values))) + "}"


def pg_array_literal(values: list) -> str:
    """Return a PostgreSQL array literal of ``values`` (text, numbers, booleans, datetimes).

    None is NULL; every other element is double-quoted with ``\\`` and ``"`` escaped, so any
    text is taken literally. Datetimes are written as ``str()`` gives them (ISO 8601, with the
    offset when aware).
    """
    out = []
    add = out.append
    for v in values:
        if v is None:
            add("NULL")
        elif v is True or v is False:
            add("t" if v else "f")
        elif isinstance(v, int):
            add(str(v))
        else:
            text = v if isinstance(v, str) else str(v)
            if "\\" in text:
                text = text.replace("\\", "\\\\")
            if '"' in text:
                text = text.replace('"', '\\"')
            add('"' + text + '"')
    return "{" + ",".join(out) + "}"
