"""Unchanged reports answered in front of Flask, on PostgreSQL.

Nearly every report a server takes is an unchanged delta: the agent's digests, all equal to the
stored ones. :class:`UnchangedReports` wraps the Flask application's WSGI callable and answers
those with one statement (:func:`~inventory_server.reports.ingest.touch_known`) on a connection
of its own small pool, with no request context, session or ORM in between. Anything else goes to
Flask untouched, or with the body it read and the report it decoded (``DECODED_REPORT``), when:

- the request is not ``POST /api/v1/reports`` (or the benchmark's discard endpoint), carries a
  query string, has no host token, or has no ``Content-Length`` or a body over 64 KiB;
- the body does not decompress or decode, holds an escaped U+0000, the report is invalid, newer
  than this server, a full report, carries section data or collection errors, or differs from
  what is stored;
- the database connection fails (it is dropped; the general path opens a checked one).

There the general path (:func:`inventory_server.reports.api.post_report`) answers, and explains
any error, as it does without this layer (and on SQLite, which has none).

The connections are those of the no-wait pool (:func:`~inventory_server.db.nowait_engine`), in
autocommit mode, whose commits do not wait for the WAL flush: the statement records a visit
only, which a crash may lose. They are not checked before use, since a failure already falls
back to the general path.
"""

import io
import logging

import msgspec
import psycopg
from sqlalchemy.exc import DBAPIError

from agent.schema import SCHEMA_VERSION, ReportResponse, encode, report_decoder
from inventory_server.body import decode_body
from inventory_server.db import nowait_engine
from inventory_server.errors import ApiError
from inventory_server.reports.ingest import TOKEN_HOST, ReportInvalid, touch_known
from inventory_server.security import (
    HOST_TOKEN_PREFIX,
    RESPONSE_HEADERS,
    bearer_token,
    token_hash,
)
from inventory_server.validation import has_nul_escape

log = logging.getLogger(__name__)

REPORTS = "/api/v1/reports"
DISCARD = "/api/v1/reports/discard"
FAST_BODY = 64 * 1024
"""Largest body read here: an unchanged delta is under 1 KiB compressed."""
DECODED_REPORT = "kiemke.report"
"""The WSGI environ key under which a report decoded here is handed on to Flask, so that the
general path does not decompress and decode the same body again."""
_decoder = report_decoder()


class UnchangedReports:
    """WSGI middleware: answer unchanged delta reports with one statement, pass the rest on."""

    def __init__(self, app):
        """Wrap ``app.wsgi_app`` (install with ``app.wsgi_app = UnchangedReports(app)``)."""
        self.flask_wsgi = app.wsgi_app
        self.engine = nowait_engine(app.extensions["kiemke"]["engine"])
        self.limit = min(FAST_BODY, app.config["MAX_CONTENT_LENGTH"] or FAST_BODY)
        self.max_report = app.config["MAX_REPORT_BYTES"]
        self.discard = bool(app.config.get("BENCH_ENDPOINTS"))
        compiled = TOKEN_HOST.compile(dialect=self.engine.dialect)
        self.token_host_sql, self.token_host_params = str(compiled), compiled.params

    def __call__(self, environ, start_response):
        """Answer an unchanged report here; hand every other request to Flask."""
        path = environ.get("PATH_INFO")
        if (
            environ.get("REQUEST_METHOD") != "POST"
            or (path != REPORTS and (path != DISCARD or not self.discard))
            or environ.get("QUERY_STRING")
        ):
            return self.flask_wsgi(environ, start_response)
        token = bearer_token(environ.get("HTTP_AUTHORIZATION", ""))
        try:
            length = int(environ.get("CONTENT_LENGTH") or -1)
        except ValueError:
            length = -1
        if not token.startswith(HOST_TOKEN_PREFIX) or not 0 <= length <= self.limit:
            return self.flask_wsgi(environ, start_response)
        raw = environ["wsgi.input"].read(length)
        environ["wsgi.input"] = io.BytesIO(raw)  # Flask reads the same body if it is passed on
        try:
            body = decode_body(raw, environ.get("HTTP_CONTENT_ENCODING", ""), self.max_report)
        except ApiError:
            return self.flask_wsgi(environ, start_response)  # which explains it
        if path == DISCARD:
            host_id = self._run(self._authenticate, token)
            extra = [("X-Discarded-Bytes", str(len(body)))]
        else:
            if has_nul_escape(body):
                return self.flask_wsgi(environ, start_response)  # refused there, naming the field
            try:
                report = _decoder.decode(body)
            except msgspec.MsgspecError:
                return self.flask_wsgi(environ, start_response)
            environ[DECODED_REPORT] = report  # for the general path, if it answers
            if report.schema_version > SCHEMA_VERSION or report.kind != "delta":
                # A full report always writes: no connection taken here for it.
                return self.flask_wsgi(environ, start_response)
            host_id = self._run(touch_known, token, report)
            extra = []
        if host_id is None:
            return self.flask_wsgi(environ, start_response)
        out = encode(ReportResponse(status="accepted", host_id=host_id, need_full=[]))
        start_response(
            "200 OK",
            [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(out))),
                *RESPONSE_HEADERS,
                *extra,
            ],
        )
        return [out]

    def _run(self, fn, *args) -> int | None:
        """Call ``fn(pg, *args)`` on a pooled connection; None when the general path must."""
        try:
            conn = self.engine.raw_connection()
        except DBAPIError as exc:
            log.warning("report fast path: no connection (%s); the general path answers", exc)
            return None
        try:
            return fn(conn.driver_connection, *args)
        except ReportInvalid:
            return None
        except psycopg.OperationalError as exc:
            log.warning("report fast path: connection lost (%s); the general path answers", exc)
            conn.invalidate()
            return None
        finally:
            conn.close()

    def _authenticate(self, pg, token: str) -> int | None:
        """The discard endpoint's least authentication: the token's active host id."""
        params = {**self.token_host_params, "token_hash": token_hash(token)}
        row = pg.execute(self.token_host_sql, params).fetchone()
        return row[0] if row else None
