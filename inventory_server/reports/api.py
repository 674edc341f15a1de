"""POST /api/v1/reports: agents send full or delta reports with their host token.

The common case, an unchanged delta (every digest equals the stored one), is answered on
PostgreSQL before Flask, with one statement (:mod:`inventory_server.reports.fast`). What reaches
this view takes one query that authenticates the token and reads the host's identity and section
digests (for a report that carries section data, the same query takes the host row lock); an
unchanged report then takes one UPDATE of the host row, and any report that writes sections holds
the host row lock and goes through :func:`inventory_server.reports.ingest.ingest`.
"""

from flask import Blueprint, Response, current_app, request
from sqlalchemy import bindparam, select
from sqlalchemy.orm import lazyload

from agent.schema import SCHEMA_VERSION, ReportResponse, encode, report_decoder
from inventory_server.app import get_db, session_factory
from inventory_server.body import read_body
from inventory_server.errors import ApiError
from inventory_server.hooks import BeforeCommitFailed, run_after_ingest, run_before_commit
from inventory_server.i18n import _
from inventory_server.models import Host
from inventory_server.reports.fast import DECODED_REPORT
from inventory_server.reports.ingest import (
    TOKEN_HOST,
    HostRow,
    ReportInvalid,
    carries_data,
    find_host,
    ingest,
    lock_host,
    touch_unchanged,
    unchanged,
)
from inventory_server.security import HOST_TOKEN_PREFIX, bearer_token, token_hash
from inventory_server.validation import decode

bp = Blueprint("reports", __name__, url_prefix="/api/v1")
_LOCK_HOST = (
    select(Host)
    .where(Host.id == bindparam("id"))
    .with_for_update(of=Host, key_share=True)
    .options(lazyload(Host.unit))  # a report reads the unit's id only, not its row
    .execution_options(populate_existing=True)
)


@bp.record_once
def _bench_endpoints(state) -> None:
    """Register the benchmark-only routes when BENCH_ENDPOINTS is on (they are not the API)."""
    if state.app.config.get("BENCH_ENDPOINTS"):
        state.app.add_url_rule(
            "/api/v1/reports/discard", "reports.discard", discard_report, methods=["POST"]
        )


def authenticate_host() -> HostRow:
    """Return the host (id, identity, digests) whose token is in the header, or raise 401."""
    token = _bearer()
    row = find_host(get_db().connection(), token) if token else None
    if row is None:
        raise _unauthorized()
    return row


def _unauthorized() -> ApiError:
    return ApiError(401, "unauthorized", _("A valid host token is required; enroll the agent"))


def _accepted(host_id: int, need_full: list[str]) -> Response:
    body = ReportResponse(status="accepted", host_id=host_id, need_full=need_full)
    return Response(encode(body), status=200, mimetype="application/json")


def _bearer() -> str:
    return bearer_token(request.headers.get("Authorization", ""))


@bp.post("/reports")
def post_report():
    """Accept a report; answer which sections the server needs in full."""
    token = _bearer()
    if not token:
        authenticate_host()  # 401
    # A report the layer in front of Flask decoded already (it read the same body, within the
    # same limits) is not decompressed and decoded twice.
    report = request.environ.pop(DECODED_REPORT, None)
    if report is None:
        try:
            report = decode(read_body(), report_decoder())
        except ApiError:
            authenticate_host()  # a bad token is told first, as before reading the body
            raise
    locked = None
    if report.schema_version <= SCHEMA_VERSION and carries_data(report):
        # A report with data nearly always writes: authenticate and lock in one query.
        locked = lock_host(get_db(), token)
        if locked is None:
            raise _unauthorized()
        found = locked[1]
    else:
        found = authenticate_host()
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
    try:
        if unchanged(found, report):
            # Nothing to store but the visit: no row lock, no section reads.
            touch_unchanged(db.connection(), found, report)
            db.commit()  # and the row lock, when taken, goes
            return _accepted(found.id, [])
        # Serialise concurrent reports of one host: lock its row for the transaction. FOR NO KEY
        # UPDATE, not FOR UPDATE: rows inserted elsewhere that refer to the host (compliance
        # results written after another report's commit) check their foreign key with FOR KEY
        # SHARE, which this lock lets through; FOR UPDATE would make them wait for this report
        # while it may wait for them, a deadlock.
        host = locked[0] if locked else db.scalar(_LOCK_HOST, {"id": found.id})
        done = ingest(db, host=host, report=report)
        handled = set()
        if done.changed:
            try:
                handled = run_before_commit(db, host, done)
            except BeforeCommitFailed:
                # What the hook wrote, if anything, goes with the transaction: the report is
                # stored again, under the row lock taken again, and the after-ingest side does
                # the hooks' work once it is committed.
                db.rollback()
                host = db.scalar(_LOCK_HOST, {"id": found.id})
                if host is None:  # removed meanwhile
                    raise _unauthorized() from None
                done = ingest(db, host=host, report=report)
        need_full, changed = done.need_full, done.changed
        db.commit()
    except ReportInvalid as exc:
        db.rollback()
        raise ApiError(422, "invalid", str(exc), exc.field) from exc
    except Exception:
        db.rollback()
        raise
    if changed:
        run_after_ingest(session_factory(), host.id, changed, handled)
    return _accepted(host.id, need_full)


def discard_report():
    """Benchmark ceiling, not part of the API: authenticate, decompress, discard; 404 when off."""
    if not current_app.config.get("BENCH_ENDPOINTS"):
        raise ApiError(404, "not_found", _("No such resource: %(path)s", path=request.path))
    # The least authentication can read: the token's active host, nothing else.
    token = _bearer()
    host_id = (
        get_db().scalar(TOKEN_HOST, {"token_hash": token_hash(token)})
        if token.startswith(HOST_TOKEN_PREFIX)
        else None
    )
    if host_id is None:
        raise _unauthorized()
    data = read_body()
    get_db().commit()
    resp = _accepted(host_id, [])
    resp.headers["X-Discarded-Bytes"] = str(len(data))
    return resp
