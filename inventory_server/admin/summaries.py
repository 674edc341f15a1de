"""Dashboard snapshots: which titles each unit subtree has, refreshed on a schedule.

Counting the distinct titles installed in a subtree reads every install of its hosts (30
million rows for a province of 20,000 hosts), too slow for a page. ``refresh_titles`` counts
them once for every unit, rolled up the tree, into ``unit_title_counts``; the dashboard reads
the few thousand rows of one unit and shows when they were counted. ``kiemke-server dashboard
refresh`` runs it (schedule it with cron or a systemd timer); until it first runs, figures are
computed on each request.
"""

import datetime as dt
import time

from sqlalchemy import (
    BigInteger,
    Column,
    MetaData,
    Table,
    and_,
    cast,
    delete,
    func,
    insert,
    literal,
    select,
    text,
)
from sqlalchemy.orm import Session, aliased

from inventory_server.db import utcnow
from inventory_server.hosts.services import active_host_packages
from inventory_server.models import (
    OrgUnit,
    SoftwarePackage,
    SoftwareTitle,
)
from inventory_server.models.summaries import ALL_UNITS, SummaryRefresh, UnitTitleCount

TITLES = "unit_titles"
"""Name of the titles snapshot in ``summary_refreshes``."""


def _direct_table() -> Table:
    return Table(
        "kiemke_unit_titles_direct",
        MetaData(),
        Column("unit_id", BigInteger),
        Column("title_id", BigInteger),
        Column("hosts", BigInteger),
        prefixes=["TEMPORARY"],
    )


def _packages_table() -> Table:
    return Table(
        "kiemke_unit_packages_direct",
        MetaData(),
        Column("unit_id", BigInteger),
        Column("package_id", BigInteger),
        prefixes=["TEMPORARY"],
    )


def _up_the_tree(source, unit_id, title_id, measure, label: str):
    """Subquery of (unit_id, title_id, ``label``): ``measure`` over each unit's whole subtree.

    Every row of ``source`` counts for its unit (``unit_id``) and each of the unit's ancestors.
    """
    own, ancestor = aliased(OrgUnit), aliased(OrgUnit)
    return (
        select(ancestor.id.label("unit_id"), title_id, measure.label(label))
        .select_from(source)
        .join(own, own.id == unit_id)
        .join(ancestor, own.path.startswith(ancestor.path))
        .group_by(ancestor.id, title_id)
        .subquery()
    )


def refresh_titles(db: Session) -> SummaryRefresh:
    """Recount, for every unit's subtree and for all hosts, the active hosts having each title
    and the distinct versions of it they have.

    Two passes over the installs (each host's distinct titles, grouped by the host's unit; each
    unit's distinct package versions), then the per-unit rows are summed up the tree (the
    versions counted distinct over the subtree). Readers keep seeing the previous snapshot until
    the commit. Commits.
    """
    started = time.monotonic()
    conn = db.connection()
    if conn.dialect.name == "postgresql":
        # Two refreshes at once would insert the same keys; readers are not blocked.
        db.execute(text("LOCK TABLE unit_title_counts IN EXCLUSIVE MODE"))
    at = utcnow()  # the installs are read from here on
    direct = _direct_table()
    direct.drop(conn, checkfirst=True)
    direct.create(conn)
    # Each active host's distinct titles, counted per unit.
    packages = active_host_packages(db)
    pairs = (
        select(packages.c.unit_id, packages.c.host_id, SoftwarePackage.title_id)
        .join(SoftwarePackage, SoftwarePackage.id == packages.c.package_id)
        .distinct()
        .subquery()
    )
    db.execute(
        insert(direct).from_select(
            ["unit_id", "title_id", "hosts"],
            select(pairs.c.unit_id, pairs.c.title_id, func.count()).group_by(
                pairs.c.unit_id, pairs.c.title_id
            ),
        )
    )
    unit_packages = _packages_table()
    unit_packages.drop(conn, checkfirst=True)
    unit_packages.create(conn)
    db.execute(
        insert(unit_packages).from_select(
            ["unit_id", "package_id"],
            select(packages.c.unit_id, packages.c.package_id).distinct(),
        )
    )
    versions = (
        select(unit_packages.c.unit_id, SoftwarePackage.title_id, SoftwarePackage.version)
        .join(SoftwarePackage, SoftwarePackage.id == unit_packages.c.package_id)
        .where(SoftwarePackage.version.is_not(None))
        .subquery()
    )
    db.execute(delete(UnitTitleCount))
    hosts_up = _up_the_tree(
        direct,
        direct.c.unit_id,
        direct.c.title_id,
        cast(func.sum(direct.c.hosts), BigInteger),
        "hosts",
    )
    versions_up = _up_the_tree(
        versions,
        versions.c.unit_id,
        versions.c.title_id,
        func.count(func.distinct(versions.c.version)),
        "versions",
    )
    columns = ["unit_id", "title_id", "hosts", "versions"]
    db.execute(
        insert(UnitTitleCount).from_select(
            columns,
            select(
                hosts_up.c.unit_id,
                hosts_up.c.title_id,
                hosts_up.c.hosts,
                func.coalesce(versions_up.c.versions, 0),
            ).outerjoin(
                versions_up,
                and_(
                    versions_up.c.unit_id == hosts_up.c.unit_id,
                    versions_up.c.title_id == hosts_up.c.title_id,
                ),
            ),
        )
    )
    all_hosts = (
        select(direct.c.title_id, cast(func.sum(direct.c.hosts), BigInteger).label("hosts"))
        .group_by(direct.c.title_id)
        .subquery()
    )
    all_versions = (
        select(
            versions.c.title_id,
            func.count(func.distinct(versions.c.version)).label("versions"),
        )
        .group_by(versions.c.title_id)
        .subquery()
    )
    db.execute(
        insert(UnitTitleCount).from_select(
            columns,
            select(
                literal(ALL_UNITS, BigInteger),
                all_hosts.c.title_id,
                all_hosts.c.hosts,
                func.coalesce(all_versions.c.versions, 0),
            ).outerjoin(all_versions, all_versions.c.title_id == all_hosts.c.title_id),
        )
    )
    direct.drop(conn)
    unit_packages.drop(conn)
    row = db.get(SummaryRefresh, TITLES) or SummaryRefresh(name=TITLES)
    row.computed_at = at
    row.seconds = round(time.monotonic() - started, 3)
    db.add(row)
    db.commit()
    if conn.dialect.name == "postgresql":
        # Fresh statistics, so that the first dashboards plan for the new rows.
        db.execute(text("ANALYZE unit_title_counts"))
        db.commit()
    return row


def titles_as_of(db: Session) -> dt.datetime | None:
    """Return when the titles snapshot was taken, or None if it never was."""
    return db.scalar(select(SummaryRefresh.computed_at).where(SummaryRefresh.name == TITLES))


def licence_titles(db: Session, *, unit_id: int) -> dict[str, int]:
    """Titles of the snapshot for ``unit_id``'s subtree (ALL_UNITS: every host), by licence class.

    Licence classes are read now, so a reclassified title counts in its new class at once.
    """
    return dict(
        db.execute(
            select(SoftwareTitle.licence_class, func.count())
            .join(UnitTitleCount, UnitTitleCount.title_id == SoftwareTitle.id)
            .where(UnitTitleCount.unit_id == unit_id)
            .group_by(SoftwareTitle.licence_class)
        ).all()
    )


def licence_titles_live(db: Session, host_ids) -> dict[str, int]:
    """Titles installed on any of ``host_ids`` (a subquery), by licence class, counted now.

    The hosts' package ids (one array per host) are expanded and mapped to their titles.
    """
    from inventory_server.hosts.services import package_ids_of

    titles = select(SoftwarePackage.title_id).where(
        SoftwarePackage.id.in_(package_ids_of(db, host_ids))
    )
    return dict(
        db.execute(
            select(SoftwareTitle.licence_class, func.count())
            .where(SoftwareTitle.id.in_(titles))
            .group_by(SoftwareTitle.licence_class)
        ).all()
    )
