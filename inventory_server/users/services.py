"""User services: create users, check passwords with lockout, issue API tokens."""

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory_server.db import utcnow
from inventory_server.models import ApiToken, AuditLog, User
from inventory_server.models.users import ROLES
from inventory_server.security import (
    USER_TOKEN_PREFIX,
    check_password,
    hash_password,
    new_token,
    token_hash,
)
from inventory_server.units.services import get_by_code

MAX_FAILED_LOGINS = 5
LOCKOUT = dt.timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 10


class UserError(ValueError):
    """A user operation was refused; the message says why."""


def create_user(
    db: Session,
    *,
    username: str,
    password: str,
    role: str = "it_officer",
    unit_code: str | None = None,
    display_name: str | None = None,
) -> User:
    """Create a user; does not commit."""
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"password must have at least {MIN_PASSWORD_LENGTH} characters")
    if db.scalar(select(User).where(User.username == username)):
        raise UserError(f"user {username!r} already exists")
    unit_id = None
    if unit_code:
        unit = get_by_code(db, unit_code)
        if unit is None:
            raise UserError(f"unit {unit_code!r} does not exist")
        unit_id = unit.id
    elif role == "it_officer":
        raise UserError("an IT officer needs a unit (--unit CODE)")
    user = User(
        username=username,
        password_hash=hash_password(password),
        role=role,
        unit_id=unit_id,
        display_name=display_name,
    )
    db.add(user)
    db.flush()
    return user


def authenticate(db: Session, *, username: str, password: str) -> tuple[User | None, str]:
    """Check a log-in; returns (user, "") or (None, reason) and counts failures toward lockout."""
    user = db.scalar(select(User).where(User.username == username))
    now = utcnow()
    if user is None or not user.is_active:
        return None, "invalid"
    if user.locked_until and user.locked_until > now:
        return None, "locked"
    if not check_password(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.locked_until = now + LOCKOUT
            user.failed_logins = 0
        db.commit()
        return None, "invalid"
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    db.commit()
    return user, ""


def create_token(db: Session, *, user: User, name: str | None = None) -> str:
    """Issue an API token for ``user``; returns it in clear (shown once); does not commit."""
    token = new_token(USER_TOKEN_PREFIX)
    db.add(ApiToken(user_id=user.id, name=name, token_hash=token_hash(token), prefix=token[:8]))
    return token


def audit(
    db: Session,
    *,
    user: User | None,
    action: str,
    target: str | None = None,
    remote_addr: str | None = None,
    details: dict | None = None,
) -> None:
    """Record a user action in the audit log; does not commit."""
    db.add(
        AuditLog(
            user_id=user.id if user else None,
            username=user.username if user else None,
            action=action,
            target=target,
            remote_addr=remote_addr,
            details=details,
        )
    )
