"""Pages: log-in, hosts list, host page (scoped to the user's units)."""

from urllib.parse import urlparse

from flask import (
    Blueprint,
    abort,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from inventory_server.app import get_db
from inventory_server.auth import check_csrf, csrf_token, load_user, login_required, scope_path
from inventory_server.hosts import services
from inventory_server.i18n import LANGUAGES, _, current_language
from inventory_server.models import Host
from inventory_server.users.services import audit, authenticate

bp = Blueprint("web", __name__)


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
    }


def fmt_bytes(n) -> str:
    """Format a byte count for people (binary units)."""
    if n is None:
        return "—"
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def fmt_time(value) -> str:
    """Format an ISO timestamp or datetime as 'YYYY-MM-DD HH:MM UTC' (dd/mm/yyyy in Vietnamese)."""
    if not value:
        return "—"
    if isinstance(value, str):
        from datetime import datetime

        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if current_language() == "vi":
        return value.strftime("%d/%m/%Y %H:%M UTC")
    return value.strftime("%Y-%m-%d %H:%M UTC")


def _safe_next(target: str | None) -> str:
    if target and not urlparse(target).netloc and target.startswith("/"):
        return target
    return url_for("web.hosts")


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
                target=username,
                remote_addr=request.remote_addr,
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
    session.clear()
    return redirect(url_for("web.login"))


@bp.get("/")
def index():
    """Send people to the hosts list."""
    return redirect(url_for("web.hosts"))


@bp.get("/hosts")
@login_required()
def hosts():
    """List hosts with search and filters."""
    db = get_db()
    args = request.args
    try:
        page_no = max(1, int(args.get("page", 1)))
    except ValueError:
        page_no = 1
    try:
        stmt = services.host_query(
            db,
            scope=scope_path(load_user()),
            unit=args.get("unit") or None,
            os_family=args.get("os") or None,
            q=args.get("q") or None,
            software=args.get("software") or None,
        )
        rows, total = services.page(
            db, stmt, sort=args.get("sort", "hostname"), page_no=page_no, per_page=50
        )
        error = None
    except services.QueryError as exc:
        rows, total, error = [], 0, str(exc)
    return render_template(
        "hosts.html",
        hosts=[services.summary(h) for h in rows],
        total=total,
        page=page_no,
        pages=max(1, (total + 49) // 50),
        error=error,
    )


@bp.get("/hosts/<int:host_id>")
@login_required()
def host(host_id: int):
    """Show one host: hardware, network, posture, software, history."""
    db = get_db()
    h = db.get(Host, host_id)
    if h is None or not services.in_scope(h, scope_path(load_user())):
        abort(404)
    return render_template(
        "host.html",
        h=services.detail(db, h),
        software=services.software(db, h, q=request.args.get("q") or None),
        events=services.events(db, h, limit=100),
    )


@bp.get("/language/<lang>")
def language(lang: str):
    """Switch the interface language and go back."""
    if lang not in LANGUAGES:
        abort(404)
    resp = redirect(_safe_next(request.referrer and urlparse(request.referrer).path))
    resp.set_cookie("lang", lang, max_age=365 * 86400, samesite="Lax")
    return resp
