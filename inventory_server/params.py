"""Query-string parameters shared by the API blueprints, with errors that name the parameter."""

from flask import request

from inventory_server.errors import ApiError
from inventory_server.i18n import _


def int_arg(name: str, default, lo: int | None = None, hi: int | None = None):
    """Return the integer query parameter ``name`` (``default`` when absent); 400 when invalid."""
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ApiError(
            400, "bad_parameter", _("Parameter %(name)s must be an integer", name=name), name
        ) from exc
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise ApiError(
            400,
            "bad_parameter",
            _("Parameter %(name)s must be between %(lo)s and %(hi)s", name=name, lo=lo, hi=hi),
            name,
        )
    return value
