"""The GIN index of host package ids takes 1 MB of pending entries, not 512 kB.

Merging the pending list into the index costs about the same whatever it holds: a list twice as
long holds the entries of about 32 first reports instead of 16, and halves that cost for each.
Searches read the list too; at 20,000 hosts a search for a common title took the same time with
a 1 MB list nearly full (116 of 128 pages) as with it empty. At 4 MB, PostgreSQL's default, it
took six times as long (docs/benchmarks.md).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 19:30:00
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
    op.execute(f"ALTER INDEX {INDEX} SET (gin_pending_list_limit = 1024)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # A fuller list than 512 kB allows is merged at the next insert; merge it now instead.
    op.execute(f"SELECT gin_clean_pending_list('{INDEX}'::regclass)")
    op.execute(f"ALTER INDEX {INDEX} SET (gin_pending_list_limit = 512)")
