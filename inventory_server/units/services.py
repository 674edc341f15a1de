"""Org-unit services: create, find, list subtrees."""

from collections.abc import Mapping
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory_server.models import OrgUnit

T = TypeVar("T")


class UnitError(ValueError):
    """A unit operation was refused; the message says why."""


def get_by_code(db: Session, code: str) -> OrgUnit | None:
    """Return the unit with ``code`` or None."""
    return db.scalar(select(OrgUnit).where(OrgUnit.code == code))


def create_unit(db: Session, *, code: str, name: str, parent_code: str | None = None) -> OrgUnit:
    """Create a unit under ``parent_code`` (or a root); does not commit."""
    code = code.strip()
    if not code or len(code) > 64 or any(c.isspace() for c in code):
        raise UnitError(f"unit code must be 1-64 characters without spaces: {code!r}")
    if get_by_code(db, code):
        raise UnitError(f"unit {code!r} already exists")
    parent = None
    if parent_code:
        parent = get_by_code(db, parent_code)
        if parent is None:
            raise UnitError(f"parent unit {parent_code!r} does not exist")
    unit = OrgUnit(code=code, name=name.strip() or code, parent_id=parent.id if parent else None)
    db.add(unit)
    db.flush()
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    return unit


def root_unit(db: Session) -> OrgUnit | None:
    """Return the first root unit (the province), or None."""
    return db.scalar(select(OrgUnit).where(OrgUnit.parent_id.is_(None)).order_by(OrgUnit.id))


def subtree_ids(db: Session, unit: OrgUnit) -> list[int]:
    """Return the ids of ``unit`` and all units below it."""
    return list(db.scalars(select(OrgUnit.id).where(OrgUnit.path.startswith(unit.path))))


def subtree_heads(path: str, known: Mapping[str, T]) -> list[T]:
    """Return the values of ``known`` (keyed by unit path) whose subtree holds the unit at ``path``.

    That is every key that ``path`` starts with: the unit itself and its ancestors. Adding a
    unit's own figures to each of these rolls the figures up the tree in one pass over the
    units' path prefixes, instead of comparing every pair of units.
    """
    out = []
    for end in range(1, len(path) + 1):
        value = known.get(path[:end])
        if value is not None:
            out.append(value)
    return out
