"""Turn msgspec decoding errors into 400/422 API errors that name the field."""

import re

import msgspec

from inventory_server.errors import ApiError
from inventory_server.i18n import _

_PATH = re.compile(r" - at `(\$[^`]*)`$")


def decode(data: bytes, decoder: msgspec.json.Decoder):
    """Decode ``data`` or raise ApiError: 400 for malformed JSON, 422 for wrong fields."""
    try:
        return decoder.decode(data)
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
