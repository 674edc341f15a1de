"""GET /api/v1/hosts and /api/v1/hosts/<id> (scoped to the caller's units), with CSV export."""

from flask import Blueprint, jsonify, request

from inventory_server import versions
from inventory_server.app import get_db
from inventory_server.auth import api_auth, load_user, scope_path
from inventory_server.errors import ApiError
from inventory_server.hosts import services
from inventory_server.i18n import _
from inventory_server.models import Host
from inventory_server.params import int_arg

bp = Blueprint("hosts", __name__, url_prefix="/api/v1")


def _version_arg() -> tuple[str, str] | None:
    given = [
        (op, request.args[f"version_{op}"])
        for op in versions.OPERATORS
        if request.args.get(f"version_{op}")
    ]
    if len(given) > 1:
        raise ApiError(400, "bad_parameter", _("Give at most one version_* filter"), "version")
    return given[0] if given else None


def filtered_hosts():
    """Run the host query described by the request's parameters."""
    db = get_db()
    args = request.args
    try:
        stmt = services.host_query(
            db,
            scope=scope_path(load_user()),
            unit=args.get("unit"),
            subtree=args.get("subtree", "1") not in ("0", "false", "no"),
            os_family=args.get("os"),
            role=args.get("role"),
            q=args.get("q"),
            ip=args.get("ip"),
            mac=args.get("mac"),
            serial=args.get("serial"),
            software=args.get("software"),
            version=_version_arg(),
            not_seen_days=int_arg("not_seen_days", None),
        )
        return services.page(
            db,
            stmt,
            sort=args.get("sort", "hostname"),
            page_no=int_arg("page", 1),
            per_page=int_arg("per_page", 50),
        )
    except services.QueryError as exc:
        raise ApiError(400, "bad_parameter", str(exc), exc.field) from exc


@bp.get("/hosts")
@api_auth()
def list_hosts():
    """List hosts: filters unit, subtree, os, role, q, ip, mac, serial, software; paged."""
    rows, total = filtered_hosts()
    items = [services.summary(h) for h in rows]
    if request.args.get("format") == "csv":
        from inventory_server.exports import export_response

        return export_response("csv", "hosts", services.SUMMARY_FIELDS, items)
    return jsonify(
        items=items, total=total, page=int_arg("page", 1), per_page=int_arg("per_page", 50)
    )


def get_host_or_404(host_id: int) -> Host:
    """Return the host if it exists and is in the caller's scope; 404 otherwise."""
    host = get_db().get(Host, host_id)
    if host is None or not services.in_scope(host, scope_path(load_user())):
        raise ApiError(404, "not_found", _("No host with id %(id)s", id=host_id))
    return host


@bp.get("/hosts/<int:host_id>")
@api_auth()
def get_host(host_id: int):
    """Return one host with hardware, network, OS and posture."""
    host = get_host_or_404(host_id)
    return jsonify(services.detail(get_db(), host))


@bp.get("/hosts/<int:host_id>/software")
@api_auth()
def get_host_software(host_id: int):
    """Return the host's installed software."""
    host = get_host_or_404(host_id)
    items = services.software(get_db(), host, q=request.args.get("q"))
    return jsonify(items=items, total=len(items))


@bp.get("/hosts/<int:host_id>/events")
@api_auth()
def get_host_events(host_id: int):
    """Return the host's change history, newest first."""
    host = get_host_or_404(host_id)
    return jsonify(items=services.events(get_db(), host, limit=int_arg("limit", 200)))


@bp.get("/hosts/duplicates")
@api_auth()
def get_duplicates():
    """Groups of hosts that share a serial, DMI UUID or physical MAC address."""
    return jsonify(items=services.duplicates(get_db(), scope=scope_path(load_user())))


@bp.post("/hosts/<int:host_id>/merge")
@api_auth("it_officer")
def merge_host(host_id: int):
    """Merge the host named by ``duplicate_id`` in the JSON body into this one."""
    keep = get_host_or_404(host_id)
    data = request.get_json(silent=True)
    dup_id = data.get("duplicate_id") if isinstance(data, dict) else None
    if not isinstance(dup_id, int) or isinstance(dup_id, bool):
        raise ApiError(
            422, "invalid", _("duplicate_id must be a host id (an integer)"), "$.duplicate_id"
        )
    duplicate = get_host_or_404(dup_id)
    db = get_db()
    try:
        services.merge(db, keep=keep, duplicate=duplicate)
    except services.MergeError as exc:
        db.rollback()
        raise ApiError(409, "conflict", str(exc)) from exc
    from inventory_server.users.services import audit

    audit(
        db,
        user=load_user(),
        action="host_merged",
        target=str(keep.id),
        remote_addr=request.remote_addr,
        details={"duplicate_id": dup_id},
    )
    db.commit()
    return jsonify(services.detail(db, keep))
