"""A host's visit is recorded in place: no index on ``hosts.last_seen``, room left on each page.

Every report updates its host's ``last_seen``. With that column indexed, PostgreSQL could not
update the row in place (a HOT update): each visit wrote a new row version with an entry in every
index of the table, and under a steady stream of reports the table and its indexes swelled
between vacuums, so each visit cost more the longer the server ran. Without the index, and with a
fifth of each page left free (``fillfactor = 80``) for the new row versions, a visit touches no
index and old versions are pruned as pages are read. The queries that read ``last_seen`` (hosts
not seen for N days, lists sorted by last seen) also count every host of their scope, so the
index spared them little.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 15:50:00
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_hosts_last_seen", table_name="hosts")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE hosts SET (fillfactor = 80)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE hosts RESET (fillfactor)")
    op.create_index("ix_hosts_last_seen", "hosts", ["last_seen"])
