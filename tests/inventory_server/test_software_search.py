"""Software search with a version filter on SQLite and PostgreSQL: the hosts answered are the
ones a direct comparison of every install finds (epochs, tildes, revisions, NULL versions)."""

import pytest
from sqlalchemy import select

from inventory_server import versions
from inventory_server.db import make_engine, make_sessionmaker
from inventory_server.hosts import services
from inventory_server.models import (
    Host,
    HostSoftware,
    SoftwareInstall,
    SoftwarePackage,
    SoftwareTitle,
)
from inventory_server.models.software import package_key

# host name -> (title, version, arch) installs; "gone" is merged, so never answered.
FLEET = {
    "bullseye": [("libreoffice-core", "1:7.0.4-4+deb11u10", "amd64")],
    "bookworm": [("libreoffice-core", "4:7.4.7-1+deb12u6", "amd64")],
    "bookworm-2": [("libreoffice-core", "4:7.4.7-1+deb12u6", "amd64")],
    "backports": [("libreoffice-core", "4:24.8.4-1~bpo12+1", "amd64")],
    "release-candidate": [("libreoffice-core", "1:7.5~rc1-1", "amd64")],
    "point-zero-rc": [("libreoffice-core", "7.5.0~rc2", "amd64")],
    "windows": [("libreoffice-core", "7.5.9.2", "")],
    "exact": [("libreoffice-core", "7.5", "")],
    "no-version": [("libreoffice-core", None, "amd64")],
    "empty-version": [("libreoffice-core", "", "amd64")],
    # Two architectures of the title on one host: the host is answered once.
    "multiarch": [
        ("libreoffice-core", "4:7.4.7-1+deb12u6", "amd64"),
        ("libreoffice-core", "4:7.4.7-1+deb12u5", "i386"),
    ],
    "calc-only": [("libreoffice-calc", "4:7.4.7-1+deb12u6", "amd64")],
    "nothing": [("vim", "2:9.0.1378-2", "amd64")],
    "gone": [("libreoffice-core", "1:7.0.4-4+deb11u10", "amd64")],
}

QUERIES = [
    ("libreoffice-core", "lt", "7.5"),
    ("libreoffice-core", "le", "7.5"),
    ("libreoffice-core", "ge", "7.5"),
    ("libreoffice-core", "gt", "7.5"),
    ("libreoffice-core", "eq", "7.4"),
    ("libreoffice-core", "eq", "7.5"),
    ("libreoffice-core", "lt", "1:7.5"),  # the query names an epoch: epochs count
    ("libreoffice-core", "ge", "4:7.4.7-1+deb12u6"),  # and a revision
    ("libreoffice-core", "lt", "7.4.7-1+deb12u6"),
    ("libreoffice-core", "lt", "1"),  # nothing matches
    ("libreoffice-core", "ge", "0"),  # every version matches
    ("libreoffice*", "lt", "7.5"),
    ("LibreOffice-*", "ge", "7.4"),
    ("no-such-title", "lt", "7.5"),
]


@pytest.fixture
def fleet(db_url):
    """The hosts of FLEET in a fresh database; yields a session."""
    engine = make_engine(db_url)
    with make_sessionmaker(engine)() as db:
        titles, packages = {}, {}
        for name, installs in FLEET.items():
            host = Host(hostname=name, status="merged" if name == "gone" else "active")
            db.add(host)
            db.flush()
            ids = []
            for title, version, arch in installs:
                if title not in titles:
                    titles[title] = SoftwareTitle(name_key=title, name=title)
                    db.add(titles[title])
                    db.flush()
                key = package_key(titles[title].id, version, arch, "deb", None, None, None)
                if key not in packages:
                    packages[key] = SoftwarePackage(
                        key=key,
                        title_id=titles[title].id,
                        version=version,
                        arch=arch,
                        source="deb",
                    )
                    db.add(packages[key])
                    db.flush()
                ids.append(packages[key].id)
            ids.sort()
            db.add(HostSoftware(host_id=host.id, package_ids=ids, install_dates=[None] * len(ids)))
        db.commit()
        yield db
    engine.dispose()


def _direct(db, pattern: str, op: str, wanted: str) -> list[str]:
    """Every active host with an install of a matching title whose version matches."""
    key = pattern.lower()
    out = set()
    for hostname, status, title, version in db.execute(
        select(Host.hostname, Host.status, SoftwareTitle.name_key, SoftwareInstall.version)
        .join(SoftwareInstall, SoftwareInstall.host_id == Host.id)
        .join(SoftwareTitle, SoftwareTitle.id == SoftwareInstall.title_id)
    ):
        named = title.startswith(key[:-1]) if key.endswith("*") else title == key
        if status == "active" and named and versions.matches(version, op, wanted):
            out.add(hostname)
    return sorted(out)


@pytest.mark.parametrize(("title", "op", "wanted"), QUERIES)
def test_version_filter_answers_what_comparing_every_install_finds(fleet, title, op, wanted):
    stmt = services.host_query(fleet, software=title, version=(op, wanted))
    rows, total = services.page(fleet, stmt, per_page=1000)
    expected = _direct(fleet, title, op, wanted)
    assert [h.hostname for h in rows] == expected
    assert total == len(expected)


def test_version_filter_edge_cases(fleet):
    def hosts(op, wanted):
        stmt = services.host_query(fleet, software="libreoffice-core", version=(op, wanted))
        return [h.hostname for h in services.page(fleet, stmt, per_page=1000)[0]]

    older = hosts("lt", "7.5")
    # Epochs the query does not give are ignored; a tilde sorts before the release.
    assert {"bullseye", "bookworm", "multiarch", "release-candidate"} <= set(older)
    assert "point-zero-rc" not in older  # 7.5.0~rc2 is after 7.5
    assert not {"no-version", "empty-version", "gone", "calc-only"} & set(older)
    assert hosts("eq", "7.5") == ["exact", "point-zero-rc", "windows"]
    assert hosts("ge", "0") == sorted(
        n for n, i in FLEET.items() if i[0][0] == "libreoffice-core" and i[0][1] and n != "gone"
    )
    with pytest.raises(services.QueryError):
        services.host_query(fleet, software="libreoffice-core", version=("newer", "7.5"))


def test_pages_keep_the_order_and_the_total(fleet):
    stmt = services.host_query(fleet, software="libreoffice*")
    every, total = services.page(fleet, stmt, sort="-hostname", per_page=1000)
    names = [h.hostname for h in every]
    assert names == sorted(names, reverse=True) and total == len(names) == 12
    pages = [services.page(fleet, stmt, sort="-hostname", page_no=p, per_page=5) for p in (1, 2, 3)]
    assert [h.hostname for rows, _ in pages for h in rows] == names
    assert {t for _, t in pages} == {12}
    assert services.page(fleet, stmt, page_no=9, per_page=5) == ([], 12)
