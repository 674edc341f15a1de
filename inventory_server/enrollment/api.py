"""POST /api/v1/enroll: an enrollment secret buys a per-host token."""

import msgspec
from flask import Blueprint, Response, current_app

from agent.schema import EnrollRequest, EnrollResponse, encode
from inventory_server.app import get_db
from inventory_server.body import read_body
from inventory_server.enrollment.services import EnrollmentRefused, enroll, parse_rules
from inventory_server.errors import ApiError
from inventory_server.i18n import _
from inventory_server.validation import decode

bp = Blueprint("enrollment", __name__, url_prefix="/api/v1")
_decoder = msgspec.json.Decoder(EnrollRequest)


@bp.post("/enroll")
def enroll_host():
    """Enroll a host: 201 with its token, or 403 for a wrong, expired or revoked secret."""
    req = decode(read_body(), _decoder)
    db = get_db()
    try:
        host, token = enroll(
            db,
            secret=req.secret,
            ident=req.host,
            agent_version=req.agent.version,
            rules=parse_rules(current_app.config["IDENTITY_RULES"]),
        )
    except EnrollmentRefused as exc:
        db.rollback()
        raise ApiError(
            403, str(exc), _("The enrollment secret is wrong, expired or revoked")
        ) from exc
    body = EnrollResponse(host_id=host.id, token=token, unit=host.unit.code if host.unit else None)
    return Response(encode(body), status=201, mimetype="application/json")
