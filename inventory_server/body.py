"""Read request bodies with limits: gzip is decompressed in bounded steps (no gzip bombs)."""

import zlib

from flask import current_app, request

from inventory_server.errors import ApiError
from inventory_server.i18n import _


def read_body() -> bytes:
    """Return the request body, decompressed when ``Content-Encoding: gzip``; 413 past the limit."""
    return decode_body(
        request.get_data(cache=False),
        request.headers.get("Content-Encoding", ""),
        current_app.config["MAX_REPORT_BYTES"],
    )


def decode_body(raw: bytes, encoding: str, limit: int) -> bytes:
    """Return ``raw`` as sent with ``Content-Encoding: encoding``, at most ``limit`` bytes.

    Raises ApiError: 413 past the limit, 415 for an encoding other than gzip, 400 for bad gzip.
    """
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        if len(raw) > limit:
            raise ApiError(
                413, "payload_too_large", _("The request body is larger than the configured limit")
            )
        return raw
    if encoding != "gzip":
        raise ApiError(
            415,
            "unsupported_encoding",
            _("Content-Encoding %(enc)s is not supported; use gzip", enc=encoding),
        )
    try:
        out = _inflate(raw, limit)
    except zlib.error as exc:
        raise ApiError(
            400, "bad_gzip", _("The body is not valid gzip: %(err)s", err=str(exc))
        ) from exc
    if out is None:
        raise ApiError(
            413, "payload_too_large", _("The decompressed body is larger than the configured limit")
        )
    return out


def _inflate(raw: bytes, limit: int) -> bytes | None:
    """Gunzip ``raw`` in bounded steps; None past ``limit`` bytes. Raises ``zlib.error``."""
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out = bytearray(d.decompress(raw, limit + 1))
    while d.unconsumed_tail and len(out) <= limit:
        out += d.decompress(d.unconsumed_tail, limit + 1 - len(out))
    if len(out) > limit:
        return None
    out += d.flush()
    return None if len(out) > limit else bytes(out)
