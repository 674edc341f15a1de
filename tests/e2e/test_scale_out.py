"""Scale-out on PostgreSQL: two server processes share one database and give the same answers;
concurrent reports from one host never corrupt it; a pg_dump backup restores to a working server.
"""

import json
import shutil
import subprocess
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from agent.schema import EnrollRequest, encode
from inventory_server.db import make_engine, make_sessionmaker
from inventory_server.models import ComplianceResult, Host, HostSection, SoftwareInstall
from tests.conftest import _fresh_db, _pg_admin_url, seed_database, start_server, stop_server
from tests.inventory_server.compliance.test_compliance_server import unit_counts
from tests.inventory_server.reports import body, make_report


@pytest.fixture
def pg_url(request, tmp_path):
    """A fresh PostgreSQL database."""
    return _fresh_db("postgres", request, tmp_path)


def call(url, path, *, data=None, token=None, gz=False):
    """Make an HTTP request; return (status, JSON)."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if gz:
        headers["Content-Encoding"] = "gzip"
    req = urllib.request.Request(url + path, data=data, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(req, timeout=60) as r:  # noqa: S310 - loopback server
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def enroll(url, secret, report):
    """Enroll a host through ``url``; return its token."""
    status, data = call(
        url,
        "/api/v1/enroll",
        data=encode(EnrollRequest(secret=secret, host=report.host, agent=report.agent)),
    )
    assert status == 201, data
    return data["token"]


@pytest.fixture
def two_servers(pg_url, tmp_path):
    """Two independent server processes (2 workers each) on the same PostgreSQL database."""
    a = start_server(pg_url, str(tmp_path / "a"))
    b = start_server(pg_url, str(tmp_path / "b"))
    yield a, b
    stop_server(a)
    stop_server(b)


def test_two_processes_give_the_same_results(two_servers, pg_url):
    a, b = two_servers
    seed = seed_database(pg_url)
    for i in range(6):
        report = make_report(
            f"pc-{i:02d}",
            machine_id=f"{i:032x}",
            serial=f"SN-{i}",
            mac=f"52:54:00:00:01:{i:02x}",
            packages=40 + i,
        )
        token = enroll((a if i % 2 else b).url, seed.secret, report)
        status, _ = call(
            (b if i % 2 else a).url,
            "/api/v1/reports",
            data=body(report, compress=True),
            token=token,
            gz=True,
        )
        assert status == 200
    for path in (
        "/api/v1/hosts?sort=hostname",
        "/api/v1/ansible/inventory",
        "/api/v1/hosts?software=pkg-0044",
    ):
        sa, ja = call(a.url, path, token=seed.admin_token)
        sb, jb = call(b.url, path, token=seed.admin_token)
        assert sa == sb == 200
        assert ja == jb
    _, hosts = call(a.url, "/api/v1/hosts?software=pkg-0044", token=seed.admin_token)
    assert sorted(h["hostname"] for h in hosts["items"]) == ["pc-05"]


def test_concurrent_reports_from_one_host_never_corrupt_it(two_servers, pg_url):
    a, b = two_servers
    seed = seed_database(pg_url)
    reports = [make_report("busy", machine_id="f" * 32, packages=200 + 37 * i) for i in range(10)]
    token = enroll(a.url, seed.secret, reports[0])

    def send(i):
        server = (a, b)[i % 2]
        return call(
            server.url,
            "/api/v1/reports",
            data=body(reports[i], compress=True),
            token=token,
            gz=True,
        )[0]

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(send, range(len(reports))))
    assert statuses == [200] * len(reports)

    engine = make_engine(pg_url)
    with make_sessionmaker(engine)() as db:
        installs = db.scalar(select(func.count()).select_from(SoftwareInstall))
        digest = db.scalar(select(HostSection.digest).where(HostSection.section == "software"))
        statuses = dict(
            db.execute(
                select(ComplianceResult.status, func.count()).group_by(ComplianceResult.status)
            ).all()
        )
        counts = db.execute(select(Host)).scalars().all()
    engine.dispose()
    # The host's result counts (read by per-unit figures) are those of its results, whichever
    # report's evaluation committed last.
    assert sum(statuses.values()) > 0 and len(counts) == 1
    assert {
        "pass": counts[0].pass_count,
        "fail": counts[0].fail_count,
        "not_applicable": counts[0].not_applicable_count,
        "error": counts[0].error_count,
    } == {k: statuses.get(k, 0) for k in ("pass", "fail", "not_applicable", "error")}
    # So are the counts per unit and check, kept by adding what each report's write changed.
    kept, counted = unit_counts(pg_url)
    assert kept == counted and sum(kept.values()) == sum(statuses.values())
    # The stored state is exactly one of the reports, whole: its digest and its package count.
    winners = [r for r in reports if r.digests["software"] == digest]
    assert len(winners) == 1
    assert installs == len(winners[0].software.packages)
    _, hosts = call(a.url, "/api/v1/hosts", token=seed.admin_token)
    assert hosts["total"] == 1
    assert hosts["items"][0]["software_count"] == installs


@pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump not installed")
def test_backup_restores_to_a_working_server(pg_url, tmp_path):
    seed = seed_database(pg_url)
    server = start_server(pg_url, str(tmp_path / "orig"))
    try:
        report = make_report("backed-up", packages=75)
        token = enroll(server.url, seed.secret, report)
        assert call(server.url, "/api/v1/reports", data=body(report), token=token)[0] == 200
        _, before = call(server.url, "/api/v1/hosts", token=seed.admin_token)
    finally:
        stop_server(server)

    from sqlalchemy.engine import make_url

    src = make_url(pg_url)
    host = src.query.get("host", "/var/run/postgresql")
    dump = tmp_path / "kiemke.dump"
    subprocess.run(["pg_dump", "-Fc", "-h", host, "-f", str(dump), src.database], check=True)
    restored = f"{src.database}_restored"
    from sqlalchemy import create_engine, text

    admin = create_engine(_pg_admin_url("postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{restored}"'))
    try:
        subprocess.run(
            ["pg_restore", "-h", host, "-d", restored, "--no-owner", str(dump)], check=True
        )
        url = src.set(database=restored).render_as_string(hide_password=False)
        server = start_server(url, str(tmp_path / "restored"))
        try:
            _, after = call(server.url, "/api/v1/hosts", token=seed.admin_token)
            assert after == before
            assert after["items"][0]["software_count"] == 75
            # The restored server keeps working: the host reports again with its token.
            assert call(server.url, "/api/v1/reports", data=body(report), token=token)[0] == 200
        finally:
            stop_server(server)
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{restored}" WITH (FORCE)'))
        admin.dispose()
