"""Who is asking: users by session cookie or bearer token; roles and unit-subtree scoping."""

import functools
import secrets

from flask import abort, g, redirect, request, session, url_for
from sqlalchemy import select

from inventory_server.db import utcnow
from inventory_server.errors import ApiError
from inventory_server.i18n import _
from inventory_server.models import ApiToken, OrgUnit, User
from inventory_server.security import USER_TOKEN_PREFIX, bearer_token, token_hash

GLOBAL_READ_ROLES = ("admin", "security", "auditor")
"""Roles that read hosts in every unit; an IT officer reads only their own unit's subtree."""


def get_db():
    """Return the request's database session."""
    from inventory_server.app import get_db as _get_db

    return _get_db()


def _bearer() -> str | None:
    return bearer_token(request.headers.get("Authorization", "")) or None


def load_user() -> User | None:
    """Return the user behind the request (bearer token or session), or None."""
    if "user" in g:
        return g.user
    user = None
    token = _bearer()
    db = get_db()
    if token and token.startswith(USER_TOKEN_PREFIX):
        row = db.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(token)))
        now = utcnow()
        live = row and row.revoked_at is None and (row.expires_at is None or row.expires_at > now)
        if live and row.user.is_active:
            user = row.user
            if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
                row.last_used_at = now
                db.commit()
    elif not token and session.get("user_id"):
        candidate = db.get(User, session["user_id"])
        if candidate and candidate.is_active and session.get("pw") == candidate.password_hash[-16:]:
            user = candidate
    g.user = user
    return user


def scope_path(user: User) -> str | None:
    """Return the unit path prefix the user may read, or None for every unit."""
    if user.role in GLOBAL_READ_ROLES or user.unit_id is None:
        return None
    unit = get_db().get(OrgUnit, user.unit_id)
    return unit.path if unit else "/nonexistent/"


def api_auth(*roles: str):
    """Require an authenticated user (optionally with one of ``roles``) on an API view."""

    def deco(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            user = load_user()
            if user is None:
                raise ApiError(401, "unauthorized", _("A valid API token is required"))
            if roles and user.role not in roles and user.role != "admin":
                raise ApiError(403, "forbidden", _("Your role may not do this"))
            return view(*args, **kwargs)

        return wrapper

    return deco


def login_required(*roles: str):
    """Require a logged-in user on a page; redirect to the log-in page otherwise."""

    def deco(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            user = load_user()
            if user is None:
                return redirect(url_for("web.login", next=request.full_path.rstrip("?")))
            if roles and user.role not in roles and user.role != "admin":
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return deco


def csrf_token() -> str:
    """Return the session's CSRF token, creating it on first use."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(24)
    return session["csrf"]


def check_csrf() -> None:
    """Abort with 400 unless the form carries the session's CSRF token."""
    sent = request.form.get("csrf_token", "")
    if not sent or not secrets.compare_digest(sent, session.get("csrf", "")):
        abort(400, description=_("The form expired; reload the page and try again"))
