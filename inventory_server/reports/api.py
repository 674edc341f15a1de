"""POST /api/v1/reports: agents send full or delta reports with their host token."""

import msgspec
from flask import Blueprint, Response, request
from sqlalchemy import select

from agent.schema import SCHEMA_VERSION, Report, ReportResponse, encode
from inventory_server.app import get_db, session_factory
from inventory_server.body import read_body
from inventory_server.enrollment.services import host_for_token
from inventory_server.errors import ApiError
from inventory_server.hooks import run_after_ingest
from inventory_server.i18n import _
from inventory_server.models import Host
from inventory_server.reports.ingest import ReportInvalid, ingest
from inventory_server.validation import decode

bp = Blueprint("reports", __name__, url_prefix="/api/v1")
_decoder = msgspec.json.Decoder(Report)


def authenticate_host() -> Host:
    """Return the host whose token is in the Authorization header, or raise 401."""
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header[:7].lower() == "bearer " else ""
    host = host_for_token(get_db(), token) if token else None
    if host is None:
        raise ApiError(401, "unauthorized", _("A valid host token is required; enroll the agent"))
    return host


@bp.post("/reports")
def post_report():
    """Accept a report; answer which sections the server needs in full."""
    host = authenticate_host()
    report = decode(read_body(), _decoder)
    if report.schema_version > SCHEMA_VERSION:
        raise ApiError(
            422,
            "unsupported_schema",
            _(
                "schema_version %(v)s is newer than this server supports (%(max)s)",
                v=report.schema_version,
                max=SCHEMA_VERSION,
            ),
            "$.schema_version",
        )
    db = get_db()
    # Serialise concurrent reports of one host: lock its row for the transaction.
    host = db.scalar(
        select(Host)
        .where(Host.id == host.id)
        .with_for_update(of=Host)
        .execution_options(populate_existing=True)
    )
    try:
        need_full, changed = ingest(db, host=host, report=report)
        db.commit()
    except ReportInvalid as exc:
        db.rollback()
        raise ApiError(422, "invalid", str(exc), exc.field) from exc
    except Exception:
        db.rollback()
        raise
    if changed:
        run_after_ingest(session_factory(), host.id, changed)
    body = ReportResponse(status="accepted", host_id=host.id, need_full=need_full)
    return Response(encode(body), status=200, mimetype="application/json")
