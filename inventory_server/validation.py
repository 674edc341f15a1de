"""Turn msgspec decoding errors into 400/422 API errors that name the field."""

import re

import msgspec

from inventory_server.errors import ApiError
from inventory_server.i18n import _

_PATH = re.compile(r" - at `(\$[^`]*)`$")


_NUL_ESCAPE = re.compile(rb"\\u0000")


def has_nul_escape(data: bytes) -> bool:
    """True when the JSON ``data`` may hold U+0000 in a string (written ``\\u0000``): the one
    character PostgreSQL cannot store in text, so refused everywhere (on SQLite too, so that a
    report both databases take is the same).

    A body without a backslash is told at once (a byte search, microseconds for a full
    report); only one with backslashes (Windows paths) is searched for the escape.
    """
    return b"\\" in data and _NUL_ESCAPE.search(data) is not None


def decode(data: bytes, decoder: msgspec.json.Decoder):
    """Decode ``data`` or raise ApiError: 400 for malformed JSON, 422 for wrong fields (a
    string holding U+0000 included)."""
    try:
        value = decoder.decode(data)
    except msgspec.ValidationError as exc:
        msg = str(exc)
        m = _PATH.search(msg)
        field = m.group(1) if m else "$"
        raise ApiError(
            422,
            "invalid",
            _("Invalid field %(field)s: %(msg)s", field=field, msg=_PATH.sub("", msg)),
            field,
        ) from exc
    except msgspec.DecodeError as exc:
        raise ApiError(400, "malformed_json", _("Malformed JSON: %(msg)s", msg=str(exc))) from exc
    if has_nul_escape(data):  # nearly never: only then is the value walked
        field = nul_field(msgspec.to_builtins(value), "$")
        if field is not None:
            raise ApiError(
                422,
                "invalid",
                _(
                    "Invalid field %(field)s: text may not contain the character U+0000",
                    field=field,
                ),
                field,
            )
    return value


def nul_field(value, path: str) -> str | None:
    """Return the path (as msgspec writes it) of the first string in ``value`` holding U+0000,
    a key of a mapping included, or None."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and "\x00" in key:
                return path
            found = nul_field(item, f"{path}.{key}")
            if found is not None:
                return found
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found = nul_field(item, f"{path}[{i}]")
            if found is not None:
                return found
    return None
