"""Software catalogue snapshot: how many versions of each title a unit's subtree has.

The catalogue page counts, per title, the hosts and the distinct versions in the caller's
subtree. Counted live, that reads every installed package of the subtree (about 90 s for a
province of 20,000 hosts); the dashboard snapshot (``unit_title_counts``) already holds the
hosts, and now holds the versions too. Filled by the next ``kiemke-server dashboard refresh``.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 13:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("unit_title_counts") as batch:
        batch.add_column(
            sa.Column(
                "versions",
                sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                nullable=False,
                server_default="0",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("unit_title_counts") as batch:
        batch.drop_column("versions")
