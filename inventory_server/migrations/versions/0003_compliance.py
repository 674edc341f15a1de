"""Compliance: packs in force, per-unit params, results, their history, re-evaluation jobs.

Revision ID: 0003_compliance
Revises: 0002
Create Date: 2026-11-21 23:59:04.206952
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import inventory_server.db

revision = "0003_compliance"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "compliance_jobs",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("reason", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("total", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("done", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", inventory_server.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", inventory_server.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", inventory_server.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("message", sa.String(length=2000), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_compliance_jobs")),
    )
    op.create_table(
        "policy_packs",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("pack_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=1024), nullable=False),
        sa.Column(
            "name",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "check_count", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("loaded_at", inventory_server.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_packs")),
        sa.UniqueConstraint("pack_id", name=op.f("uq_policy_packs_pack_id")),
    )
    op.create_table(
        "policy_params",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("unit_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("pack_id", sa.String(length=64), nullable=False),
        sa.Column(
            "params",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("updated_at", inventory_server.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["org_units.id"],
            name=op.f("fk_policy_params_unit_id_org_units"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_params")),
        sa.UniqueConstraint("unit_id", "pack_id", name="uq_policy_params_unit_pack"),
    )
    op.create_table(
        "compliance_changes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("host_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("pack_id", sa.String(length=64), nullable=False),
        sa.Column("check_id", sa.String(length=64), nullable=False),
        sa.Column("at", inventory_server.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("before", sa.String(length=16), nullable=True),
        sa.Column("after", sa.String(length=16), nullable=False),
        sa.Column(
            "evidence",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["host_id"],
            ["hosts.id"],
            name=op.f("fk_compliance_changes_host_id_hosts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_compliance_changes")),
    )
    with op.batch_alter_table("compliance_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_compliance_changes_at"), ["at"], unique=False)
        batch_op.create_index(
            "ix_compliance_changes_host_check",
            ["host_id", "pack_id", "check_id", "at"],
            unique=False,
        )

    op.create_table(
        "compliance_results",
        sa.Column("host_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("pack_id", sa.String(length=64), nullable=False),
        sa.Column("check_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column(
            "evidence",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "pack_version", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("since", inventory_server.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("evaluated_at", inventory_server.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["host_id"],
            ["hosts.id"],
            name=op.f("fk_compliance_results_host_id_hosts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "host_id", "pack_id", "check_id", name=op.f("pk_compliance_results")
        ),
    )
    with op.batch_alter_table("compliance_results", schema=None) as batch_op:
        batch_op.create_index(
            "ix_compliance_results_check_status", ["pack_id", "check_id", "status"], unique=False
        )
        batch_op.create_index(
            "ix_compliance_results_status_check", ["status", "check_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("compliance_results", schema=None) as batch_op:
        batch_op.drop_index("ix_compliance_results_status_check")
        batch_op.drop_index("ix_compliance_results_check_status")

    op.drop_table("compliance_results")
    with op.batch_alter_table("compliance_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_compliance_changes_host_check")
        batch_op.drop_index(batch_op.f("ix_compliance_changes_at"))

    op.drop_table("compliance_changes")
    op.drop_table("policy_params")
    op.drop_table("policy_packs")
    op.drop_table("compliance_jobs")
