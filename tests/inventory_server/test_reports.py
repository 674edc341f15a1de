"""POST /api/v1/enroll and /api/v1/reports: happy paths, deltas, and every bad-input case."""

import datetime as dt
import gzip
import json

import pytest
from sqlalchemy import func, select

from agent.report import make_delta
from agent.schema import CollectorError, EnrollRequest, encode
from inventory_server.db import make_engine, make_sessionmaker
from inventory_server.models import Host, HostEvent, HostSection, SoftwareInstall, SoftwareTitle
from tests.inventory_server.reports import as_dict, body, make_report


def enroll(client, secret, report=None):
    """Enroll a host; return (host_id, token)."""
    report = report or make_report()
    req = EnrollRequest(secret=secret, host=report.host, agent=report.agent)
    resp = client.post("/api/v1/enroll", data=encode(req), content_type="application/json")
    assert resp.status_code == 201, resp.get_json()
    data = resp.get_json()
    assert data["token"].startswith("kmh_")
    return data["host_id"], data["token"]


def post(client, token, data, gz=False, **headers):
    """POST raw bytes to /reports."""
    h = {"Authorization": f"Bearer {token}", **headers}
    if gz:
        h["Content-Encoding"] = "gzip"
    return client.post("/api/v1/reports", data=data, content_type="application/json", headers=h)


def count(db_url, model, **where):
    """Count rows of ``model`` matching ``where``."""
    engine = make_engine(db_url)
    with make_sessionmaker(engine)() as db:
        stmt = select(func.count()).select_from(model)
        for k, v in where.items():
            stmt = stmt.where(getattr(model, k) == v)
        n = db.scalar(stmt)
    engine.dispose()
    return n


def test_full_then_unchanged_delta_then_changed(client, seed, db_url):
    host_id, token = enroll(client, seed.secret)
    full = make_report(packages=120)
    r = post(client, token, body(full, compress=True), gz=True)
    assert r.status_code == 200, r.get_json()
    assert r.get_json() == {"status": "accepted", "host_id": host_id, "need_full": []}
    assert count(db_url, SoftwareInstall, host_id=host_id) == 120

    delta = make_delta(full, full.digests)
    assert all(getattr(delta, s) is None for s in ("os", "hardware", "software", "security"))
    r = post(client, token, body(delta))
    assert r.get_json()["need_full"] == []

    changed = make_report(packages=119, extra_packages=[("libreoffice-writer", "4:7.4.7-1")])
    r = post(client, token, body(make_delta(changed, full.digests)))
    assert r.status_code == 200
    assert count(db_url, SoftwareInstall, host_id=host_id) == 120
    kinds = {(e_kind, subj) for e_kind, subj in _events(db_url, host_id)}
    assert ("software_installed", "libreoffice-writer") in kinds
    assert ("software_removed", "pkg-0119") in kinds


def _events(db_url, host_id):
    engine = make_engine(db_url)
    with make_sessionmaker(engine)() as db:
        rows = db.execute(
            select(HostEvent.kind, HostEvent.subject).where(HostEvent.host_id == host_id)
        ).all()
    engine.dispose()
    return [tuple(r) for r in rows]


def test_delta_with_unknown_digest_asks_for_full_section(client, seed):
    _, token = enroll(client, seed.secret)
    full = make_report()
    post(client, token, body(full))
    other = make_report(packages=3)
    delta = make_delta(other, {"os": other.digests["os"]})  # only os unchanged... then drop some
    delta.software = None  # pretend software unchanged although the server has another digest
    r = post(client, token, body(delta))
    assert r.status_code == 200
    assert r.get_json()["need_full"] == ["software"]


def test_upgrade_and_hardware_change_recorded(client, seed, db_url):
    host_id, token = enroll(client, seed.secret)
    post(client, token, body(make_report(packages=5, memory=8 * 1024**3)))
    later = make_report(packages=4, extra_packages=[("pkg-0004", "2.0-1")], memory=16 * 1024**3)
    assert post(client, token, body(later)).status_code == 200
    events = _events(db_url, host_id)
    assert ("software_upgraded", "pkg-0004") in events
    assert ("hardware_changed", "memory") in events


def test_failed_collector_keeps_last_good_section(client, seed, db_url):
    host_id, token = enroll(client, seed.secret)
    post(client, token, body(make_report(packages=30)))
    broken = make_report(packages=0)
    broken.errors = [
        CollectorError(
            collector="software_deb", section="software", message="cannot read /var/lib/dpkg/status"
        )
    ]
    r = post(client, token, body(broken))
    assert r.status_code == 200
    assert count(db_url, SoftwareInstall, host_id=host_id) == 30


def test_report_without_token_is_401(client, seed):
    r = client.post("/api/v1/reports", data=body(make_report()), content_type="application/json")
    assert r.status_code == 401
    assert r.get_json()["error"]["code"] == "unauthorized"
    assert post(client, "kmh_not-a-real-token", body(make_report())).status_code == 401
    assert post(client, seed.admin_token, body(make_report())).status_code == 401


def test_revoked_host_gets_401_and_reenrolls_only_with_secret(client, seed, db_url):
    from inventory_server.enrollment.services import revoke_host

    host_id, token = enroll(client, seed.secret)
    engine = make_engine(db_url)
    with make_sessionmaker(engine)() as db:
        revoke_host(db, host=db.get(Host, host_id))
    engine.dispose()
    assert post(client, token, body(make_report())).status_code == 401
    again, new_token = enroll(client, seed.secret)
    assert again == host_id  # same machine id: the same host, with a new token
    assert post(client, new_token, body(make_report())).status_code == 200
    assert post(client, token, body(make_report())).status_code == 401


def test_malformed_json_is_400(client, seed):
    _, token = enroll(client, seed.secret)
    r = post(client, token, b'{"schema_version": 1, "agent": ')
    assert r.status_code == 400
    assert r.get_json()["error"]["code"] == "malformed_json"


def test_wrong_type_is_422_naming_the_field(client, seed):
    _, token = enroll(client, seed.secret)
    data = as_dict(make_report())
    data["hardware"]["memory"]["total_bytes"] = "lots"
    r = post(client, token, json.dumps(data).encode())
    assert r.status_code == 422
    err = r.get_json()["error"]
    assert err["field"] == "$.hardware.memory.total_bytes"
    assert "total_bytes" in err["message"]


def test_missing_required_field_is_422_naming_it(client, seed):
    _, token = enroll(client, seed.secret)
    data = as_dict(make_report())
    del data["host"]["hostname"]
    r = post(client, token, json.dumps(data).encode())
    assert r.status_code == 422
    assert "hostname" in r.get_json()["error"]["message"]


def test_full_report_missing_a_section_is_422(client, seed):
    _, token = enroll(client, seed.secret)
    data = as_dict(make_report())
    data["software"] = None
    r = post(client, token, json.dumps(data).encode())
    assert r.status_code == 422
    assert r.get_json()["error"]["field"] == "$.software"


def test_text_holding_nul_is_422_naming_the_field_and_nothing_is_stored(client, seed, db_url):
    # PostgreSQL cannot store U+0000 in text: refused on both databases, before anything is
    # written, whether the report is gzipped or not, and a literal "\\u0000" is plain text.
    host_id, token = enroll(client, seed.secret)
    data = as_dict(make_report())
    data["software"]["packages"][3]["name"] = "bad\x00name"
    for gz in (False, True):
        raw = json.dumps(data).encode()
        r = post(client, token, gzip.compress(raw) if gz else raw, gz=gz)
        assert r.status_code == 422, r.get_json()
        err = r.get_json()["error"]
        assert err["field"] == "$.software.packages[3].name"
        assert "U+0000" in err["message"]
    assert count(db_url, HostSection, host_id=host_id) == 0

    delta = as_dict(make_delta(make_report(), make_report().digests))
    delta["host"]["hostname"] = "pc\x0001"
    r = post(client, token, json.dumps(delta).encode())
    assert r.status_code == 422
    assert r.get_json()["error"]["field"] == "$.host.hostname"

    report = make_report()
    req = as_dict(EnrollRequest(secret=seed.secret, host=report.host, agent=report.agent))
    req["host"]["serial"] = "\x00"
    r = client.post("/api/v1/enroll", data=json.dumps(req), content_type="application/json")
    assert r.status_code == 422
    assert r.get_json()["error"]["field"] == "$.host.serial"

    data["software"]["packages"][3]["name"] = "odd\\u0000name"  # a backslash, then text
    assert b"\\u0000" in json.dumps(data).encode()
    r = post(client, token, json.dumps(data).encode())
    assert r.status_code == 200, r.get_json()
    assert count(db_url, SoftwareTitle, name="odd\\u0000name") == 1


def test_the_nul_escape_is_looked_for_only_in_bodies_with_a_backslash():
    from inventory_server.validation import has_nul_escape

    assert has_nul_escape(b'{"name": "bad\\u0000name"}')
    assert has_nul_escape(b'{"name": "odd\\\\u0000"}')  # text; the walk then finds no NUL
    assert not has_nul_escape(b'{"name": "C:\\\\Program Files", "v": "u0000"}')
    assert not has_nul_escape(b'{"name": "plain u0000 text"}')


def test_unknown_fields_are_tolerated(client, seed):
    _, token = enroll(client, seed.secret)
    data = as_dict(make_report())
    data["future_section"] = {"x": 1}
    data["os"]["new_field"] = "v"
    assert post(client, token, json.dumps(data).encode()).status_code == 200


def test_oversized_body_is_413(app, seed):
    app.config["MAX_REPORT_BYTES"] = 64 * 1024
    client = app.test_client()
    _, token = enroll(client, seed.secret)
    big = body(make_report(packages=2000))
    assert len(big) > 64 * 1024
    r = post(client, token, big)
    assert r.status_code == 413
    assert r.get_json()["error"]["code"] == "payload_too_large"


def test_gzip_bomb_is_413_while_decompressing(app, seed):
    app.config["MAX_REPORT_BYTES"] = 1024 * 1024
    client = app.test_client()
    _, token = enroll(client, seed.secret)
    bomb = gzip.compress(b"{" + b" " * (200 * 1024 * 1024) + b"}", compresslevel=9)
    assert len(bomb) < 300 * 1024
    r = post(client, token, bomb, gz=True)
    assert r.status_code == 413


def test_bad_gzip_is_400_and_unknown_encoding_415(client, seed):
    _, token = enroll(client, seed.secret)
    assert post(client, token, b"not gzip at all", gz=True).status_code == 400
    r = post(client, token, body(make_report()), **{"Content-Encoding": "br"})
    assert r.status_code == 415


def test_enrollment_with_wrong_or_expired_secret_is_403(client, seed, db_url):
    from inventory_server.models import EnrollmentSecret

    report = make_report()
    req = EnrollRequest(secret="kme_wrong", host=report.host, agent=report.agent)
    r = client.post("/api/v1/enroll", data=encode(req), content_type="application/json")
    assert r.status_code == 403
    assert r.get_json()["error"]["code"] == "invalid_secret"
    engine = make_engine(db_url)
    with make_sessionmaker(engine)() as db:
        for row in db.scalars(select(EnrollmentSecret)):
            row.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
        db.commit()
    engine.dispose()
    req = EnrollRequest(secret=seed.secret, host=report.host, agent=report.agent)
    r = client.post("/api/v1/enroll", data=encode(req), content_type="application/json")
    assert r.status_code == 403
    assert r.get_json()["error"]["code"] == "expired_secret"
    assert count(db_url, Host) == 0


def test_enrollment_with_bad_body_is_422(client, seed):
    r = client.post("/api/v1/enroll", data=b'{"secret": 5}', content_type="application/json")
    assert r.status_code == 422
    assert r.get_json()["error"]["field"] == "$.secret"


def test_unknown_route_is_404_json(client):
    for path in ("/api/v1/nothing", "/no/such/page"):
        r = client.get(path)
        assert r.status_code == 404
        assert r.get_json()["error"]["code"] == "not_found"
    r = client.get("/api/v1/reports")
    assert r.status_code == 405
    assert r.get_json()["error"]["code"] == "method_not_allowed"


def test_nothing_half_written_when_ingest_fails(app, seed, db_url, monkeypatch):
    from inventory_server.reports import ingest

    client = app.test_client()
    host_id, token = enroll(client, seed.secret)
    assert post(client, token, body(make_report(packages=10))).status_code == 200

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    # Software and everything before it are applied, then the last section fails.
    monkeypatch.setitem(ingest.APPLY, "security", explode)
    r = post(client, token, body(make_report(packages=40, av_running=False)))
    assert r.status_code == 500
    assert r.get_json()["error"]["code"] == "internal_error"
    assert "Traceback" not in r.get_data(as_text=True)
    assert count(db_url, SoftwareInstall, host_id=host_id) == 10
    assert count(db_url, HostSection, host_id=host_id) == 5


@pytest.mark.parametrize("field", ["digests", "schema_version"])
def test_bad_digests_or_future_schema_is_422(client, seed, field):
    _, token = enroll(client, seed.secret)
    data = as_dict(make_report())
    if field == "digests":
        data["digests"]["software"] = "abc"
    else:
        data["schema_version"] = 99
    r = post(client, token, json.dumps(data).encode())
    assert r.status_code == 422
    assert field in r.get_json()["error"]["field"]
