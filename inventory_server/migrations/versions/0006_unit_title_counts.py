"""Dashboard snapshot: titles per unit subtree (unit_title_counts) and refresh times.

Revision ID: 0006
Revises: 0005_host_software
Create Date: 2026-11-22 02:40:00
"""

import sqlalchemy as sa
from alembic import op

import inventory_server.db

revision = "0006"
down_revision = "0005_host_software"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "unit_title_counts",
        sa.Column(
            "unit_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column(
            "title_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("hosts", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.PrimaryKeyConstraint("unit_id", "title_id", name=op.f("pk_unit_title_counts")),
    )
    op.create_table(
        "summary_refreshes",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("computed_at", inventory_server.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("seconds", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_summary_refreshes")),
    )


def downgrade() -> None:
    op.drop_table("summary_refreshes")
    op.drop_table("unit_title_counts")
