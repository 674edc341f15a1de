"""Hosts, their agent credentials, latest report sections, hardware, addresses and history."""

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inventory_server.db import Base, intpk, str64, str255, utcnow
from inventory_server.models.units import OrgUnit


class Host(Base):
    """A managed machine. Identity: machine id, DMI UUID, serial and MAC addresses."""

    __tablename__ = "hosts"

    id: Mapped[intpk]
    hostname: Mapped[str255] = mapped_column(index=True)
    fqdn: Mapped[str255 | None]
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"), index=True)
    role: Mapped[str] = mapped_column(String(16), default="workstation")
    status: Mapped[str] = mapped_column(String(16), default="active")
    source: Mapped[str] = mapped_column(String(16), default="agent")
    machine_id: Mapped[str | None] = mapped_column(String(128), index=True)
    dmi_uuid: Mapped[str64 | None] = mapped_column(index=True)
    serial: Mapped[str | None] = mapped_column(String(128), index=True)
    vendor: Mapped[str255 | None]
    model: Mapped[str255 | None]
    os_family: Mapped[str | None] = mapped_column(String(16), index=True)
    os_name: Mapped[str255 | None]
    os_version: Mapped[str64 | None]
    arch: Mapped[str | None] = mapped_column(String(32))
    cpu_model: Mapped[str255 | None]
    cpu_threads: Mapped[int | None]
    memory_bytes: Mapped[int | None]
    disk_bytes: Mapped[int | None]
    software_count: Mapped[int] = mapped_column(default=0)
    agent_version: Mapped[str | None] = mapped_column(String(32))
    first_seen: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[dt.datetime | None]  # not indexed: visits are HOT updates (migration 0010)
    last_full_at: Mapped[dt.datetime | None]
    report_count: Mapped[int] = mapped_column(default=0)
    av_state: Mapped[str] = mapped_column(String(16), default="unknown", server_default="unknown")
    """The antivirus state of the latest security section (``hosts.posture.AV_STATES``)."""
    # How many of the host's current compliance results have each status, written with the
    # results (``compliance.service.recount``): per-unit figures read them with the hosts, one row
    # per host and no join. All zero: no result (not evaluated).
    pass_count: Mapped[int] = mapped_column(default=0, server_default="0")
    fail_count: Mapped[int] = mapped_column(default=0, server_default="0")
    not_applicable_count: Mapped[int] = mapped_column(default=0, server_default="0")
    error_count: Mapped[int] = mapped_column(default=0, server_default="0")
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("hosts.id", ondelete="SET NULL"))

    unit: Mapped[OrgUnit | None] = relationship(lazy="joined")


class AgentCredential(Base):
    """A per-host token; stored only as a hash. Revoked tokens get 401."""

    __tablename__ = "agent_credentials"

    id: Mapped[intpk]
    host_id: Mapped[int] = mapped_column(ForeignKey("hosts.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str64] = mapped_column(unique=True)
    enrollment_secret_id: Mapped[int | None] = mapped_column(
        ForeignKey("enrollment_secrets.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]

    host: Mapped[Host] = relationship()


class HostSection(Base):
    """The latest accepted data and digest of one report section of one host."""

    __tablename__ = "host_sections"

    host_id: Mapped[int] = mapped_column(
        ForeignKey("hosts.id", ondelete="CASCADE"), primary_key=True
    )
    section: Mapped[str] = mapped_column(String(32), primary_key=True)
    digest: Mapped[str64]
    data: Mapped[dict[str, Any]]
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class HardwareComponent(Base):
    """A hardware component: cpu, memory module, disk, monitor, battery..."""

    __tablename__ = "hardware_components"

    id: Mapped[intpk]
    host_id: Mapped[int] = mapped_column(ForeignKey("hosts.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str255 | None]
    vendor: Mapped[str255 | None]
    model: Mapped[str255 | None]
    serial: Mapped[str | None] = mapped_column(String(128), index=True)
    size_bytes: Mapped[int | None]
    attrs: Mapped[dict[str, Any] | None]


class NetworkInterface(Base):
    """A network interface of a host."""

    __tablename__ = "network_interfaces"

    id: Mapped[intpk]
    host_id: Mapped[int] = mapped_column(ForeignKey("hosts.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    mac: Mapped[str | None] = mapped_column(String(32), index=True)
    ipv4: Mapped[list[Any]]
    ipv6: Mapped[list[Any]]
    up: Mapped[bool | None]
    virtual: Mapped[bool | None]


class HostAddress(Base):
    """An IP address of a host (without prefix length), for search."""

    __tablename__ = "host_addresses"

    id: Mapped[intpk]
    host_id: Mapped[int] = mapped_column(ForeignKey("hosts.id", ondelete="CASCADE"), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    interface: Mapped[str | None] = mapped_column(String(128))


class HostEvent(Base):
    """One timestamped change on a host: software installed/removed/upgraded, hardware, posture."""

    __tablename__ = "host_events"
    __table_args__ = (Index("ix_host_events_host_at", "host_id", "at"),)

    id: Mapped[intpk]
    host_id: Mapped[int] = mapped_column(ForeignKey("hosts.id", ondelete="CASCADE"))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str | None] = mapped_column(String(512))
    before: Mapped[str | None] = mapped_column(String(512))
    after: Mapped[str | None] = mapped_column(String(512))
