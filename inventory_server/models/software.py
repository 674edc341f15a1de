"""The software catalogue (titles and package versions) and what is installed where.

A province's hosts share most of their packages: the same title, version and architecture is on
thousands of machines. Each distinct package version is one row of ``software_packages``, and a
host's software is one row of ``host_software`` holding the ids of its package versions (and
their install dates) as arrays. On PostgreSQL the id array is indexed with GIN, so "hosts with
title T" (or "with T older than 7.5") is a lookup of T's few package ids followed by an index
probe, and a first report of 1,650 packages writes one row instead of 1,650 rows with their
index entries. On SQLite the arrays are JSON text and searches read them with ``json_each``.

``software_installs`` is a read-only view with one row per (host, package version), for the
readers that want one host's packages as rows (host page, compliance facts, exports).
"""

import datetime as dt
import json
import unicodedata
from typing import ClassVar

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from inventory_server.db import Base, UTCDateTime, intpk, pg_int_array_literal, utcnow

LICENCE_CLASSES = ("open_source", "licensed", "freeware", "unknown")


class IntArray(TypeDecorator):
    """A list of integers: ``integer[]`` / ``bigint[]`` on PostgreSQL, JSON text elsewhere.

    Elements may be None (an install date the source does not give). On PostgreSQL the list is
    bound as the array's text form (``{1,2,NULL}``), built at once in Python, which is several
    times cheaper than the driver adapting 1,000–3,000 elements one by one.
    """

    impl = Text
    cache_ok = True

    def __init__(self, big: bool = False):
        super().__init__()
        self.big = big

    def load_dialect_impl(self, dialect):
        """PostgreSQL stores a native array; others store JSON text."""
        if dialect.name == "postgresql":
            return dialect.type_descriptor(ARRAY(BigInteger if self.big else Integer))
        return dialect.type_descriptor(Text())

    def bind_processor(self, dialect):
        """On PostgreSQL the text form goes to the driver as it is (no ARRAY processing)."""
        if dialect.name == "postgresql":
            return lambda value: self.process_bind_param(value, dialect)
        return super().bind_processor(dialect)

    def result_processor(self, dialect, coltype):
        """psycopg returns lists of ints already; elsewhere JSON text is decoded."""
        if dialect.name == "postgresql":
            return None
        return super().result_processor(dialect, coltype)

    def process_bind_param(self, value, dialect):
        """Return the array's PostgreSQL text form, or compact JSON elsewhere."""
        if value is None:
            return None
        if dialect.name == "postgresql":
            return pg_int_array_literal(value)
        return json.dumps(value, separators=(",", ":"))

    def process_result_value(self, value, dialect):
        """Return a list."""
        if value is None or dialect.name == "postgresql":
            return value
        return json.loads(value)


class SoftwareTitle(Base):
    """A program in the catalogue, shared by all hosts that have it."""

    __tablename__ = "software_titles"

    id: Mapped[intpk]
    name_key: Mapped[str] = mapped_column(String(512), unique=True)
    name: Mapped[str] = mapped_column(String(512))
    publisher: Mapped[str | None] = mapped_column(String(512))
    licence_class: Mapped[str] = mapped_column(String(32), default="unknown")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class SoftwarePackage(Base):
    """One version of a title as packaged: version, architecture, source, section, origin, scope.

    Rows are shared by every host that has this exact package and are never deleted, so their
    ids can be cached by the server processes.
    """

    __tablename__ = "software_packages"

    id: Mapped[intpk]
    key: Mapped[str] = mapped_column(Text, unique=True)
    """The identity of the row as one string (see ``package_key``), unique."""
    title_id: Mapped[int] = mapped_column(ForeignKey("software_titles.id"), index=True)
    version: Mapped[str | None] = mapped_column(String(256))
    arch: Mapped[str] = mapped_column(String(32), default="")
    source: Mapped[str] = mapped_column(String(32))
    section: Mapped[str | None] = mapped_column(String(128))
    origin: Mapped[str | None] = mapped_column(String(128))
    scope: Mapped[str | None] = mapped_column(String(16))

    title: Mapped[SoftwareTitle] = relationship(lazy="joined")


NAME_KEY_LENGTH = 512


def name_key(name: str) -> str:
    """Return the catalogue key of a software name: lower case, runs of white space as one
    space, in Unicode NFC, at most 512 characters.

    Titles are keyed by it, and every search, filter and policy rule by software name goes
    through it, so they meet whatever form a name came in. Some input methods write Vietnamese
    decomposed (a base letter plus combining marks): a program named so on one machine and
    composed on another is one title, and a search typed either way finds it.
    """
    return unicodedata.normalize("NFC", " ".join(name.split()).lower())[:NAME_KEY_LENGTH]


def package_key(title_id: int, version, arch, source, section, origin, scope) -> str:
    """Return the unique key of a package version.

    Fields are joined by the unit separator (U+001F); a missing field is the record separator
    (U+001E), so that a missing version differs from an empty one. Migration 0005 builds the same
    string in SQL.
    """
    return "\x1f".join(
        (
            str(title_id),
            "\x1e" if version is None else version,
            arch or "",
            source,
            "\x1e" if section is None else section,
            "\x1e" if origin is None else origin,
            "\x1e" if scope is None else scope,
        )
    )


class HostSoftware(Base):
    """A host's installed software: package-version ids and their install dates, in step."""

    __tablename__ = "host_software"
    __table_args__ = (
        Index(
            "ix_host_software_package_ids",
            "package_ids",
            postgresql_using="gin",
            # New entries gather in a small pending list merged in batches (migrations 0007,
            # 0015).
            postgresql_with={"fastupdate": "on", "gin_pending_list_limit": 1024},
        ),
    )

    host_id: Mapped[int] = mapped_column(
        ForeignKey("hosts.id", ondelete="CASCADE"), primary_key=True
    )
    package_ids: Mapped[list[int]] = mapped_column(IntArray())
    """Ids of ``software_packages`` rows, ascending."""
    install_dates: Mapped[list[int | None]] = mapped_column(IntArray(big=True))
    """Install time of each package (seconds since 1970, UTC) or None, in the order of the ids."""
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


# The read-only view: one row per (host, package version). It lives on its own metadata so that
# the models-vs-migrations comparison leaves it to the migration that creates it (VIEW_SQL).
view_metadata = MetaData()
software_installs_view = Table(
    "software_installs",
    view_metadata,
    Column("host_id", BigInteger, primary_key=True),
    Column("package_id", BigInteger, primary_key=True),
    Column("title_id", BigInteger),
    Column("version", String(256)),
    Column("arch", String(32)),
    Column("source", String(32)),
    Column("section", String(128)),
    Column("origin", String(128)),
    Column("scope", String(16)),
    Column("install_date", UTCDateTime),
)

VIEW_SQL = {
    "postgresql": """
CREATE VIEW software_installs AS
SELECT hs.host_id, p.id AS package_id, p.title_id, p.version, p.arch, p.source, p.section,
       p.origin, p.scope, to_timestamp(u.install_date) AS install_date
FROM host_software hs
CROSS JOIN LATERAL unnest(hs.package_ids, hs.install_dates) AS u(package_id, install_date)
JOIN software_packages p ON p.id = u.package_id
""",
    "sqlite": """
CREATE VIEW software_installs AS
SELECT hs.host_id, p.id AS package_id, p.title_id, p.version, p.arch, p.source, p.section,
       p.origin, p.scope,
       datetime(json_extract(hs.install_dates, '$[' || je.key || ']'), 'unixepoch')
           AS install_date
FROM host_software hs
JOIN json_each(hs.package_ids) je
JOIN software_packages p ON p.id = je.value
""",
}


class SoftwareInstall(Base):
    """One package version installed on one host (a row of the read-only view)."""

    __table__ = software_installs_view
    __mapper_args__: ClassVar[dict] = {
        "primary_key": [software_installs_view.c.host_id, software_installs_view.c.package_id]
    }

    title: Mapped[SoftwareTitle] = relationship(
        lazy="joined",
        primaryjoin="foreign(SoftwareInstall.title_id) == SoftwareTitle.id",
        viewonly=True,
    )
