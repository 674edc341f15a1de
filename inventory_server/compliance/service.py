"""Compliance services: packs in force, evaluating stored hosts, results with history, jobs.

No Flask here: the API, the CLI, the ingest hook and tests call these functions. Packs in force
are the shipped packs plus the ``*.yml`` files of the site policy directory (``POLICY_DIR``
setting, else ``$KIEMKE_POLICY_DIR``, else ``<DATA_DIR>/policies``); a refused file leaves the
version already in force in place.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
from sqlalchemy import (
    BigInteger,
    Text,
    bindparam,
    case,
    cast,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from inventory_server.compliance import evaluator, facts, loader
from inventory_server.compliance.i18n import _
from inventory_server.db import (
    json_text,
    pg_insert_together,
    pg_int_array_literal,
    pg_unnest_insert,
    pg_unnest_statement,
    utcnow,
)
from inventory_server.models import (
    ComplianceChange,
    ComplianceJob,
    ComplianceResult,
    Host,
    HostSection,
    HostSoftware,
    OrgUnit,
    PolicyPack,
    PolicyParam,
    SoftwareInstall,
    SoftwarePackage,
    SoftwareTitle,
    UnitCheckCount,
)
from inventory_server.models.software import name_key
from inventory_server.reports.ingest import title_keys
from inventory_server.units.services import subtree_heads

log = logging.getLogger(__name__)

BATCH = 500
"""Hosts evaluated per transaction when re-evaluating many."""

_IN_CHUNK = 500


@dataclass
class PackSet:
    """The packs in force, compiled, with the files refused while loading them."""

    packs: dict[str, loader.Pack]
    errors: list[loader.PackError] = field(default_factory=list)
    engine: evaluator.Engine = field(init=False)
    sections: frozenset[str] = field(init=False)
    digest: str = field(init=False)

    software_names: frozenset[str] | None = field(init=False)

    def __post_init__(self):
        self.engine = evaluator.Engine(self.packs.values())
        self.software_names = _software_names(self.packs.values())
        self.sections = frozenset(p.split(".", 1)[0] for p in self.engine.fact_paths) - {"host"}
        joined = "".join(f"{k}:{p.digest}" for k, p in sorted(self.packs.items()))
        self.digest = hashlib.sha256(joined.encode()).hexdigest()

    def check(self, pack_id: str, check_id: str) -> loader.Check | None:
        """Return a check in force, or None."""
        pack = self.packs.get(pack_id)
        if pack is None:
            return None
        try:
            return pack.check(check_id)
        except KeyError:
            return None


def _software_names(packs: Iterable[loader.Pack]) -> frozenset[str] | None:
    """Return the package names the rules can see, or None when a rule needs every name.

    Packs that only test ``software.names contains <literal>`` (or a version by name) need
    those installs alone, which keeps loading stored hosts cheap.
    """
    names: set[str] = set()
    for pack in packs:
        for check in pack.checks:
            for rule in check.rules:
                if not rule.fact.startswith("software."):
                    continue
                if rule.fact in ("software.count", "software.licenses"):
                    continue
                if rule.fact == "software.names" and rule.op == "contains" and rule.param is None:
                    names.add(rule.value)
                elif rule.fact.startswith("software.versions.") and rule.fact.count(".") == 2:
                    names.add(rule.fact.split(".", 2)[2])
                else:
                    return None
    return frozenset(names)


_lock = threading.Lock()
_cache: dict[tuple[str, ...], tuple[tuple, PackSet]] = {}  # directories → (signature, packs)


def policy_dir(settings: dict | None = None) -> Path:
    """Return the site policy directory for these settings."""
    settings = settings or {}
    configured = settings.get("POLICY_DIR") or os.environ.get("KIEMKE_POLICY_DIR")
    if configured:
        return Path(configured)
    return Path(settings.get("DATA_DIR") or "./var") / "policies"


def _signature(dirs: Sequence[Path]) -> tuple:
    """Return what identifies the current contents of the pack directories."""
    sig = []
    for d in dirs:
        if d.is_dir():
            for p in sorted(d.iterdir()):
                if p.suffix in (".yml", ".yaml"):
                    st = p.stat()
                    sig.append((str(p), st.st_mtime_ns, st.st_size))
    return tuple(sig)


def packs_in_force(site_dir: Path | None = None) -> PackSet:
    """Return the packs in force (cached; reloaded when a pack file changes)."""
    dirs = [loader.PACKS_DIR] + ([site_dir] if site_dir is not None else [])
    key = tuple(map(str, dirs))
    sig = _signature(dirs)
    with _lock:
        cached = _cache.get(key)
        if cached is not None and cached[0] == sig:
            return cached[1]
        previous = cached[1].packs if cached is not None else {}
        packs: dict[str, loader.Pack] = {}
        errors: list[loader.PackError] = []
        for d in dirs:
            if not d.is_dir():
                continue
            result = loader.load_directory(d, current=previous)
            errors.extend(result.errors)
            for pid, pack in result.packs.items():
                if pid in packs:
                    reason = _("pack id {id!r} already loaded from {first}").format(
                        id=pid, first=packs[pid].source
                    )
                    errors.append(loader.PackError(pack.source, 1, None, reason))
                    continue
                packs[pid] = pack
        for err in errors:
            log.error("policy pack refused: %s", err)
        pack_set = PackSet(packs, errors)
        _cache[key] = (sig, pack_set)
        return pack_set


# --- facts of stored hosts ----------------------------------------------------------------------


def _chunks(items: Sequence, size: int = _IN_CHUNK) -> Iterable[Sequence]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


@dataclass
class _Units:
    """The org tree, loaded once per evaluation run."""

    code: dict[int, str]
    path: dict[int, str]
    overrides: dict[str, dict[str, dict[str, Any]]]
    params_cache: dict[int | None, dict[str, dict[str, Any]]] = field(default_factory=dict)
    codes_cache: dict[int | None, tuple[str, ...]] = field(default_factory=dict)

    def unit_path(self, unit_id: int | None) -> list[str]:
        """Return the codes of the unit and its ancestors, nearest first."""
        codes = self.codes_cache.get(unit_id)
        if codes is None:
            if unit_id is None or unit_id not in self.path:
                codes = ()
            else:
                ids = [int(x) for x in self.path[unit_id].strip("/").split("/") if x]
                codes = tuple(self.code[i] for i in reversed(ids) if i in self.code)
            self.codes_cache[unit_id] = codes
        return list(codes)


def _load_units(db: Session) -> _Units:
    code, path = {}, {}
    for uid, ucode, upath in db.execute(select(OrgUnit.id, OrgUnit.code, OrgUnit.path)):
        code[uid], path[uid] = ucode, upath
    overrides: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for unit_id, pack_id, params in db.execute(
        select(PolicyParam.unit_id, PolicyParam.pack_id, PolicyParam.params)
    ):
        if unit_id in code:
            overrides[code[unit_id]][pack_id] = params
    return _Units(code, path, dict(overrides))


_unit, _ancestor = aliased(OrgUnit), aliased(OrgUnit)
_UNIT_CHAIN = (
    select(_ancestor.id, _ancestor.code, _ancestor.path, PolicyParam.pack_id, PolicyParam.params)
    .select_from(_unit)
    .join(_ancestor, _unit.path.startswith(_ancestor.path))
    .outerjoin(PolicyParam, PolicyParam.unit_id == _ancestor.id)
    .where(_unit.id == bindparam("unit_id"))
)


def _load_unit_chain(db: Session, unit_id: int | None) -> _Units:
    """Return the part of the org tree one host's evaluation reads: its unit and ancestors."""
    code: dict[int, str] = {}
    path: dict[int, str] = {}
    overrides: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    if unit_id is None:
        return _Units(code, path, {})
    for uid, ucode, upath, pack_id, params in db.connection().execute(
        _UNIT_CHAIN, {"unit_id": unit_id}
    ):
        code[uid], path[uid] = ucode, upath
        if pack_id is not None:
            overrides[ucode][pack_id] = params
    return _Units(code, path, dict(overrides))


_NAME_KEYS: dict[str, str] = {}
"""Package name as reported → title name key (the same few thousand names come again)."""


def _reported_packages(
    stored: dict[tuple, tuple[int, Any]],
    names: frozenset[str] | None,
    title_keys: dict[int, str],
) -> list[dict[str, Any]]:
    """Return the packages a report stored as ``_host_packages`` reads them back (by id).

    ``stored`` is keyed by identity (title id, source, architecture); ``title_keys`` gives the
    name key of the titles it knows (ingest's ``title_keys``), and the others are worked out
    from the name as reported.
    """
    out = []
    keys = _NAME_KEYS
    if len(keys) > 200_000:
        keys.clear()
    for ident, (pid, p) in stored.items():
        key = title_keys.get(ident[0])
        if key is None:
            key = keys.get(p.name)
            if key is None:
                key = keys[p.name] = name_key(p.name)
        if names is None or key in names:
            out.append((pid, {"name": key, "version": (p.version or "")[:256] or None}))
    out.sort(key=_by_id)
    return [item for _pid, item in out]


def _by_id(pair: tuple) -> int:
    return pair[0]


def load_facts(
    db: Session,
    host_ids: Sequence[int],
    sections: frozenset[str] | None = None,
    software_names: frozenset[str] | None = None,
    units: _Units | None = None,
    paths: tuple[str, ...] | None = None,
) -> dict[int, tuple[dict[str, Any], int | None]]:
    """Return {host_id: (facts, unit_id)} for active hosts, from their stored sections.

    ``sections`` limits what is read (the sections the packs use); None reads every section.
    ``software_names`` limits the installs read to those names; None reads them all.
    ``units`` is the org tree when the caller has loaded it already. ``paths`` (the fact paths
    the packs read) limits the defaults filled in to what they can see.
    """
    out: dict[int, tuple[dict[str, Any], int | None]] = {}
    if units is None:
        units = _load_units(db)
    for chunk in _chunks(list(host_ids)):
        hosts = db.execute(
            select(
                Host.id, Host.hostname, Host.fqdn, Host.role, Host.os_family, Host.unit_id
            ).where(Host.id.in_(chunk), Host.status == "active")
        ).all()
        ids = [h.id for h in hosts]
        stored: dict[int, dict[str, Any]] = defaultdict(dict)
        # The JSON as text, decoded here: several times faster than the driver's json.loads.
        stmt = select(HostSection.host_id, HostSection.section, _as_text(HostSection.data)).where(
            HostSection.host_id.in_(ids)
        )
        if sections is not None:
            stmt = stmt.where(HostSection.section.in_(sorted(sections)))
        for host_id, name, data in db.execute(stmt):
            stored[host_id][name] = _decode(data)
        if (sections is None or "software" in sections) and software_names != frozenset():
            packages = _host_packages(db, ids, software_names)
            for host_id in ids:
                if "software" in stored[host_id]:
                    data = stored[host_id]["software"]
                    stored[host_id]["software"] = dict(data, packages=packages.get(host_id, []))
        for h in hosts:
            record = {
                "id": h.id,
                "hostname": h.hostname,
                "fqdn": h.fqdn,
                "role": h.role,
                "platform": h.os_family,
                "unit_code": units.code.get(h.unit_id),
                "unit_path": units.unit_path(h.unit_id),
            }
            out[h.id] = (facts.build_facts(stored.get(h.id, {}), record, paths), h.unit_id)
    return out


_decoder = msgspec.json.Decoder()


def _host_packages(
    db: Session, host_ids: Sequence[int], names: frozenset[str] | None
) -> dict[int, list[dict[str, Any]]]:
    """Return {host_id: [{"name", "version"}]} for the hosts' packages (of ``names`` only).

    With names, their few package versions are read from the catalogue and each host's id array
    is matched against them here, instead of expanding every host's 1,000–3,000 packages.
    """
    packages: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if names is None:
        stmt = (
            select(SoftwareInstall.host_id, SoftwareTitle.name_key, SoftwareInstall.version)
            .join(SoftwareTitle, SoftwareTitle.id == SoftwareInstall.title_id)
            .where(SoftwareInstall.host_id.in_(host_ids))
        )
        for host_id, name, version in db.execute(stmt):
            packages[host_id].append({"name": name, "version": version})
        return packages
    wanted = {
        pid: {"name": name, "version": version}
        for pid, name, version in db.execute(
            select(SoftwarePackage.id, SoftwareTitle.name_key, SoftwarePackage.version)
            .join(SoftwareTitle, SoftwareTitle.id == SoftwarePackage.title_id)
            .where(SoftwareTitle.name_key.in_(sorted(names)))
        )
    }
    if not wanted:
        return packages
    for host_id, ids in db.execute(
        select(HostSoftware.host_id, HostSoftware.package_ids).where(
            HostSoftware.host_id.in_(host_ids)
        )
    ):
        packages[host_id] = [dict(wanted[i]) for i in sorted(wanted.keys() & set(ids or ()))]
    return packages


def _as_text(column):
    """Return a JSON column read as its text (decoded by ``_decode``)."""
    return cast(column, Text)


def _decode(text: str | bytes | None) -> Any:
    """Return the value of JSON text read with ``_as_text`` (None stays None)."""
    return None if text is None else _decoder.decode(text)


def _params_for(pack_set: PackSet, units: _Units, unit_id: int | None) -> dict[str, dict]:
    cached = units.params_cache.get(unit_id)
    if cached is None:
        cached = evaluator.unit_params(
            pack_set.packs.values(), units.unit_path(unit_id), units.overrides
        )
        units.params_cache[unit_id] = cached
    return cached


# --- evaluation and storage -------------------------------------------------------------------


_Stored = tuple[str, Any, int]
"""A stored result: (status, evidence, pack_version); plain tuples, built by the ten thousand."""


_KEEP = object()
"""Stands for stored evidence that was not read (and is not compared)."""


_EXISTING = select(
    ComplianceResult.host_id,
    ComplianceResult.pack_id,
    ComplianceResult.check_id,
    ComplianceResult.status,
    ComplianceResult.pack_version,
    _as_text(ComplianceResult.evidence),
)
_EXISTING_ONE = _EXISTING.where(ComplianceResult.host_id == bindparam("host_id"))


def _existing(
    db: Session, host_ids: Sequence[int], evidence: bool = True
) -> dict[int, dict[tuple[str, str], _Stored]]:
    """Return the stored results of these hosts, by host and (pack, check).

    Without ``evidence`` the stored evidence is not read (decoding it is most of the cost).
    """
    if not evidence:
        return {h: _parse_brief(joined) for h, joined in _existing_brief(db, host_ids).items()}
    out: dict[int, dict[tuple[str, str], _Stored]] = defaultdict(dict)
    conn = db.connection()  # Core rows: no ORM processing of plain columns
    if len(host_ids) == 1:  # one host's report: a statement built once
        batches = [conn.execute(_EXISTING_ONE, {"host_id": next(iter(host_ids))})]
    else:
        batches = (
            conn.execute(_EXISTING.where(ComplianceResult.host_id.in_(chunk)))
            for chunk in _chunks(list(host_ids))
        )
    for rows in batches:
        for row in rows:
            out[row[0]][(row[1], row[2])] = (row[3], _decode(row[5]), row[4])
    return out


_FS, _RS = "\x1f", "\x1e"  # field and record separators: ASCII control characters


def _existing_brief(db: Session, host_ids: Sequence[int]) -> dict[int, str]:
    """Return the stored results of these hosts without their evidence, one string per host.

    One aggregated string per host rather than a row per result: fetching tens of thousands of
    small rows costs more than the database's string building. Each result is
    ``pack_id FS check_id FS status FS pack_version``, results joined by RS in no set order
    (see ``_brief_line`` and ``_parse_brief``).
    """
    out: dict[int, str] = {}
    r = ComplianceResult
    record = r.pack_id + _FS + r.check_id + _FS + r.status + _FS + cast(r.pack_version, Text)
    for chunk in _chunks(list(host_ids)):
        stmt = (
            select(r.host_id, func.aggregate_strings(record, _RS))
            .where(r.host_id.in_(chunk))
            .group_by(r.host_id)
        )
        out.update((host_id, joined) for host_id, joined in db.execute(stmt))
    return out


def _parse_brief(joined: str) -> dict[tuple[str, str], _Stored]:
    """Return the results in a string of ``_existing_brief`` by (pack, check)."""
    stored: dict[tuple[str, str], _Stored] = {}
    for item in joined.split(_RS):
        pack_id, check_id, status, version = item.split(_FS)
        stored[(pack_id, check_id)] = (status, _KEEP, int(version))
    return stored


def _brief_line(pack_set: PackSet, results: Iterable[evaluator.CheckResult]) -> list[str]:
    """Return the ``_existing_brief`` records these results would be stored as, sorted."""
    packs = pack_set.packs
    return sorted(
        f"{r.pack_id}{_FS}{r.check_id}{_FS}{r.status}{_FS}{packs[r.pack_id].version}"
        for r in results
    )


def _unchanged(joined: str | None, records: list[str]) -> bool:
    """Return True when a host's stored results are these records exactly (evidence aside)."""
    if joined is None:
        return False
    if joined == _RS.join(records):  # the database aggregated in key order: the usual case
        return True
    return sorted(joined.split(_RS)) == records


def _executemany(db: Session, stmt, rows: list[dict[str, Any]]) -> None:
    """Run ``stmt`` once per row with the driver's executemany.

    The rows hold values already as the driver takes them (JSON as text, datetimes bound with
    ``_bind_time``): SQLAlchemy's per-row parameter processing is most of the cost of a bulk
    write. A bind named ``k_<column>`` takes the row's ``<column>`` (the key of an UPDATE).
    """
    if not rows:
        return
    conn = db.connection()
    compiled = stmt.compile(dialect=conn.dialect, column_keys=list(rows[0]))
    if compiled.positional:
        order = [k[2:] if k.startswith("k_") else k for k in compiled.positiontup]
        params: list = [tuple([row[k] for k in order]) for row in rows]
    else:
        params = [{f"k_{k}": v for k, v in row.items()} | row for row in rows]
    conn.exec_driver_sql(str(compiled), params)


def _pg_copy_insert(
    db: Session, table, rows: list[dict[str, Any]], upsert: Sequence[str] = ()
) -> None:
    """Insert rows on PostgreSQL: arrays to unnest when few, else COPY into a scratch table.

    Both send the values without binding every row in Python as executemany does. With
    ``upsert``, a row whose result key exists updates those columns instead.
    """
    if not rows:
        return
    conn = db.connection()
    quote = conn.dialect.identifier_preparer.quote
    conflict = _result_conflict(conn.dialect, upsert)
    if len(rows) <= _UNNEST_ROWS:
        # Few rows (one host's results): no scratch table, whose creation costs PostgreSQL more
        # than the rows themselves.
        pg_unnest_insert(conn, table, rows, conflict)
        return
    keys = list(rows[0])
    columns = ", ".join(quote(k) for k in keys)
    name, scratch = quote(table.name), quote(f"scratch_{table.name}")
    # Only names from the table's metadata go into the statements; the values travel by COPY.
    sql = f"INSERT INTO {name} ({columns}) SELECT {columns} FROM {scratch} {conflict}"  # noqa: S608
    with conn.connection.driver_connection.cursor() as cur:
        cur.execute(
            f"CREATE TEMPORARY TABLE {scratch} ON COMMIT DROP AS "  # noqa: S608
            f"SELECT {columns} FROM {name} WITH NO DATA"
        )
        with cur.copy(f"COPY {scratch} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row[k] for k in keys])
        cur.execute(sql)
        cur.execute(f"DROP TABLE {scratch}")


def _result_conflict(dialect, upsert: Sequence[str]) -> str:
    """The ``ON CONFLICT`` clause updating ``upsert`` of a result whose key exists, or ""."""
    if not upsert:
        return ""
    quote = dialect.identifier_preparer.quote
    sets = ", ".join(f"{quote(c)} = EXCLUDED.{quote(c)}" for c in upsert)
    return f"ON CONFLICT ({', '.join(_RESULT_KEY)}) DO UPDATE SET {sets}"


def _bind_time(db: Session, when) -> Any:
    """Return a datetime as the driver takes it for a result's ``since``/``evaluated_at``."""
    dialect = db.get_bind().dialect
    process = ComplianceResult.__table__.c.since.type.dialect_impl(dialect).bind_processor(dialect)
    return process(when) if process is not None else when


_RESULT_KEY = ("host_id", "pack_id", "check_id")
_UNNEST_ROWS = 400
"""Up to this many rows, _pg_copy_insert sends arrays to unnest instead of a scratch table."""


@dataclass
class _Writes:
    """Rows to write for a batch of hosts, flushed with a few bulk statements."""

    inserts: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)
    deletes: list[tuple[int, str, str]] = field(default_factory=list)
    recount: set[int] = field(default_factory=set)
    """Hosts whose results change status, are added or go: their counts on ``hosts``."""
    units: dict[tuple[int, str, str, str], int] = field(default_factory=lambda: defaultdict(int))
    """(unit id, pack, check, status) → what the writes add to ``unit_check_counts``."""
    fresh: bool = True
    """No host written had a stored result: each one's results are the rows inserted, so its
    counts are theirs (nothing to update, delete or count again)."""

    def flush(self, db: Session) -> None:
        """Write everything collected."""
        postgres = db.get_bind().dialect.name == "postgresql"
        if postgres and self.fresh and max(len(self.inserts), len(self.changes)) <= _UNNEST_ROWS:
            self._flush_fresh(db)
            return
        if self.inserts and postgres:
            _pg_copy_insert(db, ComplianceResult.__table__, self.inserts, _UPSERT)
        elif self.inserts:
            ins = sqlite.insert(ComplianceResult.__table__)
            stmt = ins.on_conflict_do_update(
                index_elements=list(_RESULT_KEY), set_={c: ins.excluded[c] for c in _UPSERT}
            )
            _executemany(db, stmt, self.inserts)
        shapes: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
        for row in self.updates:
            shapes[tuple(row)].append(row)
        table = ComplianceResult.__table__
        for keys, rows in shapes.items():
            stmt = (
                update(table)
                .where(*(table.c[k] == bindparam(f"k_{k}") for k in _RESULT_KEY))
                .values({k: bindparam(k) for k in keys if k not in _RESULT_KEY})
            )
            _executemany(db, stmt, rows)
        if postgres:
            _pg_copy_insert(db, ComplianceChange.__table__, self.changes)
        else:
            _executemany(db, insert(ComplianceChange.__table__), self.changes)
        for host_id, pack_id, check_id in self.deletes:
            db.execute(
                delete(ComplianceResult).where(
                    ComplianceResult.host_id == host_id,
                    ComplianceResult.pack_id == pack_id,
                    ComplianceResult.check_id == check_id,
                )
            )
        recount(db, sorted(self.recount))
        add_unit_counts_by_check(db, self.units)

    def _flush_fresh(self, db: Session) -> None:
        """PostgreSQL, hosts without stored results (a new host's first report): the results,
        their history, the hosts' counts (tallied here) and the units' counts, as one
        statement."""
        conn = db.connection()
        dialect = conn.dialect
        statements = []
        if self.inserts:
            conflict = _result_conflict(dialect, _UPSERT)
            statements.append(
                pg_unnest_statement(dialect, ComplianceResult.__table__, self.inserts, conflict)
            )
        if self.changes:
            statements.append(
                pg_unnest_statement(dialect, ComplianceChange.__table__, self.changes)
            )
        if self.recount:
            ids = sorted(self.recount)
            tally = {host_id: dict.fromkeys(COUNT_COLUMNS, 0) for host_id in ids}
            for row in self.inserts:
                tally[row["host_id"]][row["status"]] += 1
            by_status = [pg_int_array_literal([tally[h][st] for h in ids]) for st in COUNT_COLUMNS]
            statements.append((_SET_COUNTS, (pg_int_array_literal(ids), *by_status)))
        rows = _unit_count_rows(self.units)
        if rows:
            statements.append(
                pg_unnest_statement(dialect, UnitCheckCount.__table__, rows, _ADD_UNIT_COUNTS)
            )
        pg_insert_together(conn, statements)


_UPSERT = ("status", "severity", "evidence", "pack_version", "since", "evaluated_at")
"""The columns a result written over an existing one replaces: results are inserted as upserts,
because a background job and an ingest may evaluate the same new host at once."""


def _unit_count_rows(deltas: dict[tuple[int, str, str, str], int]) -> list[dict[str, Any]]:
    """The rows of ``unit_check_counts`` that ``deltas`` change, in key order."""
    return [
        {"unit_id": u, "pack_id": p, "check_id": c, "status": st, "hosts": n}
        for (u, p, c, st), n in sorted(deltas.items())
        if n
    ]


_ADD_UNIT_COUNTS = (
    "ON CONFLICT (unit_id, pack_id, check_id, status) "
    "DO UPDATE SET hosts = unit_check_counts.hosts + EXCLUDED.hosts"
)


def counted_unit(unit_id: int | None, status: str) -> int | None:
    """The unit whose ``unit_check_counts`` a host's results count in (None: in none).

    Only active hosts count, as in every compliance figure.
    """
    return unit_id if status == "active" else None


def add_unit_counts_by_check(db: Session, deltas: dict[tuple[int, str, str, str], int]) -> None:
    """Add ``deltas`` ((unit id, pack, check, status) → hosts) to ``unit_check_counts``.

    One statement, its rows in key order: concurrent writers lock the rows they share in the
    same order, and wait for each other (briefly: this is their last write before committing)
    instead of deadlocking. Adding is right whatever the order the writers commit in.
    """
    rows = _unit_count_rows(deltas)
    if not rows:
        return
    table = UnitCheckCount.__table__
    if db.get_bind().dialect.name == "postgresql":
        pg_unnest_insert(db.connection(), table, rows, _ADD_UNIT_COUNTS)
        return
    ins = sqlite.insert(table)
    stmt = ins.on_conflict_do_update(
        index_elements=["unit_id", "pack_id", "check_id", "status"],
        set_={"hosts": table.c.hosts + ins.excluded.hosts},
    )
    db.execute(stmt, rows)


def host_moved(
    db: Session, host_id: int, before: tuple[int | None, str], after: tuple[int | None, str]
) -> None:
    """HOST_MOVED hook: move a host's results between units' counts by check.

    ``before`` and ``after`` are the host's (unit id, status); the caller holds its row lock
    (it has just written the row), so no result of the host changes meanwhile.
    """
    old, new = counted_unit(*before), counted_unit(*after)
    if old == new:
        return
    deltas: dict[tuple[int, str, str, str], int] = defaultdict(int)
    for pack_id, check_id, status, n in db.execute(
        select(
            ComplianceResult.pack_id,
            ComplianceResult.check_id,
            ComplianceResult.status,
            func.count(),
        )
        .where(ComplianceResult.host_id == host_id)
        .group_by(ComplianceResult.pack_id, ComplianceResult.check_id, ComplianceResult.status)
    ):
        if old is not None:
            deltas[(old, pack_id, check_id, status)] -= n
        if new is not None:
            deltas[(new, pack_id, check_id, status)] += n
    add_unit_counts_by_check(db, deltas)


def recount_units(db: Session) -> None:
    """Count ``unit_check_counts`` again from every active host's results (the caller commits)."""
    r, h = ComplianceResult, Host
    counted = (
        select(h.unit_id, r.pack_id, r.check_id, r.status, func.count())
        .join(h, h.id == r.host_id)
        .where(h.status == "active", h.unit_id.is_not(None))
        .group_by(h.unit_id, r.pack_id, r.check_id, r.status)
    )
    db.execute(delete(UnitCheckCount))
    db.execute(
        insert(UnitCheckCount).from_select(
            ["unit_id", "pack_id", "check_id", "status", "hosts"], counted
        )
    )


COUNT_COLUMNS = {status: f"{status}_count" for status in evaluator.STATUSES}
"""Each result status → the column of ``hosts`` that counts the host's results with it."""


def _status_count(status: str):
    # The host's results only, then counted by status: a condition on the status as well would
    # let SQLite pick the status index and read every host's results with that status.
    r = ComplianceResult
    return (
        select(func.coalesce(func.sum(case((r.status == status, 1), else_=0)), 0))
        .where(r.host_id == Host.id)
        .scalar_subquery()
    )


def recount(db: Session, host_ids: Sequence[int]) -> None:
    """Count these hosts' results by status again into their ``hosts`` row (the caller commits).

    From the rows as this transaction sees them, after its own writes. Writers of a host's
    results hold its row lock from before they read its facts (``lock_hosts``; a report holds
    it from the start), so a later writer counts what the earlier one committed. A host left
    with no result counts zero everywhere.
    """
    conn = db.connection()  # Core: nothing of the ORM's bulk update to do
    for chunk in _chunks(list(host_ids)):
        conn.execute(_RECOUNT, {"ids": list(chunk)})


_RECOUNT = (
    update(Host.__table__)
    .where(Host.__table__.c.id.in_(bindparam("ids", expanding=True)))
    .values({column: _status_count(status) for status, column in COUNT_COLUMNS.items()})
)
"""The hosts' counts by status from their results (``recount``), built once."""


def _set_counts_sql() -> str:
    columns = list(COUNT_COLUMNS.values())
    sets = ", ".join(f"{column} = u.c{i}" for i, column in enumerate(columns, 1))
    arrays = ", ".join("%s::integer[]" for _ in columns)
    names = ", ".join(f"c{i}" for i in range(1, len(columns) + 1))
    return (
        f"UPDATE hosts SET {sets} FROM unnest(%s::bigint[], {arrays}) "  # noqa: S608 - names
        f"AS u(c0, {names}) WHERE hosts.id = u.c0"  # of COUNT_COLUMNS; values are parameters
    )


_SET_COUNTS = _set_counts_sql()
"""The hosts' counts by status as given (PostgreSQL: ids, then one array per status)."""


def recount_all(db: Session, progress: Callable[[int, int], None] | None = None) -> int:
    """Count every host's results by status again (``recount``), committing each batch, then
    every unit's by check (``recount_units``).

    For repair only: the service writes the counts with the results. Returns the hosts
    counted (those with results or counts).
    """
    counted = or_(*(getattr(Host, c) != 0 for c in COUNT_COLUMNS.values()))
    ids = sorted(
        set(db.scalars(select(ComplianceResult.host_id).distinct()))
        | set(db.scalars(select(Host.id).where(counted)))
    )
    done = 0
    for chunk in _chunks(ids):
        lock_hosts(db, chunk)
        recount(db, chunk)
        db.commit()
        done += len(chunk)
        if progress is not None:
            progress(done, len(ids))
    recount_units(db)
    db.commit()
    return len(ids)


def _collect(
    writes: _Writes,
    pack_set: PackSet,
    host_id: int,
    results: Iterable[evaluator.CheckResult],
    now,
    existing: dict[tuple[str, str], _Stored],
    unit_id: int | None,
) -> int:
    """Queue a host's result writes; a status change, or a first fail or error, is history.

    ``now`` is the time as bound by ``_bind_time``; ``unit_id`` is the unit whose counts by
    check the host's results are in (``counted_unit``).
    """
    changes = 0
    units = writes.units
    if existing:
        writes.fresh = False
    for r in results:
        old = existing.pop((r.pack_id, r.check_id), None)
        pack = pack_set.packs[r.pack_id]
        if old is not None and old[0] == r.status:
            if old[2] != pack.version or (old[1] is not _KEEP and old[1] != r.evidence):
                writes.updates.append(
                    {
                        "host_id": host_id,
                        "pack_id": r.pack_id,
                        "check_id": r.check_id,
                        "evidence": json_text(r.evidence),
                        "pack_version": pack.version,
                    }
                )
            continue
        row = {
            "host_id": host_id,
            "pack_id": r.pack_id,
            "check_id": r.check_id,
            "status": r.status,
            "severity": pack.check(r.check_id).severity,
            "evidence": json_text(r.evidence),
            "pack_version": pack.version,
            "since": now,
        }
        writes.recount.add(host_id)
        if unit_id is not None:
            units[(unit_id, r.pack_id, r.check_id, r.status)] += 1
            if old is not None:
                units[(unit_id, r.pack_id, r.check_id, old[0])] -= 1
        if old is None:
            writes.inserts.append(dict(row, evaluated_at=now))
            if r.status not in (evaluator.FAIL, evaluator.ERROR):
                continue  # a first pass or not_applicable is no news: ``since`` records it
        else:
            writes.updates.append(row)
        writes.changes.append(
            {
                "host_id": host_id,
                "pack_id": r.pack_id,
                "check_id": r.check_id,
                "at": now,
                "before": old[0] if old is not None else None,
                "after": r.status,
                "evidence": row["evidence"],
            }
        )
        changes += 1
    if existing:  # no longer in force
        writes.deletes.extend((host_id, pid, cid) for pid, cid in existing)
        writes.recount.add(host_id)
        if unit_id is not None:
            for (pid, cid), old in existing.items():
                units[(unit_id, pid, cid, old[0])] -= 1
    return changes


def evaluate_hosts(
    db: Session,
    pack_set: PackSet,
    host_ids: Sequence[int],
    refresh_evidence: bool = True,
    *,
    new_hosts: bool = False,
    given: tuple[dict, dict, _Units] | None = None,
    locked: dict[int, int | None] | None = None,
) -> int:
    """Evaluate and store the results of these hosts (the caller commits); return changes.

    ``given`` is (host facts as load_facts returns them, stored results as _existing returns
    them, units) when the caller has them already. The hosts' rows are locked first
    (``lock_hosts``) unless the caller holds them (a report holds its host's) and gives what
    ``lock_hosts`` returns as ``locked``. ``new_hosts`` (no result stored yet) must be known
    under that lock.

    Results are written with a few bulk statements per batch; ``since`` moves only when the
    status changes, and each change is recorded in ``compliance_changes``. Without
    ``refresh_evidence`` the evidence of a result whose status and pack version are unchanged
    is left as stored (its facts did not change since it was written: re-evaluation after a
    pack change, where changed packs carry a new version).
    """
    counted = locked if locked is not None else lock_hosts(db, host_ids)
    now = utcnow()
    when = now.timestamp()
    if given is not None:
        host_facts, known, units = given
    else:
        units = _load_units(db)
        host_facts = load_facts(
            db,
            host_ids,
            pack_set.sections,
            pack_set.software_names,
            units,
            pack_set.engine.fact_paths,
        )
    stamp = _bind_time(db, now)
    ids = list(host_facts)
    # Without evidence to compare, a host whose every result keeps its status and pack version
    # (and whose set of checks is the same) has nothing to write: its stored line is compared
    # whole, and only a host that differs is taken apart result by result.
    brief = _existing_brief(db, ids) if not refresh_evidence else None
    # ``new_hosts``: the caller knows these hosts have no stored results yet.
    if given is not None:
        existing = known
    else:
        existing = _existing(db, ids) if refresh_evidence and not new_hosts else {}
    writes = _Writes()
    changes = 0
    touched = []  # hosts with stored results: their rows get the new evaluation time below
    for host_id, (host_fact, unit_id) in host_facts.items():
        params = _params_for(pack_set, units, unit_id)
        results = pack_set.engine.evaluate(host_fact, params, when)
        if brief is not None:
            joined = brief.get(host_id)
            if joined is not None:
                touched.append(host_id)
            if _unchanged(joined, _brief_line(pack_set, results)):
                continue
            stored = _parse_brief(joined) if joined is not None else {}
        else:
            stored = existing.get(host_id, {})
            if stored:
                touched.append(host_id)
        changes += _collect(writes, pack_set, host_id, results, stamp, stored, counted.get(host_id))
    writes.flush(db)
    # A host without stored results had every row inserted just now, evaluation time included.
    for chunk in _chunks(touched):
        db.execute(
            update(ComplianceResult)
            .where(ComplianceResult.host_id.in_(chunk))
            .values(evaluated_at=now)
            .execution_options(synchronize_session=False)
        )
    return changes


def sync_packs(db: Session, pack_set: PackSet) -> bool:
    """Record the packs in force; return True when they differ from the recorded ones."""
    rows = {r.pack_id: r for r in db.scalars(select(PolicyPack))}
    changed = False
    now = utcnow()
    for pid, pack in pack_set.packs.items():
        row = rows.pop(pid, None)
        if row is None:
            db.add(
                PolicyPack(
                    pack_id=pid,
                    version=pack.version,
                    digest=pack.digest,
                    source=pack.source[-1024:],
                    name=pack.name,
                    check_count=len(pack.checks),
                    active=True,
                    loaded_at=now,
                )
            )
            changed = True
        elif row.digest != pack.digest or not row.active:
            row.version, row.digest, row.name = pack.version, pack.digest, pack.name
            row.source, row.check_count, row.active = pack.source[-1024:], len(pack.checks), True
            row.loaded_at = now
            changed = True
    for row in rows.values():
        if row.active:
            row.active = False
            changed = True
    if not changed:
        return False
    try:
        db.commit()
    except IntegrityError:  # another process recorded the same change first
        db.rollback()
        return False
    return True


def active_host_ids(db: Session, unit_path: str | None = None) -> list[int]:
    """Return the ids of active hosts (below a unit path when given)."""
    stmt = select(Host.id).where(Host.status == "active")
    if unit_path is not None:
        stmt = stmt.join(OrgUnit, OrgUnit.id == Host.unit_id).where(
            OrgUnit.path.startswith(unit_path)
        )
    return list(db.scalars(stmt.order_by(Host.id)))


def create_job(db: Session, reason: str) -> ComplianceJob:
    """Create a queued re-evaluation job (committed)."""
    job = ComplianceJob(reason=reason[:255], status="queued", created_at=utcnow())
    db.add(job)
    db.commit()
    return job


def run_job(
    session_factory: Callable[[], Session],
    job_id: int,
    pack_set: PackSet,
    host_ids: Sequence[int] | None = None,
    unit_path: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    refresh_evidence: bool = True,
) -> None:
    """Re-evaluate hosts in batches, recording done/total on the job row as it goes."""
    with session_factory() as db:
        job = db.get(ComplianceJob, job_id)
        try:
            ids = list(host_ids) if host_ids is not None else active_host_ids(db, unit_path)
            job.status, job.total, job.done, job.started_at = "running", len(ids), 0, utcnow()
            db.commit()
            for chunk in _chunks(ids, BATCH):
                evaluate_hosts(db, pack_set, chunk, refresh_evidence)
                job.done += len(chunk)
                db.commit()
                if progress:
                    progress(job.done, job.total)
            job.status, job.finished_at = "done", utcnow()
            db.commit()
        except Exception as exc:
            log.exception("compliance job %s failed", job_id)
            try:
                db.rollback()
                job = db.get(ComplianceJob, job_id)
                job.status, job.finished_at = "failed", utcnow()
                job.message = f"{type(exc).__name__}: {exc}"[:2000]
                db.commit()
            except Exception:  # the database itself is gone: nothing more to record
                log.exception("compliance job %s: could not record the failure", job_id)


def lock_hosts(db: Session, host_ids: Sequence[int]) -> dict[int, int | None]:
    """Lock these hosts' rows until the caller commits, before reading their facts; return the
    unit each one's results count in (``counted_unit``), by host id.

    A report holds its host's row lock from before it writes until it commits, and evaluates the
    host with what it wrote. Every other writer of results takes the same lock (``FOR NO KEY
    UPDATE``, in id order) before it reads the facts, and so waits for reports in flight and
    holds back new ones: it never writes results of facts older than a report's (an older result
    would stand until the next change), and the counts it keeps of them (``recount``,
    ``unit_check_counts``) follow from what the report committed. Inserted results check their
    foreign key with ``FOR KEY SHARE``, which this lock lets through. SQLite has one writer at a
    time and no row locks: there the hosts are only read.
    """
    postgres = db.get_bind().dialect.name == "postgresql"
    out: dict[int, int | None] = {}
    for chunk in _chunks(sorted(host_ids)):
        stmt = select(Host.id, Host.unit_id, Host.status).where(Host.id.in_(chunk))
        if postgres:
            stmt = stmt.order_by(Host.id).with_for_update(key_share=True)
        for host_id, unit_id, status in db.execute(stmt):
            out[host_id] = counted_unit(unit_id, status)
    return out


def start_job(
    session_factory: Callable[[], Session],
    pack_set: PackSet,
    reason: str,
    unit_path: str | None = None,
    refresh_evidence: bool = True,
) -> tuple[int, threading.Thread]:
    """Create a job and run it in a background thread; return its id and the thread."""
    with session_factory() as db:
        job_id = create_job(db, reason).id
    thread = threading.Thread(
        target=run_job,
        kwargs={
            "session_factory": session_factory,
            "job_id": job_id,
            "pack_set": pack_set,
            "unit_path": unit_path,
            "refresh_evidence": refresh_evidence,
        },
        name=f"compliance-job-{job_id}",
        daemon=True,
    )
    thread.start()
    return job_id, thread


# --- hooks ---------------------------------------------------------------------------------------


def _settings() -> dict:
    try:
        from flask import current_app, has_app_context

        if has_app_context():
            return current_app.config
    except ImportError:  # pragma: no cover - Flask is a server dependency
        pass
    from inventory_server.config import load_config

    return load_config()


def before_commit(db: Session, host: Host, ingested) -> bool:
    """BEFORE_COMMIT hook: evaluate the host in the report's own transaction.

    The sections are those the report left stored (no reading back), and the results are
    committed with the report. Returns False, leaving the work to ``after_ingest``, when this
    process has not recorded the packs in force within the last minute (recording them commits)
    or the host is not active.
    """
    pack_set = packs_in_force(policy_dir(_settings()))
    if host.status != "active" or not _synced_recently(db, pack_set):
        return False
    # A host's results are written with their counts on its row, under its row lock (held
    # since the report began): a row that counts none has no results to read.
    counted = any(getattr(host, column) for column in COUNT_COLUMNS.values())
    existing = _existing(db, [host.id]) if counted else {}
    if existing and not (ingested.changed & pack_set.sections):
        return True
    sections = {k: v for k, v in ingested.sections.items() if k in pack_set.sections}
    names = pack_set.software_names
    if "software" in sections and names != frozenset():
        stored = getattr(ingested, "packages", None)
        if stored is not None:  # the report stored them: no reading back
            packages = _reported_packages(stored, names, title_keys(db))
        else:
            packages = _host_packages(db, [host.id], names).get(host.id, [])
        sections["software"] = dict(sections["software"], packages=packages)
    units = _load_unit_chain(db, host.unit_id)
    record = {
        "id": host.id,
        "hostname": host.hostname,
        "fqdn": host.fqdn,
        "role": host.role,
        "platform": host.os_family,
        "unit_code": units.code.get(host.unit_id),
        "unit_path": units.unit_path(host.unit_id),
    }
    host_facts = {
        host.id: (facts.build_facts(sections, record, pack_set.engine.fact_paths), host.unit_id)
    }
    evaluate_hosts(
        db,
        pack_set,
        [host.id],
        given=(host_facts, existing, units),
        locked={host.id: counted_unit(host.unit_id, host.status)},
    )
    return True


def after_ingest(
    session_factory: Callable[[], Session],
    host_id: int,
    changed: set[str],
    handled: set[str] = frozenset(),
) -> None:
    """AFTER_INGEST hook: re-evaluate the host when a section the packs read changed.

    Nothing to do when ``before_commit`` evaluated it already. When the packs in force differ
    from the recorded ones, every host is re-evaluated in the background (a job row shows the
    progress).
    """
    if f"{__name__}:before_commit" in handled:
        return
    pack_set = packs_in_force(policy_dir(_settings()))
    with session_factory() as db:
        packs_changed = _sync_packs_once(db, pack_set)
        # Locked before looking: a report of the same host may be writing its results.
        counted = lock_hosts(db, [host_id])
        has_results = db.scalar(
            select(func.count())
            .select_from(ComplianceResult)
            .where(ComplianceResult.host_id == host_id)
        )
        if packs_changed or not has_results or set(changed) & pack_set.sections:
            evaluate_hosts(db, pack_set, [host_id], new_hosts=not has_results, locked=counted)
            db.commit()
        others = packs_changed and db.scalar(
            select(func.count())
            .select_from(Host)
            .where(Host.status == "active", Host.id != host_id)
        )
    if others:
        # Started after this host's results are committed, so the job sees them.
        start_job(session_factory, pack_set, "packs changed", refresh_evidence=False)


_SYNC_TTL = 60.0
_synced: dict[tuple, float] = {}


def _sync_key(db: Session, pack_set: PackSet) -> tuple:
    return (str(db.get_bind().url), tuple(sorted((p, k.digest) for p, k in pack_set.packs.items())))


def _synced_recently(db: Session, pack_set: PackSet) -> bool:
    """True when this process recorded exactly these packs within the last minute."""
    return time.monotonic() - _synced.get(_sync_key(db, pack_set), -_SYNC_TTL) < _SYNC_TTL


def _sync_packs_once(db: Session, pack_set: PackSet) -> bool:
    """``sync_packs``, skipped when this process recorded the same packs in the last minute.

    Every report would otherwise read the pack records to find them unchanged; another process
    that records different packs is noticed within the minute.
    """
    key = _sync_key(db, pack_set)
    now = time.monotonic()
    if now - _synced.get(key, -_SYNC_TTL) < _SYNC_TTL:
        return False
    changed = sync_packs(db, pack_set)
    # The database now records these packs only: packs recorded before (which a site may
    # restore within the minute, removing a pack it had just added) are to be recorded again.
    for other in [k for k in _synced if k[0] == key[0] and k != key]:
        _synced.pop(other, None)
    _synced[key] = now
    return changed


def inventory_groups(db: Session, host_ids: list[int]) -> dict[str, list[int]]:
    """INVENTORY_GROUPS hook: hosts failing a check go in ``policy_fail_<check_id>``."""
    groups: dict[str, set[int]] = defaultdict(set)
    for chunk in _chunks(host_ids):
        for host_id, check_id in db.execute(
            select(ComplianceResult.host_id, ComplianceResult.check_id).where(
                ComplianceResult.status == evaluator.FAIL, ComplianceResult.host_id.in_(chunk)
            )
        ):
            groups[f"policy_fail_{check_id}"].add(host_id)
    return {name: sorted(ids) for name, ids in sorted(groups.items())}


# --- queries for the API and the CLI --------------------------------------------------------------


def _scoped(stmt, scope: str | None, unit_path: str | None):
    """Restrict a statement joined to OrgUnit to the caller's scope and a unit subtree."""
    if scope is not None:
        stmt = stmt.where(OrgUnit.path.startswith(scope))
    if unit_path is not None:
        stmt = stmt.where(OrgUnit.path.startswith(unit_path))
    return stmt


UNIT_COUNTS = ("hosts", "hosts_evaluated", "hosts_failing", *evaluator.STATUSES)
"""What ``unit_summary`` counts per unit before rolling it up (``own``)."""


def host_count_columns() -> list:
    """Aggregates over hosts and their result counts: ``UNIT_COUNTS`` but ``hosts``.

    Hosts evaluated are those with a result (a count above zero).
    """
    counts = [getattr(Host, column) for column in COUNT_COLUMNS.values()]
    return [
        func.count().filter(or_(*(c > 0 for c in counts))),
        func.count().filter(Host.fail_count > 0),
        # PostgreSQL sums bigints as numeric: back to a bigint.
        *(cast(func.sum(c), BigInteger) for c in counts),
    ]


def add_unit_counts(own: dict[int, dict[str, int]], unit_id: int, hosts: int, counted) -> None:
    """Add a row's ``hosts`` and ``counted`` (``host_count_columns``' values) to ``own[unit_id]``.

    ``own`` is what ``unit_summary`` rolls up: each unit's own counts, by ``UNIT_COUNTS``.
    """
    mine = own.setdefault(unit_id, dict.fromkeys(UNIT_COUNTS, 0))
    for k, n in zip(UNIT_COUNTS, (hosts, *counted), strict=True):
        mine[k] += n


def unit_summary(
    db: Session,
    *,
    scope: str | None = None,
    unit_path: str | None = None,
    own: dict[int, dict[str, int]] | None = None,
) -> list[dict[str, Any]]:
    """Per unit, rolled up its subtree: hosts, hosts failing, and check results by status.

    ``own`` is each unit's own counts (``UNIT_COUNTS``, by unit id) when the caller has them
    already, counted over the same hosts (active, in scope): the dashboard counts them with its
    host figures.
    """
    units = list(db.execute(select(OrgUnit.id, OrgUnit.code, OrgUnit.name, OrgUnit.path)))
    units = [u for u in units if scope is None or u.path.startswith(scope)]
    if unit_path is not None:
        units = [u for u in units if u.path.startswith(unit_path)]
    if own is None:
        own = _unit_counts(db, scope, unit_path)
    keys = UNIT_COUNTS
    # Each unit's own counts go to every unit whose path its path starts with (itself and its
    # ancestors): a pass over the units' path prefixes, not over every pair of units.
    totals = {u.path: dict.fromkeys(keys, 0) for u in units}
    for v in units:
        counts = own.get(v.id)
        if not counts:
            continue
        mine = [(k, counts.get(k, 0)) for k in keys]
        for total in subtree_heads(v.path, totals):
            for k, n in mine:
                total[k] += n
    out = []
    for u in sorted(units, key=lambda u: u.path):
        total = totals[u.path]
        decided = total[evaluator.PASS] + total[evaluator.FAIL]
        out.append(
            {
                "unit": u.code,
                "name": u.name,
                "depth": u.path.strip("/").count("/"),
                "hosts": total["hosts"],
                "hosts_evaluated": total["hosts_evaluated"],
                "hosts_failing": total["hosts_failing"],
                "hosts_compliant": total["hosts_evaluated"] - total["hosts_failing"],
                "checks": {s: total[s] for s in evaluator.STATUSES},
                "pass_rate": round(total[evaluator.PASS] / decided, 4) if decided else None,
            }
        )
    return out


def _unit_counts(db: Session, scope: str | None, unit_path: str | None) -> dict[int, dict]:
    """Each unit's own counts (``UNIT_COUNTS``): one row per host, not one per host and check."""
    stmt = select(Host.unit_id, func.count(Host.id), *host_count_columns())
    if scope is not None or unit_path is not None:
        stmt = _scoped(stmt.join(OrgUnit, OrgUnit.id == Host.unit_id), scope, unit_path)
    stmt = stmt.where(Host.status == "active", Host.unit_id.is_not(None)).group_by(Host.unit_id)
    own: dict[int, dict[str, int]] = {}
    for unit_id, hosts, *counted in db.execute(stmt):
        add_unit_counts(own, unit_id, hosts, counted)
    return own


def check_summary(
    db: Session, pack_set: PackSet, *, scope: str | None = None, unit_path: str | None = None
) -> list[dict[str, Any]]:
    """Per check in force: metadata and how many hosts pass, fail, are not applicable, err."""
    counts: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    c = UnitCheckCount
    # The units' counts, kept with the results: a few rows per unit and check, not a row per
    # host and check.
    stmt = select(c.pack_id, c.check_id, c.status, cast(func.sum(c.hosts), BigInteger)).join(
        OrgUnit, OrgUnit.id == c.unit_id
    )
    stmt = _scoped(stmt, scope, unit_path).group_by(c.pack_id, c.check_id, c.status)
    for pack_id, check_id, status, n in db.execute(stmt):
        counts[(pack_id, check_id)][status] = n
    out = []
    for pack in pack_set.packs.values():
        for check in pack.checks:
            c = counts.get((pack.id, check.id), {})
            out.append(
                {
                    "pack": pack.id,
                    "pack_version": pack.version,
                    "check": check.id,
                    "name": check.name,
                    "severity": check.severity,
                    "remediation": check.remediation,
                    "references": list(check.references),
                    "counts": {s: c.get(s, 0) for s in evaluator.STATUSES},
                }
            )
    return out


def result_rows(
    db: Session,
    *,
    scope: str | None = None,
    unit_path: str | None = None,
    pack_id: str | None = None,
    check_id: str | None = None,
    status: str | None = None,
    host_id: int | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Return result rows (host, unit, check, status, since, evidence) matching the filters."""
    stmt = (
        select(ComplianceResult, Host.hostname, OrgUnit.code)
        .join(Host, Host.id == ComplianceResult.host_id)
        .join(OrgUnit, OrgUnit.id == Host.unit_id)
        .where(Host.status == "active")
    )
    stmt = _scoped(stmt, scope, unit_path)
    if pack_id:
        stmt = stmt.where(ComplianceResult.pack_id == pack_id)
    if check_id:
        stmt = stmt.where(ComplianceResult.check_id == check_id)
    if status:
        stmt = stmt.where(ComplianceResult.status == status)
    if host_id is not None:
        stmt = stmt.where(ComplianceResult.host_id == host_id)
    stmt = stmt.order_by(
        Host.hostname, Host.id, ComplianceResult.pack_id, ComplianceResult.check_id
    )
    if limit is not None:
        stmt = stmt.limit(limit).offset(offset)
    return [
        {
            "host_id": r.host_id,
            "hostname": hostname,
            "unit": unit,
            "pack": r.pack_id,
            "check": r.check_id,
            "severity": r.severity,
            "status": r.status,
            "since": r.since.isoformat(),
            "evaluated_at": r.evaluated_at.isoformat(),
            "evidence": r.evidence,
        }
        for r, hostname, unit in db.execute(stmt)
    ]


def host_history(db: Session, host_id: int, limit: int = 200) -> list[dict[str, Any]]:
    """Return a host's status changes, newest first."""
    rows = db.scalars(
        select(ComplianceChange)
        .where(ComplianceChange.host_id == host_id)
        .order_by(ComplianceChange.at.desc(), ComplianceChange.id.desc())
        .limit(limit)
    )
    return [
        {
            "pack": c.pack_id,
            "check": c.check_id,
            "at": c.at.isoformat(),
            "before": c.before,
            "after": c.after,
            "evidence": c.evidence,
        }
        for c in rows
    ]


def set_unit_params(
    db: Session, pack_set: PackSet, *, unit: OrgUnit, pack_id: str, params: dict[str, Any]
) -> list[str]:
    """Store a unit's param overrides for a pack (the caller commits); return problems."""
    pack = pack_set.packs.get(pack_id)
    if pack is None:
        return [_("unknown pack {id!r}").format(id=pack_id)]
    if not isinstance(params, dict):
        return [_("params must be an object")]
    problems = loader.validate_params(pack, params)
    if problems:
        return problems
    row = db.scalar(
        select(PolicyParam).where(PolicyParam.unit_id == unit.id, PolicyParam.pack_id == pack_id)
    )
    if not params:
        if row is not None:
            db.delete(row)
        return []
    if row is None:
        db.add(PolicyParam(unit_id=unit.id, pack_id=pack_id, params=params, updated_at=utcnow()))
    else:
        row.params, row.updated_at = params, utcnow()
    return []


def would_fail(
    db: Session, pack: loader.Pack, *, progress: Callable[[int, int], None] | None = None
) -> dict[str, Any]:
    """Evaluate one pack (not stored) on every active host: {check_id: {status: [hostnames]}}."""
    single = PackSet({pack.id: pack})
    units = _load_units(db)
    ids = active_host_ids(db)
    when = time.time()
    out: dict[str, dict[str, list[str]]] = {c.id: defaultdict(list) for c in pack.checks}
    for n, chunk in enumerate(_chunks(ids, BATCH)):
        for host_id, (host_fact, unit_id) in load_facts(
            db, chunk, single.sections, single.software_names
        ).items():
            params = _params_for(single, units, unit_id)
            for r in single.engine.evaluate(host_fact, params, when):
                out[r.check_id][r.status].append(host_fact["host"]["hostname"] or str(host_id))
        if progress:
            progress(min((n + 1) * BATCH, len(ids)), len(ids))
    return {"hosts": len(ids), "checks": {k: dict(v) for k, v in out.items()}}


def delete_results(db: Session, host_id: int) -> None:
    """Forget a host's results and history (the caller commits)."""
    db.execute(delete(ComplianceResult).where(ComplianceResult.host_id == host_id))
    db.execute(delete(ComplianceChange).where(ComplianceChange.host_id == host_id))
