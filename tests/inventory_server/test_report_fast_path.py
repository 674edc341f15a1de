"""The unchanged-report fast path, COPY of odd strings, and the benchmark discard endpoint."""

import datetime as dt

import msgspec
from sqlalchemy import select

from agent.report import digests, make_delta
from agent.schema import Package
from inventory_server.db import make_engine, make_sessionmaker
from inventory_server.models import Host, HostEvent, SoftwareInstall, SoftwareTitle
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
    from inventory_server.app import create_app

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
    app.extensions["kiemke"]["engine"].dispose()


def test_copy_buffer_escapes_fields_and_handles_placeholder_characters():
    from inventory_server.reports.ingest import _copy_buffer

    when = dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.UTC)
    rows = [{"a": "x\ty\nz", "b": None, "c": when}, {"a": "back\\slash\r", "b": 3, "c": True}]
    assert _copy_buffer(rows, ["a", "b", "c"]) == (
        b"x\\ty\\nz\t\\N\t2024-05-06T07:08:09+00:00\nback\\\\slash\\r\t3\tt\n"
    )
    odd = [{"a": "p\x01q\x02", "b": None}, {"a": "\\N", "b": "s"}]
    assert _copy_buffer(odd, ["a", "b"]) == b"p\x01q\x02\t\\N\n\\\\N\ts\n"
