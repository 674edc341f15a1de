"""Compliance: packs in force, per-unit params, results per host and check, their history, jobs."""

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from inventory_server.db import Base, intpk, str64, str255, utcnow


class PolicyPack(Base):
    """A policy pack as last loaded: version and digest, so a change triggers re-evaluation."""

    __tablename__ = "policy_packs"

    id: Mapped[intpk]
    pack_id: Mapped[str64] = mapped_column(unique=True)
    version: Mapped[int]
    digest: Mapped[str64]
    source: Mapped[str] = mapped_column(String(1024))
    name: Mapped[dict[str, Any]]
    check_count: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    loaded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class PolicyParam(Base):
    """A unit's override of a pack's params (hosts below the unit inherit it)."""

    __tablename__ = "policy_params"
    __table_args__ = (UniqueConstraint("unit_id", "pack_id", name="uq_policy_params_unit_pack"),)

    id: Mapped[intpk]
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id", ondelete="CASCADE"))
    pack_id: Mapped[str64]
    params: Mapped[dict[str, Any]]
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ComplianceResult(Base):
    """The current result of one check on one host, with the evidence that decided it."""

    __tablename__ = "compliance_results"
    __table_args__ = (
        Index("ix_compliance_results_check_status", "pack_id", "check_id", "status"),
        Index("ix_compliance_results_status_check", "status", "check_id"),
    )

    host_id: Mapped[int] = mapped_column(
        ForeignKey("hosts.id", ondelete="CASCADE"), primary_key=True
    )
    pack_id: Mapped[str64] = mapped_column(primary_key=True)
    check_id: Mapped[str64] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    severity: Mapped[str] = mapped_column(String(16))
    evidence: Mapped[list[Any]]
    pack_version: Mapped[int]
    since: Mapped[dt.datetime] = mapped_column(default=utcnow)
    evaluated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class UnitCheckCount(Base):
    """How many active hosts of a unit (its own, not its subtree's) have each status on a check.

    Kept by the compliance service with the results, by adding what each write changes, so that
    per-check figures for a province read a few thousand rows instead of every result. Hosts
    moving to another unit, retiring or coming back move their counts (``hooks.HOST_MOVED``).
    """

    __tablename__ = "unit_check_counts"

    unit_id: Mapped[int] = mapped_column(
        ForeignKey("org_units.id", ondelete="CASCADE"), primary_key=True
    )
    pack_id: Mapped[str64] = mapped_column(primary_key=True)
    check_id: Mapped[str64] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    hosts: Mapped[int] = mapped_column(default=0)


class ComplianceChange(Base):
    """A status change of one check on one host: when it started failing, when it was fixed."""

    __tablename__ = "compliance_changes"
    __table_args__ = (
        Index("ix_compliance_changes_host_check", "host_id", "pack_id", "check_id", "at"),
    )

    id: Mapped[intpk]
    host_id: Mapped[int] = mapped_column(ForeignKey("hosts.id", ondelete="CASCADE"))
    pack_id: Mapped[str64]
    check_id: Mapped[str64]
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    before: Mapped[str | None] = mapped_column(String(16))
    after: Mapped[str] = mapped_column(String(16))
    evidence: Mapped[list[Any] | None]


class ComplianceJob(Base):
    """A background re-evaluation of many hosts, with its progress."""

    __tablename__ = "compliance_jobs"

    id: Mapped[intpk]
    reason: Mapped[str255]
    status: Mapped[str] = mapped_column(String(16), default="queued")
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]
    message: Mapped[str | None] = mapped_column(String(2000))
