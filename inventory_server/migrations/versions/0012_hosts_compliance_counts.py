"""Hosts carry their compliance result counts; ``host_compliance`` goes.

Revision 0011 kept each host's result counts by status in a table of their own. The province
dashboard joined it to the 20,000 hosts it groups, and the join was half of that query's time.
The counts are now columns of ``hosts`` (all zero: no result), written with the results as
before; this revision moves the counts there and drops the table. Downgrade puts them back.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 21:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_COUNTS = ("pass_count", "fail_count", "not_applicable_count", "error_count")
_INT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # Plain ADD COLUMNs on both databases (see revision 0009: no batch copy of hosts on SQLite).
    for name in _COUNTS:
        op.add_column("hosts", sa.Column(name, _INT, nullable=False, server_default="0"))
    sets = ", ".join(
        f"{c} = (SELECT hc.{c} FROM host_compliance hc WHERE hc.host_id = hosts.id)"  # noqa: S608
        for c in _COUNTS
    )
    op.execute(
        f"UPDATE hosts SET {sets} "  # noqa: S608 (names from _COUNTS only)
        "WHERE EXISTS (SELECT 1 FROM host_compliance hc WHERE hc.host_id = hosts.id)"
    )
    op.drop_table("host_compliance")


def downgrade() -> None:
    op.create_table(
        "host_compliance",
        sa.Column("host_id", _INT, nullable=False),
        *(sa.Column(c, _INT, nullable=False) for c in _COUNTS),
        sa.ForeignKeyConstraint(
            ["host_id"],
            ["hosts.id"],
            name=op.f("fk_host_compliance_host_id_hosts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("host_id", name=op.f("pk_host_compliance")),
    )
    columns = ", ".join(_COUNTS)
    op.execute(
        f"INSERT INTO host_compliance (host_id, {columns}) "  # noqa: S608
        f"SELECT id, {columns} FROM hosts WHERE {' + '.join(_COUNTS)} > 0"
    )
    # SQLite 3.35 and later drop a column in place.
    for name in _COUNTS:
        op.execute(f"ALTER TABLE hosts DROP COLUMN {name}")
