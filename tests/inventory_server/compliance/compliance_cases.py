"""Helpers for the compliance tests: shipped packs, a compiled engine and fixture cases."""

import functools
import json
from pathlib import Path

from inventory_server.compliance import evaluator, facts, loader

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "compliance"
NOW = 1795305600.0  # 2026-11-22T00:00:00Z, the reference time for age_le in fixtures


def load_case(path: Path) -> dict:
    """Return a fixture case: its base report sections with the case's merge patch applied."""
    case = json.loads(path.read_text(encoding="utf-8"))
    base = json.loads((FIXTURES / "base" / f"{case['base']}.json").read_text(encoding="utf-8"))
    sections = facts.merge_patch(base["sections"], case.get("patch") or {})
    host = facts.merge_patch(base["host"], case.get("host") or {})
    return {"sections": sections, "host": host, "case": case}


@functools.cache
def shipped() -> dict:
    """The shipped packs, by id (loaded once)."""
    return loader.load_shipped()


@functools.cache
def engine() -> evaluator.Engine:
    """An engine compiled from the shipped packs."""
    return evaluator.Engine(shipped().values())
