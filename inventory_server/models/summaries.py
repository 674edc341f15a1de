"""Snapshots of figures too costly to compute per request, refreshed on a schedule."""

import datetime as dt

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from inventory_server.db import Base

ALL_UNITS = 0
"""``unit_id`` of the rows that count every active host, with or without a unit."""


class UnitTitleCount(Base):
    """How many active hosts of a unit's subtree had a title, and in how many versions, when the
    snapshot was taken.

    No foreign keys: a refresh rewrites every row (a million at province scale) and checking
    each would double its cost; rows of a deleted unit or title vanish at the next refresh.
    """

    __tablename__ = "unit_title_counts"

    unit_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    title_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    hosts: Mapped[int]
    versions: Mapped[int] = mapped_column(default=0, server_default="0")
    """Distinct versions of the title on those hosts."""


class SummaryRefresh(Base):
    """When a snapshot was last taken (``name``: which one) and how long it took."""

    __tablename__ = "summary_refreshes"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    computed_at: Mapped[dt.datetime]
    seconds: Mapped[float]
