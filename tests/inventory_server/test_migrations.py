"""Alembic migrations: upgrade and downgrade on SQLite and PostgreSQL; models match migrations."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from inventory_server.db import Base, make_engine
from inventory_server.migrate import current, downgrade, upgrade


def test_models_match_migrations(db_url):
    engine = make_engine(db_url)
    with engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
        )
    engine.dispose()
    assert diff == [], f"models and migrations differ; add a revision: {diff}"


def test_downgrade_to_base_and_upgrade_again(db_url):
    assert current(db_url) is not None
    downgrade(db_url, "base")
    engine = make_engine(db_url)
    tables = set(inspect(engine).get_table_names()) - {"alembic_version"}
    engine.dispose()
    assert tables == set()
    upgrade(db_url)
    engine = make_engine(db_url)
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert set(Base.metadata.tables) <= tables


def test_installs_carried_over_to_package_arrays_and_back(db_url):
    """0005 turns software_installs rows into host_software arrays and back, on both databases."""
    import datetime as dt

    from sqlalchemy import text

    downgrade(db_url, "0004")
    when = dt.datetime(2025, 3, 4, 5, 6, 7)
    engine = make_engine(db_url)
    with engine.begin() as c:
        for hid in (1, 2):
            c.execute(
                text(
                    "INSERT INTO hosts (id, hostname, software_count, first_seen, report_count, "
                    "role, status, source) VALUES (:id, :name, 2, :t, 1, 'workstation', "
                    "'active', 'agent')"
                ),
                {"id": hid, "name": f"pc-{hid}", "t": when},
            )
        for tid, name in ((1, "libreoffice-core"), (2, "firefox-esr")):
            c.execute(
                text(
                    "INSERT INTO software_titles (id, name_key, name, licence_class, created_at) "
                    "VALUES (:id, :n, :n, 'open_source', :t)"
                ),
                {"id": tid, "n": name, "t": when},
            )
        rows = [
            (1, 1, "4:7.4.7-1+deb12u6", "amd64", when, "editors"),
            (1, 2, "128.5.0esr-1~deb12u1", "amd64", None, "web"),
            (2, 1, "1:7.0.4-4+deb11u10", "amd64", None, None),
        ]
        for host_id, title_id, version, arch, date, section in rows:
            c.execute(
                text(
                    "INSERT INTO software_installs (host_id, title_id, version, arch, source, "
                    "install_date, section, first_seen) VALUES (:h, :t, :v, :a, 'deb', :d, :s, "
                    ":f)"
                ),
                {
                    "h": host_id,
                    "t": title_id,
                    "v": version,
                    "a": arch,
                    "d": date,
                    "s": section,
                    "f": when,
                },
            )
    upgrade(db_url)
    view = (
        "SELECT host_id, title_id, version, arch, section, install_date FROM software_installs "
        "ORDER BY host_id, title_id"
    )

    def _rows(c):
        out = []
        for r in c.execute(text(view)):
            date = r.install_date
            if isinstance(date, str):
                date = dt.datetime.fromisoformat(date)
            if date is not None and date.tzinfo is not None:
                date = date.astimezone(dt.UTC).replace(tzinfo=None)
            out.append((r.host_id, r.title_id, r.version, r.arch, date, r.section))
        return out

    with engine.connect() as c:
        assert _rows(c) == rows
        assert c.execute(text("SELECT count(*) FROM software_packages")).scalar() == 3
        assert c.execute(text("SELECT count(*) FROM host_software")).scalar() == 2
    downgrade(db_url, "0004")
    with engine.connect() as c:
        assert _rows(c) == rows
    upgrade(db_url)
    engine.dispose()


def test_package_index_pending_list_is_set_and_reset(db_url):
    """0007 gives the GIN index of package ids a small pending list, 0015 a larger one;
    downgrading merges what is pending and goes back to each step's setting (PostgreSQL; nothing
    to do on SQLite)."""
    from sqlalchemy import text

    if not db_url.startswith("postgresql"):
        downgrade(db_url, "0006")
        upgrade(db_url)
        assert current(db_url) is not None
        return

    def options():
        engine = make_engine(db_url)
        with engine.connect() as c:
            opts = c.execute(
                text(
                    "SELECT reloptions FROM pg_class WHERE relname = 'ix_host_software_package_ids'"
                )
            ).scalar()
        engine.dispose()
        return sorted(opts or [])

    assert options() == ["fastupdate=on", "gin_pending_list_limit=1024"]
    downgrade(db_url, "0014")
    assert options() == ["fastupdate=on", "gin_pending_list_limit=512"]
    downgrade(db_url, "0006")
    assert options() == ["fastupdate=off"]
    upgrade(db_url)
    assert options() == ["fastupdate=on", "gin_pending_list_limit=1024"]


def test_host_visits_are_updated_in_place(db_url):
    """0010 drops the index on hosts.last_seen and leaves room on each page (PostgreSQL), so that
    recording a visit is a HOT update; downgrading puts the index back."""
    from sqlalchemy import inspect, text

    def state():
        engine = make_engine(db_url)
        indexed = {i["name"] for i in inspect(engine).get_indexes("hosts")}
        options = None
        if engine.dialect.name == "postgresql":
            with engine.connect() as c:
                options = c.execute(
                    text("SELECT reloptions FROM pg_class WHERE relname = 'hosts'")
                ).scalar()
        engine.dispose()
        return "ix_hosts_last_seen" in indexed, options

    pg = db_url.startswith("postgresql")
    assert state() == (False, ["fillfactor=80"] if pg else None)
    downgrade(db_url, "0009")
    assert state() == (True, None)
    upgrade(db_url)
    assert state() == (False, ["fillfactor=80"] if pg else None)
    if pg:
        # A visit, as reports record it, is now a HOT update: no new index entries.
        engine = make_engine(db_url)
        with engine.begin() as c:
            host_id = c.execute(
                text(
                    "INSERT INTO hosts (hostname, role, status, source, software_count, "
                    "first_seen, report_count) VALUES ('pc-hot', 'workstation', 'active', "
                    "'agent', 0, now(), 0) RETURNING id"
                )
            ).scalar()
        with engine.begin() as c:
            for _ in range(3):
                c.execute(
                    text(
                        "UPDATE hosts SET last_seen = clock_timestamp(), "
                        "report_count = report_count + 1 WHERE id = :id"
                    ),
                    {"id": host_id},
                )
            updates, hot = c.execute(
                text(
                    "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables "
                    "WHERE relname = 'hosts'"
                )
            ).one()
        engine.dispose()
        assert (updates, hot) == (3, 3)


def test_title_keys_are_composed_unless_taken(db_url):
    """0014 re-keys titles stored with a decomposed Vietnamese key in NFC, except one whose
    composed key another title holds; the downgrade leaves the keys as they are."""
    import datetime as dt
    import unicodedata

    from sqlalchemy import text

    composed, decomposed = "phần mềm ký số", unicodedata.normalize("NFD", "phần mềm ký số")
    taken, taken_nfd = "bộ gõ tiếng việt", unicodedata.normalize("NFD", "bộ gõ tiếng việt")
    assert composed != decomposed and taken != taken_nfd
    downgrade(db_url, "0013")
    engine = make_engine(db_url)
    titles = {1: decomposed, 2: "firefox-esr", 3: taken_nfd, 4: taken}
    with engine.begin() as c:
        for tid, key in titles.items():
            c.execute(
                text(
                    "INSERT INTO software_titles (id, name_key, name, licence_class, created_at) "
                    "VALUES (:id, :k, :k, 'unknown', :t)"
                ),
                {"id": tid, "k": key, "t": dt.datetime(2026, 1, 2)},
            )

    def keys():
        with engine.connect() as c:
            return dict(c.execute(text("SELECT id, name_key FROM software_titles")).all())

    upgrade(db_url)
    assert keys() == {1: composed, 2: "firefox-esr", 3: taken_nfd, 4: taken}
    downgrade(db_url, "0013")
    assert keys() == {1: composed, 2: "firefox-esr", 3: taken_nfd, 4: taken}
    upgrade(db_url)
    engine.dispose()
