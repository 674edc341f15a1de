"""Software: package versions in a shared catalogue, each host's software as one row of arrays.

``software_installs`` (one row per host and package) becomes ``software_packages`` (one row per
distinct package version) plus ``host_software`` (one row per host: package ids and install
dates), with a GIN index on the ids on PostgreSQL; ``software_installs`` stays as a read-only
view. Existing installs are carried over; the per-install ``first_seen`` is not kept (the
history events record when software appeared).

Revision ID: 0005_host_software
Revises: 0004
Create Date: 2026-11-22 03:00:00
"""

import datetime as dt
import json
from collections import defaultdict

import sqlalchemy as sa
from alembic import op

import inventory_server.db
from inventory_server.models.software import VIEW_SQL, IntArray

revision = "0005_host_software"
down_revision = "0004"
branch_labels = None
depends_on = None

BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

# package_key() in SQL; chr(31) joins, chr(30) stands for a missing field.
_KEY_SQL = {
    "postgresql": (
        "i.title_id::text || chr(31) || coalesce(i.version, chr(30)) || chr(31) || i.arch"
        " || chr(31) || i.source || chr(31) || coalesce(i.section, chr(30)) || chr(31)"
        " || coalesce(i.origin, chr(30)) || chr(31) || coalesce(i.scope, chr(30))"
    ),
    "sqlite": (
        "CAST(i.title_id AS TEXT) || char(31) || coalesce(i.version, char(30)) || char(31)"
        " || i.arch || char(31) || i.source || char(31) || coalesce(i.section, char(30))"
        " || char(31) || coalesce(i.origin, char(30)) || char(31) || coalesce(i.scope, char(30))"
    ),
}


def upgrade() -> None:
    bind = op.get_bind()
    dialect = bind.dialect.name
    op.create_table(
        "software_packages",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("title_id", BIGINT, nullable=False),
        sa.Column("version", sa.String(length=256), nullable=True),
        sa.Column("arch", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("section", sa.String(length=128), nullable=True),
        sa.Column("origin", sa.String(length=128), nullable=True),
        sa.Column("scope", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["title_id"],
            ["software_titles.id"],
            name=op.f("fk_software_packages_title_id_software_titles"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_software_packages")),
        sa.UniqueConstraint("key", name=op.f("uq_software_packages_key")),
    )
    op.create_index(op.f("ix_software_packages_title_id"), "software_packages", ["title_id"])
    op.create_table(
        "host_software",
        sa.Column("host_id", BIGINT, nullable=False),
        sa.Column("package_ids", IntArray(), nullable=False),
        sa.Column("install_dates", IntArray(big=True), nullable=False),
        sa.Column("updated_at", inventory_server.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["host_id"],
            ["hosts.id"],
            name=op.f("fk_host_software_host_id_hosts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("host_id", name=op.f("pk_host_software")),
    )
    op.create_index(
        "ix_host_software_package_ids",
        "host_software",
        ["package_ids"],
        postgresql_using="gin",
        postgresql_with={"fastupdate": "off"},
    )

    key = _KEY_SQL[dialect]
    # _KEY_SQL is constant text (no input): S608 does not apply to the statements below.
    op.execute(
        "INSERT INTO software_packages "  # noqa: S608
        "(key, title_id, version, arch, source, section, origin, scope) "
        f"SELECT DISTINCT {key}, i.title_id, i.version, i.arch, i.source, i.section, i.origin, "
        "i.scope FROM software_installs i"
    )
    if dialect == "postgresql":
        op.execute(
            "INSERT INTO host_software (host_id, package_ids, install_dates, updated_at) "  # noqa: S608
            "SELECT i.host_id, array_agg(p.id::int ORDER BY p.id), "
            "array_agg(extract(epoch FROM i.install_date)::bigint ORDER BY p.id), now() "
            f"FROM software_installs i JOIN software_packages p ON p.key = {key} "
            "GROUP BY i.host_id"
        )
    else:
        rows = bind.execute(
            sa.text(
                "SELECT i.host_id, p.id, "  # noqa: S608
                "CAST(strftime('%s', i.install_date) AS INTEGER) "
                f"FROM software_installs i JOIN software_packages p ON p.key = {key} "
                "ORDER BY i.host_id, p.id"
            )
        )
        per_host: dict[int, tuple[list, list]] = defaultdict(lambda: ([], []))
        for host_id, package_id, when in rows:
            ids, dates = per_host[host_id]
            ids.append(package_id)
            dates.append(when)
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
        table = sa.table(
            "host_software",
            sa.column("host_id"),
            sa.column("package_ids"),
            sa.column("install_dates"),
            sa.column("updated_at"),
        )
        for host_id, (ids, dates) in per_host.items():
            bind.execute(
                table.insert().values(
                    host_id=host_id,
                    package_ids=json.dumps(ids, separators=(",", ":")),
                    install_dates=json.dumps(dates, separators=(",", ":")),
                    updated_at=now,
                )
            )
    op.drop_table("software_installs")
    op.execute(VIEW_SQL[dialect])


def downgrade() -> None:
    bind = op.get_bind()
    op.execute("DROP VIEW software_installs")
    op.create_table(
        "software_installs",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("host_id", BIGINT, nullable=False),
        sa.Column("title_id", BIGINT, nullable=False),
        sa.Column("version", sa.String(length=256), nullable=True),
        sa.Column("arch", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("install_date", inventory_server.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("section", sa.String(length=128), nullable=True),
        sa.Column("origin", sa.String(length=128), nullable=True),
        sa.Column("scope", sa.String(length=16), nullable=True),
        sa.Column("first_seen", inventory_server.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["host_id"],
            ["hosts.id"],
            name=op.f("fk_software_installs_host_id_hosts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["title_id"],
            ["software_titles.id"],
            name=op.f("fk_software_installs_title_id_software_titles"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_software_installs")),
        sa.UniqueConstraint(
            "host_id", "title_id", "source", "arch", name="uq_software_installs_key"
        ),
    )
    op.create_index(
        "ix_software_installs_title_version_host",
        "software_installs",
        ["title_id", "version", "host_id"],
    )
    if bind.dialect.name == "postgresql":
        op.execute(
            "INSERT INTO software_installs (host_id, title_id, version, arch, source, "
            "install_date, section, origin, scope, first_seen) "
            "SELECT DISTINCT ON (hs.host_id, p.title_id, p.source, p.arch) hs.host_id, "
            "p.title_id, p.version, p.arch, p.source, to_timestamp(u.d), p.section, p.origin, "
            "p.scope, hs.updated_at "
            "FROM host_software hs CROSS JOIN LATERAL unnest(hs.package_ids, hs.install_dates) "
            "AS u(pid, d) JOIN software_packages p ON p.id = u.pid"
        )
    else:
        op.execute(
            "INSERT OR IGNORE INTO software_installs (host_id, title_id, version, arch, source, "
            "install_date, section, origin, scope, first_seen) "
            "SELECT hs.host_id, p.title_id, p.version, p.arch, p.source, "
            "datetime(json_extract(hs.install_dates, '$[' || je.key || ']'), 'unixepoch'), "
            "p.section, p.origin, p.scope, hs.updated_at "
            "FROM host_software hs JOIN json_each(hs.package_ids) je "
            "JOIN software_packages p ON p.id = je.value"
        )
    op.drop_index("ix_host_software_package_ids", table_name="host_software")
    op.drop_table("host_software")
    op.drop_index(op.f("ix_software_packages_title_id"), table_name="software_packages")
    op.drop_table("software_packages")
