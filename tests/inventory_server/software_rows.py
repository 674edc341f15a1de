"""Test helper: give hosts installed software without sending a report."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory_server.models import HostSoftware, SoftwarePackage
from inventory_server.models.software import package_key


def add_install(
    db: Session,
    *,
    host_id: int,
    title_id: int,
    version: str | None,
    arch: str = "",
    source: str = "deb",
    install_date: int | None = None,
) -> SoftwarePackage:
    """Add one package version to the host's software (catalogue row created when missing)."""
    key = package_key(title_id, version, arch, source, None, None, None)
    package = db.scalar(select(SoftwarePackage).where(SoftwarePackage.key == key))
    if package is None:
        package = SoftwarePackage(
            key=key, title_id=title_id, version=version, arch=arch, source=source
        )
        db.add(package)
        db.flush()
    row = db.get(HostSoftware, host_id)
    if row is None:
        row = HostSoftware(host_id=host_id, package_ids=[], install_dates=[])
        db.add(row)
    pairs = sorted(
        {*zip(row.package_ids, row.install_dates, strict=True), (package.id, install_date)}
    )
    row.package_ids = [p for p, _d in pairs]
    row.install_dates = [d for _p, d in pairs]
    db.flush()
    return package
