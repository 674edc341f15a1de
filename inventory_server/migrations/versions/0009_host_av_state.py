"""Hosts carry the antivirus state of their latest security section.

The dashboard counts hosts by antivirus state; read from every host's security section with
JSON paths, that was most of the province dashboard's time (20,000 sections read and tested).
Ingest now sets ``hosts.av_state`` when the section changes; this revision fills it from the
sections already stored, with the same rule (``inventory_server.hosts.posture``).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 13:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# The rule of hosts.posture.antivirus_state, as SQL over a security section ``s.data``.
_STATE = {
    "postgresql": (
        "CASE WHEN jsonb_typeof(s.data -> 'antivirus') IS DISTINCT FROM 'object' THEN 'unknown' "
        "WHEN (s.data #>> '{antivirus,installed}')::boolean IS NOT TRUE THEN 'missing' "
        "WHEN (s.data #>> '{antivirus,running}')::boolean IS TRUE THEN 'protected' "
        "ELSE 'not_running' END"
    ),
    "sqlite": (
        "CASE WHEN json_type(s.data, '$.antivirus') IS NOT 'object' THEN 'unknown' "
        "WHEN json_extract(s.data, '$.antivirus.installed') IS NOT 1 THEN 'missing' "
        "WHEN json_extract(s.data, '$.antivirus.running') IS 1 THEN 'protected' "
        "ELSE 'not_running' END"
    ),
}


def upgrade() -> None:
    # A plain ADD COLUMN on both databases: on SQLite, a batch operation would copy the hosts
    # table, and dropping the old one would cascade to every table that refers to it.
    op.add_column(
        "hosts",
        sa.Column("av_state", sa.String(length=16), nullable=False, server_default="unknown"),
    )
    state = _STATE[op.get_bind().dialect.name]
    op.execute(
        f"UPDATE hosts SET av_state = (SELECT {state} FROM host_sections s "  # noqa: S608
        "WHERE s.host_id = hosts.id AND s.section = 'security') "
        "WHERE EXISTS (SELECT 1 FROM host_sections s "
        "WHERE s.host_id = hosts.id AND s.section = 'security')"
    )


def downgrade() -> None:
    # SQLite 3.35 and later drop a column in place (see upgrade for why not a batch copy).
    op.execute("ALTER TABLE hosts DROP COLUMN av_state")
