"""Secrets: random tokens stored only as SHA-256 hashes; passwords as salted slow hashes."""

import hashlib
import hmac
import secrets

from werkzeug.security import check_password_hash, generate_password_hash

HOST_TOKEN_PREFIX = "kmh_"  # noqa: S105 - a prefix, not a secret
USER_TOKEN_PREFIX = "kmu_"  # noqa: S105 - a prefix, not a secret
ENROLL_SECRET_PREFIX = "kme_"  # noqa: S105 - a prefix, not a secret
RESPONSE_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
)
"""Headers on every response."""


def new_token(prefix: str) -> str:
    """Return a new random token (256 bits) with a recognisable prefix."""
    return prefix + secrets.token_urlsafe(32)


def bearer_token(header: str) -> str:
    """Return the token of an ``Authorization: Bearer ...`` header value ("" when none)."""
    return header[7:].strip() if header[:7].lower() == "bearer " else ""


def token_hash(token: str) -> str:
    """Return the SHA-256 hex digest stored in place of a high-entropy token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def hash_password(password: str) -> str:
    """Return a salted scrypt hash of a password."""
    return generate_password_hash(password, method="scrypt")


def check_password(stored_hash: str, password: str) -> bool:
    """Return True when ``password`` matches ``stored_hash``."""
    return check_password_hash(stored_hash, password)


def new_password() -> str:
    """Return a random password for a first administrator."""
    return secrets.token_urlsafe(12)


def same(a: str, b: str) -> bool:
    """Compare two secrets in constant time."""
    return hmac.compare_digest(a.encode(), b.encode())
