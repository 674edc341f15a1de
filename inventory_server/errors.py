"""JSON errors for the API: ``{"error": {"code", "message", "field"?}}`` with the right status."""

import logging

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from inventory_server.i18n import _

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An error answered to the client as JSON."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field


def error_response(status: int, code: str, message: str, field: str | None = None):
    """Build a JSON error response."""
    body = {"code": code, "message": message}
    if field:
        body["field"] = field
    resp = jsonify({"error": body})
    resp.status_code = status
    return resp


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "too_many_requests",
}


def _wants_html() -> bool:
    if request.path.startswith("/api/") or request.path == "/healthz":
        return False
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return (
        best == "text/html"
        and request.accept_mimetypes[best] > request.accept_mimetypes["application/json"]
    )


def register(app: Flask) -> None:
    """Install the error handlers on ``app``."""

    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError):
        return error_response(exc.status, exc.code, exc.message, exc.field)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        status = exc.code or 500
        if _wants_html():
            from flask import render_template

            return render_template("error.html", status=status, message=exc.description), status
        messages = {
            404: _("No such resource: %(path)s", path=request.path),
            405: _("Method %(method)s is not allowed here", method=request.method),
            413: _("The request body is larger than the configured limit"),
        }
        return error_response(
            status, _HTTP_CODES.get(status, "http_error"), messages.get(status, exc.description)
        )

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", _("Internal server error; see the server log"))
