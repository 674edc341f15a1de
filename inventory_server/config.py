"""Server configuration: class defaults, then KIEMKE_* environment, then the mapping passed in."""

import os
from typing import Any


class Config:
    """Default settings; every key can be overridden by the environment as KIEMKE_<KEY>."""

    DATA_DIR = "./var"
    DATABASE_URL = ""  # default: SQLite under DATA_DIR
    # PostgreSQL: the no-wait pool's connections (unchanged reports, new catalogue rows), which
    # turn synchronous_commit off for their session. Default: DATABASE_URL. Behind a pooler in
    # transaction mode, give them a database role (a pool) of their own: see docs/operations.md.
    NOWAIT_DATABASE_URL = ""
    SECRET_KEY = ""  # default: generated once and kept in DATA_DIR/secret_key
    MAX_REPORT_BYTES = 16 * 1024 * 1024  # after decompression
    MAX_COMPRESSED_BYTES = 16 * 1024 * 1024
    ENROLL_SECRET_DAYS = 30
    SESSION_COOKIE_SECURE = False  # set True behind TLS
    DEFAULT_LANGUAGE = "vi"
    NOT_SEEN_DAYS = 7
    IDENTITY_RULES = "machine_id,dmi_uuid,serial,mac"  # order in which enrolling hosts match
    SQL_ECHO = False
    # Check a pooled PostgreSQL connection before use when it rested in the pool over a second
    # (db.PING_RESTED) or the server may have ended it; off, a connection PostgreSQL dropped
    # fails the request that gets it.
    DB_PRE_PING = True
    BENCH_ENDPOINTS = (
        False  # benchmark-only routes (POST /api/v1/reports/discard); never in production
    )
    TESTING = False


_BOOL = {
    "1": True,
    "true": True,
    "yes": True,
    "on": True,
    "0": False,
    "false": False,
    "no": False,
    "off": False,
}


def _coerce(default: Any, raw: str) -> Any:
    if isinstance(default, bool):
        if raw.lower() not in _BOOL:
            raise ValueError(f"not a boolean: {raw!r}")
        return _BOOL[raw.lower()]
    if isinstance(default, int):
        return int(raw)
    return raw


def load_config(overrides: dict | None = None) -> dict:
    """Return the effective settings as a dict of upper-case keys."""
    settings = {k: getattr(Config, k) for k in dir(Config) if k.isupper()}
    for key, default in list(settings.items()):
        raw = os.environ.get(f"KIEMKE_{key}")
        if raw is not None:
            try:
                settings[key] = _coerce(default, raw)
            except ValueError as exc:
                raise ValueError(f"KIEMKE_{key}: {exc}") from exc
    settings.update(overrides or {})
    data_dir = os.path.abspath(settings["DATA_DIR"])
    settings["DATA_DIR"] = data_dir
    if not settings["DATABASE_URL"]:
        settings["DATABASE_URL"] = f"sqlite:///{os.path.join(data_dir, 'kiemke.db')}"
    return settings


def secret_key(settings: dict) -> str:
    """Return the session-signing key: configured, or generated once under DATA_DIR."""
    if settings.get("SECRET_KEY"):
        return settings["SECRET_KEY"]
    import secrets

    path = os.path.join(settings["DATA_DIR"], "secret_key")
    try:
        with open(path, encoding="ascii") as fh:
            return fh.read().strip()
    except FileNotFoundError:
        os.makedirs(settings["DATA_DIR"], exist_ok=True)
        key = secrets.token_hex(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(key)
        return key
