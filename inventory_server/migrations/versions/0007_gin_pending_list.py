"""The GIN index of host package ids takes new entries in a small pending list.

A first full report adds 1,000-3,000 entries to the index. Inserted one by one into the index
tree they cost PostgreSQL about a third of its time for the report; gathered in a pending list
and merged in sorted batches they cost much less. The list is kept small (512 kB, the entries of
about 16 hosts) so that searches, which read it, do not slow down measurably.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 04:40:00
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

INDEX = "ix_host_software_package_ids"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"ALTER INDEX {INDEX} SET (fastupdate = on, gin_pending_list_limit = 512)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # Entries still pending would be left unmerged by fastupdate = off: merge them first.
    op.execute(f"SELECT gin_clean_pending_list('{INDEX}'::regclass)")
    op.execute(f"ALTER INDEX {INDEX} SET (fastupdate = off)")
    op.execute(f"ALTER INDEX {INDEX} RESET (gin_pending_list_limit)")
