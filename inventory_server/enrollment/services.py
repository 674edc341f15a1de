"""Enrollment: secrets per unit buy per-host tokens; hosts are matched across re-enrollments."""

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from agent.schema import HostIdentity
from inventory_server.db import utcnow
from inventory_server.models import AgentCredential, EnrollmentSecret, Host, OrgUnit
from inventory_server.security import (
    ENROLL_SECRET_PREFIX,
    HOST_TOKEN_PREFIX,
    new_token,
    token_hash,
)


class EnrollmentRefused(Exception):
    """The secret is unknown, expired or revoked."""


def create_secret(
    db: Session, *, unit: OrgUnit, days: int = 30, label: str | None = None, created_by=None
) -> tuple[str, EnrollmentSecret]:
    """Create an enrollment secret for ``unit``; returns (secret in clear, row); no commit."""
    if days < 1 or days > 3650:
        raise ValueError("days must be between 1 and 3650")
    secret = new_token(ENROLL_SECRET_PREFIX)
    row = EnrollmentSecret(
        unit_id=unit.id,
        secret_hash=token_hash(secret),
        label=label,
        expires_at=utcnow() + dt.timedelta(days=days),
        created_by_id=created_by.id if created_by else None,
    )
    db.add(row)
    db.flush()
    return secret, row


def find_host(db: Session, ident: HostIdentity) -> Host | None:
    """Find an existing host by machine id, then DMI UUID, then serial (strongest first)."""
    for column, value in (
        (Host.machine_id, ident.machine_id),
        (Host.dmi_uuid, ident.dmi_uuid),
        (Host.serial, ident.serial),
    ):
        if value:
            host = db.scalar(
                select(Host).where(column == value, Host.status != "merged").order_by(Host.id)
            )
            if host:
                return host
    return None


def enroll(
    db: Session, *, secret: str, ident: HostIdentity, agent_version: str
) -> tuple[Host, str]:
    """Check the secret, find or create the host, revoke old tokens, issue a new one; commits."""
    now = utcnow()
    row = db.scalar(
        select(EnrollmentSecret)
        .where(EnrollmentSecret.secret_hash == token_hash(secret))
        .with_for_update()
    )
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        raise EnrollmentRefused("invalid_secret" if row is None else "expired_secret")
    host = find_host(db, ident)
    if host is None:
        host = Host(hostname=ident.hostname, first_seen=now)
        db.add(host)
    host.hostname = ident.hostname
    host.fqdn = ident.fqdn
    host.machine_id = ident.machine_id or host.machine_id
    host.dmi_uuid = ident.dmi_uuid or host.dmi_uuid
    host.serial = ident.serial or host.serial
    host.role = ident.role or host.role or "workstation"
    host.unit_id = row.unit_id
    host.agent_version = agent_version
    host.status = "active"
    db.flush()
    db.execute(
        update(AgentCredential)
        .where(AgentCredential.host_id == host.id, AgentCredential.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    token = new_token(HOST_TOKEN_PREFIX)
    db.add(
        AgentCredential(host_id=host.id, token_hash=token_hash(token), enrollment_secret_id=row.id)
    )
    row.use_count += 1
    db.commit()
    return host, token


def host_for_token(db: Session, token: str) -> Host | None:
    """Return the active host owning ``token``, or None (unknown or revoked)."""
    if not token.startswith(HOST_TOKEN_PREFIX):
        return None
    cred = db.scalar(
        select(AgentCredential).where(
            AgentCredential.token_hash == token_hash(token), AgentCredential.revoked_at.is_(None)
        )
    )
    if cred is None or cred.host.status != "active":
        return None
    return cred.host


def revoke_host(db: Session, *, host: Host) -> int:
    """Revoke every token of ``host``; it re-enrolls only with a new secret; commits."""
    n = db.execute(
        update(AgentCredential)
        .where(AgentCredential.host_id == host.id, AgentCredential.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    ).rowcount
    db.commit()
    return n


__all__ = ["EnrollmentRefused", "create_secret", "enroll", "find_host", "host_for_token"]
