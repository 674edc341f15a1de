"""Ingest a report: store changed sections, normalise software and hardware, record history.

A section is applied only when its digest differs from the stored one. A section whose collector
failed (named in ``errors``) is not applied, so the last good data is kept and the next delta
asks for it in full. Everything happens in one transaction: after an error nothing is written
(except, on PostgreSQL, new software titles: catalogue entries committed on their own).
"""

import datetime as dt
import functools
import operator
import weakref
from collections.abc import Iterable
from typing import Any, NamedTuple

import msgspec
import psycopg
from sqlalchemy import (
    JSON,
    bindparam,
    delete,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, lazyload

from agent.schema import SECTIONS, Hardware, Network, OSInfo, Report, Software
from inventory_server.db import (
    json_text,
    nowait_engine,
    pg_get_or_insert,
    pg_insert_together,
    pg_pending_update,
    pg_unnest_statement,
    utcnow,
)
from inventory_server.hosts.posture import antivirus_state
from inventory_server.models import (
    AgentCredential,
    HardwareComponent,
    Host,
    HostAddress,
    HostEvent,
    HostSection,
    HostSoftware,
    NetworkInterface,
    SoftwarePackage,
    SoftwareTitle,
)
from inventory_server.models.software import name_key, package_key
from inventory_server.security import HOST_TOKEN_PREFIX, token_hash

MAX_POSTURE_EVENTS = 50
_CHUNK = 500


class ReportInvalid(ValueError):
    """The report is well-formed JSON of the right types but makes no sense; names the field."""

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.field = field


def validate(report: Report) -> None:
    """Check what the type system cannot: a full report has every section, digests are known."""
    if report.kind == "full":
        for name in SECTIONS:
            if getattr(report, name) is None:
                raise ReportInvalid(f"a full report needs the section {name!r}", f"$.{name}")
    else:
        for name in SECTIONS:
            if getattr(report, name) is None and name not in report.digests:
                raise ReportInvalid(
                    f"a delta report needs the digest of every section it leaves out ({name!r})",
                    f"$.digests.{name}",
                )
    for name, digest in report.digests.items():
        if name not in SECTIONS:
            raise ReportInvalid(f"unknown section {name!r} in digests", f"$.digests.{name}")
        if len(digest) != 64:
            raise ReportInvalid("a digest is 64 hexadecimal characters", f"$.digests.{name}")


class HostRow(NamedTuple):
    """What authentication reads about a host: its identity and its stored section digests."""

    id: int
    hostname: str
    fqdn: str | None
    machine_id: str | None
    dmi_uuid: str | None
    serial: str | None
    role: str
    digests: str | None  # "section:digest,section:digest..."


_DIGESTS = (
    select(func.aggregate_strings(HostSection.section + literal(":") + HostSection.digest, ","))
    .where(HostSection.host_id == Host.id)
    .scalar_subquery()
)
ACTIVE_TOKEN = (
    AgentCredential.token_hash == bindparam("token_hash"),
    AgentCredential.revoked_at.is_(None),
    Host.status == "active",
)
"""The token (bound as ``token_hash``) is not revoked and its host is active."""
TOKEN_HOST = (
    select(AgentCredential.host_id)
    .join(Host, Host.id == AgentCredential.host_id)
    .where(*ACTIVE_TOKEN)
)
"""The least authentication: the token's active host id (the benchmark's discard endpoint)."""
_FIND_HOST = (
    select(
        Host.id,
        Host.hostname,
        Host.fqdn,
        Host.machine_id,
        Host.dmi_uuid,
        Host.serial,
        Host.role,
        _DIGESTS,
    )
    .join(AgentCredential, AgentCredential.host_id == Host.id)
    .where(*ACTIVE_TOKEN)
)


def find_host(conn: Connection | Session, token: str) -> HostRow | None:
    """Return the active host owning ``token`` with its section digests, in one query."""
    if not token.startswith(HOST_TOKEN_PREFIX):
        return None
    row = conn.execute(_FIND_HOST, {"token_hash": token_hash(token)}).first()
    return HostRow(*row) if row is not None else None


_LOCK_BY_TOKEN = (
    select(Host, _DIGESTS)
    .join(AgentCredential, AgentCredential.host_id == Host.id)
    .where(*ACTIVE_TOKEN)
    .with_for_update(of=Host, key_share=True)
    .options(lazyload(Host.unit))  # a report reads the unit's id only, not its row
    .execution_options(populate_existing=True)
)


def lock_host(db: Session, token: str) -> tuple[Host, HostRow] | None:
    """Return the active host owning ``token``, its row locked, with what :func:`find_host` reads.

    For reports that carry section data, which nearly always write: one query authenticates
    and takes the host row lock (``FOR NO KEY UPDATE``; see the reports API) for the
    transaction.
    """
    if not token.startswith(HOST_TOKEN_PREFIX):
        return None
    row = db.execute(_LOCK_BY_TOKEN, {"token_hash": token_hash(token)}).first()
    if row is None:
        return None
    host, digests = row
    return host, HostRow(
        host.id,
        host.hostname,
        host.fqdn,
        host.machine_id,
        host.dmi_uuid,
        host.serial,
        host.role,
        digests,
    )


def carries_data(report: Report) -> bool:
    """Return True when ``report`` holds the data of at least one section."""
    return any(getattr(report, name) is not None for name in SECTIONS)


def unchanged(host: HostRow, report: Report) -> bool:
    """Return True when ingesting ``report`` would change nothing but the host's visit.

    That is: every section is left out or carried with the digest the server has (or failed
    to collect), and the identity matches. Raises ReportInvalid like :func:`ingest`.
    """
    validate(report)
    ident = report.host
    if (
        ident.hostname != host.hostname
        or (ident.fqdn and ident.fqdn != host.fqdn)
        or (ident.machine_id and ident.machine_id != host.machine_id)
        or (ident.dmi_uuid and ident.dmi_uuid != host.dmi_uuid)
        or (ident.serial and ident.serial != host.serial)
        or (ident.role and ident.role != host.role)
        or not host.digests
    ):
        return False
    stored = dict(item.split(":", 1) for item in host.digests.split(","))
    failed = {e.section for e in report.errors} if report.errors else ()
    for name in SECTIONS:
        digest = report.digests.get(name)
        same = digest is not None and stored.get(name) == digest
        if not same and (getattr(report, name) is None or name not in failed):
            return False
    return True


def touch_unchanged(conn: Connection, host: HostRow, report: Report) -> None:
    """Record the visit of an unchanged report (last seen, report count, agent version).

    The caller commits. On PostgreSQL the UPDATE and the COMMIT go in one pipelined round trip
    (the caller's commit then finds nothing to do), and the commit does not wait for the WAL
    flush: a crash may lose only this visit, never a section.
    """
    now = utcnow()
    values = {
        "last_seen": now,
        "report_count": Host.report_count + 1,
        "agent_version": report.agent.version,
    }
    if report.kind == "full":
        values["last_full_at"] = now
    if conn.dialect.name != "postgresql":
        conn.execute(update(Host).where(Host.id == host.id).values(values))
        return
    pg = conn.connection.driver_connection
    with pg.pipeline():
        pg.execute("SET LOCAL synchronous_commit TO OFF")
        pg.execute(
            _TOUCH_FULL if report.kind == "full" else _TOUCH,
            {"now": now, "v": report.agent.version, "id": host.id},
        )
        pg.commit()


def touch_known(pg, token: str, report: Report) -> int | None:
    """Record the visit of an unchanged report in one statement; return the host id, or None.

    ``pg`` is a psycopg connection in autocommit mode whose commits do not wait for the WAL
    flush (see :mod:`inventory_server.reports.fast`): a crash may lose only this visit. Only
    for delta reports carrying digests alone, without collection errors (a full report, or one
    with data, takes the general path): the statement finds the host by its token, checks the
    identity and the stored digests of every section as :func:`unchanged` does, and updates the
    visit. None means anything else (no such token, a change): the caller takes the general
    path, which authenticates again. Raises ReportInvalid like :func:`ingest`.
    """
    if report.kind != "delta" or report.errors or not token.startswith(HOST_TOKEN_PREFIX):
        return None
    validate(report)
    # Agents send a section's data only when it changed: then there is something to store.
    if carries_data(report):
        return None
    ident = report.host
    row = pg.execute(
        _TOUCH_KNOWN,
        {
            "now": utcnow(),
            "v": report.agent.version,
            "token_hash": token_hash(token),
            "hostname": ident.hostname,
            "fqdn": ident.fqdn or None,
            "machine_id": ident.machine_id or None,
            "dmi_uuid": ident.dmi_uuid or None,
            "serial": ident.serial or None,
            "role": ident.role or None,
            "digests": ",".join(f"{name}:{report.digests[name]}" for name in _SORTED_SECTIONS),
        },
    ).fetchone()
    return row[0] if row else None


_SORTED_SECTIONS = sorted(SECTIONS)
_TOUCH_KNOWN = (
    "UPDATE hosts SET last_seen = %(now)s, report_count = report_count + 1, "
    "agent_version = %(v)s FROM agent_credentials c "
    "WHERE c.token_hash = %(token_hash)s AND c.revoked_at IS NULL AND c.host_id = hosts.id "
    "AND hosts.status = 'active' AND hosts.hostname = %(hostname)s "
    "AND (%(fqdn)s::text IS NULL OR hosts.fqdn = %(fqdn)s) "
    "AND (%(machine_id)s::text IS NULL OR hosts.machine_id = %(machine_id)s) "
    "AND (%(dmi_uuid)s::text IS NULL OR hosts.dmi_uuid = %(dmi_uuid)s) "
    "AND (%(serial)s::text IS NULL OR hosts.serial = %(serial)s) "
    "AND (%(role)s::text IS NULL OR hosts.role = %(role)s) "
    "AND (SELECT string_agg(s.section || ':' || s.digest, ',' ORDER BY s.section COLLATE \"C\") "
    "FROM host_sections s WHERE s.host_id = hosts.id) = %(digests)s "
    "RETURNING hosts.id"
)
_TOUCH = (
    "UPDATE hosts SET last_seen = %(now)s, report_count = report_count + 1, "
    "agent_version = %(v)s WHERE id = %(id)s"
)
_TOUCH_FULL = _TOUCH.replace("WHERE", ", last_full_at = %(now)s WHERE").replace(" ,", ",")


class Ingested(NamedTuple):
    """What ingesting a report did."""

    need_full: list[str]
    """Sections the server needs in full (its stored digest differs from the report's)."""
    changed: set[str]
    """Sections written."""
    sections: dict[str, Any]
    """The host's sections as stored after this report (plain JSON), by name."""
    packages: dict[tuple, tuple[int, Any]] | None = None
    """When the report wrote the software section: identity (title id, source, arch) →
    (package id, reported package) of every package stored."""


def ingest(db: Session, *, host: Host, report: Report) -> Ingested:
    """Store ``report`` for ``host``, whose row the caller has locked and read (``lock_host``).

    The caller commits.
    """
    validate(report)
    with db.no_autoflush:  # the host row is written once, at commit, not after every statement
        return _ingest(db, host, report)


def _ingest(db: Session, host: Host, report: Report) -> Ingested:
    if db.get_bind().dialect.name != "postgresql":
        return _apply_report(db, host, report)
    # The rows the report adds to the host's tables go in together at the end, in one statement.
    db.info[_LATER] = later = []
    try:
        done = _apply_report(db, host, report)
    finally:
        db.info.pop(_LATER, None)
    # The host row's new values go with them, not in a flush of their own at commit.
    host_update = pg_pending_update(host)
    if host_update is not None:
        later.append(host_update)
    pg_insert_together(db.connection(), later)
    return done


_LATER = "kiemke.ingest.later"
"""Key of ``Session.info`` under which ``_ingest`` gathers the statements of :func:`_insert`."""


def _insert(db: Session, table, rows: list[dict]) -> None:
    """Insert ``rows`` into ``table``: at once, or with the report's other rows (PostgreSQL)."""
    if _LATER not in db.info:
        db.connection().execute(insert(table), rows)
        return
    json_columns = _json_columns(table)
    if json_columns:  # as text, which the statement casts back
        rows = [{**row, **{c: json_text(row[c]) for c in json_columns}} for row in rows]
    _write(db, pg_unnest_statement(db.get_bind().dialect, table, rows))


def _write(db: Session, statement: tuple[str, tuple]) -> None:
    """Run ``statement`` (SQL, parameters) on PostgreSQL, or keep it for the report's joint one."""
    later = db.info.get(_LATER)
    if later is None:
        db.connection().exec_driver_sql(*statement)
    else:
        later.append(statement)


@functools.cache
def _json_columns(table) -> tuple[str, ...]:
    return tuple(c.key for c in table.columns if isinstance(c.type, JSON))


def _apply_report(db: Session, host: Host, report: Report) -> Ingested:
    now = utcnow()
    # Sections are only ever written with a report, which counts itself on the host's row in
    # the same transaction: a row that counts none (as locked, so as the last report to commit
    # left it) has no sections to read.
    stored = (
        {
            row.section: row
            for row in db.scalars(select(HostSection).where(HostSection.host_id == host.id))
        }
        if host.report_count
        else {}
    )
    failed = {e.section for e in report.errors}
    need_full: list[str] = []
    changed: set[str] = set()
    sections = {name: row.data for name, row in stored.items()}
    packages = None
    new_rows: list[dict] = []  # sections stored for the first time, inserted together
    for name in SECTIONS:
        value = getattr(report, name)
        digest = report.digests.get(name)
        row = stored.get(name)
        if value is None:
            if row is None or row.digest != digest:
                need_full.append(name)
            continue
        if name in failed:
            continue  # keep the last good data; the stored digest differs, so it will be resent
        if row is not None and digest and row.digest == digest:
            continue
        digest = digest or _digest(value)
        if name == "software":
            data, packages = _apply_software(db, host, value, first=row is None, now=now)
        else:
            data = APPLY[name](db, host, value, first=row is None, now=now)
        if row is None:
            new_rows.append(
                {
                    "host_id": host.id,
                    "section": name,
                    "digest": digest,
                    "data": data,
                    "updated_at": now,
                }
            )
        else:
            if name == "security":
                _posture_events(db, host, row.data, data, now)
            row.digest, row.data, row.updated_at = digest, data, now
        sections[name] = data
        changed.add(name)
    if new_rows:
        _insert(db, HostSection.__table__, new_rows)
    _identity(db, host, report, now)
    host.last_seen = now
    host.report_count += 1
    host.agent_version = report.agent.version
    if report.kind == "full":
        host.last_full_at = now
    return Ingested(need_full, changed, sections, packages)


def _digest(value) -> str:
    from agent.schema import section_digest

    return section_digest(value)


def _builtins(value) -> dict[str, Any]:
    return msgspec.to_builtins(value)


def _identity(db: Session, host: Host, report: Report, now) -> None:
    ident = report.host
    if ident.hostname and ident.hostname != host.hostname:
        db.add(
            HostEvent(
                host_id=host.id, at=now, kind="renamed", before=host.hostname, after=ident.hostname
            )
        )
        host.hostname = ident.hostname
    host.fqdn = ident.fqdn or host.fqdn
    host.machine_id = ident.machine_id or host.machine_id
    host.dmi_uuid = ident.dmi_uuid or host.dmi_uuid
    host.serial = ident.serial or host.serial
    if ident.role:
        host.role = ident.role


# --- per-section appliers ---------------------------------------------------------------------


def _apply_os(db: Session, host: Host, os_info: OSInfo, *, first: bool, now) -> dict:
    host.os_family = os_info.family
    host.os_name = os_info.name[:255]
    host.os_version = (os_info.version or "")[:64] or None
    host.arch = os_info.arch
    return _builtins(os_info)


def _hw_rows(host_id: int, hw: Hardware) -> list[dict]:
    rows = [
        {
            "host_id": host_id,
            "kind": "cpu",
            "name": "cpu",
            "vendor": hw.cpu.vendor,
            "model": hw.cpu.model,
            "serial": None,
            "size_bytes": None,
            "attrs": {"cores": hw.cpu.cores, "threads": hw.cpu.threads, "sockets": hw.cpu.sockets},
        }
    ]
    if hw.memory:
        for m in hw.memory.modules:
            rows.append(
                {
                    "host_id": host_id,
                    "kind": "memory",
                    "name": m.slot,
                    "vendor": m.manufacturer,
                    "model": m.part_number,
                    "serial": m.serial,
                    "size_bytes": m.size_bytes,
                    "attrs": {"type": m.type, "speed_mts": m.speed_mts},
                }
            )
    for d in hw.disks:
        rows.append(
            {
                "host_id": host_id,
                "kind": "disk",
                "name": d.name,
                "vendor": d.vendor,
                "model": d.model,
                "serial": d.serial,
                "size_bytes": d.size_bytes,
                "attrs": {
                    "rotational": d.rotational,
                    "transport": d.transport,
                    "removable": d.removable,
                },
            }
        )
    for m in hw.monitors:
        rows.append(
            {
                "host_id": host_id,
                "kind": "monitor",
                "name": None,
                "vendor": m.vendor,
                "model": m.model,
                "serial": m.serial,
                "size_bytes": None,
                "attrs": None,
            }
        )
    for b in hw.batteries:
        rows.append(
            {
                "host_id": host_id,
                "kind": "battery",
                "name": b.name,
                "vendor": b.manufacturer,
                "model": b.model,
                "serial": b.serial,
                "size_bytes": None,
                "attrs": None,
            }
        )
    return rows


def _component_label(row) -> str:
    parts = [row["kind"], row["name"] or "", row["model"] or "", row["serial"] or ""]
    if row["size_bytes"]:
        parts.append(f"{row['size_bytes'] // (1024 * 1024)} MiB")
    return " ".join(p for p in parts if p)[:512]


def _apply_hardware(db: Session, host: Host, hw: Hardware, *, first: bool, now) -> dict:
    conn = db.connection()
    hc = HardwareComponent
    old = (
        []
        if first
        else [
            r._asdict()
            for r in conn.execute(
                select(hc.kind, hc.name, hc.model, hc.serial, hc.size_bytes).where(
                    hc.host_id == host.id
                )
            )
        ]
    )
    new = _hw_rows(host.id, hw)
    if not first:  # rows are written and removed with their section: none without it
        conn.execute(delete(hc).where(hc.host_id == host.id))
    if new:
        _insert(db, hc.__table__, new)
    if not first:
        before = {_component_label(r) for r in old}
        after = {_component_label(r) for r in new}
        events = [
            {"host_id": host.id, "at": now, "kind": "hardware_removed", "subject": label}
            for label in sorted(before - after)
        ] + [
            {"host_id": host.id, "at": now, "kind": "hardware_added", "subject": label}
            for label in sorted(after - before)
        ]
        old_mem = host.memory_bytes
        new_mem = hw.memory.total_bytes if hw.memory else None
        if old_mem and new_mem and abs(old_mem - new_mem) > 64 * 1024 * 1024:
            events.append(
                {
                    "host_id": host.id,
                    "at": now,
                    "kind": "hardware_changed",
                    "subject": "memory",
                    "before": str(old_mem),
                    "after": str(new_mem),
                }
            )
        if host.serial and hw.system.serial and host.serial != hw.system.serial:
            events.append(
                {
                    "host_id": host.id,
                    "at": now,
                    "kind": "hardware_changed",
                    "subject": "serial",
                    "before": host.serial,
                    "after": hw.system.serial,
                }
            )
        if events:
            _insert_rows(db, HostEvent, events)
    s = hw.system
    host.vendor = (s.vendor or "")[:255] or None
    host.model = (s.model or "")[:255] or None
    host.cpu_model = (hw.cpu.model or "")[:255] or None
    host.cpu_threads = hw.cpu.threads
    host.memory_bytes = hw.memory.total_bytes if hw.memory else None
    host.disk_bytes = sum(d.size_bytes or 0 for d in hw.disks if not d.removable) or None
    return _builtins(hw)


def _apply_network(db: Session, host: Host, net: Network, *, first: bool, now) -> dict:
    conn = db.connection()
    if not first:  # rows are written and removed with their section: none without it
        conn.execute(delete(NetworkInterface).where(NetworkInterface.host_id == host.id))
        conn.execute(delete(HostAddress).where(HostAddress.host_id == host.id))
    ifaces, addrs = [], []
    for i in net.interfaces:
        ifaces.append(
            {
                "host_id": host.id,
                "name": i.name[:128],
                "mac": i.mac,
                "ipv4": i.ipv4,
                "ipv6": i.ipv6,
                "up": i.up,
                "virtual": i.virtual,
            }
        )
        if i.name == "lo" or i.name.startswith("Loopback"):
            continue
        for a in (*i.ipv4, *i.ipv6):
            addrs.append(
                {"host_id": host.id, "address": a.split("/")[0][:64], "interface": i.name[:128]}
            )
    if ifaces:
        _insert(db, NetworkInterface.__table__, ifaces)
    if addrs:
        _insert(db, HostAddress.__table__, addrs)
    return _builtins(net)


def _chunks(items: list, size: int = _CHUNK) -> Iterable[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


_CACHE_LIMIT = 400_000


class _CatalogueCache:
    """Ids of titles and package versions already committed, per database, in this process.

    Catalogue rows are never deleted or re-keyed, so an id once seen committed stays right; the
    cache saves looking up the 1,000–3,000 names of every full report.
    """

    def __init__(self):
        self.titles: dict[str, int] = {}
        self.packages: dict[str, int] = {}
        self.reported: dict[str, tuple[int, tuple]] = {}
        """A package as reported (its key from :func:`_choose`) →
        (package id, (title id, source, arch))."""

        self.title_keys: dict[int, str] = {}
        """Title id → name key: ``titles`` the other way round."""

    def remember(self, table: dict, found: dict) -> None:
        if len(table) + len(found) > _CACHE_LIMIT:
            table.clear()
            if table is self.titles:
                self.title_keys.clear()
        table.update(found)
        if table is self.titles:
            self.title_keys.update((tid, key) for key, tid in found.items())


_caches: "weakref.WeakKeyDictionary[Any, _CatalogueCache]" = weakref.WeakKeyDictionary()


def _cache(db: Session) -> _CatalogueCache:
    engine = db.get_bind()
    cache = _caches.get(engine)
    if cache is None:
        cache = _caches[engine] = _CatalogueCache()
    return cache


def title_keys(db: Session) -> dict[int, str]:
    """Return title id → name key of the titles this process knows committed (not all)."""
    return _cache(db).title_keys


def _lookup(db: Session, column, keys: list[str]) -> dict[str, int]:
    ids: dict[str, int] = {}
    conn = db.connection()
    table = column.class_
    for chunk in _chunks(keys):
        ids.update(conn.execute(select(column, table.id).where(column.in_(chunk))).all())
    return ids


class _Creating:
    """The short transaction of one report's new catalogue rows, on PostgreSQL.

    Titles and package versions are found or created in it, one statement for each, on a
    connection of the no-wait pool (:func:`~inventory_server.db.nowait_engine`), and committed
    at once, not with the report: a report adding an entry does not hold back others until it
    commits, and the ids can be cached. Not waiting for this commit to reach the disk is safe:
    the report that uses these rows commits later in the same write-ahead log, which takes them
    along. The ids go to the process's cache only once the transaction has committed; if it
    fails, nothing of it is kept.
    """

    def __init__(self, db: Session):
        self.db = db
        self.dialect = db.get_bind().dialect
        self.found: list[tuple[dict, dict]] = []
        self.raw = self.pg = self.tx = None

    def __enter__(self) -> "_Creating":
        self.raw = nowait_engine(self.db.get_bind()).raw_connection()
        try:
            self.pg = self.raw.driver_connection
            self.tx = self.pg.transaction()
            self.tx.__enter__()
        except BaseException:
            self._drop()
            raise
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            self.tx.__exit__(exc_type, exc, tb)  # commits, or rolls back on an error
        except BaseException:
            self._drop()
            raise
        if isinstance(exc, psycopg.OperationalError):
            self._drop()
            return
        self.raw.close()
        if exc_type is None:
            cache = _cache(self.db)
            for table, found in self.found:
                cache.remember(table, found)

    def _drop(self) -> None:
        """Close the connection for good (the pool does not check it before reuse)."""
        self.raw.invalidate()
        self.raw.close()

    def get_or_insert(self, model, column, rows: list[dict]) -> dict[str, int]:
        return pg_get_or_insert(self.pg, self.dialect, model.__table__, column.key, rows)


def _ensure(
    db: Session,
    model,
    column,
    cached: dict,
    rows: dict[str, dict],
    creating: _Creating | None,
) -> dict:
    """Return key → id for every key of ``rows``, creating the missing catalogue rows.

    ``rows`` maps each key to the row to insert when it is missing. On PostgreSQL the rows are
    found or created in ``creating``'s own transaction, and the ids are cached once it commits.
    On SQLite new rows join the report's transaction, so only ids found committed are cached
    (new ones are, once a later report finds them).
    """
    ids = {k: cached[k] for k in rows if k in cached}
    todo = [k for k in rows if k not in ids]
    if not todo:
        return ids
    if creating is not None:
        found = creating.get_or_insert(model, column, [rows[k] for k in todo])
        ids.update(found)
        creating.found.append((cached, found))
        return ids
    found = _lookup(db, column, todo)
    ids.update(found)
    missing = sorted(k for k in todo if k not in found)
    if missing:
        ins = sqlite.insert(model).on_conflict_do_nothing(index_elements=[column.key])
        conn = db.connection()
        for chunk in _chunks([rows[k] for k in missing]):
            conn.execute(ins, chunk)
        ids.update(_lookup(db, column, missing))
    _cache(db).remember(cached, found)
    return ids


def _title_ids(db: Session, packages: dict[str, Any], creating: _Creating | None) -> dict[str, int]:
    """Return name_key → title id, creating missing titles (safe under concurrency)."""
    now = utcnow()
    rows = {
        k: {
            "name_key": k,
            "name": p.name[:512],
            "publisher": (p.publisher or "")[:512] or None,
            "created_at": now,
            "licence_class": "unknown",
        }
        for k, p in packages.items()
    }
    return _ensure(db, SoftwareTitle, SoftwareTitle.name_key, _cache(db).titles, rows, creating)


def _package_rows(title_ids: dict[str, int], incoming: dict[str, Any]) -> dict[str, tuple]:
    """Return reported key → (package key, row to insert when missing)."""
    out = {}
    for raw, p in incoming.items():
        tid = title_ids[name_key(p.name)]
        version = (p.version or "")[:256] or None
        section = (p.section or "")[:128] or None
        origin = (p.origin or "")[:128] or None
        scope = (p.scope or "")[:16] or None
        arch = (p.arch or "")[:32]
        key = package_key(tid, version, arch, p.source, section, origin, scope)
        out[raw] = (
            key,
            {
                "key": key,
                "title_id": tid,
                "version": version,
                "arch": arch,
                "source": p.source,
                "section": section,
                "origin": origin,
                "scope": scope,
            },
        )
    return out


def _resolve(db: Session, missed: dict[str, Any]) -> dict[str, tuple[int, tuple]]:
    """Return reported key → (package id, identity) for packages not in the cache."""
    by_name: dict[str, Any] = {}
    for p in missed.values():
        by_name.setdefault(name_key(p.name), p)
    cache = _cache(db)
    if db.get_bind().dialect.name != "postgresql":
        keyed, package_ids = _create(db, by_name, missed, None)
    else:
        # A pooled connection is not checked before use: one the server dropped (a restart of
        # PostgreSQL) fails at once and is discarded, and the rows are made on a fresh one.
        try:
            with _Creating(db) as creating:
                keyed, package_ids = _create(db, by_name, missed, creating)
        except psycopg.OperationalError:
            with _Creating(db) as creating:
                keyed, package_ids = _create(db, by_name, missed, creating)
    out = {}
    for raw, (key, row) in keyed.items():
        out[raw] = (package_ids[key], (row["title_id"], row["source"], row["arch"]))
    found = {raw: v for raw, v in out.items() if keyed[raw][0] in cache.packages}
    cache.remember(cache.reported, found)  # committed rows only
    return out


def _create(db: Session, by_name: dict, missed: dict, creating: _Creating | None) -> tuple:
    title_ids = _title_ids(db, by_name, creating)
    keyed = _package_rows(title_ids, missed)
    rows = dict(keyed.values())
    return keyed, _ensure(
        db, SoftwarePackage, SoftwarePackage.key, _cache(db).packages, rows, creating
    )


def _apply_software(db: Session, host: Host, sw: Software, *, first: bool, now) -> tuple:
    """Store the host's packages; return the section's data and the packages stored.

    Not in ``APPLY``: the packages stored are handed on (``Ingested.packages``) as well.
    """
    chosen = _choose(db, sw.packages)
    in_order = sorted(chosen.values(), key=_first)
    conn = db.connection()
    pg = conn.dialect.name == "postgresql"
    old = None
    if not first:
        old = conn.execute(
            select(HostSoftware.package_ids).where(HostSoftware.host_id == host.id)
        ).first()
    # With no software section stored there are no rows (they are written and removed with their
    # section): no read first. An upsert all the same, in case a row was left without it.
    if pg:
        # Arrays as their text form, cast by the database: binding 1,000-3,000 integers one by
        # one costs the driver more than the whole INSERT costs PostgreSQL.
        ids = "{" + ",".join([str(pid) for pid, _p in in_order]) + "}"
        dates = "{" + ",".join(_install_dates(in_order, _epoch_text)) + "}"
        _write(db, (_PG_UPSERT_SOFTWARE, (host.id, ids, dates, now)))
    else:
        values = {
            "package_ids": [pid for pid, _p in in_order],
            "install_dates": _install_dates(in_order, _epoch),
            "updated_at": now,
        }
        stmt = sqlite.insert(HostSoftware.__table__).values(host_id=host.id, **values)
        conn.execute(stmt.on_conflict_do_update(index_elements=["host_id"], set_=values))
    if old is not None:
        _software_events(db, host, old.package_ids or [], chosen, now)
    host.software_count = len(chosen)
    return {"count": len(chosen), "licenses": [_builtins(x) for x in sw.licenses]}, chosen


def _choose(db: Session, packages: list) -> dict[tuple, tuple[int, Any]]:
    """Return identity (title id, source, arch) → (package id, package), the first reported wins.

    One pass over the report, the packages in this process's cache taken at once (nearly all,
    once the catalogue is warm); the few others are looked up or created after it.

    A package is known by one string of its name, version, architecture, source, section,
    origin and scope, joined by U+0000, which no field holds (``validation.decode`` refuses it):
    one object to compare in the cache, not seven. A missing field and an empty one are the
    same there, as they are in the catalogue (:func:`_package_rows`).
    """
    get = _cache(db).reported.get
    chosen: dict[tuple, tuple[int, Any]] = {}
    missed: dict[str, Any] = {}
    keys = []
    add = keys.append
    keep = chosen.setdefault  # the first of an identity stays; its tuple key is hashed once
    for p in packages:
        raw = (
            f"{p.name}\0{p.version or ''}\0{p.arch or ''}\0{p.source}\0{p.section or ''}"
            f"\0{p.origin or ''}\0{p.scope or ''}"
        )
        add(raw)
        hit = get(raw)
        if hit is None:
            if raw not in missed:
                missed[raw] = p
        else:
            keep(hit[1], (hit[0], p))
    if not missed:
        return chosen
    resolved = _resolve(db, missed)
    late = {}
    for raw, p in missed.items():  # in report order
        pid, ident = resolved[raw]
        if ident in chosen:
            # A package reported earlier may have the same identity as one found in the cache:
            # the first in report order wins, so go over the report again (rare).
            return _choose_in_order(db, packages, keys, resolved, get)
        if ident not in late:
            late[ident] = (pid, p)
    chosen.update(late)
    return chosen


def _choose_in_order(
    db: Session, packages: list, keys: list[str], resolved: dict, get
) -> dict[tuple, tuple[int, Any]]:
    chosen: dict[tuple, tuple[int, Any]] = {}
    for raw, p in zip(keys, packages, strict=True):
        # The cache may have been emptied (past its limit) since the first pass.
        pid, ident = resolved.get(raw) or get(raw) or _resolve(db, {raw: p})[raw]
        if ident not in chosen:
            chosen[ident] = (pid, p)
    return chosen


_UNSEEN = object()
_first = operator.itemgetter(0)


def _epoch(when) -> int | None:
    if when is None:
        return None
    return int((when if when.tzinfo else when.replace(tzinfo=dt.UTC)).timestamp())


def _epoch_text(when) -> str:
    """``_epoch`` as an element of a PostgreSQL array literal."""
    seconds = _epoch(when)
    return "NULL" if seconds is None else str(seconds)


def _install_dates(in_order: list, convert) -> list:
    """Return ``convert(install date)`` of each (package id, package) of ``in_order``.

    Packages installed together share their date: a date equal to the one before it is not
    converted again. Comparing two dates costs less than hashing one (an aware datetime's hash
    works out its offset), so this beats a table of the dates converted whether they repeat or
    not.
    """
    out = []
    add = out.append
    last = value = _UNSEEN
    for _pid, p in in_order:
        when = p.install_date
        if when != last:  # the first always differs: _UNSEEN equals nothing
            last, value = when, convert(when)
        add(value)
    return out


_PG_UPSERT_SOFTWARE = (
    "INSERT INTO host_software (host_id, package_ids, install_dates, updated_at) "
    "VALUES (%s, %s::integer[], %s::bigint[], %s) "
    "ON CONFLICT (host_id) DO UPDATE SET package_ids = excluded.package_ids, "
    "install_dates = excluded.install_dates, updated_at = excluded.updated_at"
)


def _software_events(db, host, old_ids: list[int], chosen: dict, now) -> None:
    """Record software installed, upgraded and removed since the host's last software section."""
    new_ids = {pid for pid, _p in chosen.values()}
    gone = [i for i in old_ids if i not in new_ids]
    old_by_ident: dict[tuple, Any] = {}
    if gone:
        conn = db.connection()
        for chunk in _chunks(gone):
            for row in conn.execute(
                select(
                    SoftwarePackage.title_id,
                    SoftwarePackage.source,
                    SoftwarePackage.arch,
                    SoftwarePackage.version,
                    SoftwareTitle.name,
                )
                .join(SoftwareTitle, SoftwareTitle.id == SoftwarePackage.title_id)
                .where(SoftwarePackage.id.in_(chunk))
            ):
                old_by_ident[(row.title_id, row.source, row.arch)] = row
    old_set = set(old_ids)
    events = []
    for ident, (pid, p) in chosen.items():
        if pid in old_set:
            continue
        before = old_by_ident.get(ident)
        if before is None:
            events.append(
                {
                    "host_id": host.id,
                    "at": now,
                    "kind": "software_installed",
                    "subject": p.name[:512],
                    "after": p.version,
                }
            )
        elif before.version != ((p.version or "")[:256] or None):
            events.append(
                {
                    "host_id": host.id,
                    "at": now,
                    "kind": "software_upgraded",
                    "subject": p.name[:512],
                    "before": before.version,
                    "after": p.version,
                }
            )
    events.extend(
        {
            "host_id": host.id,
            "at": now,
            "kind": "software_removed",
            "subject": row.name[:512],
            "before": row.version,
        }
        for ident, row in old_by_ident.items()
        if ident not in chosen
    )
    _insert_rows(db, HostEvent, events)


def _insert_rows(db: Session, model, rows: list[dict]) -> None:
    """Insert plain rows (no JSON columns): COPY on PostgreSQL, executemany elsewhere."""
    if not rows:
        return
    columns = list(rows[0])
    for r in rows:
        if len(r) != len(columns):  # rows of one batch may omit different optional keys
            columns = list(dict.fromkeys(k for r in rows for k in r))
            break
    conn = db.connection()
    if conn.dialect.name != "postgresql":
        full = [{c: r.get(c) for c in columns} for r in rows]
        for chunk in _chunks(full, 1000):
            conn.execute(insert(model.__table__), chunk)
        return
    cursor = conn.connection.driver_connection.cursor()
    names = ", ".join(columns)
    with cursor.copy(f"COPY {model.__tablename__} ({names}) FROM STDIN") as copy:
        copy.write(_copy_buffer(rows, columns))
    cursor.close()


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_FIELD, _ROW, _NULL = "\x00", "\x01", "\x02"  # placeholders, replaced after escaping


def _copy_buffer(rows: list[dict], columns: list[str]) -> bytes:
    """Return ``rows`` in PostgreSQL's COPY text format.

    Fields are joined with placeholder characters and the whole buffer is escaped at once, which
    is several times cheaper than escaping field by field; data holding a placeholder character
    takes the field-by-field way.
    """
    conv = _copy_field
    text = _ROW.join(_FIELD.join([conv(r.get(c)) for c in columns]) for r in rows)
    nulls = sum(1 for r in rows for c in columns if r.get(c) is None)
    if (
        text.count(_FIELD) == len(rows) * (len(columns) - 1)
        and text.count(_ROW) == len(rows) - 1
        and text.count(_NULL) == nulls
    ):
        text = text.translate(_COPY_ESCAPES)
        text = text.replace(_FIELD, "\t").replace(_ROW, "\n").replace(_NULL, "\\N")
    else:
        text = "\n".join("\t".join([_copy_text(r.get(c)) for c in columns]) for r in rows)
    return (text + "\n").encode("utf-8")


def _copy_field(value) -> str:
    if value is None:
        return _NULL
    if type(value) is str:
        return value
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return str(value)


def _copy_text(value) -> str:
    """Return ``value`` as one escaped field of PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    return _copy_field(value).translate(_COPY_ESCAPES)


def _apply_security(db: Session, host: Host, security, *, first: bool, now) -> dict:
    data = _builtins(security)
    host.av_state = antivirus_state(data)  # counted by the dashboard without reading sections
    return data


def _flatten(prefix: str, value, out: dict) -> dict:
    if isinstance(value, dict):
        for k, v in value.items():
            _flatten(f"{prefix}.{k}" if prefix else k, v, out)
    elif not isinstance(value, list):
        out[prefix] = value
    return out


def _posture_events(db: Session, host: Host, before: dict, after: dict, now) -> None:
    old, new = _flatten("", before, {}), _flatten("", after, {})
    skip = ("signature_age_days", "signature_version", "signature_date", "last_update", "pending")
    events = []
    for path in sorted(set(old) | set(new)):
        if path.endswith(skip) or old.get(path) == new.get(path):
            continue
        events.append(
            {
                "host_id": host.id,
                "at": now,
                "kind": "posture_changed",
                "subject": f"security.{path}"[:512],
                "before": None if old.get(path) is None else str(old.get(path))[:512],
                "after": None if new.get(path) is None else str(new.get(path))[:512],
            }
        )
        if len(events) >= MAX_POSTURE_EVENTS:
            break
    if events:
        _insert_rows(db, HostEvent, events)


APPLY = {
    "os": _apply_os,
    "hardware": _apply_hardware,
    "network": _apply_network,
    "security": _apply_security,
}
"""Section → applier returning the section's stored data (software: ``_apply_software``)."""
