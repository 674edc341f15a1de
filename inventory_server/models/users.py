"""People who use the server, their API tokens, and the audit log of their actions."""

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inventory_server.db import Base, intpk, str64, str255, utcnow
from inventory_server.models.units import OrgUnit

ROLES = ("admin", "it_officer", "security", "auditor")
"""admin: everything; it_officer: own unit subtree; security: compliance everywhere, hosts
read-only; auditor: register and counts, inventory read-only."""


class User(Base):
    """A person with a log-in; the password is stored only as a salted hash."""

    __tablename__ = "users"

    id: Mapped[intpk]
    username: Mapped[str64] = mapped_column(unique=True)
    display_name: Mapped[str255 | None]
    password_hash: Mapped[str255]
    role: Mapped[str] = mapped_column(String(32), default="it_officer")
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"), index=True)
    language: Mapped[str | None] = mapped_column(String(8))
    is_active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[dt.datetime | None]
    last_login_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    unit: Mapped[OrgUnit | None] = relationship()


class ApiToken(Base):
    """A bearer token for the API, bound to a user; stored only as a hash."""

    __tablename__ = "api_tokens"

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str255 | None]
    token_hash: Mapped[str64] = mapped_column(unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[dt.datetime | None]
    expires_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]

    user: Mapped[User] = relationship()


class AuditLog(Base):
    """Who did what, when, from where."""

    __tablename__ = "audit_log"

    id: Mapped[intpk]
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    username: Mapped[str64 | None]
    action: Mapped[str64]
    target: Mapped[str255 | None]
    remote_addr: Mapped[str64 | None]
    details: Mapped[dict[str, Any] | None]
