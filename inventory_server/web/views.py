"""Pages: log-in, dashboard, hosts, host, software, units, enrollment secrets, users, audit log.

Every page is scoped like the API: an IT officer sees only their unit's subtree; what each role
may open is ``admin.services.PERMISSIONS``. Every list exports as CSV and XLSX.
"""

from urllib.parse import urlparse

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.exceptions import default_exceptions

from inventory_server.admin import services as admin
from inventory_server.app import get_db
from inventory_server.auth import check_csrf, csrf_token, load_user, login_required, scope_path
from inventory_server.exports import FORMATS, audited_export
from inventory_server.hosts import services
from inventory_server.i18n import LANGUAGES, N_, _, current_language
from inventory_server.models import Host
from inventory_server.models.software import LICENCE_CLASSES
from inventory_server.models.users import ROLES
from inventory_server.users.services import audit, authenticate
from inventory_server.web.charts import bar_chart, share_bar
from inventory_server.web.format import fmt_bytes, fmt_date, fmt_number, fmt_percent, fmt_time
from inventory_server.web.labels import label

bp = Blueprint("web", __name__)

PER_PAGE = 50
P = admin.PERMISSIONS

__all__ = ["bp", "fmt_bytes", "fmt_time"]


def _may(action: str) -> bool:
    user = load_user()
    return user is not None and admin.allowed(user.role, action)


@bp.app_context_processor
def _template_globals():
    return {
        "_": _,
        "csrf_token": csrf_token,
        "current_user": load_user(),
        "lang": current_language(),
        "languages": LANGUAGES,
        "fmt_bytes": fmt_bytes,
        "fmt_time": fmt_time,
        "fmt_date": fmt_date,
        "fmt_number": fmt_number,
        "fmt_percent": fmt_percent,
        "label": label,
        "may": _may,
        "export_formats": FORMATS,
        "http_defaults": _HTTP_DEFAULTS,
    }


_HTTP_DEFAULTS = {code: exc.description for code, exc in default_exceptions.items()}
"""Werkzeug's English descriptions: the error page shows its own translated text instead."""


@bp.after_app_request
def _no_store(resp):
    """Pages carry inventory data: keep them out of shared caches and the back-forward cache."""
    if resp.mimetype == "text/html" or "attachment" in resp.headers.get("Content-Disposition", ""):
        resp.headers.setdefault("Cache-Control", "no-store")
    return resp


def _safe_next(target: str | None) -> str:
    # Browsers read "/\\host" like "//host": refuse backslashes too, not only "//".
    if (
        target
        and target.startswith("/")
        and not urlparse(target).netloc
        and "//" not in target
        and "\\" not in target
    ):
        return target
    return url_for("web.dashboard")


def _scope():
    return scope_path(load_user())


def _export(fmt: str, name: str, columns: list[tuple[str, str]], rows: list[dict]):
    """Send ``rows`` as a download with translated headers; audit the export."""
    if fmt not in FORMATS:
        abort(404)
    return audited_export(fmt, name, [c for c, _h in columns], rows, [h for _c, h in columns])


def _page_arg() -> int:
    try:
        return max(1, int(request.args.get("page", 1)))
    except ValueError:
        return 1


# --- log-in -------------------------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the log-in form; check credentials with lockout."""
    error = None
    if request.method == "POST":
        check_csrf()
        db = get_db()
        username = request.form.get("username", "").strip()
        user, reason = authenticate(
            db, username=username, password=request.form.get("password", "")
        )
        if user is None:
            error = (
                _("Too many failed attempts; the account is locked for a while")
                if reason == "locked"
                else _("Wrong user name or password")
            )
            audit(
                db,
                user=None,
                action="login_failed",
                target=username[:255],
                remote_addr=request.remote_addr,
                details={"reason": reason},
            )
            db.commit()
        else:
            session.clear()
            session["user_id"] = user.id
            session["pw"] = user.password_hash[-16:]
            session.permanent = True
            audit(db, user=user, action="login", remote_addr=request.remote_addr)
            db.commit()
            return redirect(_safe_next(request.args.get("next")))
    return render_template("login.html", error=error), (401 if error else 200)


@bp.post("/logout")
def logout():
    """End the session."""
    check_csrf()
    user = load_user()
    if user is not None:
        db = get_db()
        audit(db, user=user, action="logout", remote_addr=request.remote_addr)
        db.commit()
    session.clear()
    return redirect(url_for("web.login"))


@bp.get("/language/<lang>")
def language(lang: str):
    """Switch the interface language and go back."""
    if lang not in LANGUAGES:
        abort(404)
    back = None
    if request.referrer:
        ref = urlparse(request.referrer)
        back = ref.path + (f"?{ref.query}" if ref.query else "")
    resp = redirect(_safe_next(back))
    resp.set_cookie(
        "lang",
        lang,
        max_age=365 * 86400,
        samesite="Lax",
        secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
    )
    return resp


# --- dashboard ----------------------------------------------------------------------------------


@bp.get("/")
@login_required(*P["dashboard"])
def dashboard():
    """Figures of a unit's subtree (or of everything the user sees), with charts."""
    db = get_db()
    scope = _scope()
    code = request.args.get("unit") or None
    try:
        unit = admin.scoped_unit(db, code=code, scope=scope) if code else None
    except admin.AdminError:
        abort(404, description=_("Unknown unit %(code)s", code=code))
    days = current_app.config["NOT_SEEN_DAYS"]
    d = admin.dashboard(db, scope=scope, unit=unit, not_seen_days=days)
    charts = {
        "os": bar_chart(
            [(label(k) if k == "other" else k, v) for k, v in d["by_os"]],
            title=_("Hosts by operating system"),
        ),
        "role": bar_chart([(label(k), v) for k, v in d["by_role"]], title=_("Hosts by role")),
        "av": share_bar(
            [(label(k), v) for k, v in d["antivirus"].items()], title=_("Antivirus coverage")
        ),
        "licence": share_bar(
            [(label(k), v) for k, v in d["licence_titles"].items()],
            title=_("Software titles by licence class"),
        ),
    }
    return render_template(
        "dashboard.html", d=d, charts=charts, unit=unit, units=admin.unit_tree(db, scope=scope)
    )


# --- hosts --------------------------------------------------------------------------------------

HOST_COLUMNS = [
    ("hostname", N_("Host name")),
    ("unit", N_("Unit")),
    ("unit_name", N_("Unit name")),
    ("role", N_("Role")),
    ("os_name", N_("Operating system")),
    ("vendor", N_("Manufacturer")),
    ("model", N_("Model")),
    ("serial", N_("Serial number")),
    ("memory_bytes", N_("Memory (bytes)")),
    ("software_count", N_("Software")),
    ("agent_version", N_("Agent")),
    ("first_seen", N_("First seen")),
    ("last_seen", N_("Last seen")),
]


def _columns(spec):
    return [(c, _(h)) for c, h in spec]


def _arg(name: str) -> str | None:
    """Return a query parameter in NFC (see admin.services.nfc), or None when empty."""
    value = request.args.get(name)
    return admin.nfc(value) if value else None


def _host_stmt():
    args = request.args
    return services.host_query(
        get_db(),
        scope=_scope(),
        unit=args.get("unit") or None,
        os_family=args.get("os") or None,
        role=args.get("role") or None,
        q=_arg("q"),
        software=_arg("software"),
        not_seen_days=current_app.config["NOT_SEEN_DAYS"] if args.get("not_seen") else None,
    )


@bp.get("/hosts")
@login_required(*P["hosts"])
def hosts():
    """List hosts with search and filters."""
    db = get_db()
    page_no = _page_arg()
    try:
        rows, total = services.page(
            db,
            _host_stmt(),
            sort=request.args.get("sort", "hostname"),
            page_no=page_no,
            per_page=PER_PAGE,
        )
        error = None
    except services.QueryError as exc:
        rows, total, error = [], 0, str(exc)
    return render_template(
        "hosts.html",
        hosts=[services.summary(h) for h in rows],
        total=total,
        page=page_no,
        pages=max(1, (total + PER_PAGE - 1) // PER_PAGE),
        error=error,
        units=admin.unit_tree(db, scope=_scope()),
        not_seen_days=current_app.config["NOT_SEEN_DAYS"],
    )


@bp.get("/hosts/export/<fmt>")
@login_required(*P["export"])
def hosts_export(fmt: str):
    """Download the filtered hosts list."""
    try:
        stmt = _host_stmt()
    except services.QueryError as exc:
        abort(400, description=str(exc))
    rows = get_db().scalars(stmt.order_by(Host.hostname, Host.id)).unique().all()
    return _export(fmt, "hosts", _columns(HOST_COLUMNS), [services.summary(h) for h in rows])


def _visible_host(host_id: int) -> Host:
    h = get_db().get(Host, host_id)
    if h is None or not services.in_scope(h, _scope()):
        abort(404, description=_("No host with id %(id)s", id=host_id))
    return h


def _timeline(events: list[dict]) -> list[tuple[str, list[dict]]]:
    days: list[tuple[str, list[dict]]] = []
    for e in events:
        day = fmt_date(e["at"])
        if not days or days[-1][0] != day:
            days.append((day, []))
        days[-1][1].append(e)
    return days


@bp.get("/hosts/<int:host_id>")
@login_required(*P["hosts"])
def host(host_id: int):
    """Show one host: hardware, network, posture, compliance, software, history."""
    db = get_db()
    h = _visible_host(host_id)
    detail = services.detail(db, h)
    return render_template(
        "host.html",
        h=detail,
        av_state=admin.antivirus_state(detail["security"]),
        compliance=admin.host_compliance(db, host_id=h.id),
        software=services.software(db, h, q=_arg("q")),
        timeline=_timeline(services.events(db, h, limit=100)),
    )


SOFTWARE_COLUMNS = [
    ("name", N_("Name")),
    ("version", N_("Version")),
    ("arch", N_("Architecture")),
    ("source", N_("Source")),
    ("publisher", N_("Publisher")),
    ("licence_class", N_("Licence class")),
    ("install_date", N_("Installed")),
]
EVENT_COLUMNS = [
    ("at", N_("When")),
    ("kind", N_("Change")),
    ("subject", N_("What")),
    ("before", N_("Before")),
    ("after", N_("After")),
]


@bp.get("/hosts/<int:host_id>/software/export/<fmt>")
@login_required(*P["export"])
def host_software_export(host_id: int, fmt: str):
    """Download one host's installed software."""
    h = _visible_host(host_id)
    rows = services.software(get_db(), h, q=request.args.get("q") or None)
    return _export(fmt, f"software-{h.hostname}", _columns(SOFTWARE_COLUMNS), rows)


@bp.get("/hosts/<int:host_id>/history/export/<fmt>")
@login_required(*P["export"])
def host_history_export(host_id: int, fmt: str):
    """Download one host's change history."""
    h = _visible_host(host_id)
    rows = services.events(get_db(), h, limit=100000)
    return _export(fmt, f"history-{h.hostname}", _columns(EVENT_COLUMNS), rows)


# --- software catalogue -------------------------------------------------------------------------

CATALOGUE_COLUMNS = [
    ("name", N_("Name")),
    ("publisher", N_("Publisher")),
    ("licence_class", N_("Licence class")),
    ("installs", N_("Installs")),
    ("versions", N_("Versions")),
]


def _catalogue(limit: int, offset: int):
    try:
        return admin.software_catalogue(
            get_db(),
            scope=_scope(),
            q=request.args.get("q") or None,
            licence_class=request.args.get("licence_class") or None,
            limit=limit,
            offset=offset,
        ), None
    except admin.AdminError as exc:
        return ([], 0, None), str(exc)


@bp.get("/software")
@login_required(*P["software"])
def software():
    """The software catalogue: titles on the user's hosts, install counts, licence class."""
    page_no = _page_arg()
    (items, total, counted_at), error = _catalogue(PER_PAGE, (page_no - 1) * PER_PAGE)
    return render_template(
        "software.html",
        items=items,
        total=total,
        counted_at=counted_at,
        error=error,
        page=page_no,
        pages=max(1, (total + PER_PAGE - 1) // PER_PAGE),
        licence_classes=LICENCE_CLASSES,
    )


@bp.get("/software/export/<fmt>")
@login_required(*P["export"])
def software_export(fmt: str):
    """Download the software catalogue."""
    (items, _total, _counted_at), error = _catalogue(10**9, 0)
    if error:
        abort(400, description=error)
    rows = [dict(i, licence_class=label(i["licence_class"])) for i in items]
    return _export(fmt, "software", _columns(CATALOGUE_COLUMNS), rows)


# --- compliance ---------------------------------------------------------------------------------


@bp.get("/compliance")
@login_required(*P["dashboard"])
def compliance():
    """Compliance per unit and per check, or a clear note that no results exist yet."""
    db = get_db()
    scope = _scope()
    code = request.args.get("unit") or None
    try:
        unit = admin.scoped_unit(db, code=code, scope=scope) if code else None
    except admin.AdminError:
        abort(404, description=_("Unknown unit %(code)s", code=code))
    figures = admin.compliance_figures(db, scope=scope, unit=unit)
    checks = admin.compliance_checks(db, scope=scope, unit=unit) if figures else []
    return render_template(
        "compliance.html",
        figures=figures,
        checks=checks,
        unit=unit,
        units=admin.unit_tree(db, scope=scope),
    )


COMPLIANCE_UNIT_COLUMNS = [
    ("unit", N_("Unit")),
    ("name", N_("Unit name")),
    ("hosts", N_("Hosts")),
    ("hosts_evaluated", N_("Hosts evaluated")),
    ("hosts_failing", N_("Hosts failing")),
    ("pass_rate", N_("Checks passed")),
]
COMPLIANCE_CHECK_COLUMNS = [
    ("pack", N_("Pack")),
    ("check", N_("Check")),
    ("title", N_("Name")),
    ("severity", N_("Severity")),
    ("pass", N_("Pass")),
    ("fail", N_("Fail")),
    ("not_applicable", N_("Not applicable")),
    ("error", N_("Error")),
]


@bp.get("/compliance/export/<kind>/<fmt>")
@login_required(*P["export"])
def compliance_export(kind: str, fmt: str):
    """Download the compliance figures per unit or per check."""
    db = get_db()
    scope = _scope()
    code = request.args.get("unit") or None
    try:
        unit = admin.scoped_unit(db, code=code, scope=scope) if code else None
    except admin.AdminError:
        abort(404, description=_("Unknown unit %(code)s", code=code))
    figures = admin.compliance_figures(db, scope=scope, unit=unit)
    if kind == "units":
        rows = list(figures["units"].values()) if figures else []
        return _export(fmt, "compliance-units", _columns(COMPLIANCE_UNIT_COLUMNS), rows)
    if kind == "checks":
        lang = current_language()
        rows = [
            dict(
                c["counts"],
                pack=c["pack"],
                check=c["check"],
                severity=c["severity"],
                title=c["name"].get(lang) or c["name"].get("en")
                if isinstance(c["name"], dict)
                else c["name"],
            )
            for c in (admin.compliance_checks(db, scope=scope, unit=unit) if figures else [])
        ]
        return _export(fmt, "compliance-checks", _columns(COMPLIANCE_CHECK_COLUMNS), rows)
    abort(404)


ROLLUP_COLUMNS = [
    ("code", N_("Code")),
    ("name", N_("Unit")),
    ("hosts", N_("Hosts")),
    ("protected", N_("Antivirus running")),
    ("not_seen", N_("Not seen recently")),
]


@bp.get("/dashboard/export/<fmt>")
@login_required(*P["export"])
def dashboard_export(fmt: str):
    """Download the dashboard's per-unit figures."""
    db = get_db()
    scope = _scope()
    code = request.args.get("unit") or None
    try:
        unit = admin.scoped_unit(db, code=code, scope=scope) if code else None
    except admin.AdminError:
        abort(404, description=_("Unknown unit %(code)s", code=code))
    d = admin.dashboard(
        db, scope=scope, unit=unit, not_seen_days=current_app.config["NOT_SEEN_DAYS"]
    )
    return _export(fmt, "dashboard-units", _columns(ROLLUP_COLUMNS), d["children"])


@bp.get("/compliance/checks/<pack_id>/<check_id>")
@login_required(*P["dashboard"])
def compliance_check(pack_id: str, check_id: str):
    """One check: the user's hosts and their status, failing first."""
    status = request.args.get("status") or None
    rows = admin.check_hosts(
        get_db(), scope=_scope(), pack_id=pack_id, check_id=check_id, status=status
    )
    return render_template("compliance_check.html", rows=rows, pack_id=pack_id, check_id=check_id)


@bp.get("/compliance/checks/<pack_id>/<check_id>/export/<fmt>")
@login_required(*P["export"])
def compliance_check_export(pack_id: str, check_id: str, fmt: str):
    """Download one check's host results."""
    rows = admin.check_hosts(
        get_db(),
        scope=_scope(),
        pack_id=pack_id,
        check_id=check_id,
        status=request.args.get("status") or None,
    )
    rows = [dict(r, status=label(r["status"])) for r in rows]
    return _export(fmt, f"compliance-{check_id}", _columns(CHECK_COLUMNS), rows)


CHECK_COLUMNS = [
    ("hostname", N_("Host name")),
    ("unit", N_("Unit")),
    ("status", N_("State")),
    ("severity", N_("Severity")),
    ("since", N_("Since")),
    ("evaluated_at", N_("Evaluated")),
]


# --- provisioning -------------------------------------------------------------------------------

GROUP_COLUMNS = [
    ("name", N_("Group")),
    ("kind", N_("Kind")),
    ("hosts", N_("Hosts")),
    ("children", N_("Sub-groups")),
]


@bp.get("/provisioning")
@login_required(*P["provisioning"])
def provisioning():
    """The Ansible groups of the user's hosts, as playbooks target them."""
    groups = admin.provisioning_groups(get_db(), scope=_scope())
    return render_template(
        "provisioning.html",
        groups=groups,
        inventory_url=url_for("inventory.ansible_inventory", _external=True),
    )


@bp.get("/provisioning/export/<fmt>")
@login_required(*P["provisioning"])
def provisioning_export(fmt: str):
    """Download the Ansible groups and their hosts."""
    groups = admin.provisioning_groups(get_db(), scope=_scope())
    return _export(fmt, "ansible-groups", _columns(GROUP_COLUMNS), groups)


@bp.post("/hosts/<int:host_id>/revoke")
@login_required(*P["hosts_write"])
def host_revoke(host_id: int):
    """Revoke a host's agent tokens; it must re-enroll with a new secret."""
    check_csrf()
    if request.form.get("confirm") != "1":
        abort(400, description=_("Tick the confirmation box to revoke the host's tokens"))
    try:
        admin.revoke_host_tokens(
            get_db(),
            actor=load_user(),
            scope=_scope(),
            host_id=host_id,
            remote_addr=request.remote_addr,
        )
    except admin.AdminError as exc:
        abort(exc.status, description=str(exc))
    return redirect(url_for("web.host", host_id=host_id, revoked=1))


# --- units --------------------------------------------------------------------------------------

UNIT_COLUMNS = [
    ("code", N_("Code")),
    ("name", N_("Name")),
    ("parent", N_("Parent unit")),
    ("hosts", N_("Hosts in the unit")),
    ("hosts_total", N_("Hosts with sub-units")),
]


@bp.route("/units", methods=["GET", "POST"])
@login_required(*P["units"])
def units():
    """The unit tree with host counts; administrators add units here."""
    db = get_db()
    error = None
    if request.method == "POST":
        check_csrf()
        if not _may("units_write"):
            abort(403)
        form = request.form
        try:
            admin.add_unit(
                db,
                actor=load_user(),
                code=form.get("code", ""),
                name=form.get("name", ""),
                parent_code=form.get("parent") or None,
                remote_addr=request.remote_addr,
            )
            return redirect(url_for("web.units"))
        except admin.AdminError as exc:
            error = str(exc)
    return render_template("units.html", units=admin.unit_tree(db, scope=_scope()), error=error), (
        422 if error else 200
    )


@bp.get("/units/export/<fmt>")
@login_required(*P["export"])
def units_export(fmt: str):
    """Download the unit list."""
    return _export(fmt, "units", _columns(UNIT_COLUMNS), admin.unit_tree(get_db(), scope=_scope()))


# --- enrollment secrets -------------------------------------------------------------------------

SECRET_COLUMNS = [
    ("unit", N_("Unit")),
    ("label", N_("Label")),
    ("state", N_("State")),
    ("created_at", N_("Created")),
    ("created_by", N_("Created by")),
    ("expires_at", N_("Expires")),
    ("use_count", N_("Enrollments")),
]


@bp.route("/secrets", methods=["GET", "POST"])
@login_required(*P["secrets"])
def secrets():
    """Enrollment secrets of the user's units: create (shown once) and revoke."""
    db = get_db()
    user = load_user()
    error = new = None
    status = 200
    if request.method == "POST":
        check_csrf()
        form = request.form
        try:
            days = int(form.get("days") or 30)
        except ValueError:
            days = 0
        try:
            new, _info = admin.new_secret(
                db,
                actor=user,
                scope=_scope(),
                unit_code=form.get("unit", ""),
                days=days,
                label=form.get("label"),
                remote_addr=request.remote_addr,
            )
            status = 201
        except admin.AdminError as exc:
            error, status = str(exc), (404 if exc.status == 404 else 422)
    return render_template(
        "secrets.html",
        items=admin.list_secrets(db, scope=_scope()),
        new_secret=new,
        error=error,
        units=admin.unit_tree(db, scope=_scope()),
        default_days=current_app.config["ENROLL_SECRET_DAYS"],
    ), status


@bp.post("/secrets/<int:secret_id>/revoke")
@login_required(*P["secrets"])
def secret_revoke(secret_id: int):
    """Revoke an enrollment secret."""
    check_csrf()
    try:
        admin.revoke_secret(
            get_db(),
            actor=load_user(),
            scope=_scope(),
            secret_id=secret_id,
            remote_addr=request.remote_addr,
        )
    except admin.AdminError as exc:
        abort(exc.status, description=str(exc))
    return redirect(url_for("web.secrets"))


@bp.get("/secrets/export/<fmt>")
@login_required(*P["secrets"])
def secrets_export(fmt: str):
    """Download the enrollment secrets list (never the secrets)."""
    rows = [dict(s, state=label(s["state"])) for s in admin.list_secrets(get_db(), scope=_scope())]
    return _export(fmt, "enrollment-secrets", _columns(SECRET_COLUMNS), rows)


# --- users --------------------------------------------------------------------------------------

USER_COLUMNS = [
    ("username", N_("User name")),
    ("display_name", N_("Full name")),
    ("role", N_("Role")),
    ("unit", N_("Unit")),
    ("is_active", N_("Active")),
    ("last_login_at", N_("Last log-in")),
    ("locked_until", N_("Locked until")),
    ("created_at", N_("Created")),
]


@bp.route("/users", methods=["GET", "POST"])
@login_required(*P["users"])
def users():
    """Users (administrators only): list, create."""
    db = get_db()
    error = None
    status = 200
    if request.method == "POST":
        check_csrf()
        form = request.form
        try:
            admin.add_user(
                db,
                actor=load_user(),
                username=form.get("username", ""),
                password=form.get("password", ""),
                role=form.get("role", ""),
                unit_code=form.get("unit") or None,
                display_name=form.get("display_name"),
                remote_addr=request.remote_addr,
            )
            return redirect(url_for("web.users"))
        except admin.AdminError as exc:
            error, status = str(exc), 422
    return render_template(
        "users.html",
        items=admin.list_users(db),
        error=error,
        roles=ROLES,
        units=admin.unit_tree(db, scope=None),
    ), status


@bp.post("/users/<int:user_id>/active")
@login_required(*P["users"])
def user_active(user_id: int):
    """Enable or disable a user."""
    check_csrf()
    try:
        admin.set_active(
            get_db(),
            actor=load_user(),
            user_id=user_id,
            active=request.form.get("active") == "1",
            remote_addr=request.remote_addr,
        )
    except admin.AdminError as exc:
        abort(exc.status, description=str(exc))
    return redirect(url_for("web.users"))


@bp.post("/users/password")
@login_required(*P["users"])
def user_password():
    """Set another user's password (administrators)."""
    check_csrf()
    db = get_db()
    try:
        user_id = int(request.form.get("user_id", ""))
    except ValueError:
        abort(400, description=_("Choose a user"))
    try:
        admin.set_password(
            db,
            actor=load_user(),
            user_id=user_id,
            password=request.form.get("password", ""),
            remote_addr=request.remote_addr,
        )
    except admin.AdminError as exc:
        if exc.status == 404:
            abort(404, description=str(exc))
        return render_template(
            "users.html",
            items=admin.list_users(db),
            error=None,
            password_error=str(exc),
            roles=ROLES,
            units=admin.unit_tree(db, scope=None),
        ), 422
    return redirect(url_for("web.users", password_set=1))


@bp.get("/users/export/<fmt>")
@login_required(*P["users"])
def users_export(fmt: str):
    """Download the users list."""
    rows = [dict(u, role=label(u["role"])) for u in admin.list_users(get_db())]
    return _export(fmt, "users", _columns(USER_COLUMNS), rows)


# --- audit log ----------------------------------------------------------------------------------

AUDIT_COLUMNS = [
    ("at", N_("When")),
    ("username", N_("User")),
    ("action", N_("Action")),
    ("target", N_("Target")),
    ("remote_addr", N_("From address")),
]


@bp.get("/audit")
@login_required(*P["audit"])
def audit_log():
    """The audit log (administrators only): who did what, when, from where."""
    page_no = _page_arg()
    items, total = admin.audit_entries(
        get_db(),
        action=request.args.get("action") or None,
        username=request.args.get("user") or None,
        limit=PER_PAGE,
        offset=(page_no - 1) * PER_PAGE,
    )
    return render_template(
        "audit.html",
        items=items,
        total=total,
        page=page_no,
        pages=max(1, (total + PER_PAGE - 1) // PER_PAGE),
    )


@bp.get("/audit/export/<fmt>")
@login_required(*P["audit"])
def audit_export(fmt: str):
    """Download the audit log."""
    items, _total = admin.audit_entries(
        get_db(),
        action=request.args.get("action") or None,
        username=request.args.get("user") or None,
        limit=10**9,
    )
    rows = [dict(a, action=label(a["action"])) for a in items]
    return _export(fmt, "audit-log", _columns(AUDIT_COLUMNS), rows)
