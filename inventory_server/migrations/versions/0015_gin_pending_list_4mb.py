"""The GIN index of host package ids takes up to 4 MB of new entries before merging them.

Migration 0007 kept the pending list at 512 kB (the entries of about 16 hosts), so that searches,
which read the list, would not slow down. Merged in batches that small, the entries of a first
full report still cost PostgreSQL about 1.8 ms a report; gathered in a list of 4 MB (the entries
of about 100 hosts; PostgreSQL's default) they cost about 1.0 ms, and software searches measured
the same with the list nearly full as with it empty (docs/benchmarks.md). The downgrade goes
back to 512 kB.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 14:00:00
"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

INDEX = "ix_host_software_package_ids"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"ALTER INDEX {INDEX} SET (gin_pending_list_limit = 4096)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"ALTER INDEX {INDEX} SET (gin_pending_list_limit = 512)")
