"""Enrollment: secrets per unit buy per-host tokens; hosts are matched across re-enrollments."""

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from agent.schema import HostIdentity
from inventory_server.db import utcnow
from inventory_server.hooks import run_host_moved
from inventory_server.models import AgentCredential, EnrollmentSecret, Host, HostEvent, OrgUnit
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


IDENTITY_RULES = ("machine_id", "dmi_uuid", "serial", "mac")
"""Default order in which an enrolling machine is matched to a known host (strongest first).

Like OCS Inventory's duplicate levels: machine_id survives renames, dmi_uuid and serial survive
operating-system reinstalls, mac survives both when the firmware hides UUID and serial.
"""


def parse_rules(text: str | None) -> tuple[str, ...]:
    """Parse a comma-separated rule list (KIEMKE_IDENTITY_RULES); raise ValueError on unknowns."""
    if not text:
        return IDENTITY_RULES
    rules = tuple(r.strip() for r in text.split(",") if r.strip())
    unknown = [r for r in rules if r not in IDENTITY_RULES]
    if unknown:
        raise ValueError(
            f"unknown identity rule(s) {', '.join(unknown)}; "
            f"choose from {', '.join(IDENTITY_RULES)}"
        )
    return rules


def find_host(
    db: Session, ident: HostIdentity, rules: tuple[str, ...] = IDENTITY_RULES
) -> Host | None:
    """Find the active host this identity belongs to, trying ``rules`` in order."""
    from inventory_server.models import NetworkInterface

    active = Host.status == "active"
    for rule in rules:
        if rule == "mac":
            macs = [m.lower() for m in ident.mac_addresses if m]
            if not macs:
                continue
            ids = set(
                db.scalars(
                    select(NetworkInterface.host_id)
                    .join(Host)
                    .where(NetworkInterface.mac.in_(macs), active)
                )
            )
            if len(ids) == 1:  # a MAC seen on several hosts identifies none of them
                return db.get(Host, ids.pop())
            continue
        value = getattr(ident, rule)
        if value:
            host = db.scalar(
                select(Host).where(getattr(Host, rule) == value, active).order_by(Host.id)
            )
            if host:
                return host
    return None


def enroll(
    db: Session,
    *,
    secret: str,
    ident: HostIdentity,
    agent_version: str,
    rules: tuple[str, ...] = IDENTITY_RULES,
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
    host = find_host(db, ident, rules)
    if host is None:
        host = Host(hostname=ident.hostname, first_seen=now)
        db.add(host)
    elif host.hostname != ident.hostname:
        db.add(
            HostEvent(
                host_id=host.id, at=now, kind="renamed", before=host.hostname, after=ident.hostname
            )
        )
    else:
        db.add(HostEvent(host_id=host.id, at=now, kind="reenrolled", subject=ident.machine_id))
    host.hostname = ident.hostname
    host.fqdn = ident.fqdn
    host.machine_id = ident.machine_id or host.machine_id
    host.dmi_uuid = ident.dmi_uuid or host.dmi_uuid
    host.serial = ident.serial or host.serial
    host.role = ident.role or host.role or "workstation"
    before = (host.unit_id, host.status)
    host.unit_id = row.unit_id
    host.agent_version = agent_version
    host.status = "active"
    db.flush()
    run_host_moved(db, host.id, before, (host.unit_id, host.status))
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
