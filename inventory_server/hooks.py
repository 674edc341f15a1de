"""Extension points other packages plug into, named as ``"module:function"`` strings.

AFTER_INGEST functions are called after a report is committed:
``fn(session_factory, host_id: int, changed: set[str])``; they commit their own work and their
failures are logged, never undoing the accepted report.

INVENTORY_GROUPS functions add Ansible groups: ``fn(session, host_ids: list[int]) ->
dict[str, list[int]]`` (group name → host ids).
"""

import importlib
import logging
from functools import cache

log = logging.getLogger(__name__)

AFTER_INGEST: list[str] = [
    "inventory_server.compliance.service:after_ingest",
]
INVENTORY_GROUPS: list[str] = [
    "inventory_server.compliance.service:inventory_groups",
]


@cache
def resolve(spec: str):
    """Import ``module:function``."""
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)


def run_after_ingest(session_factory, host_id: int, changed: set[str]) -> None:
    """Call every AFTER_INGEST hook; log and continue on failure."""
    for spec in AFTER_INGEST:
        try:
            resolve(spec)(session_factory, host_id, changed)
        except Exception:
            log.exception("after-ingest hook %s failed for host %s", spec, host_id)


def inventory_groups(session, host_ids: list[int]) -> dict[str, list[int]]:
    """Collect extra Ansible groups from every INVENTORY_GROUPS hook."""
    groups: dict[str, list[int]] = {}
    for spec in INVENTORY_GROUPS:
        for name, ids in resolve(spec)(session, host_ids).items():
            groups.setdefault(name, []).extend(ids)
    return groups
