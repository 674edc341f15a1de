"""Compliance API under /api/v1/compliance: per unit, per check, per host; CSV/XLSX; jobs; params.

Every read is scoped to the caller's units (an IT officer sees their own subtree). Changing
unit params and starting a re-evaluation need the security (or admin) role.
"""

import csv
import datetime as dt
import io
from urllib.parse import quote

from flask import Blueprint, Response, current_app, jsonify, request
from sqlalchemy import select

from inventory_server import openapi
from inventory_server.app import get_db, session_factory
from inventory_server.auth import api_auth, load_user, scope_path
from inventory_server.compliance import evaluator, service
from inventory_server.errors import ApiError
from inventory_server.i18n import _
from inventory_server.models import ComplianceJob, Host, OrgUnit
from inventory_server.params import int_arg
from inventory_server.users.services import audit

bp = Blueprint("compliance", __name__, url_prefix="/api/v1/compliance")

EXPORT_COLUMNS = (
    "hostname",
    "unit",
    "pack",
    "check",
    "severity",
    "status",
    "since",
    "evaluated_at",
    "evidence",
)
"""Columns of the CSV and XLSX exports, in order."""

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _packs() -> service.PackSet:
    return service.packs_in_force(service.policy_dir(current_app.config))


def _unit_path(db) -> str | None:
    """Return the path of the ``unit`` parameter's unit (400 when unknown), or None."""
    code = request.args.get("unit")
    if not code:
        return None
    path = db.scalar(select(OrgUnit.path).where(OrgUnit.code == code))
    if path is None:
        raise ApiError(400, "bad_parameter", _("Unknown unit %(code)s", code=code), "unit")
    return path


def _status_arg() -> str | None:
    status = request.args.get("status")
    if status and status not in evaluator.STATUSES:
        raise ApiError(
            400,
            "bad_parameter",
            _("status must be one of %(values)s", values=", ".join(evaluator.STATUSES)),
            "status",
        )
    return status or None


@bp.get("/packs")
@api_auth()
def packs():
    """List the packs in force, and the pack files refused when they were loaded."""
    pack_set = _packs()
    return jsonify(
        packs=[
            {
                "id": p.id,
                "version": p.version,
                "digest": p.digest,
                "name": p.name,
                "applies_to": {k: list(v) for k, v in p.applies_to.items()},
                "params": p.params,
                "checks": len(p.checks),
                "references": list(p.references),
            }
            for p in pack_set.packs.values()
        ],
        errors=[e.to_dict() for e in pack_set.errors],
    )


@bp.get("/units")
@api_auth()
def units():
    """Compliance per unit, each rolled up over its subtree (filter: unit)."""
    db = get_db()
    rows = service.unit_summary(db, scope=scope_path(load_user()), unit_path=_unit_path(db))
    return jsonify(units=rows)


@bp.get("/checks")
@api_auth()
def checks():
    """Per check in force: metadata and host counts by status (filter: unit)."""
    db = get_db()
    rows = service.check_summary(
        db, _packs(), scope=scope_path(load_user()), unit_path=_unit_path(db)
    )
    return jsonify(checks=rows)


@bp.get("/checks/<pack_id>/<check_id>")
@api_auth()
def check_hosts(pack_id: str, check_id: str):
    """One check: its metadata and the hosts with their status (filters: status, unit; paged)."""
    pack_set = _packs()
    check = pack_set.check(pack_id, check_id)
    if check is None:
        raise ApiError(404, "not_found", _("No such check: %(id)s", id=f"{pack_id}/{check_id}"))
    db = get_db()
    per_page = int_arg("per_page", 100, 1, 1000)
    page = int_arg("page", 1, 1, 1_000_000)
    rows = service.result_rows(
        db,
        scope=scope_path(load_user()),
        unit_path=_unit_path(db),
        pack_id=pack_id,
        check_id=check_id,
        status=_status_arg(),
        limit=per_page,
        offset=(page - 1) * per_page,
    )
    return jsonify(
        pack=pack_id,
        check=check_id,
        name=check.name,
        severity=check.severity,
        rationale=check.rationale,
        remediation=check.remediation,
        references=list(check.references),
        page=page,
        hosts=rows,
    )


@bp.get("/hosts/<int:host_id>")
@api_auth()
def host(host_id: int):
    """One host: every check result with evidence, and the history of status changes."""
    db = get_db()
    scope = scope_path(load_user())
    row = db.get(Host, host_id)
    unit = row.unit if row is not None else None
    if row is None or (scope is not None and (unit is None or not unit.path.startswith(scope))):
        raise ApiError(404, "not_found", _("No such host: %(id)s", id=host_id))
    results = service.result_rows(db, scope=scope, host_id=host_id)
    counts = {s: sum(r["status"] == s for r in results) for s in evaluator.STATUSES}
    return jsonify(
        host_id=host_id,
        hostname=row.hostname,
        unit=unit.code if unit else None,
        counts=counts,
        results=results,
        history=service.host_history(db, host_id),
    )


@bp.get("/export.<fmt>")
@api_auth()
def export(fmt: str):
    """Every result matching the filters (unit, status, pack, check) as CSV or XLSX."""
    if fmt not in ("csv", "xlsx"):
        raise ApiError(404, "not_found", _("Export formats are csv and xlsx"))
    db = get_db()
    rows = service.result_rows(
        db,
        scope=scope_path(load_user()),
        unit_path=_unit_path(db),
        pack_id=request.args.get("pack") or None,
        check_id=request.args.get("check") or None,
        status=_status_arg(),
    )
    for r in rows:
        r["evidence"] = "; ".join(
            f"{e.get('fact')} {e.get('op')} {e.get('expected')!r}: {e.get('actual')!r}"
            for e in r["evidence"]
        )
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d")
    name = f"compliance-{stamp}.{fmt}"
    if fmt == "csv":
        data, mime = _csv(rows), "text/csv; charset=utf-8"
    else:
        data, mime = _xlsx(rows), XLSX_MIME
    disposition = f"attachment; filename={quote(name)}; filename*=UTF-8''{quote(name)}"
    return Response(data, mimetype=mime, headers={"Content-Disposition": disposition})


def _csv(rows: list[dict]) -> bytes:
    """Return UTF-8 CSV with a BOM (so spreadsheet programs show Vietnamese)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    for r in rows:
        writer.writerow(["" if r.get(c) is None else r[c] for c in EXPORT_COLUMNS])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def _xlsx(rows: list[dict]) -> bytes:
    """Return an XLSX workbook with one sheet of results, dates as dates."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("compliance")
    ws.append(list(EXPORT_COLUMNS))
    for r in rows:
        values = []
        for c in EXPORT_COLUMNS:
            v = r.get(c)
            if c in ("since", "evaluated_at") and v:
                v = dt.datetime.fromisoformat(v).astimezone(dt.UTC).replace(tzinfo=None)
            values.append(v)
        ws.append(values)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@bp.post("/reevaluate")
@api_auth("security")
def reevaluate():
    """Start re-evaluating every host (or a unit's subtree) in the background; 202 + job."""
    db = get_db()
    pack_set = _packs()
    service.sync_packs(db, pack_set)
    unit_path = _unit_path(db)
    audit(
        db,
        user=load_user(),
        action="compliance.reevaluate",
        target=request.args.get("unit") or "*",
        remote_addr=request.remote_addr,
    )
    db.commit()
    job_id, _thread = service.start_job(
        session_factory(), pack_set, "requested by " + load_user().username, unit_path
    )
    return jsonify(job=_job_dict(db.get(ComplianceJob, job_id))), 202


@bp.get("/jobs/<int:job_id>")
@api_auth()
def job(job_id: int):
    """Progress of a re-evaluation job."""
    db = get_db()
    db.expire_all()
    row = db.get(ComplianceJob, job_id)
    if row is None:
        raise ApiError(404, "not_found", _("No such job: %(id)s", id=job_id))
    return jsonify(job=_job_dict(row))


@bp.get("/jobs")
@api_auth()
def jobs():
    """The latest re-evaluation jobs, newest first."""
    db = get_db()
    rows = db.scalars(select(ComplianceJob).order_by(ComplianceJob.id.desc()).limit(20))
    return jsonify(jobs=[_job_dict(r) for r in rows])


def _job_dict(row: ComplianceJob) -> dict:
    return {
        "id": row.id,
        "reason": row.reason,
        "status": row.status,
        "done": row.done,
        "total": row.total,
        "created_at": row.created_at.isoformat() if row.created_at else None,
        "started_at": row.started_at.isoformat() if row.started_at else None,
        "finished_at": row.finished_at.isoformat() if row.finished_at else None,
        "message": row.message,
    }


@bp.put("/units/<code>/params/<pack_id>")
@api_auth("security")
def put_params(code: str, pack_id: str):
    """Set a unit's param overrides for a pack (JSON object; {} clears) and re-evaluate it."""
    db = get_db()
    unit = db.scalar(select(OrgUnit).where(OrgUnit.code == code))
    if unit is None:
        raise ApiError(404, "not_found", _("Unknown unit %(code)s", code=code))
    params = request.get_json(silent=True)
    if params is None:
        raise ApiError(400, "bad_request", _("The body must be a JSON object of params"))
    pack_set = _packs()
    problems = service.set_unit_params(db, pack_set, unit=unit, pack_id=pack_id, params=params)
    if problems:
        raise ApiError(422, "invalid", "; ".join(problems), pack_id)
    audit(
        db,
        user=load_user(),
        action="compliance.params",
        target=f"{code}/{pack_id}",
        remote_addr=request.remote_addr,
        details={"params": params},
    )
    db.commit()
    job_id, _thread = service.start_job(
        session_factory(), pack_set, f"params of {code}/{pack_id} changed", unit.path
    )
    return jsonify(unit=code, pack=pack_id, params=params, job=job_id)


def _op(summary: str, params: tuple[str, ...] = (), ok: str = "200", body: bool = False) -> dict:
    """Return an OpenAPI operation with JSON error responses."""
    op: dict = {
        "summary": summary,
        "parameters": [
            {"name": n, "in": "query", "required": False, "schema": {"type": "string"}}
            for n in params
        ],
        "responses": {
            ok: {"description": "OK"},
            **{code: {"$ref": "#/components/responses/Error"} for code in ("400", "401", "404")},
        },
    }
    if body:
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
        op["responses"]["403"] = op["responses"]["422"] = {"$ref": "#/components/responses/Error"}
    return op


OPENAPI_PATHS = {
    "/api/v1/compliance/packs": {"get": _op("Packs in force and pack files refused.")},
    "/api/v1/compliance/units": {
        "get": _op("Compliance per unit, rolled up over its subtree.", ("unit",))
    },
    "/api/v1/compliance/checks": {
        "get": _op("Per check: metadata and host counts by status.", ("unit",))
    },
    "/api/v1/compliance/checks/{pack_id}/{check_id}": {
        "get": _op("One check and its hosts.", ("status", "unit", "page", "per_page"))
    },
    "/api/v1/compliance/hosts/{host_id}": {
        "get": _op("One host's results with evidence, and its history of status changes.")
    },
    "/api/v1/compliance/export.{fmt}": {
        "get": _op("Results as CSV or XLSX (fmt: csv, xlsx).", ("unit", "status", "pack", "check"))
    },
    "/api/v1/compliance/reevaluate": {
        "post": _op("Re-evaluate every host (or a unit) in the background.", ("unit",), "202")
    },
    "/api/v1/compliance/jobs": {"get": _op("The latest re-evaluation jobs.")},
    "/api/v1/compliance/jobs/{job_id}": {"get": _op("Progress of a re-evaluation job.")},
    "/api/v1/compliance/units/{code}/params/{pack_id}": {
        "put": _op("Set a unit's param overrides for a pack; re-evaluates it.", body=True)
    },
}
"""OpenAPI paths of this blueprint, merged into the API document when the blueprint loads."""

openapi.PATHS.update(OPENAPI_PATHS)
