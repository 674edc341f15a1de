"""Send reports: full or delta, resend what the server asks for, spool when it is unreachable."""

import os
import sys
import time

from agent.config import AgentConfig
from agent.i18n import _
from agent.report import collect, make_delta, with_sections
from agent.schema import encode
from agent.spool import Spool
from agent.state import State
from agent.transport import TransportError, post_with_retries


def api_url(cfg: AgentConfig, path: str) -> str:
    """Return the server's API URL for ``path``."""
    return cfg.server_url.rstrip("/") + "/api/v1" + path


class SpooledError(TransportError):
    """The server was unreachable; the full report waits in the spool for the next run."""


def _poster(cfg: AgentConfig, token: str, sleep):
    url = api_url(cfg, "/reports")

    def post(body: bytes) -> dict:
        return post_with_retries(
            url, body, attempts=cfg.retries, base_delay=cfg.retry_base_seconds, sleep=sleep,
            token=token, ca_file=cfg.ca_file, pin_sha256=cfg.pin_sha256,
            timeout=cfg.timeout_seconds, proxy=cfg.proxy,
        )

    return post


def flush_spool(spool: Spool, post) -> int:
    """Send spooled reports oldest first; return how many the server took.

    Stops (raising) at the first retryable failure so order is kept; a report the server
    refuses as invalid is dropped, since resending it would never succeed.
    """
    sent = 0
    for path in spool.items():
        body = spool.read(path)
        if body is None:
            continue
        try:
            post(body)
        except TransportError as exc:
            if exc.retryable or exc.status in (0, 401, 403):
                raise
            print(_("kiemke-agent: spooled report {name} refused, dropped: {error}").format(
                name=os.path.basename(path), error=exc), file=sys.stderr)
            spool.remove(path)
            continue
        spool.remove(path)
        sent += 1
    return sent


def send_report(cfg: AgentConfig, state: State, *, force_full: bool = False, full=None,
                sleep=time.sleep) -> dict:
    """Collect, send a full or delta report, resend sections the server asks for; return answer.

    When the server cannot be reached (after retries), the FULL report is spooled and sent,
    oldest first, before the next report; a spooled report never depends on earlier ones.
    """
    token = state.token
    if not token or not cfg.server_url:
        raise TransportError(
            _("not enrolled: run 'kiemke-agent enroll --server URL --secret S'"), status=0
        )
    full = full if full is not None else collect(role=cfg.role)
    spool = Spool(os.path.join(cfg.state_dir, "spool"), max_items=cfg.spool_max)
    post = _poster(cfg, token, sleep)

    def spool_full(exc: TransportError):
        _path, dropped = spool.put(encode(full))
        state.data["digests"] = {}  # the server's copy is unknown now: next report is full
        state.save()
        note = _("; {count} oldest dropped (spool_max {limit})").format(
            count=len(dropped), limit=cfg.spool_max) if dropped else ""
        raise SpooledError(_("{error}; report spooled ({count} waiting)").format(
            error=exc, count=len(spool)) + note) from exc

    try:
        flushed = flush_spool(spool, post)
    except TransportError as exc:
        if exc.retryable:
            spool_full(exc)
        raise
    runs = int(state.data.get("runs", 0))
    last = state.data.get("digests") or {}
    send_full = force_full or flushed > 0 or not last or runs % cfg.full_every == 0
    report = full if send_full else make_delta(full, last)
    try:
        answer = post(encode(report))
        need = [s for s in answer.get("need_full", []) if getattr(report, s, None) is None]
        if need:
            report = with_sections(report, full, need)
            answer = post(encode(report))
    except TransportError as exc:
        if exc.retryable:
            spool_full(exc)
        raise
    state.data.update(
        runs=runs + 1,
        digests=full.digests,
        host_id=answer.get("host_id", state.data.get("host_id")),
        last_report=full.collected_at.isoformat(),
    )
    state.save()
    answer["sent"] = [s for s in full.digests if getattr(report, s, None) is not None]
    answer["kind"] = report.kind
    answer["errors"] = [e.collector for e in full.errors]
    answer["spool_sent"] = flushed
    return answer
