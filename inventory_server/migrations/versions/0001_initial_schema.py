"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-21 23:54:05.929796
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import inventory_server.db

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "org_units",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("parent_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("path", sa.String(length=512), nullable=False),
        sa.Column("created_at", inventory_server.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["org_units.id"], name=op.f("fk_org_units_parent_id_org_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_units")),
        sa.UniqueConstraint("code", name=op.f("uq_org_units_code")),
    )
    with op.batch_alter_table("org_units", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_org_units_parent_id"), ["parent_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_org_units_path"), ["path"], unique=False)

    op.create_table(
        "software_titles",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name_key", sa.String(length=512), nullable=False),
        sa.Column("name", sa.String(length=512), nullable=False),
        sa.Column("publisher", sa.String(length=512), nullable=True),
        sa.Column("licence_class", sa.String(length=32), nullable=False),
        sa.Column("created_at", inventory_server.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_software_titles")),
        sa.UniqueConstraint("name_key", name=op.f("uq_software_titles_name_key")),
    )
    op.create_table(
        "hosts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("hostname", sa.String(length=255), nullable=False),
        sa.Column("fqdn", sa.String(length=255), nullable=True),
        sa.Column("unit_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("machine_id", sa.String(length=128), nullable=True),
        sa.Column("dmi_uuid", sa.String(length=64), nullable=True),
        sa.Column("serial", sa.String(length=128), nullable=True),
        sa.Column("vendor", sa.String(length=255), nullable=True),
        sa.Column("model", sa.String(length=255), nullable=True),
        sa.Column("os_family", sa.String(length=16), nullable=True),
        sa.Column("os_name", sa.String(length=255), nullable=True),
        sa.Column("os_version", sa.String(length=64), nullable=True),
        sa.Column("arch", sa.String(length=32), nullable=True),
        sa.Column("cpu_model", sa.String(length=255), nullable=True),
        sa.Column(
            "cpu_threads", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "memory_bytes", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "disk_bytes", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "software_count", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("agent_version", sa.String(length=32), nullable=True),
        sa.Column("first_seen", inventory_server.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen", inventory_server.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_full_at", inventory_server.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "report_count", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["org_units.id"], name=op.f("fk_hosts_unit_id_org_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hosts")),
    )
    with op.batch_alter_table("hosts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hosts_dmi_uuid"), ["dmi_uuid"], unique=False)
        batch_op.create_index(batch_op.f("ix_hosts_hostname"), ["hostname"], unique=False)
        batch_op.create_index(batch_op.f("ix_hosts_last_seen"), ["last_seen"], unique=False)
        batch_op.create_index(batch_op.f("ix_hosts_machine_id"), ["machine_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_hosts_os_family"), ["os_family"], unique=False)
        batch_op.create_index(batch_op.f("ix_hosts_serial"), ["serial"], unique=False)
        batch_op.create_index(batch_op.f("ix_hosts_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "users",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=255), nullable=True),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("unit_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column(
            "failed_logins", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("locked_until", inventory_server.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_login_at", inventory_server.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", inventory_server.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["org_units.id"], name=op.f("fk_users_unit_id_org_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_users_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "api_tokens",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("created_at", inventory_server.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", inventory_server.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("expires_at", inventory_server.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", inventory_server.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_tokens_user_id"), ["user_id"], unique=False)

    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", inventory_server.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("username", sa.String(length=64), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=255), nullable=True),
        sa.Column("remote_addr", sa.String(length=64), nullable=True),
        sa.Column(
            "details",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_audit_log_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_at"), ["at"], unique=False)

    op.create_table(
        "enrollment_secrets",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("unit_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=255), nullable=True),
        sa.Column("created_at", inventory_server.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", inventory_server.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", inventory_server.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "created_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "use_count", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_enrollment_secrets_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["org_units.id"], name=op.f("fk_enrollment_secrets_unit_id_org_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrollment_secrets")),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_enrollment_secrets_secret_hash")),
    )
    with op.batch_alter_table("enrollment_secrets", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_enrollment_secrets_unit_id"), ["unit_id"], unique=False
        )

    op.create_table(
        "hardware_components",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("host_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("vendor", sa.String(length=255), nullable=True),
        sa.Column("model", sa.String(length=255), nullable=True),
        sa.Column("serial", sa.String(length=128), nullable=True),
        sa.Column(
            "size_bytes", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "attrs",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["host_id"],
            ["hosts.id"],
            name=op.f("fk_hardware_components_host_id_hosts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hardware_components")),
    )
    with op.batch_alter_table("hardware_components", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_hardware_components_host_id"), ["host_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_hardware_components_serial"), ["serial"], unique=False)

    op.create_table(
        "host_addresses",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("host_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("interface", sa.String(length=128), nullable=True),
        sa.ForeignKeyConstraint(
            ["host_id"],
            ["hosts.id"],
            name=op.f("fk_host_addresses_host_id_hosts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_host_addresses")),
    )
    with op.batch_alter_table("host_addresses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_host_addresses_address"), ["address"], unique=False)
        batch_op.create_index(batch_op.f("ix_host_addresses_host_id"), ["host_id"], unique=False)

    op.create_table(
        "host_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("host_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", inventory_server.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=512), nullable=True),
        sa.Column("before", sa.String(length=512), nullable=True),
        sa.Column("after", sa.String(length=512), nullable=True),
        sa.ForeignKeyConstraint(
            ["host_id"], ["hosts.id"], name=op.f("fk_host_events_host_id_hosts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_host_events")),
    )
    with op.batch_alter_table("host_events", schema=None) as batch_op:
        batch_op.create_index("ix_host_events_host_at", ["host_id", "at"], unique=False)

    op.create_table(
        "host_sections",
        sa.Column("host_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("section", sa.String(length=32), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column(
            "data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("updated_at", inventory_server.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["host_id"],
            ["hosts.id"],
            name=op.f("fk_host_sections_host_id_hosts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("host_id", "section", name=op.f("pk_host_sections")),
    )
    op.create_table(
        "network_interfaces",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("host_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("mac", sa.String(length=32), nullable=True),
        sa.Column(
            "ipv4",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "ipv6",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("up", sa.Boolean(), nullable=True),
        sa.Column("virtual", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(
            ["host_id"],
            ["hosts.id"],
            name=op.f("fk_network_interfaces_host_id_hosts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_interfaces")),
    )
    with op.batch_alter_table("network_interfaces", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_network_interfaces_host_id"), ["host_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_network_interfaces_mac"), ["mac"], unique=False)

    op.create_table(
        "software_installs",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("host_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("title_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("version", sa.String(length=256), nullable=True),
        sa.Column("arch", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("install_date", inventory_server.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("section", sa.String(length=128), nullable=True),
        sa.Column("origin", sa.String(length=128), nullable=True),
        sa.Column("scope", sa.String(length=16), nullable=True),
        sa.Column("first_seen", inventory_server.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["host_id"],
            ["hosts.id"],
            name=op.f("fk_software_installs_host_id_hosts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["title_id"],
            ["software_titles.id"],
            name=op.f("fk_software_installs_title_id_software_titles"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_software_installs")),
        sa.UniqueConstraint(
            "host_id", "title_id", "source", "arch", name="uq_software_installs_key"
        ),
    )
    with op.batch_alter_table("software_installs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_software_installs_title_version", ["title_id", "version"], unique=False
        )

    op.create_table(
        "agent_credentials",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("host_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "enrollment_secret_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("created_at", inventory_server.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", inventory_server.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", inventory_server.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["enrollment_secret_id"],
            ["enrollment_secrets.id"],
            name=op.f("fk_agent_credentials_enrollment_secret_id_enrollment_secrets"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["host_id"],
            ["hosts.id"],
            name=op.f("fk_agent_credentials_host_id_hosts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_credentials")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_agent_credentials_token_hash")),
    )
    with op.batch_alter_table("agent_credentials", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agent_credentials_host_id"), ["host_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("agent_credentials", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agent_credentials_host_id"))

    op.drop_table("agent_credentials")
    with op.batch_alter_table("software_installs", schema=None) as batch_op:
        batch_op.drop_index("ix_software_installs_title_version")

    op.drop_table("software_installs")
    with op.batch_alter_table("network_interfaces", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_network_interfaces_mac"))
        batch_op.drop_index(batch_op.f("ix_network_interfaces_host_id"))

    op.drop_table("network_interfaces")
    op.drop_table("host_sections")
    with op.batch_alter_table("host_events", schema=None) as batch_op:
        batch_op.drop_index("ix_host_events_host_at")

    op.drop_table("host_events")
    with op.batch_alter_table("host_addresses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_host_addresses_host_id"))
        batch_op.drop_index(batch_op.f("ix_host_addresses_address"))

    op.drop_table("host_addresses")
    with op.batch_alter_table("hardware_components", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hardware_components_serial"))
        batch_op.drop_index(batch_op.f("ix_hardware_components_host_id"))

    op.drop_table("hardware_components")
    with op.batch_alter_table("enrollment_secrets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_enrollment_secrets_unit_id"))

    op.drop_table("enrollment_secrets")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_at"))

    op.drop_table("audit_log")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_tokens_user_id"))

    op.drop_table("api_tokens")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_unit_id"))

    op.drop_table("users")
    with op.batch_alter_table("hosts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hosts_unit_id"))
        batch_op.drop_index(batch_op.f("ix_hosts_serial"))
        batch_op.drop_index(batch_op.f("ix_hosts_os_family"))
        batch_op.drop_index(batch_op.f("ix_hosts_machine_id"))
        batch_op.drop_index(batch_op.f("ix_hosts_last_seen"))
        batch_op.drop_index(batch_op.f("ix_hosts_hostname"))
        batch_op.drop_index(batch_op.f("ix_hosts_dmi_uuid"))

    op.drop_table("hosts")
    op.drop_table("software_titles")
    with op.batch_alter_table("org_units", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_org_units_path"))
        batch_op.drop_index(batch_op.f("ix_org_units_parent_id"))

    op.drop_table("org_units")
