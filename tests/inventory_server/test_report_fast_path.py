"""The unchanged-report fast path (before Flask, on PostgreSQL), COPY of odd strings, and the
benchmark discard endpoint."""

import datetime as dt

import msgspec
from flask import request as flask_request
from sqlalchemy import select, text

from agent.report import digests, make_delta
from agent.schema import Package
from inventory_server.db import make_engine, make_sessionmaker
from inventory_server.models import Host, HostEvent, SoftwareInstall, SoftwareTitle
from tests.conftest import _fresh_db, seed_database, terminate_backend
from tests.inventory_server.reports import body, make_report
from tests.inventory_server.test_reports import enroll, post


def _host(db_url, host_id):
    engine = make_engine(db_url)
    with make_sessionmaker(engine)() as db:
        host = db.get(Host, host_id)
        db.expunge(host)
    engine.dispose()
    return host


def test_unchanged_delta_only_records_the_visit(client, seed, db_url):
    host_id, token = enroll(client, seed.secret)
    full = make_report(packages=20)
    assert post(client, token, body(full)).status_code == 200
    before = _host(db_url, host_id)
    delta = make_delta(full, full.digests)
    delta.agent.version = "0.2.0"
    for _ in range(3):
        r = post(client, token, body(delta))
        assert r.status_code == 200
        assert r.get_json() == {"status": "accepted", "host_id": host_id, "need_full": []}
    after = _host(db_url, host_id)
    assert after.report_count == before.report_count + 3
    assert after.agent_version == "0.2.0"
    assert after.last_seen >= before.last_seen
    assert after.last_full_at == before.last_full_at


def _count_flask_requests(app) -> list[str]:
    """Record the path of every request that reaches Flask."""
    seen: list[str] = []
    app.before_request_funcs.setdefault(None, []).append(
        lambda: seen.append(flask_request.full_path.rstrip("?"))
    )
    return seen


def test_unchanged_deltas_are_answered_before_flask_on_postgresql(app, client, seed, db_url):
    seen = _count_flask_requests(app)
    host_id, token = enroll(client, seed.secret)
    full = make_report(packages=20)
    assert post(client, token, body(full, compress=True), gz=True).status_code == 200
    before = _host(db_url, host_id)
    delta = make_delta(full, full.digests)
    for data, gz in ((body(delta), False), (body(delta, compress=True), True)):
        r = post(client, token, data, gz=gz)
        assert r.status_code == 200
        assert r.get_json() == {"status": "accepted", "host_id": host_id, "need_full": []}
        assert r.headers["Content-Type"] == "application/json"
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["X-Frame-Options"] == "DENY"
        assert r.headers["Referrer-Policy"] == "same-origin"
    assert _host(db_url, host_id).report_count == before.report_count + 2
    on_pg = db_url.startswith("postgresql")
    # enroll and the full report reach Flask; on PostgreSQL the two deltas do not
    assert len(seen) == (2 if on_pg else 4)


def test_reports_the_fast_path_cannot_answer_reach_flask_whole(app, client, seed, db_url):
    seen = _count_flask_requests(app)
    host_id, token = enroll(client, seed.secret)
    full = make_report(packages=20)
    assert post(client, token, body(full)).status_code == 200
    delta = make_delta(full, full.digests)
    # a query string, and a changed section carried with its data: Flask stores it
    assert client.post(
        "/api/v1/reports?lang=vi", data=body(delta), content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    ).status_code == 200
    changed = make_report(packages=21)
    changed_delta = make_delta(changed, full.digests)
    assert changed_delta.software is not None
    r = post(client, token, body(changed_delta, compress=True), gz=True)
    assert r.status_code == 200, r.get_json()
    assert len(_host_packages(db_url, host_id)) == 21
    # errors are the general path's, named as ever
    assert post(client, token + "x", body(delta)).status_code == 401
    assert post(client, token, b"{not json").get_json()["error"]["code"] == "malformed_json"
    assert post(client, token, b"\x1f\x8b not gzip", gz=True).get_json()["error"]["code"] == (
        "bad_gzip"
    )
    newer = msgspec.structs.replace(delta, schema_version=delta.schema_version + 1)
    assert post(client, token, body(newer)).get_json()["error"]["code"] == "unsupported_schema"
    odd = make_delta(full, full.digests)
    odd.digests = {**full.digests, "printers": "0" * 64}
    assert post(client, token, body(odd)).status_code == 422
    assert len(seen) == 9  # enroll, the full report and every one of the seven above


def test_a_report_decoded_before_flask_is_not_decoded_again(
    app, client, seed, db_url, monkeypatch
):
    import inventory_server.reports.api as reports_api
    from agent.schema import decode_report

    decoded = []

    class Counting:
        def decode(self, data):
            decoded.append(len(data))
            return decode_report(data)

    counting = Counting()
    monkeypatch.setattr(reports_api, "report_decoder", lambda: counting)
    host_id, token = enroll(client, seed.secret)
    full = make_report(packages=30)
    r = post(client, token, body(full, compress=True), gz=True)
    assert r.status_code == 200, r.get_json()
    assert len(_host_packages(db_url, host_id)) == 30
    # On PostgreSQL the layer in front of Flask decoded it and handed it on; SQLite has no layer.
    assert len(decoded) == (0 if db_url.startswith("postgresql") else 1)
    # A body that layer does not read (over its 64 KiB) is decoded by Flask.
    assert post(client, token, body(full) + b" " * 70_000).status_code == 200
    assert len(decoded) == (1 if db_url.startswith("postgresql") else 2)


def _host_packages(db_url, host_id) -> list[str]:
    engine = make_engine(db_url)
    with make_sessionmaker(engine)() as db:
        names = db.scalars(
            select(SoftwareTitle.name)
            .join(SoftwareInstall, SoftwareInstall.title_id == SoftwareTitle.id)
            .where(SoftwareInstall.host_id == host_id)
        ).all()
    engine.dispose()
    return names


def _pg_app(request, tmp_path):
    """(database URL, seed, app, test client) on a fresh PostgreSQL database, where the layer in
    front of Flask works."""
    from inventory_server.app import create_app, dispose

    db_url = _fresh_db("postgres", request, tmp_path)
    seed = seed_database(db_url)
    app = create_app({"DATABASE_URL": db_url, "DATA_DIR": str(tmp_path / "data"),
                      "SECRET_KEY": "test-secret-key", "TESTING": True})
    request.addfinalizer(lambda: dispose(app))
    return db_url, seed, app, app.test_client()


def test_a_full_report_takes_no_connection_of_the_fast_path(request, tmp_path):
    """A full report always writes: the layer in front of Flask hands it on without checking out
    a connection of its pool, which an unchanged delta takes (as do new catalogue rows, so the
    report measured brings none)."""
    from sqlalchemy import event

    _, seed, app, client = _pg_app(request, tmp_path)
    checkouts = []
    pool = app.extensions["kiemke"]["fast"].engine
    event.listen(pool, "checkout", lambda *_args: checkouts.append(1))
    first = make_report(packages=5)
    _, token = enroll(client, seed.secret, first)
    assert post(client, token, body(first)).status_code == 200  # its catalogue rows are new
    full = make_report(packages=5)
    full.host = msgspec.structs.replace(full.host, hostname="pc-02", machine_id="2" * 32)
    _, token = enroll(client, seed.secret, full)
    del checkouts[:]
    assert post(client, token, body(full)).status_code == 200
    assert checkouts == []
    assert post(client, token, body(make_delta(full, full.digests))).status_code == 200
    assert checkouts == [1]


def test_a_lost_fast_path_connection_falls_back_without_losing_the_report(request, tmp_path):
    db_url, seed, app, client = _pg_app(request, tmp_path)
    seen = _count_flask_requests(app)
    host_id, token = enroll(client, seed.secret)
    full = make_report(packages=5)
    assert post(client, token, body(full)).status_code == 200
    delta = body(make_delta(full, full.digests))
    assert post(client, token, delta).status_code == 200
    assert len(seen) == 2
    pool = app.extensions["kiemke"]["fast"].engine
    conn = pool.raw_connection()
    # autocommit, and commits that do not wait for the WAL flush: a visit is all it records
    assert conn.driver_connection.autocommit
    assert conn.driver_connection.execute("SHOW synchronous_commit").fetchone() == ("off",)
    backend = conn.driver_connection.info.backend_pid
    conn.close()
    terminate_backend(db_url, backend)
    count = _host(db_url, host_id).report_count
    r = post(client, token, delta)
    assert r.status_code == 200
    assert r.get_json()["host_id"] == host_id
    assert len(seen) == 3  # the general path answered
    assert _host(db_url, host_id).report_count == count + 1  # once, not twice
    assert post(client, token, delta).status_code == 200
    assert len(seen) == 3  # and the next one is answered on a new connection
    assert _host(db_url, host_id).report_count == count + 2


def test_the_no_wait_pool_connects_on_its_own_url_when_one_is_set(request, tmp_path):
    """KIEMKE_NOWAIT_DATABASE_URL (behind a pooler in transaction mode, a role of its own) is
    where unchanged reports and new catalogue rows go; the reports' own transactions stay on
    DATABASE_URL and keep waiting for the WAL flush."""
    from sqlalchemy.engine import make_url

    from inventory_server.app import create_app, dispose

    db_url = _fresh_db("postgres", request, tmp_path)
    seed = seed_database(db_url)
    nowait = make_url(db_url).update_query_dict({"application_name": "kiemke-nowait"})
    app = create_app({"DATABASE_URL": db_url, "DATA_DIR": str(tmp_path / "data"),
                      "NOWAIT_DATABASE_URL": nowait.render_as_string(hide_password=False),
                      "SECRET_KEY": "test-secret-key", "TESTING": True})
    request.addfinalizer(lambda: dispose(app))
    client = app.test_client()
    seen = _count_flask_requests(app)
    host_id, token = enroll(client, seed.secret)
    full = make_report(packages=5, extra_packages=[("only-on-this-host", "1.0")])
    assert post(client, token, body(full)).status_code == 200  # new catalogue rows
    assert post(client, token, body(make_delta(full, full.digests))).status_code == 200
    assert len(seen) == 2  # the enrollment and the full report: the delta was not
    assert "only-on-this-host" in _host_packages(db_url, host_id)
    admin = make_engine(db_url)
    with admin.connect() as c:
        names = set(c.execute(text(
            "SELECT application_name FROM pg_stat_activity WHERE datname = current_database()"
        )).scalars())
    admin.dispose()
    assert "kiemke-nowait" in names
    pool = app.extensions["kiemke"]["fast"].engine
    conn = pool.raw_connection()
    pg = conn.driver_connection
    assert pg.execute("SHOW application_name").fetchone() == ("kiemke-nowait",)
    assert pg.execute("SHOW synchronous_commit").fetchone() == ("off",)
    conn.close()
    with app.extensions["kiemke"]["engine"].connect() as c:
        assert c.exec_driver_sql("SHOW application_name").scalar() != "kiemke-nowait"
        assert c.exec_driver_sql("SHOW synchronous_commit").scalar() == "on"


def test_unchanged_sections_with_new_identity_take_the_full_path(client, seed, db_url):
    host_id, token = enroll(client, seed.secret)
    full = make_report(packages=5)
    post(client, token, body(full))
    renamed = make_delta(full, full.digests)
    renamed.host = msgspec.structs.replace(full.host, hostname="pc-renamed")
    assert post(client, token, body(renamed)).status_code == 200
    assert _host(db_url, host_id).hostname == "pc-renamed"


def test_unchanged_full_report_sets_last_full(client, seed, db_url):
    host_id, token = enroll(client, seed.secret)
    full = make_report(packages=5)
    post(client, token, body(full))
    first = _host(db_url, host_id)
    assert post(client, token, body(full)).status_code == 200
    again = _host(db_url, host_id)
    assert again.report_count == first.report_count + 1
    assert again.last_full_at is not None


def test_delta_with_unknown_section_digest_is_still_422(client, seed):
    _, token = enroll(client, seed.secret)
    full = make_report(packages=5)
    post(client, token, body(full))
    delta = make_delta(full, full.digests)
    delta.digests = {**full.digests, "printers": "0" * 64}
    assert post(client, token, body(delta)).status_code == 422


def test_odd_characters_survive_bulk_insert(client, seed, db_url):
    host_id, token = enroll(client, seed.secret)
    odd = [("tab\tname", "1.0\\2"), ("back\\slash", "2.0\n3"), ("Bộ gõ tiếng Việt", "3.0\r")]
    report = make_report(packages=2, extra_packages=odd)
    report.software.packages.append(
        Package(name="dated", version="1", source="deb",
                install_date=dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.UTC))
    )
    report.digests = digests(report)
    assert post(client, token, body(report)).status_code == 200
    later = make_report(packages=2, extra_packages=[odd[0]])
    assert post(client, token, body(later)).status_code == 200
    engine = make_engine(db_url)
    with make_sessionmaker(engine)() as db:
        rows = dict(
            db.execute(
                select(SoftwareTitle.name, SoftwareInstall.version)
                .join(SoftwareInstall, SoftwareInstall.title_id == SoftwareTitle.id)
                .where(SoftwareInstall.host_id == host_id)
            ).all()
        )
        removed = set(
            db.scalars(
                select(HostEvent.before).where(
                    HostEvent.host_id == host_id, HostEvent.kind == "software_removed"
                )
            )
        )
    engine.dispose()
    assert rows["tab\tname"] == "1.0\\2"
    assert {"2.0\n3", "3.0\r", "1"} <= removed


def test_discard_endpoint_is_404_unless_enabled(client, seed):
    _, token = enroll(client, seed.secret)
    r = client.post("/api/v1/reports/discard", data=b"{}",
                    headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 404
    assert r.get_json()["error"]["code"] == "not_found"


def test_discard_endpoint_authenticates_and_decompresses(db_url, seed, tmp_path):
    from inventory_server.app import create_app, dispose

    app = create_app({"DATABASE_URL": db_url, "DATA_DIR": str(tmp_path / "data"),
                      "SECRET_KEY": "test-secret-key", "TESTING": True, "BENCH_ENDPOINTS": True})
    client = app.test_client()
    host_id, token = enroll(client, seed.secret)
    data = body(make_report(packages=30), compress=True)
    headers = {"Authorization": f"Bearer {token}", "Content-Encoding": "gzip"}
    r = client.post("/api/v1/reports/discard", data=data, headers=headers)
    assert r.status_code == 200
    assert r.get_json()["host_id"] == host_id
    assert int(r.headers["X-Discarded-Bytes"]) > len(data)
    assert client.post("/api/v1/reports/discard", data=data).status_code == 401
    wrong = dict(headers, Authorization=f"Bearer {token}x")
    assert client.post("/api/v1/reports/discard", data=data, headers=wrong).status_code == 401
    bad = client.post("/api/v1/reports/discard", data=b"not gzip", headers=headers)
    assert bad.status_code == 400
    dispose(app)


def test_copy_buffer_escapes_fields_and_handles_placeholder_characters():
    from inventory_server.reports.ingest import _copy_buffer

    when = dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.UTC)
    rows = [{"a": "x\ty\nz", "b": None, "c": when}, {"a": "back\\slash\r", "b": 3, "c": True}]
    assert _copy_buffer(rows, ["a", "b", "c"]) == (
        b"x\\ty\\nz\t\\N\t2024-05-06T07:08:09+00:00\nback\\\\slash\\r\t3\tt\n"
    )
    odd = [{"a": "p\x01q\x02", "b": None}, {"a": "\\N", "b": "s"}]
    assert _copy_buffer(odd, ["a", "b"]) == b"p\x01q\x02\t\\N\n\\\\N\ts\n"
