"""Per unit and check, how many of the unit's active hosts have each status.

The compliance summary per check counted every result of the hosts in scope: for a province,
420,000 rows grouped on each request (a quarter of a second). ``unit_check_counts`` keeps the
counts per unit, check and status, written by the compliance service with the results; the
summary adds up a few thousand rows. This revision fills it from the results already stored.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 22:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_INT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "unit_check_counts",
        sa.Column("unit_id", _INT, nullable=False),
        sa.Column("pack_id", sa.String(length=64), nullable=False),
        sa.Column("check_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("hosts", _INT, nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["org_units.id"],
            name=op.f("fk_unit_check_counts_unit_id_org_units"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "unit_id", "pack_id", "check_id", "status", name=op.f("pk_unit_check_counts")
        ),
    )
    op.execute(
        "INSERT INTO unit_check_counts (unit_id, pack_id, check_id, status, hosts) "
        "SELECT h.unit_id, r.pack_id, r.check_id, r.status, count(*) "
        "FROM compliance_results r JOIN hosts h ON h.id = r.host_id "
        "WHERE h.status = 'active' AND h.unit_id IS NOT NULL "
        "GROUP BY h.unit_id, r.pack_id, r.check_id, r.status"
    )


def downgrade() -> None:
    op.drop_table("unit_check_counts")
