"""Each host's result counts by status, kept beside its compliance results.

The dashboard and the per-unit compliance summary counted a province's results row by row:
20,000 hosts with about 21 results each, joined to their hosts and grouped four times, took
half a second per page. ``host_compliance`` holds, per host, how many of its results pass, fail,
are not applicable and err; the compliance service writes it with the results, and per-unit
figures read one row per host. This revision fills it from the results already stored.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 18:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_INT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "host_compliance",
        sa.Column("host_id", _INT, nullable=False),
        sa.Column("pass_count", _INT, nullable=False),
        sa.Column("fail_count", _INT, nullable=False),
        sa.Column("not_applicable_count", _INT, nullable=False),
        sa.Column("error_count", _INT, nullable=False),
        sa.ForeignKeyConstraint(
            ["host_id"],
            ["hosts.id"],
            name=op.f("fk_host_compliance_host_id_hosts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("host_id", name=op.f("pk_host_compliance")),
    )
    op.execute(
        "INSERT INTO host_compliance (host_id, pass_count, fail_count, not_applicable_count, "
        "error_count) SELECT host_id, "
        "sum(CASE WHEN status = 'pass' THEN 1 ELSE 0 END), "
        "sum(CASE WHEN status = 'fail' THEN 1 ELSE 0 END), "
        "sum(CASE WHEN status = 'not_applicable' THEN 1 ELSE 0 END), "
        "sum(CASE WHEN status = 'error' THEN 1 ELSE 0 END) "
        "FROM compliance_results GROUP BY host_id"
    )


def downgrade() -> None:
    op.drop_table("host_compliance")
