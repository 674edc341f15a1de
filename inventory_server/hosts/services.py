"""Host queries: list with filters and scoping, details, software and history."""

import datetime as dt
from typing import Any

from sqlalchemy import (
    Integer,
    Select,
    asc,
    bindparam,
    desc,
    false,
    func,
    or_,
    select,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from inventory_server import versions
from inventory_server.db import utcnow
from inventory_server.hooks import run_host_moved
from inventory_server.models import (
    HardwareComponent,
    Host,
    HostAddress,
    HostEvent,
    HostSection,
    HostSoftware,
    NetworkInterface,
    OrgUnit,
    SoftwareInstall,
    SoftwarePackage,
    SoftwareTitle,
)
from inventory_server.models.software import name_key

SORTS = {
    "hostname": Host.hostname,
    "last_seen": Host.last_seen,
    "os": Host.os_name,
    "unit": OrgUnit.code,
    "software_count": Host.software_count,
    "id": Host.id,
}


class QueryError(ValueError):
    """A query parameter is invalid; ``field`` names it."""

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.field = field


def host_query(
    db: Session,
    *,
    scope: str | None = None,
    unit: str | None = None,
    subtree: bool = True,
    os_family: str | None = None,
    role: str | None = None,
    q: str | None = None,
    ip: str | None = None,
    mac: str | None = None,
    serial: str | None = None,
    software: str | None = None,
    version: tuple[str, str] | None = None,
    not_seen_days: int | None = None,
) -> Select:
    """Build the filtered host query; ``scope`` is the caller's unit path prefix (None = all)."""
    stmt = (
        select(Host).outerjoin(OrgUnit, Host.unit_id == OrgUnit.id).where(Host.status == "active")
    )
    if scope is not None:
        stmt = stmt.where(OrgUnit.path.startswith(scope))
    if unit:
        u = db.scalar(select(OrgUnit).where(OrgUnit.code == unit))
        if u is None:
            raise QueryError(f"unknown unit {unit!r}", "unit")
        stmt = stmt.where(OrgUnit.path.startswith(u.path) if subtree else Host.unit_id == u.id)
    if os_family:
        stmt = stmt.where(Host.os_family == os_family)
    if role:
        stmt = stmt.where(Host.role == role)
    if q:
        like = f"%{q.lower()}%"
        stmt = stmt.where(
            or_(
                func.lower(Host.hostname).like(like),
                func.lower(Host.os_name).like(like),
                func.lower(Host.serial).like(like),
            )
        )
    if ip:
        stmt = stmt.where(Host.id.in_(select(HostAddress.host_id).where(HostAddress.address == ip)))
    if mac:
        stmt = stmt.where(
            Host.id.in_(
                select(NetworkInterface.host_id).where(
                    NetworkInterface.mac == mac.lower().replace("-", ":")
                )
            )
        )
    if serial:
        stmt = stmt.where(Host.serial == serial)
    if version and not software:
        raise QueryError("a version filter needs a software name", "software")
    if software:
        stmt = stmt.where(Host.id.in_(_software_hosts(db, software, version)))
    if not_seen_days is not None:
        cutoff = utcnow() - dt.timedelta(days=not_seen_days)
        stmt = stmt.where(or_(Host.last_seen.is_(None), Host.last_seen < cutoff))
    return stmt


def _title_filter(software: str):
    key = name_key(software)
    if "*" in key:
        escaped = key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return SoftwareTitle.name_key.like(escaped.replace("*", "%"), escape="\\")
    return SoftwareTitle.name_key == key


def _software_hosts(db: Session, software: str, version: tuple[str, str] | None):
    """Hosts with a title (``*`` globs), optionally with a version satisfying ``(op, value)``.

    The title's package versions are few: they are read first (and their versions compared in
    Python, in dpkg order), then the hosts holding any of them are found through the index on
    ``host_software.package_ids`` (GIN on PostgreSQL; ``json_each`` on SQLite).
    """
    stmt = select(SoftwarePackage.id, SoftwarePackage.version).join(
        SoftwareTitle, SoftwareTitle.id == SoftwarePackage.title_id
    )
    rows = db.execute(stmt.where(_title_filter(software))).all()
    if version is not None:
        op, wanted = version
        if op not in versions.OPERATORS:
            raise QueryError(
                f"version operator must be one of {', '.join(versions.OPERATORS)}", "version"
            )
        ok = {v for v in {r.version for r in rows} if versions.matches(v, op, wanted)}
        rows = [r for r in rows if r.version in ok]
    if rows and db.get_bind().dialect.name == "postgresql":
        # PostgreSQL's costs leave out decompressing each host's TOASTed array (about 6 kB for
        # 1,500 packages): for a title on most hosts it prefers reading every array (200 ms at
        # 20,000 hosts) to the GIN index (2 ms). Until the request's transaction ends.
        db.execute(text("SET LOCAL enable_seqscan = off"))
    return hosts_with_packages(db, sorted(r.id for r in rows))


def package_ids_of(db: Session, host_ids: Select):
    """Return a SELECT of the package-version ids installed on the hosts ``host_ids`` selects."""
    if db.get_bind().dialect.name == "postgresql":
        ids = func.unnest(HostSoftware.package_ids).label("package_id")
        return select(ids).where(HostSoftware.host_id.in_(host_ids))
    each = func.json_each(HostSoftware.package_ids).table_valued("value")
    return (
        select(each.c.value)
        .select_from(HostSoftware)
        .join(each, true())
        .where(HostSoftware.host_id.in_(host_ids))
    )


def active_host_packages(db: Session):
    """Subquery of (unit_id, host_id, package_id): every package-version id of each active host.

    The package-id arrays are expanded alone (unnest on PostgreSQL, json_each on SQLite),
    without install dates or a join to the catalogue per element.
    """
    base = select(Host.unit_id, HostSoftware.host_id).join(Host, Host.id == HostSoftware.host_id)
    base = base.where(Host.status == "active")
    if db.get_bind().dialect.name == "postgresql":
        ids = func.unnest(HostSoftware.package_ids).label("package_id")
        return base.add_columns(ids).subquery()
    each = func.json_each(HostSoftware.package_ids).table_valued("value")
    return base.add_columns(each.c.value.label("package_id")).join(each, true()).subquery()


def hosts_with_packages(db: Session, package_ids: list[int]):
    """Return a SELECT of the ids of hosts holding any of ``package_ids``."""
    if not package_ids:
        return select(HostSoftware.host_id).where(false())
    if db.get_bind().dialect.name == "postgresql":
        wanted = bindparam("package_ids", package_ids, type_=ARRAY(Integer))
        return select(HostSoftware.host_id).where(HostSoftware.package_ids.op("&&")(wanted))
    each = func.json_each(HostSoftware.package_ids).table_valued("value")
    return select(HostSoftware.host_id).where(
        select(each.c.value).where(each.c.value.in_(package_ids)).exists()
    )


def page(
    db: Session, stmt: Select, *, sort: str = "hostname", page_no: int = 1, per_page: int = 50
) -> tuple[list[Host], int]:
    """Return one page of hosts and the total count."""
    key = sort.lstrip("-")
    if key not in SORTS:
        raise QueryError(
            f"sort must be one of {', '.join(SORTS)} (prefix - for descending)", "sort"
        )
    if page_no < 1:
        raise QueryError("page starts at 1", "page")
    if not 1 <= per_page <= 1000:
        raise QueryError("per_page must be between 1 and 1000", "per_page")
    total = db.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    order = desc(SORTS[key]) if sort.startswith("-") else asc(SORTS[key])
    # The page's ids first (narrow rows to sort), then those hosts with their units.
    ids = db.scalars(
        stmt.with_only_columns(Host.id)
        .order_by(order, Host.id)
        .limit(per_page)
        .offset((page_no - 1) * per_page)
    ).all()
    if not ids:
        return [], total or 0
    hosts = {h.id: h for h in db.scalars(select(Host).where(Host.id.in_(ids))).unique()}
    return [hosts[i] for i in ids], total or 0


def in_scope(host: Host, scope: str | None) -> bool:
    """Return True when the caller with ``scope`` may see ``host``."""
    return scope is None or (host.unit is not None and host.unit.path.startswith(scope))


SUMMARY_FIELDS = (
    "id",
    "hostname",
    "unit",
    "unit_name",
    "role",
    "os_family",
    "os_name",
    "os_version",
    "vendor",
    "model",
    "serial",
    "memory_bytes",
    "software_count",
    "agent_version",
    "first_seen",
    "last_seen",
)
"""The fields of a host in lists and CSV exports, in order."""


def summary(host: Host) -> dict[str, Any]:
    """Return the host's list fields."""
    return {
        "id": host.id,
        "hostname": host.hostname,
        "unit": host.unit.code if host.unit else None,
        "unit_name": host.unit.name if host.unit else None,
        "role": host.role,
        "os_family": host.os_family,
        "os_name": host.os_name,
        "os_version": host.os_version,
        "vendor": host.vendor,
        "model": host.model,
        "serial": host.serial,
        "memory_bytes": host.memory_bytes,
        "software_count": host.software_count,
        "agent_version": host.agent_version,
        "first_seen": _iso(host.first_seen),
        "last_seen": _iso(host.last_seen),
    }


def detail(db: Session, host: Host) -> dict[str, Any]:
    """Return everything known about one host except the software list."""
    out = summary(host)
    out.update(
        fqdn=host.fqdn,
        machine_id=host.machine_id,
        dmi_uuid=host.dmi_uuid,
        arch=host.arch,
        cpu_model=host.cpu_model,
        cpu_threads=host.cpu_threads,
        disk_bytes=host.disk_bytes,
        report_count=host.report_count,
        last_full_at=_iso(host.last_full_at),
    )
    sections = {
        s.section: s for s in db.scalars(select(HostSection).where(HostSection.host_id == host.id))
    }
    out["os"] = sections["os"].data if "os" in sections else None
    out["security"] = sections["security"].data if "security" in sections else None
    out["hardware"] = sections["hardware"].data if "hardware" in sections else None
    out["components"] = [
        {
            "kind": c.kind,
            "name": c.name,
            "vendor": c.vendor,
            "model": c.model,
            "serial": c.serial,
            "size_bytes": c.size_bytes,
        }
        for c in db.scalars(
            select(HardwareComponent)
            .where(HardwareComponent.host_id == host.id)
            .order_by(HardwareComponent.id)
        )
    ]
    out["interfaces"] = [
        {
            "name": i.name,
            "mac": i.mac,
            "ipv4": i.ipv4,
            "ipv6": i.ipv6,
            "up": i.up,
            "virtual": i.virtual,
        }
        for i in db.scalars(
            select(NetworkInterface)
            .where(NetworkInterface.host_id == host.id)
            .order_by(NetworkInterface.name)
        )
    ]
    out["licenses"] = (
        sections["software"].data.get("licenses", []) if "software" in sections else []
    )
    return out


def software(db: Session, host: Host, *, q: str | None = None) -> list[dict[str, Any]]:
    """Return the host's installed software, by name."""
    stmt = (
        select(SoftwareInstall, SoftwareTitle)
        .join(SoftwareTitle, SoftwareTitle.id == SoftwareInstall.title_id)
        .where(SoftwareInstall.host_id == host.id)
        .order_by(SoftwareTitle.name_key)
    )
    if q:
        stmt = stmt.where(SoftwareTitle.name_key.contains(name_key(q), autoescape=True))
    return [
        {
            "name": t.name,
            "version": i.version,
            "arch": i.arch or None,
            "source": i.source,
            "publisher": t.publisher,
            "section": i.section,
            "licence_class": t.licence_class,
            "install_date": _iso(i.install_date),
        }
        for i, t in db.execute(stmt).all()
    ]


def events(db: Session, host: Host, *, limit: int = 200) -> list[dict[str, Any]]:
    """Return the host's latest history events, newest first."""
    return [
        {
            "at": _iso(e.at),
            "kind": e.kind,
            "subject": e.subject,
            "before": e.before,
            "after": e.after,
        }
        for e in db.scalars(
            select(HostEvent)
            .where(HostEvent.host_id == host.id)
            .order_by(HostEvent.at.desc(), HostEvent.id.desc())
            .limit(limit)
        )
    ]


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def duplicates(db: Session, *, scope: str | None = None) -> list[dict[str, Any]]:
    """Return groups of active hosts that share a serial, DMI UUID or physical MAC address."""
    base = (
        select(Host.id)
        .outerjoin(OrgUnit, Host.unit_id == OrgUnit.id)
        .where(Host.status == "active")
    )
    if scope is not None:
        base = base.where(OrgUnit.path.startswith(scope))
    visible = set(db.scalars(base))
    groups: list[dict[str, Any]] = []
    for field, column in (("serial", Host.serial), ("dmi_uuid", Host.dmi_uuid)):
        rows = db.execute(
            select(column, func.count())
            .where(Host.status == "active", column.is_not(None))
            .group_by(column)
            .having(func.count() > 1)
        ).all()
        for value, _n in rows:
            ids = sorted(
                set(db.scalars(select(Host.id).where(column == value, Host.status == "active")))
                & visible
            )
            if len(ids) > 1:
                groups.append({"reason": field, "value": value, "host_ids": ids})
    rows = db.execute(
        select(NetworkInterface.mac, func.count(func.distinct(NetworkInterface.host_id)))
        .join(Host)
        .where(
            Host.status == "active",
            NetworkInterface.mac.is_not(None),
            NetworkInterface.virtual.is_not(True),
        )
        .group_by(NetworkInterface.mac)
        .having(func.count(func.distinct(NetworkInterface.host_id)) > 1)
    ).all()
    for mac, _n in rows:
        ids = sorted(
            set(
                db.scalars(
                    select(NetworkInterface.host_id)
                    .join(Host)
                    .where(NetworkInterface.mac == mac, Host.status == "active")
                )
            )
            & visible
        )
        if len(ids) > 1:
            groups.append({"reason": "mac", "value": mac, "host_ids": ids})
    return groups


class MergeError(ValueError):
    """A merge was refused; the message says why."""


def merge(db: Session, *, keep: Host, duplicate: Host) -> None:
    """Fold ``duplicate`` into ``keep``: history and credentials move, the duplicate retires.

    The kept host's inventory stays (it is the one reporting); the duplicate's installs,
    hardware and sections are removed; its history is kept under the surviving host. Commits.
    """
    from sqlalchemy import delete, update

    from inventory_server.models import AgentCredential

    if keep.id == duplicate.id:
        raise MergeError("a host cannot be merged into itself")
    if duplicate.status != "active" or keep.status != "active":
        raise MergeError("only active hosts can be merged")
    now = utcnow()
    db.execute(update(HostEvent).where(HostEvent.host_id == duplicate.id).values(host_id=keep.id))
    db.execute(
        update(AgentCredential)
        .where(AgentCredential.host_id == duplicate.id)
        .values(host_id=keep.id)
    )
    for model in (HostSoftware, HardwareComponent, NetworkInterface, HostAddress, HostSection):
        db.execute(delete(model).where(model.host_id == duplicate.id))
    keep.first_seen = min(keep.first_seen, duplicate.first_seen)
    keep.report_count += duplicate.report_count
    keep.serial = keep.serial or duplicate.serial
    keep.dmi_uuid = keep.dmi_uuid or duplicate.dmi_uuid
    duplicate.status = "merged"
    duplicate.merged_into_id = keep.id
    duplicate.software_count = 0
    db.flush()
    run_host_moved(db, duplicate.id, (duplicate.unit_id, "active"), (duplicate.unit_id, "merged"))
    db.add(
        HostEvent(
            host_id=keep.id,
            at=now,
            kind="merged",
            subject=duplicate.hostname,
            before=str(duplicate.id),
            after=str(keep.id),
        )
    )
    db.commit()
