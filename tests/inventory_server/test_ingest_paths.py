"""The cheap paths of ingest agree with the general ones.

The unchanged report recorded in one statement (PostgreSQL, before Flask) decides exactly as
``unchanged`` does; array literals bound for ``unnest`` come back as they were sent; the org-tree
part read for one host's evaluation gives the parameters of the whole tree; packages are chosen in
report order whichever of them the process had cached.
"""

import datetime as dt
import threading
import time

import msgspec
import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import DataError
from sqlalchemy.orm import Session

from agent.report import digests, make_delta
from agent.schema import SECTIONS, CollectorError, Monitor, Package
from inventory_server.app import dispose
from inventory_server.compliance import service
from inventory_server.db import (
    make_engine,
    make_sessionmaker,
    pg_array_literal,
    pg_get_or_insert,
    pg_insert_together,
    pg_int_array_literal,
    pg_pending_update,
)
from inventory_server.models import (
    AgentCredential,
    Host,
    OrgUnit,
    PolicyParam,
    SoftwareInstall,
    SoftwareTitle,
)
from inventory_server.models.software import name_key
from inventory_server.reports import ingest
from tests.conftest import _fresh_db, seed_database
from tests.inventory_server.reports import body, make_report
from tests.inventory_server.test_reports import enroll, post


@pytest.fixture
def pg_url(request, tmp_path):
    """A fresh PostgreSQL database."""
    return _fresh_db("postgres", request, tmp_path)


def _sessions(url):
    engine = make_engine(url)
    return engine, make_sessionmaker(engine)


def _pg_app(pg_url, tmp_path):
    """The application on a fresh PostgreSQL database (the caller disposes of it)."""
    from inventory_server.app import create_app

    return create_app(
        {
            "DATABASE_URL": pg_url,
            "DATA_DIR": str(tmp_path / "data"),
            "SECRET_KEY": "test-secret-key",
            "TESTING": True,
        }
    )


ODD = [
    "plain",
    "",
    "NULL",
    "null",
    'say "hi"',
    "back\\slash",
    "\\",
    '\\"',
    "{braces}",
    "a,b",
    " spaced ",
    "tab\there",
    "line\nbreak",
    "Bộ gõ tiếng Việt",
    "x" * 3000,
]


def test_array_literals_round_trip_through_postgresql(pg_url):
    engine, _ = _sessions(pg_url)
    when = dt.datetime(2026, 11, 22, 4, 30, 5, tzinfo=dt.UTC)
    with engine.connect() as conn:
        got = conn.exec_driver_sql("SELECT %s::text[]", (pg_array_literal([*ODD, None]),))
        assert got.scalar() == [*ODD, None]
        numbers = conn.exec_driver_sql(
            "SELECT %s::bigint[], %s::boolean[], %s::timestamptz[], %s::bigint[], %s::integer[]",
            (
                pg_array_literal([0, -1, 2**40, None]),
                pg_array_literal([True, False, None]),
                pg_array_literal([when, None]),
                pg_int_array_literal([0, -1, 2**40, None]),
                pg_int_array_literal([7, 3, -2]),
            ),
        ).one()
    engine.dispose()
    assert numbers == (
        [0, -1, 2**40, None],
        [True, False, None],
        [when, None],
        [0, -1, 2**40, None],
        [7, 3, -2],
    )


def test_array_literal_quotes_every_text_element():
    assert pg_array_literal([]) == "{}"
    assert pg_array_literal(["NULL", None, 'a"b\\c', 7, True]) == '{"NULL",NULL,"a\\"b\\\\c",7,t}'


def _report_variants(full):
    """(label, report) pairs around an unchanged delta of ``full``."""
    base = make_delta(full, full.digests)
    out = [("unchanged delta", base), ("unchanged full (general path)", full)]
    with_data = make_delta(full, full.digests)
    with_data.os = full.os
    out.append(("unchanged delta carrying a section (general path)", with_data))
    for field, value in [
        ("hostname", "pc-renamed"),
        ("fqdn", "other.tinh.gov.vn"),
        ("machine_id", "f" * 32),
        ("dmi_uuid", "e" * 32),
        ("serial", "OTHER-SERIAL"),
        ("role", "server"),
    ]:
        out.append(
            (
                f"other {field}",
                msgspec.structs.replace(
                    base, host=msgspec.structs.replace(base.host, **{field: value})
                ),
            )
        )
    for field in ("fqdn", "machine_id", "dmi_uuid", "serial", "role"):
        out.append(
            (
                f"no {field}",
                msgspec.structs.replace(
                    base, host=msgspec.structs.replace(base.host, **{field: None})
                ),
            )
        )
    changed = dict(full.digests, software="0" * 64)
    out.append(("software digest differs", msgspec.structs.replace(base, digests=changed)))
    failed = msgspec.structs.replace(
        base,
        errors=[
            CollectorError(collector="software_deb", section="software", message="dpkg failed")
        ],
    )
    out.append(("collection error", failed))
    return out


def test_one_statement_touch_decides_as_unchanged_does(pg_url, tmp_path):
    app = _pg_app(pg_url, tmp_path)
    client = app.test_client()
    full = make_report(packages=12)
    full.host.fqdn = "pc.tinh.gov.vn"
    full.host.dmi_uuid = "d" * 32
    full.digests = digests(full)
    host_id, token = enroll(client, seed_database(pg_url).secret, full)
    assert post(client, token, body(full)).status_code == 200
    engine, sessions = _sessions(pg_url)
    fast = app.extensions["kiemke"]["fast"]

    def touch(token, report):
        conn = fast.engine.raw_connection()
        try:
            return ingest.touch_known(conn.driver_connection, token, report)
        finally:
            conn.close()

    taken = 0
    for label, report in _report_variants(full):
        with sessions() as db:
            found = ingest.find_host(db.connection(), token)
            expected = (
                ingest.unchanged(found, report)
                and not report.errors
                and report.kind == "delta"
                and all(getattr(report, name) is None for name in SECTIONS)
            )
            before = db.get(Host, host_id).report_count
        got = touch(token, report)
        with sessions() as db:
            after = db.get(Host, host_id).report_count
        assert got == (host_id if expected else None), label
        assert after == before + (1 if expected else 0), label
        taken += expected
    assert taken >= 3, "unchanged reports, and ones leaving out optional identity fields"
    delta = make_delta(full, full.digests)
    assert touch(token + "x", delta) is None
    assert touch("not-a-token", delta) is None
    assert touch(token, delta) == host_id
    with sessions() as db:
        db.execute(update(AgentCredential).values(revoked_at=dt.datetime.now(dt.UTC)))
        db.commit()
    assert touch(token, delta) is None
    dispose(app)
    engine.dispose()


def test_one_statement_touch_is_postgresql_only(sqlite_url, tmp_path):
    from inventory_server.app import create_app

    app = create_app(
        {"DATABASE_URL": sqlite_url, "DATA_DIR": str(tmp_path / "data"), "TESTING": True}
    )
    assert "fast" not in app.extensions["kiemke"]
    assert app.wsgi_app.__self__ is app  # Flask's own, nothing in front
    dispose(app)


def test_unchanged_report_with_a_bad_token_is_401_even_with_a_bad_body(client, seed):
    _, token = enroll(client, seed.secret)
    full = make_report(packages=3)
    assert post(client, token, body(full)).status_code == 200
    delta = body(make_delta(full, full.digests))
    assert post(client, token + "x", delta).status_code == 401
    assert post(client, token + "x", b"{not json").status_code == 401
    assert post(client, token, b"{not json").status_code == 400
    bad = client.post("/api/v1/reports", data=delta, content_type="application/json")
    assert bad.status_code == 401


def test_unit_chain_gives_the_parameters_of_the_whole_tree(db_url, seed):
    engine, sessions = _sessions(db_url)
    with sessions() as db:
        units = db.scalars(select(OrgUnit).order_by(OrgUnit.path)).all()
        deepest = max(units, key=lambda u: u.path.count("/"))
        chain = [int(x) for x in deepest.path.strip("/").split("/")]
        assert len(chain) >= 2, "the seed has nested units"
        db.add(
            PolicyParam(
                unit_id=chain[0],
                pack_id="vn-workstation-baseline",
                params={"max_screen_lock_minutes": 10},
            )
        )
        db.add(
            PolicyParam(
                unit_id=deepest.id,
                pack_id="vn-workstation-baseline",
                params={"max_screen_lock_minutes": 5},
            )
        )
        others = [u for u in units if u.id not in chain]
        if others:
            db.add(PolicyParam(unit_id=others[0].id, pack_id="vn-open-standards", params={"x": 1}))
        db.commit()
        pack_set = service.packs_in_force()
        whole = service._load_units(db)
        for unit in units:
            part = service._load_unit_chain(db, unit.id)
            assert part.unit_path(unit.id) == whole.unit_path(unit.id), unit.code
            assert service._params_for(pack_set, part, unit.id) == service._params_for(
                pack_set, whole, unit.id
            ), unit.code
        part = service._load_unit_chain(db, deepest.id)
        params = service._params_for(pack_set, part, deepest.id)
        assert params["vn-workstation-baseline"]["max_screen_lock_minutes"] == 5
        assert service._load_unit_chain(db, None).unit_path(None) == []
    engine.dispose()


def _versions(db_url, host_id):
    engine, sessions = _sessions(db_url)
    with sessions() as db:
        rows = (
            db.execute(select(SoftwareInstall.version).where(SoftwareInstall.host_id == host_id))
            .scalars()
            .all()
        )
    engine.dispose()
    return sorted(rows, key=str)


def test_first_reported_package_wins_whichever_is_cached(client, seed, db_url):
    """Two packages of one identity (name, source, architecture): the first in the report is
    kept, whether the process knew it already, knew the other, knew both or knew neither."""
    _, token_a = enroll(client, seed.secret)
    warm = make_report(packages=2, extra_packages=[("dup-pkg", "2.0")])
    assert post(client, token_a, body(warm)).status_code == 200  # caches dup-pkg 2.0
    for order, kept in (
        (["1.0", "2.0"], "1.0"),
        (["2.0", "3.0"], "2.0"),
        (["4.0", "1.0"], "4.0"),
        (["3.0", "2.0"], "3.0"),  # both known by now
    ):
        report = make_report(packages=2, extra_packages=[("dup-pkg", v) for v in order])
        report.host = msgspec.structs.replace(
            report.host, hostname=f"dup-{kept}", machine_id=f"{kept}".replace(".", "") * 16
        )
        host_id, token = enroll(client, seed.secret, report)
        assert post(client, token, body(report)).status_code == 200
        assert kept in _versions(db_url, host_id)
        assert not set(order) - {kept} & set(_versions(db_url, host_id)), order


def _installs(db_url, host_id):
    """(name, version, arch, section, origin, install date, package id) of the host's installs."""
    engine, sessions = _sessions(db_url)
    with sessions() as db:
        rows = db.execute(
            select(
                SoftwareTitle.name,
                SoftwareInstall.version,
                SoftwareInstall.arch,
                SoftwareInstall.section,
                SoftwareInstall.origin,
                SoftwareInstall.install_date,
                SoftwareInstall.package_id,
            )
            .join(SoftwareTitle, SoftwareTitle.id == SoftwareInstall.title_id)
            .where(SoftwareInstall.host_id == host_id)
        ).all()
    engine.dispose()
    return sorted(tuple(r) for r in rows)


def test_a_missing_field_and_an_empty_one_are_one_package_cached_or_not(
    client, seed, db_url, monkeypatch
):
    """The process's cache knows a package by one string in which a missing field and an empty
    one are alike: so must the catalogue, whether the package was cached or looked up."""
    blank = Package(name="blank-fields", version="", arch="", section="", origin="", source="deb")
    none = Package(name="blank-fields", source="deb")
    ids = []
    for i, (pkg, cold) in enumerate(((blank, False), (none, False), (none, True), (blank, True))):
        if cold:
            monkeypatch.setattr(ingest, "_caches", type(ingest._caches)())
        report = make_report(packages=2)
        report.software.packages.append(pkg)
        report.digests = digests(report)
        report.host = msgspec.structs.replace(report.host, hostname=f"blank-{i}", machine_id=None)
        host_id, token = enroll(client, seed.secret, report)
        assert post(client, token, body(report)).status_code == 200
        (row,) = [r for r in _installs(db_url, host_id) if r[0] == "blank-fields"]
        assert row[1:5] == (None, "", None, None)
        ids.append(row[-1])
    assert len(set(ids)) == 1, ids


def test_install_dates_are_stored_with_their_packages(client, seed, db_url):
    host_id, token = enroll(client, seed.secret)
    when = [dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.UTC), dt.datetime(2025, 1, 2, tzinfo=dt.UTC)]
    report = make_report(packages=0)
    report.software.packages = [
        Package(name=f"dated-{i}", version="1", source="deb", install_date=when[i % 3 % 2])
        if i % 3 != 2
        else Package(name=f"dated-{i}", version="1", source="deb")
        for i in range(9)
    ]
    report.digests = digests(report)
    assert post(client, token, body(report)).status_code == 200
    stored = {name: date for name, *_mid, date, _pid in _installs(db_url, host_id)}
    assert stored == {f"dated-{i}": None if i % 3 == 2 else when[i % 3 % 2] for i in range(9)}, (
        stored
    )


def test_install_dates_are_converted_whatever_comes_before_them():
    """Each date converted as itself: a missing one first, equal instants in two zones, a
    naive one (taken as UTC), and a repeat after others."""
    utc, plus7 = dt.UTC, dt.timezone(dt.timedelta(hours=7))
    dates = [
        None,
        None,
        dt.datetime(2024, 5, 6, tzinfo=utc),
        dt.datetime(2024, 5, 6, 7, tzinfo=plus7),
        dt.datetime(2025, 1, 1, tzinfo=utc),
        dt.datetime(2024, 5, 6),
        None,
        dt.datetime(2024, 5, 6, tzinfo=utc),
    ]
    in_order = [(i, Package(name="p", source="deb", install_date=d)) for i, d in enumerate(dates)]
    seconds = [None, None, 1714953600, 1714953600, 1735689600, 1714953600, None, 1714953600]
    assert ingest._install_dates(in_order, ingest._epoch) == seconds
    assert ingest._install_dates(in_order, ingest._epoch_text) == [
        "NULL" if v is None else str(v) for v in seconds
    ]


def test_choose_survives_the_cache_being_emptied(client, seed, db_url, monkeypatch):
    _, token = enroll(client, seed.secret)
    report = make_report(packages=30)
    report.software.packages.insert(0, Package(name="brand-new", version="1", source="deb"))
    monkeypatch.setattr(ingest, "_CACHE_LIMIT", 5)  # every remember() empties the cache
    assert post(client, token, body(report)).status_code == 200
    again = make_report(packages=30, extra_packages=[("brand-new", "1"), ("newer", "2")])
    assert post(client, token, body(again)).status_code == 200


def test_first_software_section_is_stored_over_a_stray_row(client, seed, db_url):
    """Rows are written with their section; a row left without it is replaced, not an error."""
    host_id, token = enroll(client, seed.secret)
    engine, sessions = _sessions(db_url)
    with sessions() as db:
        db.execute(
            text(
                "INSERT INTO host_software (host_id, package_ids, install_dates, updated_at) "
                "VALUES (:h, :ids, :dates, :now)"
            )
            .bindparams(h=host_id, now=dt.datetime.now(dt.UTC))
            .bindparams(
                ids=[] if db_url.startswith("postgresql") else "[]",
                dates=[] if db_url.startswith("postgresql") else "[]",
            )
        )
        db.commit()
    engine.dispose()
    report = make_report(packages=7)
    assert post(client, token, body(report)).status_code == 200
    assert len(_versions(db_url, host_id)) == len(
        {(p.name, p.source, p.arch) for p in report.software.packages}
    )


def test_catalogue_rows_of_a_failed_report_are_neither_kept_nor_cached(
    app, client, seed, db_url, monkeypatch
):
    """A report that fails after creating new titles leaves no title behind and no id in the
    process's cache (an id of a rolled-back row would break every later report naming it)."""
    host_id, token = enroll(client, seed.secret)
    report = make_report(packages=5, extra_packages=[("only-in-failed", "9.1")])
    key = name_key("only-in-failed")
    real = ingest._package_rows

    def broken(title_ids, incoming):
        assert key in title_ids  # the title was created before the failure
        raise RuntimeError("package rows failed")

    monkeypatch.setattr(ingest, "_package_rows", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    assert post(client, token, body(report)).status_code == 500
    with Session(app.extensions["kiemke"]["engine"]) as db:
        assert key not in ingest._cache(db).titles
    engine, sessions = _sessions(db_url)
    with sessions() as db:
        left = db.scalars(select(SoftwareTitle).where(SoftwareTitle.name_key == key)).all()
        assert left == []
    engine.dispose()
    monkeypatch.setattr(ingest, "_package_rows", real)
    assert post(client, token, body(report)).status_code == 200
    assert "9.1" in _versions(db_url, host_id)


def test_get_or_insert_returns_each_key_once_whoever_adds_it(pg_url):
    """One statement finds committed keys and inserts the others; a key another transaction has
    inserted but not committed is waited for, then returned with that transaction's id when it
    commits, or inserted here when it rolls back."""
    engine, _ = _sessions(pg_url)
    table = SoftwareTitle.__table__
    now = dt.datetime.now(dt.UTC)

    def row(key):
        return {
            "name_key": key,
            "name": key,
            "publisher": None,
            "created_at": now,
            "licence_class": "unknown",
        }

    def insert_title(pg, key):
        return pg.execute(
            "INSERT INTO software_titles (name_key, name, created_at, licence_class) "
            "VALUES (%s, %s, now(), 'unknown') RETURNING id",
            (key, key),
        ).fetchone()[0]

    raws = [engine.raw_connection() for _ in range(4)]
    mine, committing, aborting, watch = (r.driver_connection for r in raws)
    mine.autocommit = watch.autocommit = True
    old_id = insert_title(watch, "old")
    raced_id = insert_title(committing, "raced")  # not committed yet
    insert_title(aborting, "dropped")  # rolled back below
    got = {}
    worker = threading.Thread(
        target=lambda: got.update(
            pg_get_or_insert(
                mine, engine.dialect, table, "name_key", [row(k) for k in KEYS_IN_RACE]
            )
        )
    )
    worker.start()
    deadline = time.monotonic() + 10
    while not watch.execute(
        "SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = %s",
        (mine.info.backend_pid,),
    ).fetchone()[0]:
        assert time.monotonic() < deadline, "the statement never waited for the other inserts"
        time.sleep(0.02)
    committing.commit()
    aborting.rollback()
    worker.join(10)
    assert not worker.is_alive()
    stored = dict(watch.execute("SELECT name_key, id FROM software_titles").fetchall())
    assert got == {k: stored[k] for k in KEYS_IN_RACE}
    assert got["old"] == old_id and got["raced"] == raced_id
    assert len(set(got.values())) == len(KEYS_IN_RACE)
    for r in raws:
        r.close()
    engine.dispose()


KEYS_IN_RACE = ["dropped", "new", "old", "raced"]


def test_new_catalogue_rows_are_made_on_a_fresh_connection_after_a_dropped_one(pg_url, tmp_path):
    """The no-wait pool does not check its connections before use: after PostgreSQL dropped
    them (a restart), the next report's new titles and versions are still stored."""
    app = _pg_app(pg_url, tmp_path)
    client = app.test_client()
    first = make_report(packages=10, extra_packages=[("before-restart", "1.0")])
    host_id, token = enroll(client, seed_database(pg_url).secret, first)
    assert post(client, token, body(first)).status_code == 200
    engine, _ = _sessions(pg_url)
    with engine.connect() as c:
        dropped = c.exec_driver_sql(
            "SELECT count(pg_terminate_backend(pid, 10000)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).scalar()
    assert dropped >= 1
    again = make_report(packages=10, extra_packages=[("after-restart", "2.0")])
    assert post(client, token, body(again)).status_code == 200
    assert "2.0" in _versions(pg_url, host_id)
    with engine.connect() as c:
        assert (
            c.exec_driver_sql(
                "SELECT count(*) FROM software_titles WHERE name_key = 'after-restart'"
            ).scalar()
            == 1
        )
    dispose(app)
    engine.dispose()


def test_a_host_row_written_with_other_rows_equals_one_flushed(pg_url):
    """``pg_pending_update`` (a report's host row, written in the statement of its other rows):
    the row stored is the one the ORM's flush stores, and the session has nothing left to
    write; a value set to what it was is no change; a value too long for its column is refused,
    not cut; an SQL expression is left to the flush."""
    engine, sessions = _sessions(pg_url)
    seen = dt.datetime(2026, 12, 4, 15, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    changes = {
        "hostname": "pc-0001",
        "vendor": "Dell Inc.",
        "serial": None,
        "cpu_threads": 12,
        "memory_bytes": 17_179_869_184,
        "last_seen": seen,
        "os_version": "12",
    }
    with sessions() as db:
        together, flushed = Host(hostname="a", serial="S1"), Host(hostname="b", serial="S1")
        db.add_all([together, flushed])
        db.commit()
        for host in (together, flushed):
            for key, value in changes.items():
                setattr(host, key, value)
        together.role = together.role
        sql, params = pg_pending_update(together)
        assert "role" not in sql
        assert not db.is_modified(together)
        assert db.is_modified(flushed)
        pg_insert_together(db.connection(), [(sql, params)])
        db.commit()
        ids = together.id, flushed.id
    columns = [c for c in Host.__table__.c if c.name not in ("id", "first_seen")]
    with engine.connect() as c:
        rows = [c.execute(select(*columns).where(Host.id == i)).one() for i in ids]
    assert rows[0] == rows[1]
    assert rows[0].hostname == "pc-0001" and rows[0].serial is None
    assert rows[0].last_seen == seen

    with sessions() as db:
        host = db.get(Host, ids[0])
        assert pg_pending_update(host) is None  # nothing changed
        host.hostname = "x" * 256
        sql, params = pg_pending_update(host)
        with pytest.raises(DataError):
            pg_insert_together(db.connection(), [(sql, params)])
    with sessions() as db:
        host = db.get(Host, ids[0])
        host.report_count = Host.report_count + 5
        assert pg_pending_update(host) is None
        db.commit()
        assert db.get(Host, ids[0]).report_count == rows[0].report_count + 5
    engine.dispose()


def test_rows_inserted_together_equal_rows_inserted_one_by_one(pg_url, tmp_path):
    """On PostgreSQL a report's rows for the host's tables go in as one statement at its end;
    what is stored is what inserting them one statement at a time stores, SQL NULL and JSON
    null told apart."""
    app = _pg_app(pg_url, tmp_path)
    client = app.test_client()
    secret = seed_database(pg_url).secret
    ids = [
        enroll(
            client,
            secret,
            make_report(
                f"pc-{n}", machine_id=f"{n}" * 32, serial=f"SN-{n}", mac=f"52:54:00:00:00:0{n}"
            ),
        )[0]
        for n in range(2)
    ]
    assert ids[0] != ids[1]
    report = make_report(packages=25, extra_packages=[('Bộ gõ "x"', None)])
    report.hardware.monitors.append(Monitor(vendor="DEL", model="P2419H"))  # attrs: None
    report.digests = digests(report)
    engine, sessions = _sessions(pg_url)
    for host_id, together in zip(ids, (True, False), strict=True):
        with sessions() as db:
            host = db.get(Host, host_id)
            if together:
                ingest.ingest(db, host=host, report=report)
            else:
                ingest._apply_report(db, host, report)  # each insert at once
            db.commit()
    tables = {
        "hardware_components": ("kind", "name", "vendor", "model", "serial", "size_bytes", "attrs"),
        "network_interfaces": ("name", "mac", "ipv4", "ipv6", "up", "virtual"),
        "host_addresses": ("address", "interface"),
        "host_sections": ("section", "digest", "data"),
        "host_software": ("package_ids", "install_dates"),
    }
    with engine.connect() as c:
        for table, columns in tables.items():
            shown = ", ".join(f"quote_nullable({col}::text)" for col in columns)
            stored = [
                c.exec_driver_sql(
                    f"SELECT {shown} FROM {table} WHERE host_id = %s ORDER BY 1, 2",  # noqa: S608
                    (host_id,),
                ).all()
                for host_id in ids
            ]
            assert stored[0] and stored[0] == stored[1], table
    dispose(app)
    engine.dispose()
