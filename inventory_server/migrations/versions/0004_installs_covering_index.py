"""Software installs: index (title, version, host) so searches read the index only.

Revision ID: 0004
Revises: 0003_compliance
Create Date: 2026-11-22 01:00:00
"""

from alembic import op

revision = "0004"
down_revision = "0003_compliance"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("software_installs", schema=None) as batch_op:
        batch_op.drop_index("ix_software_installs_title_version")
        batch_op.create_index(
            "ix_software_installs_title_version_host", ["title_id", "version", "host_id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("software_installs", schema=None) as batch_op:
        batch_op.drop_index("ix_software_installs_title_version_host")
        batch_op.create_index("ix_software_installs_title_version", ["title_id", "version"])
