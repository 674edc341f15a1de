"""A host's security posture summed up in a word, for lists and counts."""

from typing import Any

AV_STATES = ("protected", "not_running", "missing", "unknown")
"""Antivirus coverage buckets: installed and running; installed, not running; none; no data."""


def antivirus_state(security: dict[str, Any] | None) -> str:
    """Classify a host's latest ``security`` section into one of AV_STATES.

    No ``antivirus`` object means "no data"; reports omit defaults, so ``installed`` is absent
    when false.
    """
    av = (security or {}).get("antivirus")
    if not isinstance(av, dict):
        return "unknown"
    if not av.get("installed"):
        return "missing"
    return "protected" if av.get("running") is True else "not_running"
