"""Admin API: units, dashboard, software catalogue, enrollment secrets, users, audit log.

Reads are scoped like hosts: an IT officer sees only their unit's subtree. Writes take a JSON
body (``Content-Type: application/json``), which a cross-site form cannot send, so cookie
sessions cannot be abused for them; API tokens are the usual way in.
"""

from flask import Blueprint, current_app, jsonify, request

from inventory_server import openapi
from inventory_server.admin import services
from inventory_server.app import get_db
from inventory_server.auth import api_auth, load_user, scope_path
from inventory_server.errors import ApiError
from inventory_server.exports import FORMATS, audited_export
from inventory_server.i18n import _
from inventory_server.params import int_arg

bp = Blueprint("admin", __name__, url_prefix="/api/v1")

P = services.PERMISSIONS


def _body() -> dict:
    if not request.is_json:
        raise ApiError(415, "unsupported_media_type", _("Send a JSON object (application/json)"))
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(400, "bad_json", _("The body must be a JSON object"))
    return data


def _field(data: dict, name: str, kind: type, required: bool = True, default=None):
    value = data.get(name, default)
    if value is None:
        if required:
            raise ApiError(422, "invalid", _("Field %(name)s is required", name=name), name)
        return None
    if not isinstance(value, kind) or isinstance(value, bool) is not (kind is bool):
        raise ApiError(422, "invalid", _("Field %(name)s has the wrong type", name=name), name)
    return value


def _refused(exc: services.AdminError) -> ApiError:
    code = "not_found" if exc.status == 404 else "invalid"
    return ApiError(exc.status if exc.status != 400 else 422, code, str(exc), exc.field)


def _export(name: str, columns, rows):
    fmt = request.args.get("format")
    if fmt not in FORMATS:
        raise ApiError(400, "bad_parameter", _("Parameter format must be csv or xlsx"), "format")
    return audited_export(fmt, name, columns, rows)


@bp.get("/units")
@api_auth(*P["units"])
def list_units():
    """List the units the caller may see, in tree order, with host counts."""
    items = services.unit_tree(get_db(), scope=scope_path(load_user()))
    if request.args.get("format"):
        return _export("units", ["code", "name", "parent", "hosts", "hosts_total"], items)
    return jsonify(items=items, total=len(items))


@bp.post("/units")
@api_auth(*P["units_write"])
def create_unit():
    """Create a unit: {code, name, parent}."""
    data = _body()
    try:
        unit = services.add_unit(
            get_db(),
            actor=load_user(),
            code=_field(data, "code", str),
            name=_field(data, "name", str),
            parent_code=_field(data, "parent", str, False),
            remote_addr=request.remote_addr,
        )
    except services.AdminError as exc:
        raise _refused(exc) from exc
    return jsonify(code=unit.code, name=unit.name, path=unit.path), 201


@bp.get("/dashboard")
@api_auth(*P["dashboard"])
def dashboard():
    """Return the dashboard figures of a unit's subtree (``unit``) or of everything in scope."""
    db = get_db()
    scope = scope_path(load_user())
    try:
        unit = (
            services.scoped_unit(db, code=request.args["unit"], scope=scope)
            if request.args.get("unit")
            else None
        )
    except services.AdminError as exc:
        raise _refused(exc) from exc
    days = int_arg("not_seen_days", current_app.config["NOT_SEEN_DAYS"], 1, 3650)
    figures = services.dashboard(db, scope=scope, unit=unit, not_seen_days=days)
    figures["by_os"] = [{"name": k, "hosts": v} for k, v in figures["by_os"]]
    figures["by_os_family"] = [{"name": k, "hosts": v} for k, v in figures["by_os_family"]]
    figures["by_role"] = [{"name": k, "hosts": v} for k, v in figures["by_role"]]
    return jsonify(figures)


@bp.get("/software")
@api_auth(*P["software"])
def software():
    """The software catalogue of the caller's hosts: titles, install counts, licence class."""
    exporting = bool(request.args.get("format"))
    try:
        items, total, as_of = services.software_catalogue(
            get_db(),
            scope=scope_path(load_user()),
            q=request.args.get("q"),
            licence_class=request.args.get("licence_class") or None,
            limit=100000 if exporting else int_arg("per_page", 200, 1, 1000),
            offset=0 if exporting else int_arg("offset", 0, 0, 100000),
        )
    except services.AdminError as exc:
        raise _refused(exc) from exc
    if exporting:
        return _export(
            "software", ["name", "publisher", "licence_class", "installs", "versions"], items
        )
    return jsonify(items=items, total=total, counted_at=services._iso(as_of))


@bp.get("/enrollment-secrets")
@api_auth(*P["secrets"])
def list_secrets():
    """List the enrollment secrets of the caller's units (never the secrets themselves)."""
    items = services.list_secrets(get_db(), scope=scope_path(load_user()))
    return jsonify(items=items, total=len(items))


@bp.post("/enrollment-secrets")
@api_auth(*P["secrets"])
def create_secret():
    """Create a secret: {unit, days?, label?}; the answer holds it in clear, once."""
    data = _body()
    user = load_user()
    try:
        secret, info = services.new_secret(
            get_db(),
            actor=user,
            scope=scope_path(user),
            unit_code=_field(data, "unit", str),
            days=_field(data, "days", int, False, 30),
            label=_field(data, "label", str, False),
            remote_addr=request.remote_addr,
        )
    except services.AdminError as exc:
        raise _refused(exc) from exc
    return jsonify(secret=secret, **info), 201


@bp.post("/enrollment-secrets/<int:secret_id>/revoke")
@api_auth(*P["secrets"])
def revoke_secret(secret_id: int):
    """Revoke an enrollment secret; hosts already enrolled keep their tokens."""
    user = load_user()
    try:
        info = services.revoke_secret(
            get_db(),
            actor=user,
            scope=scope_path(user),
            secret_id=secret_id,
            remote_addr=request.remote_addr,
        )
    except services.AdminError as exc:
        raise _refused(exc) from exc
    return jsonify(info)


@bp.get("/users")
@api_auth(*P["users"])
def list_users():
    """List users (admin)."""
    items = services.list_users(get_db())
    return jsonify(items=items, total=len(items))


@bp.post("/users")
@api_auth(*P["users"])
def create_user():
    """Create a user (admin): {username, password, role, unit?, display_name?}."""
    data = _body()
    try:
        info = services.add_user(
            get_db(),
            actor=load_user(),
            username=_field(data, "username", str),
            password=_field(data, "password", str),
            role=_field(data, "role", str),
            unit_code=_field(data, "unit", str, False),
            display_name=_field(data, "display_name", str, False),
            remote_addr=request.remote_addr,
        )
    except services.AdminError as exc:
        raise _refused(exc) from exc
    return jsonify(info), 201


@bp.get("/audit-log")
@api_auth(*P["audit"])
def audit_log():
    """The audit log (admin), newest first: filters action, user; paged by limit/offset."""
    items, total = services.audit_entries(
        get_db(),
        action=request.args.get("action") or None,
        username=request.args.get("user") or None,
        limit=int_arg("limit", 200, 1, 1000),
        offset=int_arg("offset", 0, 0, 100000),
    )
    return jsonify(items=items, total=total)


def _op(summary: str, params: tuple[str, ...] = (), status: str = "200", body: bool = False):
    op: dict = {
        "summary": summary,
        "parameters": [
            {"name": n, "in": "query", "required": False, "schema": {"type": "string"}}
            for n in params
        ],
        "responses": {
            status: {"description": "OK"},
            "400": {"$ref": "#/components/responses/Error"},
            "401": {"$ref": "#/components/responses/Error"},
            "403": {"$ref": "#/components/responses/Error"},
        },
    }
    if body:
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
        op["responses"]["422"] = {"$ref": "#/components/responses/Error"}
    return op


OPENAPI_PATHS = {
    "/api/v1/units": {
        "get": _op("Units the caller sees, in tree order, with host counts.", ("format",)),
        "post": _op("Create a unit (admin): {code, name, parent}.", status="201", body=True),
    },
    "/api/v1/dashboard": {
        "get": _op(
            "Dashboard figures of a unit's subtree. Software titles by licence class come from"
            " the snapshot `kiemke-server dashboard refresh` takes (licence_as_of says when;"
            " null: counted now).",
            ("unit", "not_seen_days"),
        )
    },
    "/api/v1/software": {
        "get": _op(
            "Software catalogue: titles, hosts having each and its distinct versions, licence"
            " class. Counts come from the snapshot `kiemke-server dashboard refresh` takes"
            " (counted_at says when; null: counted now).",
            ("q", "licence_class", "per_page", "offset", "format"),
        )
    },
    "/api/v1/enrollment-secrets": {
        "get": _op("Enrollment secrets of the caller's units (never the secrets)."),
        "post": _op("Create a secret {unit, days, label}; returned once.", status="201", body=True),
    },
    "/api/v1/enrollment-secrets/{secret_id}/revoke": {"post": _op("Revoke an enrollment secret.")},
    "/api/v1/users": {
        "get": _op("Users (admin)."),
        "post": _op(
            "Create a user (admin): {username, password, role, unit, display_name}.",
            status="201",
            body=True,
        ),
    },
    "/api/v1/audit-log": {
        "get": _op("Audit log (admin), newest first.", ("action", "user", "limit", "offset"))
    },
}
"""OpenAPI paths of this blueprint, merged into the API document when the blueprint loads."""

openapi.PATHS.update(OPENAPI_PATHS)
