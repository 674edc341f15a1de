"""Dashboard figures on SQLite and PostgreSQL equal a direct computation over every host and
install, counted live and from the refreshed snapshot (which says when it was taken)."""

import datetime as dt
import os
import subprocess

import pytest
from sqlalchemy import select

from inventory_server.admin import services, summaries
from inventory_server.db import make_engine, make_sessionmaker, utcnow
from inventory_server.models import (
    Host,
    HostSection,
    OrgUnit,
    SoftwareInstall,
    SoftwareTitle,
    UnitTitleCount,
)
from inventory_server.models.software import LICENCE_CLASSES
from inventory_server.units.services import get_by_code
from tests.conftest import VENV_BIN, seed_database
from tests.inventory_server.software_rows import add_install

TITLES = {
    "libreoffice": "open_source",
    "firefox": "open_source",
    "vim": "open_source",
    "ms-office": "licensed",
    "winrar": "freeware",
    "mystery": "unknown",
    "unused": "licensed",  # installed nowhere: never counted
}
# unit (None: no unit), hostname, OS, role, antivirus section, days since seen, titles
WS = "workstation"
HOSTS = [
    ("PHONG-HC", "hc-1", ("linux", "Debian 12"), WS, (True, True), 1, ["libreoffice", "vim"]),
    ("PHONG-HC", "hc-2", ("windows", "Windows 11"), WS, (True, False), 30, ["ms-office"]),
    ("SO-TTTT", "tttt-1", ("linux", "Ubuntu 22.04"), "server", None, 2, ["vim", "firefox"]),
    ("SO-TC", "tc-1", ("windows", "Windows 10"), "workstation", (False, False), None, ["winrar"]),
    ("SO-TC", "tc-2", ("windows", "Windows 10"), "workstation", "no-av", 0, ["winrar", "mystery"]),
    (None, "loose", (None, None), None, (True, True), 3, ["firefox", "ms-office"]),
]


@pytest.fixture
def province(db_url):
    """Units from the seed, the hosts of HOSTS, a merged host with installs; yields a session."""
    seed_database(db_url)
    engine = make_engine(db_url)
    now = utcnow()
    with make_sessionmaker(engine)() as db:
        titles = {}
        for name, licence in TITLES.items():
            titles[name] = SoftwareTitle(name_key=name, name=name, licence_class=licence)
            db.add(titles[name])
        db.flush()
        rows = [*HOSTS, ("SO-TC", "merged", ("linux", "x"), "server", None, 0, ["unused"])]
        for unit, name, (family, os_name), role, av, days, installed in rows:
            host = Host(
                hostname=name,
                unit_id=get_by_code(db, unit).id if unit else None,
                status="merged" if name == "merged" else "active",
                os_family=family,
                os_name=os_name,
                role=role,
                last_seen=None if days is None else now - dt.timedelta(days=days),
            )
            db.add(host)
            db.flush()
            if av == "no-av":
                section = {"firewall": {"enabled": True}}
            elif av is not None:
                section = {"antivirus": {"installed": av[0], "running": av[1]}}
            if av is not None:
                db.add(
                    HostSection(host_id=host.id, section="security", digest="0" * 64, data=section)
                )
                host.av_state = services.antivirus_state(section)  # as ingest sets it
            for title in installed:
                add_install(db, host_id=host.id, title_id=titles[title].id, version="1.0")
        db.commit()
        yield db
    engine.dispose()


def direct(db, *, prefix: str | None, days: int = 7) -> dict:
    """The figures computed host by host: hosts under ``prefix`` (None: every active host)."""
    cutoff = utcnow() - dt.timedelta(days=days)
    hosts = [
        h
        for h in db.scalars(select(Host).where(Host.status == "active"))
        if prefix is None or (h.unit is not None and h.unit.path.startswith(prefix))
    ]
    sections = {s.host_id: s.data for s in db.scalars(select(HostSection))}
    av = {h.id: services.antivirus_state(sections.get(h.id)) for h in hosts}
    titles = {
        t.id: t.licence_class
        for t in db.scalars(
            select(SoftwareTitle)
            .join(SoftwareInstall, SoftwareInstall.title_id == SoftwareTitle.id)
            .where(SoftwareInstall.host_id.in_([h.id for h in hosts]))
        )
    }
    classes = {c: sum(1 for v in titles.values() if v == c) for c in LICENCE_CLASSES}

    def counts(values):
        out = {}
        for v in values:
            out[v or "unknown"] = out.get(v or "unknown", 0) + 1
        return sorted(out.items(), key=lambda kv: (-kv[1], kv[0]))

    return {
        "hosts": len(hosts),
        "by_os_family": counts(h.os_family for h in hosts),
        "by_role": counts(h.role for h in hosts),
        "by_os": counts(h.os_name for h in hosts),
        "antivirus": {s: sum(1 for v in av.values() if v == s) for s in services.AV_STATES},
        "not_seen": sum(1 for h in hosts if h.last_seen is None or h.last_seen < cutoff),
        "licence_titles": classes,
        "open_source_share": classes["open_source"] / len(titles) if titles else None,
        "children_hosts": None,
    }


def figures(d: dict) -> dict:
    """The parts of a dashboard answer that ``direct`` computes."""
    keys = (
        "hosts",
        "by_os_family",
        "by_role",
        "by_os",
        "antivirus",
        "not_seen",
        "licence_titles",
        "open_source_share",
    )
    return {**{k: d[k] for k in keys}, "children_hosts": None}


def path(db, code: str) -> str:
    """The path of unit ``code``."""
    return db.scalar(select(OrgUnit.path).where(OrgUnit.code == code))


@pytest.mark.parametrize("snapshot", [False, True], ids=["live", "snapshot"])
def test_dashboard_equals_a_direct_computation(province, snapshot):
    db = province
    if snapshot:
        taken = summaries.refresh_titles(db)
    cases = [
        (None, None, None),
        (None, "TINH", path(db, "TINH")),
        (None, "SO-TTTT", path(db, "SO-TTTT")),
        (None, "PHONG-HC", path(db, "PHONG-HC")),
        (None, "SO-TC", path(db, "SO-TC")),
        (path(db, "SO-TTTT"), None, path(db, "SO-TTTT")),  # an officer of SO-TTTT
        (path(db, "SO-TTTT"), "PHONG-HC", path(db, "PHONG-HC")),
    ]
    for scope, code, prefix in cases:
        unit = get_by_code(db, code) if code else None
        d = services.dashboard(db, scope=scope, unit=unit)
        assert figures(d) == direct(db, prefix=prefix), (scope, code)
        assert d["licence_as_of"] == (
            taken.computed_at.isoformat().replace("+00:00", "Z") if snapshot else None
        )
        for child in d["children"]:
            assert child == {
                "code": child["code"],
                "name": child["name"],
                "hosts": direct(db, prefix=path(db, child["code"]))["hosts"],
                "protected": direct(db, prefix=path(db, child["code"]))["antivirus"]["protected"],
                "not_seen": direct(db, prefix=path(db, child["code"]))["not_seen"],
            }
    top = services.dashboard(db, scope=None)
    assert top["hosts"] == 6 and top["licence_titles"]["licensed"] == 1  # "unused" is not
    assert [c["code"] for c in top["children"]] == ["TINH"]
    assert top["children"][0]["hosts"] == 5  # the host without a unit is in no child


def test_snapshot_holds_until_the_next_refresh(province):
    db = province
    first = summaries.refresh_titles(db)
    rows = db.scalar(
        select(UnitTitleCount.hosts).where(
            UnitTitleCount.unit_id == get_by_code(db, "TINH").id,
            UnitTitleCount.title_id
            == select(SoftwareTitle.id).where(SoftwareTitle.name_key == "vim").scalar_subquery(),
        )
    )
    assert rows == 2  # hosts of the subtree with the title
    tc = db.scalar(select(Host).where(Host.hostname == "tc-1"))
    unused = db.scalar(select(SoftwareTitle).where(SoftwareTitle.name_key == "unused"))
    add_install(db, host_id=tc.id, title_id=unused.id, version="2")
    db.commit()
    d = services.dashboard(db, scope=None, unit=get_by_code(db, "SO-TC"))
    assert d["licence_titles"]["licensed"] == 0  # as of the snapshot
    assert d["licence_as_of"] == first.computed_at.isoformat().replace("+00:00", "Z")
    summaries.refresh_titles(db)
    d = services.dashboard(db, scope=None, unit=get_by_code(db, "SO-TC"))
    assert d["licence_titles"]["licensed"] == 1
    assert figures(d) == direct(db, prefix=path(db, "SO-TC"))
    # A reclassified title counts in its new class at once.
    unused.licence_class = "freeware"
    db.commit()
    d = services.dashboard(db, scope=None, unit=get_by_code(db, "SO-TC"))
    assert d["licence_titles"]["licensed"] == 0 and d["licence_titles"]["freeware"] == 2


def test_dashboard_refresh_command(sqlite_url, tmp_path):
    env = dict(os.environ, KIEMKE_DATABASE_URL=sqlite_url, KIEMKE_DATA_DIR=str(tmp_path))
    done = subprocess.run(
        [os.path.join(VENV_BIN, "kiemke-server"), "dashboard", "refresh"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "software titles per unit counted as of" in done.stdout
    engine = make_engine(sqlite_url)
    with make_sessionmaker(engine)() as db:
        assert summaries.titles_as_of(db) is not None
    engine.dispose()


def catalogue_direct(db, *, prefix: str | None) -> list[tuple[str, int, int]]:
    """(title, hosts, distinct versions) over the active hosts under ``prefix``, host by host."""
    hosts = {
        h.id
        for h in db.scalars(select(Host).where(Host.status == "active"))
        if prefix is None or (h.unit is not None and h.unit.path.startswith(prefix))
    }
    by_title: dict[str, tuple[set, set]] = {}
    for i in db.scalars(select(SoftwareInstall)):
        if i.host_id in hosts:
            title = db.get(SoftwareTitle, i.title_id).name
            on, versions = by_title.setdefault(title, (set(), set()))
            on.add(i.host_id)
            if i.version is not None:
                versions.add(i.version)
    rows = [(t, len(on), len(v)) for t, (on, v) in by_title.items()]
    return sorted(rows, key=lambda r: (-r[1], r[0]))


@pytest.mark.parametrize("snapshot", [False, True], ids=["live", "snapshot"])
def test_catalogue_equals_a_direct_computation(province, snapshot):
    """Titles with their hosts and distinct versions, for every scope, filtered and paged, equal
    a host-by-host count, live and from the snapshot (which says when it was taken)."""
    db = province
    hosts = {h.hostname: h for h in db.scalars(select(Host))}
    titles = {t.name: t for t in db.scalars(select(SoftwareTitle))}
    # More versions: a second vim on one host, another LibreOffice and a version-less Firefox.
    add_install(db, host_id=hosts["hc-1"].id, title_id=titles["vim"].id, version="9.1", arch="x")
    add_install(db, host_id=hosts["tttt-1"].id, title_id=titles["vim"].id, version="9.0", arch="x")
    add_install(db, host_id=hosts["tc-1"].id, title_id=titles["libreoffice"].id, version="7.5")
    add_install(db, host_id=hosts["tc-2"].id, title_id=titles["firefox"].id, version=None)
    db.commit()
    taken = summaries.refresh_titles(db) if snapshot else None
    for scope in (None, path(db, "TINH"), path(db, "SO-TTTT"), path(db, "PHONG-HC")):
        want = catalogue_direct(db, prefix=scope)
        items, total, as_of = services.software_catalogue(db, scope=scope)
        assert [(i["name"], i["installs"], i["versions"]) for i in items] == want, scope
        assert total == len(want)
        assert as_of == (taken.computed_at if snapshot else None)
        page, total2, _ = services.software_catalogue(db, scope=scope, limit=2, offset=1)
        assert [i["name"] for i in page] == [r[0] for r in want[1:3]] and total2 == len(want)
        libre, n, _ = services.software_catalogue(db, scope=scope, q=" LIBRE ")
        assert [(i["name"], i["installs"], i["versions"]) for i in libre] == [
            r for r in want if "libre" in r[0]
        ]
        assert n == len(libre)
        free, _n, _ = services.software_catalogue(db, scope=scope, licence_class="open_source")
        assert [i["name"] for i in free] == [r[0] for r in want if TITLES[r[0]] == "open_source"]
    # One host with two versions counts once; a version-less install adds no version.
    whole = {r[0]: r for r in catalogue_direct(db, prefix=None)}
    assert whole["vim"] == ("vim", 2, 3) and whole["libreoffice"] == ("libreoffice", 2, 2)
    assert "unused" not in whole  # on the merged host only


def test_catalogue_holds_until_the_next_refresh_in_the_api(province, db_url, tmp_path):
    """The API says when the catalogue was counted; a title installed since shows after the
    next refresh."""
    from inventory_server.app import create_app, dispose

    db = province
    first = summaries.refresh_titles(db)
    tc = db.scalar(select(Host).where(Host.hostname == "tc-1"))
    unused = db.scalar(select(SoftwareTitle).where(SoftwareTitle.name_key == "unused"))
    add_install(db, host_id=tc.id, title_id=unused.id, version="2")
    db.commit()
    app = create_app(
        {"DATABASE_URL": db_url, "DATA_DIR": str(tmp_path), "SECRET_KEY": "k", "TESTING": True}
    )
    client = app.test_client()
    from inventory_server.models import User
    from inventory_server.users.services import create_token

    admin = db.scalar(select(User).where(User.username == "admin"))
    token = {"Authorization": f"Bearer {create_token(db, user=admin)}"}
    db.commit()
    body = client.get("/api/v1/software?q=unused", headers=token).get_json()
    assert body["items"] == [] and body["total"] == 0
    assert body["counted_at"] == first.computed_at.isoformat().replace("+00:00", "Z")
    summaries.refresh_titles(db)
    body = client.get("/api/v1/software?q=unused", headers=token).get_json()
    assert [(i["name"], i["installs"], i["versions"]) for i in body["items"]] == [("unused", 1, 1)]
    dispose(app)
