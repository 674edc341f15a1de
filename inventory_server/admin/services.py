"""Administration services: unit tree, dashboard figures, software catalogue, secrets, users, audit.

Every function is keyword-only and takes the caller's ``scope`` (a unit path prefix, or None
for every unit) where it reads scoped data, so pages, the API and tests share one rule.
"""

import datetime as dt
import unicodedata
from typing import Any

from sqlalchemy import func, or_, select, tuple_
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from inventory_server.db import utcnow
from inventory_server.enrollment.services import create_secret
from inventory_server.hosts.posture import AV_STATES
from inventory_server.hosts.posture import antivirus_state as antivirus_state  # re-exported
from inventory_server.hosts.services import host_query
from inventory_server.i18n import _
from inventory_server.models import (
    AuditLog,
    EnrollmentSecret,
    Host,
    OrgUnit,
    SoftwareInstall,
    SoftwareTitle,
    User,
)
from inventory_server.models.software import LICENCE_CLASSES, name_key
from inventory_server.models.summaries import ALL_UNITS, UnitTitleCount
from inventory_server.units.services import create_unit, get_by_code, subtree_heads
from inventory_server.users.services import UserError, audit, create_user

PERMISSIONS = {
    "hosts": ("admin", "it_officer", "security", "auditor"),
    "software": ("admin", "it_officer", "security", "auditor"),
    "dashboard": ("admin", "it_officer", "security", "auditor"),
    "units": ("admin", "it_officer", "security", "auditor"),
    "export": ("admin", "it_officer", "security", "auditor"),
    "secrets": ("admin", "it_officer"),
    "provisioning": ("admin", "it_officer"),
    "hosts_write": ("admin", "it_officer"),
    "units_write": ("admin",),
    "users": ("admin",),
    "audit": ("admin",),
}
"""What each role may open or do; the IT officer's reach is further limited to their subtree."""


class AdminError(ValueError):
    """An administrative request was refused; ``status`` and ``field`` say how and where."""

    def __init__(self, message: str, *, status: int = 400, field: str | None = None):
        super().__init__(message)
        self.status = status
        self.field = field


def nfc(text: str) -> str:
    """Return ``text`` in Unicode NFC, the composed form TCVN 6909 text is stored and searched in.

    Some input methods send Vietnamese decomposed (a base letter plus combining marks); stored
    that way, "Sở" would not match a search for "Sở" typed composed.
    """
    return unicodedata.normalize("NFC", text)


def allowed(role: str, action: str) -> bool:
    """Return True when ``role`` may do ``action`` (a key of PERMISSIONS)."""
    return role in PERMISSIONS[action]


def in_scope(unit: OrgUnit | None, scope: str | None) -> bool:
    """Return True when ``unit`` lies in the caller's subtree."""
    return scope is None or (unit is not None and unit.path.startswith(scope))


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def _path_key(path: str) -> list[int]:
    return [int(p) for p in path.strip("/").split("/") if p]


# --- units --------------------------------------------------------------------------------------


def scoped_unit(db: Session, *, code: str, scope: str | None) -> OrgUnit:
    """Return the unit ``code`` if it exists and lies in the caller's subtree."""
    unit = get_by_code(db, code)
    if unit is None or not in_scope(unit, scope):
        raise AdminError(_("Unknown unit %(code)s", code=code), status=404, field="unit")
    return unit


def unit_tree(db: Session, *, scope: str | None) -> list[dict[str, Any]]:
    """Return the units the caller may see, in tree order, with direct and rolled-up host counts."""
    stmt = select(OrgUnit)
    if scope is not None:
        stmt = stmt.where(OrgUnit.path.startswith(scope))
    units = sorted(db.scalars(stmt), key=lambda u: _path_key(u.path))
    direct = dict(
        db.execute(
            select(Host.unit_id, func.count())
            .where(Host.status == "active", Host.unit_id.is_not(None))
            .group_by(Host.unit_id)
        ).all()
    )
    top = min((u.depth for u in units), default=0)
    totals = {u.path: [0] for u in units}
    for v in units:
        n = direct.get(v.id, 0)
        if n:
            for total in subtree_heads(v.path, totals):
                total[0] += n
    out = []
    for u in units:
        total = totals[u.path][0]
        out.append(
            {
                "id": u.id,
                "code": u.code,
                "name": u.name,
                "parent": u.parent.code if u.parent else None,
                "depth": u.depth - top,
                "path": u.path,
                "hosts": direct.get(u.id, 0),
                "hosts_total": total,
            }
        )
    return out


def add_unit(
    db: Session,
    *,
    actor: User,
    code: str,
    name: str,
    parent_code: str | None,
    remote_addr: str | None = None,
) -> OrgUnit:
    """Create a unit and audit it; commits."""
    from inventory_server.units.services import UnitError

    try:
        unit = create_unit(db, code=nfc(code), name=nfc(name), parent_code=parent_code or None)
    except UnitError as exc:
        db.rollback()
        raise AdminError(str(exc), field="code") from exc
    audit(db, user=actor, action="unit_created", target=unit.code, remote_addr=remote_addr)
    db.commit()
    return unit


# --- dashboard ----------------------------------------------------------------------------------


def _counts(pairs) -> list[tuple[str, int]]:
    """Sum ``(value, n)`` pairs per value; most frequent first, then by value."""
    counts: dict[str, int] = {}
    for v, n in pairs:
        counts[v] = counts.get(v, 0) + n
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def _top(pairs: list[tuple[str, int]], n: int = 6) -> list[tuple[str, int]]:
    if len(pairs) <= n:
        return pairs
    rest = sum(c for _, c in pairs[n - 1 :])
    return [*pairs[: n - 1], ("other", rest)]


def _compliance_service():
    """Return the compliance service module when it is installed, else None."""
    try:
        from inventory_server.compliance import service
    except ImportError:
        return None
    return service


def compliance_figures(
    db: Session,
    *,
    scope: str | None,
    unit: OrgUnit | None = None,
    own: dict[int, dict[str, int]] | None = None,
) -> dict[str, Any] | None:
    """Return the compliance share of a subtree, or None when no host has results yet.

    None means no compliance results exist for these hosts (pages say so; no number is made
    up). Figures come from ``compliance.service.unit_summary``, rolled up the org tree; ``own``
    is each unit's own counts when the caller has them (the dashboard's host groups).
    """
    service = _compliance_service()
    if service is None or not hasattr(service, "unit_summary"):
        return None
    from inventory_server.models import ComplianceResult

    try:
        # No result anywhere: nothing to roll up (the roll-up walks every unit in Python). The
        # caller's own counts say so already; otherwise one row is looked for.
        if own is not None:
            if not any(c["hosts_evaluated"] for c in own.values()):
                return None
        elif db.scalar(select(ComplianceResult.host_id).limit(1)) is None:
            return None
        rows = service.unit_summary(db, scope=scope, unit_path=unit.path if unit else None, own=own)
    except (OperationalError, ProgrammingError):  # compliance tables not migrated yet
        db.rollback()
        return None
    if not rows:
        return None
    top = min(r["depth"] for r in rows)
    tops = [r for r in rows if r["depth"] == top]
    evaluated = sum(r["hosts_evaluated"] for r in tops)
    if not evaluated:
        return None
    checks: dict[str, int] = {}
    for r in tops:
        for status, n in r["checks"].items():
            checks[status] = checks.get(status, 0) + n
    compliant = sum(r["hosts_compliant"] for r in tops)
    return {
        "hosts_evaluated": evaluated,
        "hosts_compliant": compliant,
        "hosts_failing": evaluated - compliant,
        "checks": checks,
        "share": compliant / evaluated,
        "units": {r["unit"]: r for r in rows},
    }


def compliance_checks(
    db: Session, *, scope: str | None, unit: OrgUnit | None = None
) -> list[dict[str, Any]]:
    """Return per-check counts (pass, fail, ...) for a subtree, worst first; [] if unavailable."""
    service = _compliance_service()
    if service is None or not hasattr(service, "check_summary"):
        return []
    try:
        rows = service.check_summary(
            db, service.packs_in_force(), scope=scope, unit_path=unit.path if unit else None
        )
    except (OperationalError, ProgrammingError):  # compliance tables not migrated yet
        db.rollback()
        return []
    return sorted(rows, key=lambda r: (-r["counts"].get("fail", 0), r["pack"], r["check"]))


def check_hosts(
    db: Session, *, scope: str | None, pack_id: str, check_id: str, status: str | None = None
) -> list[dict[str, Any]]:
    """Return the hosts' results for one check in the caller's subtree (failing first)."""
    service = _compliance_service()
    if service is None or not hasattr(service, "result_rows"):
        return []
    try:
        rows = service.result_rows(
            db, scope=scope, pack_id=pack_id, check_id=check_id, status=status or None
        )
    except (OperationalError, ProgrammingError):  # compliance tables not migrated yet
        db.rollback()
        return []
    order = {"fail": 0, "error": 1}
    return sorted(rows, key=lambda r: (order.get(r["status"], 2), r["hostname"]))


def provisioning_groups(db: Session, *, scope: str | None) -> list[dict[str, Any]]:
    """Return the Ansible groups of the caller's hosts, with their members, by name."""
    from inventory_server.inventory.api import build_inventory

    inv = build_inventory(db, scope)
    out = []
    for name, group in sorted(inv.items()):
        if name in ("_meta", "all", "ungrouped") or not isinstance(group, dict):
            continue
        out.append(
            {
                "name": name,
                "hosts": sorted(group.get("hosts", [])),
                "children": sorted(group.get("children", [])),
                "kind": name.split("_", 1)[0],
            }
        )
    return out


def revoke_host_tokens(
    db: Session, *, actor: User, scope: str | None, host_id: int, remote_addr: str | None = None
) -> int:
    """Revoke a host's agent tokens (it re-enrolls only with a new secret); audits, commits."""
    from inventory_server.enrollment.services import revoke_host

    host = db.get(Host, host_id)
    if host is None or not in_scope(host.unit, scope):
        raise AdminError(_("No host with id %(id)s", id=host_id), status=404, field="id")
    audit(
        db,
        user=actor,
        action="host_revoked",
        target=f"{host.hostname}#{host.id}",
        remote_addr=remote_addr,
    )
    return revoke_host(db, host=host)


def host_compliance(db: Session, *, host_id: int) -> dict[str, Any] | None:
    """Return one host's compliance results (counts and failing checks), or None if none."""
    service = _compliance_service()
    if service is None or not hasattr(service, "result_rows"):
        return None
    try:
        rows = service.result_rows(db, host_id=host_id)
    except (OperationalError, ProgrammingError):  # compliance tables not migrated yet
        db.rollback()
        return None
    if not rows:
        return None
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    return {"counts": counts, "failing": [r for r in rows if r["status"] == "fail"]}


def _host_groups(
    db: Session, *, scope: str | None, unit: OrgUnit | None, cutoff: dt.datetime
) -> tuple[list, list]:
    """Count the active hosts in scope per unit, and per OS and role.

    Returns (rows per unit, rows per OS name, OS family and role): about 200 and 20 rows for a
    province of 20,000 hosts instead of a row per host. A unit's row has its hosts, those not
    seen since ``cutoff``, its hosts in each antivirus state (``AV_STATES``, in order) and their
    compliance counts (``compliance.service``'s ``UNIT_COUNTS`` but hosts) from the result
    counts on their rows; the other rows have their hosts. On PostgreSQL both come from one
    pass over the hosts (``GROUPING SETS``), elsewhere from two.
    """
    from inventory_server.compliance.service import host_count_columns

    base = host_query(db, scope=scope, unit=unit.code if unit else None)
    # The antivirus state is the host's own column, set by ingest: no section is read.
    stale = func.count().filter(or_(Host.last_seen.is_(None), Host.last_seen < cutoff))
    per_unit = [
        func.count(),
        stale,
        *(func.count().filter(Host.av_state == state) for state in AV_STATES),
        *host_count_columns(),
    ]
    facets = [Host.os_name, Host.os_family, Host.role]
    if db.get_bind().dialect.name != "postgresql":
        units = db.execute(
            base.with_only_columns(Host.unit_id, *per_unit).group_by(Host.unit_id)
        ).all()
        kinds = db.execute(base.with_only_columns(*facets, func.count()).group_by(*facets)).all()
        return units, kinds
    stmt = base.with_only_columns(
        func.grouping(Host.unit_id), Host.unit_id, *facets, *per_unit
    ).group_by(func.grouping_sets(tuple_(Host.unit_id), tuple_(*facets)))
    units, kinds = [], []
    for by_facets, unit_id, os_name, os_family, role, n, *rest in db.execute(stmt):
        if by_facets:
            kinds.append((os_name, os_family, role, n))
        else:
            units.append((unit_id, n, *rest))
    return units, kinds


def _snapshot_unit(db: Session, *, scope: str | None, unit: OrgUnit | None) -> int | None:
    """The ``unit_id`` of the snapshot rows for ``unit``'s subtree or the caller's scope."""
    if unit is not None:
        return unit.id
    if scope is None:
        return ALL_UNITS
    return db.scalar(select(OrgUnit.id).where(OrgUnit.path == scope))


def _licence_figures(
    db: Session, *, scope: str | None, unit: OrgUnit | None
) -> tuple[dict[str, int], dt.datetime | None]:
    """Titles by licence class in the subtree, and when they were counted (None: just now).

    From the snapshot (``admin.summaries``) once it exists; before that, counted live.
    """
    from inventory_server.admin import summaries

    as_of = summaries.titles_as_of(db)
    unit_id = _snapshot_unit(db, scope=scope, unit=unit)
    if as_of is not None and unit_id is not None:
        return summaries.licence_titles(db, unit_id=unit_id), as_of
    hosts = host_query(db, scope=scope, unit=unit.code if unit else None).with_only_columns(Host.id)
    return summaries.licence_titles_live(db, hosts), None


def dashboard(
    db: Session, *, scope: str | None, unit: OrgUnit | None = None, not_seen_days: int = 7
) -> dict[str, Any]:
    """Return the dashboard figures of ``unit``'s subtree (or everything the caller sees).

    Host figures are counted now; software titles by licence class come from the snapshot
    when there is one, and ``licence_as_of`` says when it was taken (None: counted now).
    """
    cutoff = utcnow() - dt.timedelta(days=not_seen_days)
    per_unit, kinds = _host_groups(db, scope=scope, unit=unit, cutoff=cutoff)
    units = db.scalars(select(OrgUnit)).all()
    paths = {u.id: u.path for u in units}

    # Children to roll up: the selected unit's children, or the top units the caller sees.
    if unit is not None:
        children = [u for u in units if u.parent_id == unit.id]
    else:
        visible = [u for u in units if in_scope(u, scope)]
        top = min((u.depth for u in visible), default=0)
        children = [u for u in visible if u.depth == top]
    children.sort(key=lambda u: u.code)
    rollup = {
        c.path: {"code": c.code, "name": c.name, "hosts": 0, "protected": 0, "not_seen": 0}
        for c in children
    }
    hosts = not_seen = 0
    by_os: dict[str, int] = {}
    by_family: dict[str, int] = {}
    by_role: dict[str, int] = {}
    antivirus = dict.fromkeys(AV_STATES, 0)
    from inventory_server.compliance.service import add_unit_counts

    own: dict[int, dict[str, int]] = {}  # each unit's own compliance counts, from the same rows
    n_states, protected = len(AV_STATES), AV_STATES.index("protected")
    for unit_id, n, stale, *rest in per_unit:
        states, counted = rest[:n_states], rest[n_states:]
        if unit_id is not None:
            add_unit_counts(own, unit_id, n, counted)
        hosts += n
        not_seen += stale
        for state, k in zip(AV_STATES, states, strict=True):
            antivirus[state] += k
        heads = subtree_heads(paths.get(unit_id) or "", rollup)  # disjoint children: one at most
        if heads:
            r = heads[0]
            r["hosts"] += n
            r["protected"] += states[protected]
            r["not_seen"] += stale
    for os_name, os_family, role, n in kinds:
        by_os[os_name or "unknown"] = by_os.get(os_name or "unknown", 0) + n
        by_family[os_family or "unknown"] = by_family.get(os_family or "unknown", 0) + n
        by_role[role or "unknown"] = by_role.get(role or "unknown", 0) + n

    licence, as_of = _licence_figures(db, scope=scope, unit=unit)
    titles = sum(licence.values())
    return {
        "unit": {"code": unit.code, "name": unit.name} if unit else None,
        "hosts": hosts,
        "by_os": _top(_counts(by_os.items())),
        "by_os_family": _counts(by_family.items()),
        "by_role": _counts(by_role.items()),
        "antivirus": antivirus,
        "licence_titles": {c: licence.get(c, 0) for c in LICENCE_CLASSES},
        "open_source_share": (licence.get("open_source", 0) / titles) if titles else None,
        "licence_as_of": _iso(as_of),
        "not_seen": not_seen,
        "not_seen_days": not_seen_days,
        "compliance": compliance_figures(db, scope=scope, unit=unit, own=own),
        "children": list(rollup.values()),
    }


# --- software catalogue -------------------------------------------------------------------------


def software_catalogue(
    db: Session,
    *,
    scope: str | None,
    q: str | None = None,
    licence_class: str | None = None,
    limit: int = 200,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int, dt.datetime | None]:
    """Return titles installed on the caller's hosts with the hosts having each and its distinct
    versions, most installed first; the total; and when they were counted (None: just now).

    From the snapshot (``admin.summaries``) once it exists: counting live reads every installed
    package of the caller's hosts (about 90 s for a province of 20,000 hosts). Licence classes
    and names are read now.
    """
    from inventory_server.admin import summaries

    if licence_class and licence_class not in LICENCE_CLASSES:
        raise AdminError(
            _("Licence class must be one of %(choices)s", choices=", ".join(LICENCE_CLASSES)),
            field="licence_class",
        )
    as_of = summaries.titles_as_of(db)
    unit_id = _snapshot_unit(db, scope=scope, unit=None) if as_of is not None else None
    if unit_id is not None:
        installs, versions = UnitTitleCount.hosts, UnitTitleCount.versions
        stmt = (
            select(SoftwareTitle, installs, versions)
            .join(UnitTitleCount, UnitTitleCount.title_id == SoftwareTitle.id)
            .where(UnitTitleCount.unit_id == unit_id, UnitTitleCount.hosts > 0)
        )
    else:
        as_of = None
        hosts = host_query(db, scope=scope).with_only_columns(Host.id)
        installs = func.count(func.distinct(SoftwareInstall.host_id)).label("installs")
        versions = func.count(func.distinct(SoftwareInstall.version)).label("versions")
        stmt = (
            select(SoftwareTitle, installs, versions)
            .join(SoftwareInstall, SoftwareInstall.title_id == SoftwareTitle.id)
            .where(SoftwareInstall.host_id.in_(hosts))
            .group_by(SoftwareTitle.id)
        )
    if q:
        stmt = stmt.where(SoftwareTitle.name_key.contains(name_key(q), autoescape=True))
    if licence_class:
        stmt = stmt.where(SoftwareTitle.licence_class == licence_class)
    total = db.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = db.execute(
        stmt.order_by(installs.desc(), SoftwareTitle.name_key).limit(limit).offset(offset)
    ).all()
    return (
        [
            {
                "name": t.name,
                "publisher": t.publisher,
                "licence_class": t.licence_class,
                "installs": n,
                "versions": v,
            }
            for t, n, v in rows
        ],
        total,
        as_of,
    )


# --- enrollment secrets -------------------------------------------------------------------------


def _secret_state(row: EnrollmentSecret, now: dt.datetime) -> str:
    if row.revoked_at is not None:
        return "revoked"
    return "expired" if row.expires_at <= now else "active"


def list_secrets(db: Session, *, scope: str | None) -> list[dict[str, Any]]:
    """Return the enrollment secrets of the caller's units, newest first (never the secret)."""
    stmt = select(EnrollmentSecret).join(OrgUnit, EnrollmentSecret.unit_id == OrgUnit.id)
    if scope is not None:
        stmt = stmt.where(OrgUnit.path.startswith(scope))
    users = dict(db.execute(select(User.id, User.username)).all())
    now = utcnow()
    return [
        {
            "id": s.id,
            "unit": s.unit.code,
            "unit_name": s.unit.name,
            "label": s.label,
            "created_at": _iso(s.created_at),
            "created_by": users.get(s.created_by_id),
            "expires_at": _iso(s.expires_at),
            "revoked_at": _iso(s.revoked_at),
            "use_count": s.use_count,
            "state": _secret_state(s, now),
        }
        for s in db.scalars(
            stmt.order_by(EnrollmentSecret.created_at.desc(), EnrollmentSecret.id.desc())
        )
    ]


def new_secret(
    db: Session,
    *,
    actor: User,
    scope: str | None,
    unit_code: str,
    days: int = 30,
    label: str | None = None,
    remote_addr: str | None = None,
) -> tuple[str, dict[str, Any]]:
    """Create an enrollment secret for a unit in the caller's subtree; audits and commits."""
    unit = scoped_unit(db, code=unit_code, scope=scope)
    if not 1 <= days <= 3650:
        raise AdminError(_("Days must be between 1 and 3650"), field="days")
    label = nfc(label or "").strip() or None
    if label and len(label) > 255:
        raise AdminError(_("The label must be at most 255 characters"), field="label")
    secret, row = create_secret(db, unit=unit, days=days, label=label, created_by=actor)
    audit(
        db,
        user=actor,
        action="secret_created",
        target=f"{unit.code}#{row.id}",
        remote_addr=remote_addr,
        details={"days": days, "label": label},
    )
    db.commit()
    info = next(s for s in list_secrets(db, scope=scope) if s["id"] == row.id)
    return secret, info


def revoke_secret(
    db: Session, *, actor: User, scope: str | None, secret_id: int, remote_addr: str | None = None
) -> dict[str, Any]:
    """Revoke an enrollment secret of the caller's subtree; audits and commits."""
    row = db.get(EnrollmentSecret, secret_id)
    if row is None or not in_scope(row.unit, scope):
        raise AdminError(
            _("No enrollment secret with id %(id)s", id=secret_id), status=404, field="id"
        )
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        audit(
            db,
            user=actor,
            action="secret_revoked",
            target=f"{row.unit.code}#{row.id}",
            remote_addr=remote_addr,
        )
        db.commit()
    return next(s for s in list_secrets(db, scope=scope) if s["id"] == row.id)


# --- users --------------------------------------------------------------------------------------


def user_info(u: User) -> dict[str, Any]:
    """Return a user's public fields."""
    return {
        "id": u.id,
        "username": u.username,
        "display_name": u.display_name,
        "role": u.role,
        "unit": u.unit.code if u.unit else None,
        "is_active": u.is_active,
        "locked_until": _iso(u.locked_until),
        "last_login_at": _iso(u.last_login_at),
        "created_at": _iso(u.created_at),
    }


def list_users(db: Session) -> list[dict[str, Any]]:
    """Return every user, by user name."""
    return [user_info(u) for u in db.scalars(select(User).order_by(User.username))]


def add_user(
    db: Session,
    *,
    actor: User,
    username: str,
    password: str,
    role: str,
    unit_code: str | None = None,
    display_name: str | None = None,
    remote_addr: str | None = None,
) -> dict[str, Any]:
    """Create a user and audit it; commits."""
    username = username.strip()
    if not username or len(username) > 64 or any(c.isspace() for c in username):
        raise AdminError(
            _("The user name must be 1-64 characters without spaces"), field="username"
        )
    try:
        user = create_user(
            db,
            username=username,
            password=password,
            role=role,
            unit_code=unit_code or None,
            display_name=nfc(display_name or "").strip() or None,
        )
    except UserError as exc:
        db.rollback()
        raise AdminError(str(exc)) from exc
    audit(
        db,
        user=actor,
        action="user_created",
        target=user.username,
        remote_addr=remote_addr,
        details={"role": role, "unit": unit_code or None},
    )
    db.commit()
    return user_info(user)


def set_active(
    db: Session, *, actor: User, user_id: int, active: bool, remote_addr: str | None = None
) -> dict[str, Any]:
    """Enable or disable a user (and clear a lockout when enabling); audits and commits."""
    user = db.get(User, user_id)
    if user is None:
        raise AdminError(_("No user with id %(id)s", id=user_id), status=404, field="id")
    if user.id == actor.id and not active:
        raise AdminError(_("You cannot disable your own account"), field="id")
    user.is_active = active
    if active:
        user.locked_until = None
        user.failed_logins = 0
    audit(
        db,
        user=actor,
        action="user_enabled" if active else "user_disabled",
        target=user.username,
        remote_addr=remote_addr,
    )
    db.commit()
    return user_info(user)


def set_password(
    db: Session, *, actor: User, user_id: int, password: str, remote_addr: str | None = None
) -> dict[str, Any]:
    """Set a user's password, clear any lockout and end their sessions; audits and commits."""
    from inventory_server.security import hash_password
    from inventory_server.users.services import MIN_PASSWORD_LENGTH

    user = db.get(User, user_id)
    if user is None:
        raise AdminError(_("No user with id %(id)s", id=user_id), status=404, field="id")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AdminError(
            _("The password must have at least %(n)s characters", n=MIN_PASSWORD_LENGTH),
            field="password",
        )
    # Sessions carry the tail of the password hash, so a new hash ends them.
    user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    audit(db, user=actor, action="password_set", target=user.username, remote_addr=remote_addr)
    db.commit()
    return user_info(user)


# --- audit log ----------------------------------------------------------------------------------


def audit_entries(
    db: Session,
    *,
    action: str | None = None,
    username: str | None = None,
    limit: int = 200,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """Return audit-log entries, newest first, and their total."""
    stmt = select(AuditLog)
    if action:
        stmt = stmt.where(AuditLog.action == action)
    if username:
        stmt = stmt.where(AuditLog.username == username)
    total = db.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = db.scalars(
        stmt.order_by(AuditLog.at.desc(), AuditLog.id.desc()).limit(limit).offset(offset)
    )
    return [
        {
            "at": _iso(a.at),
            "username": a.username,
            "action": a.action,
            "target": a.target,
            "remote_addr": a.remote_addr,
            "details": a.details,
        }
        for a in rows
    ], total
