"""The Flask application factory."""

import datetime
import logging

from flask import Flask, current_app, g, jsonify, request
from sqlalchemy import text

from inventory_server import __version__, errors
from inventory_server.config import load_config, secret_key
from inventory_server.db import dispose_engine, make_engine, make_sessionmaker, nowait_engine
from inventory_server.i18n import LANGUAGES
from inventory_server.security import RESPONSE_HEADERS

BLUEPRINTS = (
    "inventory_server.enrollment.api:bp",
    "inventory_server.reports.api:bp",
    "inventory_server.hosts.api:bp",
    "inventory_server.inventory.api:bp",
    "inventory_server.compliance.api:bp",
    "inventory_server.openapi:bp",
    "inventory_server.admin.api:bp",
    "inventory_server.web.views:bp",
)
"""Every blueprint, as ``module:attribute``; a resource package adds its own line here."""


def create_app(config: dict | None = None) -> Flask:
    """Create the application: settings, database, blueprints, error handlers."""
    settings = load_config(config)
    from inventory_server.enrollment.services import parse_rules

    parse_rules(settings["IDENTITY_RULES"])  # refuse to start with a misspelt rule
    app = Flask(__name__, template_folder="web/templates", static_folder="web/static")
    app.config.update(settings)
    app.config["SECRET_KEY"] = secret_key(settings)
    app.config["MAX_CONTENT_LENGTH"] = settings["MAX_COMPRESSED_BYTES"]
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["PERMANENT_SESSION_LIFETIME"] = datetime.timedelta(hours=8)
    app.json.sort_keys = False
    engine = make_engine(
        settings["DATABASE_URL"], echo=settings["SQL_ECHO"], pre_ping=settings["DB_PRE_PING"]
    )
    app.extensions["kiemke"] = {"engine": engine, "sessions": make_sessionmaker(engine)}
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")

    from inventory_server.hooks import resolve

    for spec in BLUEPRINTS:
        app.register_blueprint(resolve(spec))
    errors.register(app)

    # The request's language is worked out when first needed (i18n.current_language): most
    # agent reports are answered without a message to translate.

    @app.after_request
    def _headers(resp):
        for name, value in RESPONSE_HEADERS:
            resp.headers.setdefault(name, value)
        if request.args.get("lang") in LANGUAGES:
            resp.set_cookie(
                "lang",
                request.args["lang"],
                max_age=365 * 86400,
                samesite="Lax",
                secure=settings["SESSION_COOKIE_SECURE"],
            )
        return resp

    @app.teardown_appcontext
    def _close_db(exc):
        db = g.pop("db", None)
        if db is not None:
            if exc is not None:
                db.rollback()
            db.close()

    @app.get("/healthz")
    def healthz():
        """Liveness and database check."""
        try:
            get_db().execute(text("SELECT 1"))
            return jsonify(status="ok", version=__version__)
        except Exception:
            return jsonify(status="error", version=__version__, database="unreachable"), 503

    if engine.dialect.name == "postgresql":
        from inventory_server.reports.fast import UnchangedReports

        nowait_engine(engine, settings["NOWAIT_DATABASE_URL"] or None)

        # Unchanged reports, most of what agents send, are answered before Flask (see there).
        app.wsgi_app = app.extensions["kiemke"]["fast"] = UnchangedReports(app)
    return app


def dispose(app: Flask) -> None:
    """Close the application's database connections (its pool and the no-wait pool)."""
    dispose_engine(app.extensions["kiemke"]["engine"])


def get_db():
    """Return the request's session (opened on first use, closed at teardown)."""
    if "db" not in g:
        g.db = current_app.extensions["kiemke"]["sessions"]()
    return g.db


def session_factory():
    """Return the application's session factory (for work outside a request)."""
    return current_app.extensions["kiemke"]["sessions"]
