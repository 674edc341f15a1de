"""Ingest a report: store changed sections, normalise software and hardware, record history.

A section is applied only when its digest differs from the stored one. A section whose collector
failed (named in ``errors``) is not applied, so the last good data is kept and the next delta
asks for it in full. Everything happens in one transaction: after an error nothing is written
(except, on PostgreSQL, new software titles: catalogue entries committed on their own).
"""

import datetime as dt
from collections.abc import Iterable
from typing import Any, NamedTuple

import msgspec
from sqlalchemy import ARRAY, String, any_, bindparam, delete, func, insert, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from agent.schema import SECTIONS, Hardware, Network, OSInfo, Report, Software
from inventory_server.db import utcnow
from inventory_server.models import (
    AgentCredential,
    HardwareComponent,
    Host,
    HostAddress,
    HostEvent,
    HostSection,
    NetworkInterface,
    SoftwareInstall,
    SoftwareTitle,
)
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
    .where(
        AgentCredential.token_hash == bindparam("token_hash"),
        AgentCredential.revoked_at.is_(None),
        Host.status == "active",
    )
)


def find_host(conn: Connection | Session, token: str) -> HostRow | None:
    """Return the active host owning ``token`` with its section digests, in one query."""
    if not token.startswith(HOST_TOKEN_PREFIX):
        return None
    row = conn.execute(_FIND_HOST, {"token_hash": token_hash(token)}).first()
    return HostRow(*row) if row is not None else None


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


_TOUCH = (
    "UPDATE hosts SET last_seen = %(now)s, report_count = report_count + 1, "
    "agent_version = %(v)s WHERE id = %(id)s"
)
_TOUCH_FULL = _TOUCH.replace("WHERE", ", last_full_at = %(now)s WHERE").replace(" ,", ",")


def ingest(db: Session, *, host: Host, report: Report) -> tuple[list[str], set[str]]:
    """Store ``report`` for ``host``; return (sections needed in full, sections changed).

    The caller commits.
    """
    validate(report)
    with db.no_autoflush:  # the host row is written once, at commit, not after every statement
        return _ingest(db, host, report)


def _ingest(db: Session, host: Host, report: Report) -> tuple[list[str], set[str]]:
    now = utcnow()
    stored = {
        row.section: row
        for row in db.scalars(select(HostSection).where(HostSection.host_id == host.id))
    }
    failed = {e.section for e in report.errors}
    need_full: list[str] = []
    changed: set[str] = set()
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
        data = APPLY[name](db, host, value, first=row is None, now=now)
        if row is None:
            db.add(
                HostSection(host_id=host.id, section=name, digest=digest, data=data, updated_at=now)
            )
        else:
            if name == "security":
                _posture_events(db, host, row.data, data, now)
            row.digest, row.data, row.updated_at = digest, data, now
        changed.add(name)
    _identity(db, host, report, now)
    host.last_seen = now
    host.report_count += 1
    host.agent_version = report.agent.version
    if report.kind == "full":
        host.last_full_at = now
    return need_full, changed


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
    conn.execute(delete(hc).where(hc.host_id == host.id))
    if new:
        conn.execute(insert(hc.__table__), new)
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
        conn.execute(insert(NetworkInterface.__table__), ifaces)
    if addrs:
        conn.execute(insert(HostAddress.__table__), addrs)
    return _builtins(net)


def _name_key(name: str) -> str:
    return " ".join(name.split()).lower()[:512]


def _chunks(items: list, size: int = _CHUNK) -> Iterable[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


_TITLES_ANY = select(SoftwareTitle.name_key, SoftwareTitle.id).where(
    SoftwareTitle.name_key == any_(bindparam("keys", type_=ARRAY(String)))
)


def _lookup_titles(db: Session, keys: list[str]) -> dict[str, int]:
    conn = db.connection()
    if conn.dialect.name == "postgresql":
        # One statement with an array parameter instead of hundreds of IN parameters.
        return dict(conn.execute(_TITLES_ANY, {"keys": keys}).all())
    ids: dict[str, int] = {}
    for chunk in _chunks(keys):
        stmt = select(SoftwareTitle.name_key, SoftwareTitle.id)
        ids.update(conn.execute(stmt.where(SoftwareTitle.name_key.in_(chunk))).all())
    return ids


def _title_ids(db: Session, packages: dict[str, Any]) -> dict[str, int]:
    """Return name_key → title id, creating missing titles (safe under concurrency)."""
    keys = list(packages)
    ids = _lookup_titles(db, keys)
    # Sorted, so that two reports adding the same new titles lock them in the same order.
    missing = sorted(k for k in keys if k not in ids)
    if missing:
        dialect = db.get_bind().dialect.name
        ins = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(SoftwareTitle)
        ins = ins.on_conflict_do_nothing(index_elements=["name_key"])
        rows = [
            {
                "name_key": k,
                "name": packages[k].name[:512],
                "publisher": (packages[k].publisher or "")[:512] or None,
                "created_at": utcnow(),
                "licence_class": "unknown",
            }
            for k in missing
        ]
        if dialect == "postgresql":
            # Catalogue entries are committed at once in their own short transaction, so a
            # report adding a new title does not hold others back until it commits; a title
            # left unused by a failed report is harmless.
            with db.get_bind().connect() as own:
                for chunk in _chunks(rows):
                    own.execute(ins, chunk)
                own.commit()
        else:
            conn = db.connection()
            for chunk in _chunks(rows):
                conn.execute(ins, chunk)
        ids.update(_lookup_titles(db, missing))
    return ids


def _apply_software(db: Session, host: Host, sw: Software, *, first: bool, now) -> dict:
    incoming: dict[tuple, Any] = {}
    by_name: dict[str, Any] = {}
    for p in sw.packages:
        key = _name_key(p.name)
        by_name.setdefault(key, p)
        incoming.setdefault((key, p.source, p.arch or ""), p)
    title_ids = _title_ids(db, by_name)
    existing = {
        (r.title_id, r.source, r.arch): r
        for r in db.connection().execute(
            select(
                SoftwareInstall.id,
                SoftwareInstall.title_id,
                SoftwareInstall.source,
                SoftwareInstall.arch,
                SoftwareInstall.version,
                SoftwareInstall.install_date,
                SoftwareInstall.section,
            ).where(SoftwareInstall.host_id == host.id)
        )
    }
    names = {tid: by_name[k].name for k, tid in title_ids.items()}
    inserts, updates, events = [], [], []
    seen = set()
    for (key, source, arch), p in incoming.items():
        tid = title_ids[key]
        ident = (tid, source, arch)
        seen.add(ident)
        old = existing.get(ident)
        install_date = p.install_date
        if old is None:
            inserts.append(
                {
                    "host_id": host.id,
                    "title_id": tid,
                    "version": (p.version or "")[:256] or None,
                    "arch": arch,
                    "source": source,
                    "install_date": install_date,
                    "section": p.section,
                    "origin": p.origin,
                    "scope": p.scope,
                    "first_seen": now,
                }
            )
            if not first:
                events.append(
                    {
                        "host_id": host.id,
                        "at": now,
                        "kind": "software_installed",
                        "subject": p.name[:512],
                        "after": p.version,
                    }
                )
        elif (
            old.version != p.version
            or old.section != p.section
            or (_naive(old.install_date) != _naive(install_date))
        ):
            updates.append(
                {
                    "id": old.id,
                    "version": p.version,
                    "section": p.section,
                    "install_date": install_date,
                    "origin": p.origin,
                }
            )
            if old.version != p.version:
                events.append(
                    {
                        "host_id": host.id,
                        "at": now,
                        "kind": "software_upgraded",
                        "subject": p.name[:512],
                        "before": old.version,
                        "after": p.version,
                    }
                )
    removed = [r for ident, r in existing.items() if ident not in seen]
    if removed:
        gone_titles = {r.title_id for r in removed} - set(names)
        if gone_titles:
            names.update(
                db.execute(
                    select(SoftwareTitle.id, SoftwareTitle.name).where(
                        SoftwareTitle.id.in_(gone_titles)
                    )
                ).all()
            )
        for chunk in _chunks([r.id for r in removed]):
            db.execute(delete(SoftwareInstall).where(SoftwareInstall.id.in_(chunk)))
        events.extend(
            {
                "host_id": host.id,
                "at": now,
                "kind": "software_removed",
                "subject": names.get(r.title_id, "?")[:512],
                "before": r.version,
            }
            for r in removed
        )
    _insert_rows(db, SoftwareInstall, inserts)
    if updates:
        db.execute(update(SoftwareInstall), updates)
    _insert_rows(db, HostEvent, events)
    host.software_count = len(incoming)
    return {"count": len(incoming), "licenses": [_builtins(x) for x in sw.licenses]}


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


def _naive(value: dt.datetime | None):
    return value.replace(tzinfo=None) if value is not None and value.tzinfo else value


def _apply_security(db: Session, host: Host, security, *, first: bool, now) -> dict:
    return _builtins(security)


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
    "software": _apply_software,
    "security": _apply_security,
}
