"""The software catalogue (titles) and what is installed where (installs)."""

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inventory_server.db import Base, intpk, utcnow

LICENCE_CLASSES = ("open_source", "licensed", "freeware", "unknown")


class SoftwareTitle(Base):
    """A program in the catalogue, shared by all hosts that have it."""

    __tablename__ = "software_titles"

    id: Mapped[intpk]
    name_key: Mapped[str] = mapped_column(String(512), unique=True)
    name: Mapped[str] = mapped_column(String(512))
    publisher: Mapped[str | None] = mapped_column(String(512))
    licence_class: Mapped[str] = mapped_column(String(32), default="unknown")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class SoftwareInstall(Base):
    """One title installed on one host, with its version and where the record came from."""

    __tablename__ = "software_installs"
    __table_args__ = (
        UniqueConstraint("host_id", "title_id", "source", "arch", name="uq_software_installs_key"),
        Index("ix_software_installs_title_version_host", "title_id", "version", "host_id"),
    )

    id: Mapped[intpk]
    host_id: Mapped[int] = mapped_column(ForeignKey("hosts.id", ondelete="CASCADE"))
    title_id: Mapped[int] = mapped_column(ForeignKey("software_titles.id"))
    version: Mapped[str | None] = mapped_column(String(256))
    arch: Mapped[str] = mapped_column(String(32), default="")
    source: Mapped[str] = mapped_column(String(32))
    install_date: Mapped[dt.datetime | None]
    section: Mapped[str | None] = mapped_column(String(128))
    origin: Mapped[str | None] = mapped_column(String(128))
    scope: Mapped[str | None] = mapped_column(String(16))
    first_seen: Mapped[dt.datetime] = mapped_column(default=utcnow)

    title: Mapped[SoftwareTitle] = relationship(lazy="joined")
