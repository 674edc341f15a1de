"""Organisation units (a tree: province → department → office) and enrollment secrets."""

import datetime as dt

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inventory_server.db import Base, intpk, str64, str255, utcnow


class OrgUnit(Base):
    """A unit of the provincial organisation; ``path`` ("/1/4/9/") makes subtree queries cheap."""

    __tablename__ = "org_units"

    id: Mapped[intpk]
    code: Mapped[str64] = mapped_column(unique=True)
    name: Mapped[str255]
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"), index=True)
    path: Mapped[str] = mapped_column(String(512), index=True, default="/")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    parent: Mapped["OrgUnit | None"] = relationship(remote_side="OrgUnit.id")

    @property
    def depth(self) -> int:
        """Depth in the tree (the root is 0)."""
        return self.path.strip("/").count("/")


class EnrollmentSecret(Base):
    """A secret that lets agents enroll into a unit until it expires; stored only as a hash."""

    __tablename__ = "enrollment_secrets"

    id: Mapped[intpk]
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    secret_hash: Mapped[str64] = mapped_column(unique=True)
    label: Mapped[str255 | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    use_count: Mapped[int] = mapped_column(default=0)

    unit: Mapped[OrgUnit] = relationship()
