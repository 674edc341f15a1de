"""Extension points other packages plug into, named as ``"module:function"`` strings.

BEFORE_COMMIT functions are called inside the report's transaction:
``fn(db, host, ingested) -> bool`` (``ingested``: what the report changed and the host's sections
as stored now); True means the work is done, False leaves it to the AFTER_INGEST side. A failure
is logged and raised as :class:`BeforeCommitFailed`: the caller rolls the transaction back and
stores the report again without these functions, so a failure never undoes the report. (No
savepoint around each call: its two round trips cost every report, a failure is rare.)

AFTER_INGEST functions are called after a report is committed:
``fn(session_factory, host_id: int, changed: set[str], handled: set[str])`` (``handled``: the
BEFORE_COMMIT functions that returned True); they commit their own work and their failures are
logged, never undoing the accepted report.

HOST_MOVED functions are called inside the transaction that changes a host's unit or status,
once the change is written: ``fn(db, host_id: int, before, after)`` (each a ``(unit_id, status)``
pair). Figures kept per unit move with the host; a failure fails the change.

INVENTORY_GROUPS functions add Ansible groups: ``fn(session, host_ids: list[int]) ->
dict[str, list[int]]`` (group name → host ids).
"""

import importlib
import logging
from functools import cache

log = logging.getLogger(__name__)

BEFORE_COMMIT: list[str] = [
    "inventory_server.compliance.service:before_commit",
]
AFTER_INGEST: list[str] = [
    "inventory_server.compliance.service:after_ingest",
]
HOST_MOVED: list[str] = [
    "inventory_server.compliance.service:host_moved",
]
INVENTORY_GROUPS: list[str] = [
    "inventory_server.compliance.service:inventory_groups",
]


@cache
def resolve(spec: str):
    """Import ``module:function``."""
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)


class BeforeCommitFailed(Exception):
    """A BEFORE_COMMIT function failed: the transaction may hold part of its work."""


def run_before_commit(db, host, ingested) -> set[str]:
    """Call every BEFORE_COMMIT hook; return those that did their work.

    A failure is logged and raised as :class:`BeforeCommitFailed`, for the caller to roll back.
    """
    handled = set()
    for spec in BEFORE_COMMIT:
        try:
            if resolve(spec)(db, host, ingested):
                handled.add(spec)
        except Exception as exc:
            log.exception("before-commit hook %s failed for host %s", spec, host.id)
            raise BeforeCommitFailed(spec) from exc
    return handled


def run_after_ingest(
    session_factory, host_id: int, changed: set[str], handled: set[str] = frozenset()
) -> None:
    """Call every AFTER_INGEST hook; log and continue on failure."""
    for spec in AFTER_INGEST:
        try:
            resolve(spec)(session_factory, host_id, changed, handled)
        except Exception:
            log.exception("after-ingest hook %s failed for host %s", spec, host_id)


def run_host_moved(
    db, host_id: int, before: tuple[int | None, str], after: tuple[int | None, str]
) -> None:
    """Call every HOST_MOVED hook when the host's (unit id, status) changed; failures raise."""
    if before != after:
        for spec in HOST_MOVED:
            resolve(spec)(db, host_id, before, after)


def inventory_groups(session, host_ids: list[int]) -> dict[str, list[int]]:
    """Collect extra Ansible groups from every INVENTORY_GROUPS hook."""
    groups: dict[str, list[int]] = {}
    for spec in INVENTORY_GROUPS:
        for name, ids in resolve(spec)(session, host_ids).items():
            groups.setdefault(name, []).extend(ids)
    return groups
