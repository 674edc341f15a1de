"""Compliance in the server: evaluation on ingest, history, API, exports, jobs, inventory, CLI."""

import functools
import io
import json
import os
import subprocess
import threading
import time

import msgspec
import pytest
from openpyxl import load_workbook
from sqlalchemy import delete, inspect, select, text, update
from sqlalchemy.orm import Session

from agent.report import digests
from agent.schema import SCHEMA_VERSION, AgentInfo, EnrollRequest, Package, Report, encode
from inventory_server import hooks
from inventory_server.compliance import facts, service
from inventory_server.db import make_engine, make_sessionmaker
from inventory_server.migrate import downgrade, upgrade
from inventory_server.models import ComplianceResult, Host, HostSoftware
from tests.conftest import VENV_BIN
from tests.inventory_server.compliance.compliance_cases import FIXTURES

WS = "vn-workstation-baseline"


@pytest.fixture
def jobs_joined(db_url):
    """Let background re-evaluation jobs finish before the test's database goes away."""
    yield
    for thread in threading.enumerate():
        if thread.name.startswith("compliance-job-"):
            thread.join(timeout=30)


def fixture_report(base: str = "linux-workstation", patch: dict | None = None) -> Report:
    """Return a full report built from a compliance base fixture, with a merge patch applied."""
    data = json.loads((FIXTURES / "base" / f"{base}.json").read_text("utf-8"))
    sections = facts.merge_patch(data["sections"], patch or {})
    report = msgspec.convert(
        {
            "schema_version": SCHEMA_VERSION,
            "kind": "full",
            "agent": {"version": "0.1.0", "platform": "linux"},
            "host": {
                "hostname": data["host"]["hostname"],
                "machine_id": "9f1e2d3c4b5a69788796a5b4c3d2e1f0",
                "role": data["host"]["role"],
            },
            "collected_at": "2026-11-21T08:00:00Z",
            **sections,
        },
        Report,
    )
    report.digests = digests(report)
    return report


STALE_AV = {"security": {"antivirus": {"signature_age_days": 5.0}}}


def enroll(client, secret, report) -> tuple[int, str]:
    req = EnrollRequest(
        secret=secret,
        host=report.host,
        agent=AgentInfo(version="0.1.0", platform="linux"),
    )
    resp = client.post("/api/v1/enroll", data=encode(req), content_type="application/json")
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()["host_id"], resp.get_json()["token"]


def send(client, token, report):
    resp = client.post(
        "/api/v1/reports",
        data=encode(report),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def api(client, token, path, method="get", **kw):
    return getattr(client, method)(
        "/api/v1/compliance" + path, headers={"Authorization": f"Bearer {token}"}, **kw
    )


def results(db_url, host_id) -> dict:
    engine = make_engine(db_url)
    with make_sessionmaker(engine)() as db:
        rows = db.scalars(select(ComplianceResult).where(ComplianceResult.host_id == host_id))
        out = {(r.pack_id, r.check_id): r for r in rows}
    engine.dispose()
    return out


def wait_job(client, token, job_id) -> dict:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        job = api(client, token, f"/jobs/{job_id}").get_json()["job"]
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.05)
    raise AssertionError("job did not finish")


@pytest.mark.usefixtures("jobs_joined")
def test_ingest_evaluates_and_records_history(client, seed, db_url):
    report = fixture_report(patch=STALE_AV)
    host_id, token = enroll(client, seed.secret, report)
    send(client, token, report)
    first = results(db_url, host_id)
    assert first[(WS, "av_healthy")].status == "fail"
    assert first[(WS, "firewall_enabled")].status == "pass"
    assert first[("vn-server-baseline", "ssh_root_login_disabled")].status == "not_applicable"
    evidence = first[(WS, "av_healthy")].evidence
    assert evidence[0]["fact"] == "security.antivirus.signature_age_days"
    assert evidence[0]["actual"] == 5.0

    # The inventory groups failing hosts by check for remediation playbooks.
    inv = client.get(
        "/api/v1/ansible/inventory", headers={"Authorization": f"Bearer {seed.admin_token}"}
    ).get_json()
    assert inv["policy_fail_av_healthy"]["hosts"] == ["stttt-pc-017"]
    assert "policy_fail_firewall_enabled" not in inv
    assert "policy_fail_av_healthy" in inv["all"]["children"]

    fixed = fixture_report()
    send(client, token, fixed)
    second = results(db_url, host_id)
    assert second[(WS, "av_healthy")].status == "pass"
    assert second[(WS, "av_healthy")].since >= first[(WS, "av_healthy")].since
    body = api(client, seed.security_token, f"/hosts/{host_id}").get_json()
    changes = [h for h in body["history"] if h["check"] == "av_healthy" and h["pack"] == WS]
    assert [(c["before"], c["after"]) for c in changes] == [("fail", "pass"), (None, "fail")]
    assert body["counts"]["fail"] == 0 and body["counts"]["pass"] >= 15


def write_site_pack(app, filename: str, text: str):
    """Write a pack into the site policy directory; return the directory."""
    site = service.policy_dir(app.config)
    site.mkdir(parents=True, exist_ok=True)
    (site / filename).write_text(text, encoding="utf-8")
    return site


def write_local_pack(app):
    """Add a site pack ``local`` (one check: telnet not installed); return the site directory."""
    return write_site_pack(
        app,
        "local.yml",
        """\
pack: {id: local, version: 1, name: {vi: "Quy định riêng", en: "Local rules"}}
checks:
  - id: local_no_telnet
    name: {vi: "Không cài telnet", en: "No telnet"}
    severity: medium
    condition: none
    rules: [{fact: software.names, op: contains, value: telnet}]
""",
    )


def enroll_windows_workstation(client, seed) -> int:
    """Enroll a second host (the Windows workstation fixture) and send its report."""
    other = fixture_report("windows-workstation")
    other.host.machine_id = "1" * 32
    other_id, other_token = enroll(client, seed.secret, other)
    send(client, other_token, other)
    return other_id


def wait_jobs_idle(client, token) -> list[dict]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        jobs = api(client, token, "/jobs").get_json()["jobs"]
        if all(j["status"] in ("done", "failed") for j in jobs):
            return jobs
        time.sleep(0.05)
    raise AssertionError("jobs did not finish")


@pytest.mark.usefixtures("jobs_joined")
def test_only_changed_fact_sections_trigger_evaluation(client, seed, db_url):
    report = fixture_report()
    host_id, token = enroll(client, seed.secret, report)
    send(client, token, report)
    # the first report recorded the packs in force; no other host needs a background job
    assert wait_jobs_idle(client, seed.security_token) == []
    engine = make_engine(db_url)
    with make_sessionmaker(engine)() as db:
        db.execute(
            delete(ComplianceResult).where(
                ComplianceResult.host_id == host_id, ComplianceResult.check_id == "screen_lock"
            )
        )
        db.commit()
    engine.dispose()
    # hardware is not read by any shipped pack: no re-evaluation
    send(client, token, fixture_report(patch={"hardware": {"cpu": {"threads": 16}}}))
    assert (WS, "screen_lock") not in results(db_url, host_id)
    send(client, token, fixture_report(patch={"security": {"firewall": {"enabled": False}}}))
    after = results(db_url, host_id)
    assert after[(WS, "screen_lock")].status == "pass"
    assert after[(WS, "firewall_enabled")].status == "fail"


@pytest.mark.usefixtures("jobs_joined")
def test_api_units_checks_hosts_exports_and_scope(client, seed, db_url):
    bad = fixture_report(patch=STALE_AV)
    host_id, token = enroll(client, seed.secret, bad)
    send(client, token, bad)
    units = api(client, seed.security_token, "/units").get_json()["units"]
    root = next(u for u in units if u["unit"] == "TINH")
    assert root["hosts"] == 1 and root["hosts_failing"] == 1 and root["hosts_compliant"] == 0
    assert root["checks"]["fail"] >= 1 and root["checks"]["pass"] >= 15
    assert next(u for u in units if u["unit"] == "SO-TC")["hosts"] == 0

    checks = api(client, seed.security_token, "/checks").get_json()["checks"]
    av = next(c for c in checks if c["pack"] == WS and c["check"] == "av_healthy")
    assert av["counts"]["fail"] == 1 and av["remediation"]["role"] == "antivirus"
    assert av["name"]["vi"].startswith("Phần mềm phòng chống mã độc")

    one = api(client, seed.security_token, f"/checks/{WS}/av_healthy?status=fail").get_json()
    assert [h["hostname"] for h in one["hosts"]] == ["stttt-pc-017"]
    assert api(client, seed.security_token, f"/checks/{WS}/nope").status_code == 404
    wrong = api(client, seed.security_token, f"/checks/{WS}/av_healthy?status=broken")
    assert wrong.status_code == 400 and wrong.get_json()["error"]["field"] == "status"
    assert api(client, seed.security_token, "/units?unit=NOPE").status_code == 400

    csv_resp = api(client, seed.security_token, "/export.csv?status=fail")
    text = csv_resp.data.decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert lines[0].startswith("hostname,unit,pack,check")
    assert any("av_healthy" in line and "signature_age_days" in line for line in lines[1:])
    assert all(",fail," in line for line in lines[1:])
    xlsx = api(client, seed.security_token, "/export.xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    rows = list(sheet.values)
    assert rows[0][:4] == ("hostname", "unit", "pack", "check")
    assert len(rows) - 1 == len(results(db_url, host_id))
    assert api(client, seed.security_token, "/export.pdf").status_code == 404

    # scoping: an officer of another unit sees neither the host nor the root unit
    assert api(client, seed.other_officer_token, f"/hosts/{host_id}").status_code == 404
    theirs = api(client, seed.other_officer_token, "/units").get_json()["units"]
    assert [u["unit"] for u in theirs] == ["SO-TC"]
    assert (
        api(client, seed.other_officer_token, "/export.csv")
        .data.decode("utf-8-sig")
        .strip()
        .count("\n")
        == 0
    )
    assert client.get("/api/v1/compliance/units").status_code == 401


@pytest.mark.usefixtures("jobs_joined")
def test_params_and_background_reevaluation(client, seed, db_url):
    bad = fixture_report(patch=STALE_AV)
    host_id, token = enroll(client, seed.secret, bad)
    send(client, token, bad)
    assert api(client, seed.officer_token, "/reevaluate", "post").status_code == 403
    resp = api(
        client,
        seed.security_token,
        f"/units/TINH/params/{WS}",
        "put",
        json={"av_max_signature_age_days": 7},
    )
    assert resp.status_code == 200, resp.get_json()
    job = wait_job(client, seed.security_token, resp.get_json()["job"])
    assert job["status"] == "done" and job["done"] == job["total"] == 1
    assert results(db_url, host_id)[(WS, "av_healthy")].status == "pass"
    engine = make_engine(db_url)
    with make_sessionmaker(engine)() as db:
        from inventory_server.models import AuditLog

        logged = db.scalars(select(AuditLog).where(AuditLog.action == "compliance.params")).one()
        assert logged.username == "security" and logged.target == f"TINH/{WS}"
    engine.dispose()

    refused = api(client, seed.security_token, f"/units/TINH/params/{WS}", "put", json={"nope": 1})
    assert refused.status_code == 422 and "nope" in refused.get_json()["error"]["message"]
    assert (
        api(client, seed.security_token, "/units/NOPE/params/x", "put", json={}).status_code == 404
    )

    started = api(client, seed.security_token, "/reevaluate", "post")
    assert started.status_code == 202
    job = wait_job(client, seed.security_token, started.get_json()["job"]["id"])
    assert job["status"] == "done" and job["total"] == 1
    packs = api(client, seed.security_token, "/packs").get_json()
    assert {p["id"] for p in packs["packs"]} >= {WS, "vn-ct14-antivirus"}


@pytest.mark.usefixtures("jobs_joined")
def test_site_pack_change_reevaluates_in_background(client, seed, db_url, app, tmp_path):
    report = fixture_report()
    host_id, token = enroll(client, seed.secret, report)
    send(client, token, report)
    other_id = enroll_windows_workstation(client, seed)
    site = write_local_pack(app)
    send(client, token, fixture_report(patch={"security": {"firewall": {"enabled": False}}}))
    deadline = time.monotonic() + 30
    while (("local", "local_no_telnet") not in results(db_url, other_id)) and (
        time.monotonic() < deadline
    ):
        time.sleep(0.05)
    # the reporting host at once, the other one by the background job
    assert results(db_url, host_id)[("local", "local_no_telnet")].status == "pass"
    assert results(db_url, other_id)[("local", "local_no_telnet")].status == "pass"
    jobs = wait_jobs_idle(client, seed.security_token)
    assert [(j["reason"], j["status"], j["done"], j["total"]) for j in jobs] == [
        ("packs changed", "done", 2, 2)
    ]
    # a broken edit is refused and the version in force stays
    (site / "local.yml").write_text("pack: {id: local\n", encoding="utf-8")
    packs = api(client, seed.security_token, "/packs").get_json()
    assert "local" in {p["id"] for p in packs["packs"]}
    assert packs["errors"][0]["file"].endswith("local.yml") and packs["errors"][0]["line"]


@pytest.mark.usefixtures("jobs_joined")
def test_software_names_match_however_vietnamese_was_written(client, seed, db_url, app):
    """A pack whose editor wrote a name decomposed matches a host that reports it composed, and
    the other way round: both sides are keyed in NFC."""
    import unicodedata

    name = "Phần mềm ký số VNPT-CA"
    key = unicodedata.normalize("NFD", name.lower())
    write_site_pack(
        app,
        "signing.yml",
        f"""\
pack: {{id: signing, version: 1, name: {{vi: "Ký số", en: "Digital signing"}}}}
checks:
  - id: signing_installed
    name: {{vi: "Có phần mềm ký số", en: "Signing software installed"}}
    severity: medium
    condition: all
    rules: [{{fact: software.names, op: contains, value: "{key}"}}]
""",
    )
    statuses = {}
    for form, machine in (("NFC", "2"), ("NFD", "3"), (None, "4")):
        report = fixture_report()
        report.host.machine_id = machine * 32
        report.host.hostname = f"pc-{form or 'none'}".lower()
        if form:
            report.software.packages.append(
                Package(name=unicodedata.normalize(form, name), version="2.1.0", source="windows")
            )
        report.digests = digests(report)
        host_id, token = enroll(client, seed.secret, report)
        send(client, token, report)
        statuses[form] = results(db_url, host_id)[("signing", "signing_installed")].status
    assert statuses == {"NFC": "pass", "NFD": "pass", None: "fail"}


@pytest.mark.usefixtures("jobs_joined")
def test_a_report_is_judged_on_its_packages_as_read_back(client, seed, db_url, app):
    """Evaluated with the report, a host's packages are those the report stored (names keyed
    by the title, the process's cache or the name itself): the same results as evaluating what
    is stored, whether the title is new to the catalogue or known to this process."""
    site = write_site_pack(
        app,
        "ime.yml",
        """\
pack: {id: ime, version: 1, name: {vi: "Bộ gõ", en: "Input method"}}
checks:
  - id: ime_version
    name: {vi: "Phiên bản bộ gõ", en: "Input method version"}
    severity: low
    condition: all
    rules: [{fact: software.versions.ibus-unikey, op: eq, value: "0.6.1"}]
""",
    )
    seen = {}
    for i, (name, version) in enumerate((("IBus-Unikey", "0.6.1"), ("ibus-unikey ", "0.7"))):
        report = fixture_report()
        report.host.machine_id = f"{i + 5}" * 32
        report.host.hostname = f"pc-ime-{i}"
        report.software.packages.append(Package(name=name, version=version, source="deb"))
        report.digests = digests(report)
        host_id, token = enroll(client, seed.secret, report)
        send(client, token, report)
        stored = results(db_url, host_id)[("ime", "ime_version")]
        seen[version] = (stored.status, stored.evidence)
        engine = make_engine(db_url)
        with make_sessionmaker(engine)() as db:
            service.evaluate_hosts(db, service.packs_in_force(site), [host_id])
            db.commit()
        engine.dispose()
        again = results(db_url, host_id)[("ime", "ime_version")]
        assert (again.status, again.evidence) == seen[version], version
    assert seen["0.6.1"][0] == "pass" and seen["0.7"][0] == "fail", seen


def test_migration_downgrades_and_upgrades(db_url):
    tables = {
        "policy_packs",
        "policy_params",
        "compliance_results",
        "compliance_changes",
        "compliance_jobs",
    }
    downgrade(db_url, "0002")
    engine = make_engine(db_url)
    assert not tables & set(inspect(engine).get_table_names())
    engine.dispose()
    upgrade(db_url)
    engine = make_engine(db_url)
    assert tables <= set(inspect(engine).get_table_names())
    engine.dispose()


def run_cli(url, tmp_path, *args):
    env = dict(os.environ, KIEMKE_DATABASE_URL=url, KIEMKE_DATA_DIR=str(tmp_path / "data"))
    return subprocess.run(
        [os.path.join(VENV_BIN, "kiemke-server"), "policy", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_policy_check_cli(sqlite_url, tmp_path):
    from inventory_server.app import create_app, dispose
    from tests.conftest import seed_database

    seed = seed_database(sqlite_url)
    app = create_app(
        {"DATABASE_URL": sqlite_url, "DATA_DIR": str(tmp_path / "data"), "SECRET_KEY": "k"}
    )
    client = app.test_client()
    for name, patch in (("pc-ok", {}), ("pc-stale", STALE_AV)):
        report = fixture_report(patch=patch)
        report.host.hostname = name
        report.host.machine_id = f"{name:0>32}"
        _, token = enroll(client, seed.secret, report)
        send(client, token, report)
    dispose(app)

    pack = tmp_path / "strict.yml"
    pack.write_text(
        """pack: {id: strict, version: 3, name: {vi: "Chặt chẽ", en: "Strict"}}
checks:
  - id: av_fresh_1d
    name: {vi: "Mẫu nhận diện trong 1 ngày", en: "Signatures within a day"}
    severity: high
    condition: all
    rules: [{fact: security.antivirus.signature_age_days, op: le, value: 1}]
""",
        encoding="utf-8",
    )
    out = run_cli(sqlite_url, tmp_path, "check", str(pack))
    assert out.returncode == 0, out.stderr
    assert "pack strict version 3, 1 checks: valid" in out.stdout
    assert "evaluated on 2 hosts" in out.stdout
    assert "av_fresh_1d [high]: pass 1, fail 1, not_applicable 0, error 0" in out.stdout
    assert "    fail: pc-stale" in out.stdout and "fail: pc-ok" not in out.stdout

    pack.write_text(pack.read_text("utf-8").replace("op: le", "op: lte"), encoding="utf-8")
    bad = run_cli(sqlite_url, tmp_path, "check", str(pack))
    assert bad.returncode == 1
    assert f"error: {pack}:7: check av_fresh_1d:" in bad.stderr and "lte" in bad.stderr

    listed = run_cli(sqlite_url, tmp_path, "list")
    assert listed.returncode == 0 and "vn-workstation-baseline\tv3\t10 checks" in listed.stdout
    again = run_cli(sqlite_url, tmp_path, "reevaluate")
    assert again.returncode == 0, again.stderr
    assert "re-evaluated 2/2 hosts" in again.stdout and "done (2/2)" in again.stdout

    # Results edited by hand leave the hosts' counts behind until "recount".
    engine = make_engine(sqlite_url)
    with make_sessionmaker(engine)() as db:
        db.execute(delete(ComplianceResult).where(ComplianceResult.status == "fail"))
        db.commit()
    engine.dispose()
    kept, counted = host_counts(sqlite_url)
    assert kept != counted
    assert unit_counts(sqlite_url)[0] != unit_counts(sqlite_url)[1]
    recounted = run_cli(sqlite_url, tmp_path, "recount")
    assert recounted.returncode == 0, recounted.stderr
    assert "recounted 2/2 hosts" in recounted.stdout
    kept, counted = host_counts(sqlite_url)
    assert kept == counted and all(c["fail"] == 0 for c in kept.values())
    assert_unit_counts_follow(sqlite_url)


def test_only_the_package_names_rules_test_are_loaded():
    shipped = service.packs_in_force()
    assert shipped.software_names == {"ibus-unikey", "ibus-bamboo", "fcitx5-unikey", "fcitx-unikey"}
    assert shipped.sections == {"os", "software", "security"}
    from inventory_server.compliance import loader

    pattern = loader.parse_pack(
        """\
pack: {id: p, version: 1, name: {vi: "Mẫu", en: "Pattern"}}
checks:
  - id: c
    name: {vi: "Mẫu", en: "Pattern"}
    severity: low
    condition: all
    rules: [{fact: software.names, op: matches, value: "^tele"}]
"""
    )
    assert service.PackSet({"p": pattern}).software_names is None


@pytest.mark.usefixtures("jobs_joined")
def test_writes_from_a_stale_view_do_not_conflict(client, seed, db_url):
    """A job and an ingest may both see a host without results: the second write updates."""
    report = fixture_report(patch=STALE_AV)
    host_id, token = enroll(client, seed.secret, report)
    send(client, token, report)
    pack_set = service.packs_in_force()
    engine = make_engine(db_url)
    with make_sessionmaker(engine)() as db:
        (host_fact, _unit) = service.load_facts(db, [host_id])[host_id]
        host_fact["security"]["antivirus"]["signature_age_days"] = 0.1
        results = pack_set.engine.evaluate(host_fact)
        writes = service._Writes()
        # unit None: the write alone, kept out of the units' counts, which a stale view would
        # count twice (writers lock the host before reading what is stored: no stale view).
        service._collect(writes, pack_set, host_id, results, service.utcnow(), {}, None)
        writes.flush(db)
        db.commit()
    engine.dispose()
    assert results_of(db_url, host_id)[(WS, "av_healthy")].status == "pass"


results_of = results


@pytest.mark.usefixtures("jobs_joined")
def test_reevaluation_without_evidence_refresh_keeps_unchanged_rows(client, seed, db_url):
    report = fixture_report(patch=STALE_AV)
    host_id, token = enroll(client, seed.secret, report)
    send(client, token, report)
    engine = make_engine(db_url)
    sessions = make_sessionmaker(engine)
    with sessions() as db:
        db.execute(
            ComplianceResult.__table__.update()
            .where(ComplianceResult.__table__.c.host_id == host_id)
            .values(evidence=[{"marker": True}])
        )
        db.commit()
        pack_set = service.packs_in_force()
        service.evaluate_hosts(db, pack_set, [host_id], refresh_evidence=False)
        db.commit()
    kept = results(db_url, host_id)
    assert kept[(WS, "av_healthy")].evidence == [{"marker": True}]
    with sessions() as db:
        service.evaluate_hosts(db, pack_set, [host_id])
        db.commit()
    engine.dispose()
    refreshed = results(db_url, host_id)
    assert refreshed[(WS, "av_healthy")].evidence[0]["actual"] == 5.0


@pytest.mark.usefixtures("jobs_joined")
def test_in_transaction_evaluation_equals_the_after_commit_one(client, seed, db_url, monkeypatch):
    """Evaluated in the report's transaction (packs recorded) or after it (first report of the
    process, or the hook failing), a host gets the same results and evidence."""
    service._synced.clear()
    # Hooks are resolved by name once per process: give this test its own resolution cache.
    monkeypatch.setattr(hooks, "resolve", functools.cache(hooks.resolve.__wrapped__))
    calls = []
    real = service.before_commit
    monkeypatch.setattr(service, "before_commit", lambda *a: calls.append(real(*a)) or calls[-1])
    reports = [fixture_report(patch=STALE_AV) for _ in range(3)]
    hosts = []
    for i, report in enumerate(reports):
        report.host.hostname = f"pc-{i}"
        report.host.machine_id = f"{i:032x}"
        # A package a pack reads, named with capitals and spaces: the in-transaction evaluation
        # takes the packages the report stored, the after-commit one reads them back.
        packages = report.software.packages
        packages[:] = [p for p in packages if "unikey" not in p.name and "bamboo" not in p.name]
        packages.append(Package(name="IBus-Unikey ", version="0.6.1-1.1", source="deb"))
        report.digests = digests(report)
        hosts.append(enroll(client, seed.secret, report))
    send(client, hosts[0][1], reports[0])  # packs not yet recorded by this process: after commit
    wait_jobs_idle(client, seed.admin_token)  # recording them re-evaluates the enrolled hosts
    send(client, hosts[1][1], reports[1])  # in the report's transaction
    assert calls == [False, True]

    def broken(*args):
        raise RuntimeError("evaluation failed")

    monkeypatch.setattr(service, "before_commit", broken)
    hooks.resolve.cache_clear()
    send(client, hosts[2][1], reports[2])  # stored again without the hook, evaluated after commit

    def summary(host_id):
        return {
            k: (r.status, r.severity, r.pack_version, r.evidence)
            for k, r in results(db_url, host_id).items()
        }

    first = summary(hosts[0][0])
    assert first, "no results stored"
    assert any(status == "fail" for status, *_ in first.values())
    assert first[("vn-open-standards", "vietnamese_input_method")][0] == "pass"
    assert summary(hosts[1][0]) == first
    assert summary(hosts[2][0]) == first


def _write_then_fail(db, host, ingested):
    """A before-commit hook that writes, then has a statement refused by the database (which,
    on PostgreSQL, leaves the transaction aborted)."""
    db.execute(update(Host).where(Host.id == host.id).values(hostname="written-by-the-hook"))
    db.execute(text("SELECT no_such_column FROM hosts"))


@pytest.mark.usefixtures("jobs_joined")
def test_a_hook_that_wrote_and_failed_leaves_the_report_whole(
    client, seed, db_url, monkeypatch, caplog
):
    """A before-commit hook that wrote and then failed leaves nothing of its own, nor of the
    hooks before it: the report is stored whole and evaluated after its commit, as a report
    with no failing hook is."""
    service._synced.clear()
    monkeypatch.setattr(hooks, "resolve", functools.cache(hooks.resolve.__wrapped__))
    reports = [fixture_report(patch=STALE_AV) for _ in range(2)]
    hosts = []
    for i, report in enumerate(reports):
        report.host.hostname = f"pc-{i}"
        report.host.machine_id = f"{i:032x}"
        report.digests = digests(report)
        hosts.append(enroll(client, seed.secret, report))
    send(client, hosts[0][1], reports[0])
    wait_jobs_idle(client, seed.admin_token)  # the packs recorded: in-transaction from now on
    failing = [*hooks.BEFORE_COMMIT, f"{__name__}:_write_then_fail"]
    monkeypatch.setattr(hooks, "BEFORE_COMMIT", failing)
    with caplog.at_level("ERROR", logger="inventory_server.hooks"):
        send(client, hosts[1][1], reports[1])
    assert "_write_then_fail failed" in caplog.text

    engine = make_engine(db_url)
    with make_sessionmaker(engine)() as db:
        names = dict(db.execute(select(Host.id, Host.hostname)).all())
        stored = dict(db.execute(select(HostSoftware.host_id, HostSoftware.package_ids)).all())
    engine.dispose()
    assert names[hosts[1][0]] == "pc-1"
    # The same packages as the host whose report met no failure (one id per identity).
    assert len(stored[hosts[0][0]]) > len(reports[0].software.packages) - 5
    assert stored[hosts[1][0]] == stored[hosts[0][0]]

    def summary(host_id):
        return {
            k: (r.status, r.severity, r.pack_version, r.evidence)
            for k, r in results(db_url, host_id).items()
        }

    assert summary(hosts[0][0]), "no results stored"
    assert summary(hosts[1][0]) == summary(hosts[0][0])


def test_unit_roll_up_equals_a_unit_by_unit_count(seed, db_url):
    """Per-unit figures rolled up a three-level tree equal, for every unit, the counts over the
    hosts of its subtree, for the whole tree, a scope and one unit; the admin unit tree's host
    counts too."""
    import random

    from inventory_server.admin.services import unit_tree
    from inventory_server.models import Host, OrgUnit
    from inventory_server.units.services import create_unit, subtree_heads

    rng = random.Random(7)
    statuses = ("pass", "fail", "not_applicable", "error")
    engine = make_engine(db_url)
    with make_sessionmaker(engine)() as db:
        for d in range(3):
            create_unit(db, code=f"D{d}", name=f"Department {d}", parent_code="TINH")
            db.flush()
            for o in range(3):
                create_unit(db, code=f"D{d}-O{o}", name=f"Office {d}.{o}", parent_code=f"D{d}")
                db.flush()
        units = db.scalars(select(OrgUnit)).all()
        for i in range(60):
            host = Host(
                hostname=f"roll-{i}",
                unit_id=rng.choice(units).id,
                status="active" if rng.random() > 0.15 else "retired",
            )
            db.add(host)
            db.flush()
            for c in range(rng.randint(0, 4)):
                db.add(
                    ComplianceResult(
                        host_id=host.id,
                        pack_id=WS,
                        check_id=f"check-{c}",
                        status=rng.choice(statuses),
                        severity="medium",
                        evidence=[],
                        pack_version=1,
                    )
                )
        db.flush()
        # Stored directly, so their per-host counts are taken as the service takes them.
        service.recount(db, db.scalars(select(Host.id)).all())
        db.commit()
        units = db.scalars(select(OrgUnit)).all()
        hosts = db.scalars(select(Host).where(Host.status == "active")).all()
        results = db.scalars(select(ComplianceResult)).all()
        by_host: dict[int, list[str]] = {}
        for r in results:
            by_host.setdefault(r.host_id, []).append(r.status)
        path = {u.id: u.path for u in units}

        def expected(u):
            mine = [h for h in hosts if path[h.unit_id].startswith(u.path)]
            got = [s for h in mine for s in by_host.get(h.id, [])]
            return {
                "hosts": len(mine),
                "hosts_evaluated": sum(1 for h in mine if by_host.get(h.id)),
                "hosts_failing": sum(1 for h in mine if "fail" in by_host.get(h.id, [])),
                "checks": {s: got.count(s) for s in statuses},
            }

        d1 = next(u for u in units if u.code == "D1")
        for kwargs, listed in (
            ({}, units),
            ({"scope": d1.path}, [u for u in units if u.path.startswith(d1.path)]),
            ({"unit_path": d1.path + "x"}, []),
            (
                {"scope": "/", "unit_path": d1.path},
                [u for u in units if u.path.startswith(d1.path)],
            ),
        ):
            summary = {row["unit"]: row for row in service.unit_summary(db, **kwargs)}
            assert sorted(summary) == sorted(u.code for u in listed)
            for u in listed:
                row = summary[u.code]
                want = expected(u)
                assert {k: row[k] for k in want} == want, u.code
                assert row["hosts_compliant"] == want["hosts_evaluated"] - want["hosts_failing"]
        root = next(u for u in units if u.code == "TINH")
        assert expected(root)["hosts_failing"] > 0  # the figures are not all zero
        # The unit tree of the admin pages rolls host counts up the same way.
        tree = {row["code"]: row for row in unit_tree(db, scope=None)}
        for u in units:
            assert tree[u.code]["hosts_total"] == expected(u)["hosts"], u.code
            assert tree[u.code]["hosts"] == sum(1 for h in hosts if h.unit_id == u.id)
    engine.dispose()
    known = {"/1/": "a", "/1/4/": "b", "/1/40/": "c", "/2/": "d"}
    assert subtree_heads("/1/4/9/", known) == ["a", "b"]
    assert subtree_heads("/1/40/", known) == ["a", "c"]
    assert subtree_heads("/3/", known) == []


def test_a_job_waits_for_a_report_in_flight_and_evaluates_what_it_wrote(client, seed, db_url):
    """A re-evaluation batch waits for the host lock a report holds, then evaluates the facts
    the report wrote, not those from before it (which would stand until the next change)."""
    if not db_url.startswith("postgresql"):
        pytest.skip("row locks: PostgreSQL only (SQLite has one writer and no row locks)")
    from sqlalchemy import text

    from inventory_server.models import ComplianceJob, Host, HostSection

    report = fixture_report()
    host_id, token = enroll(client, seed.secret, report)
    send(client, token, report)
    assert results(db_url, host_id)[(WS, "firewall_enabled")].status == "pass"
    pack_set = service.packs_in_force()
    engine = make_engine(db_url)
    sessions = make_sessionmaker(engine)
    with sessions() as db:
        job_id = service.create_job(db, "test").id
    # A report in flight: the host row locked as ingest locks it, its new section not committed.
    writer = sessions()
    writer.execute(
        select(Host).where(Host.id == host_id).with_for_update(of=Host, key_share=True)
    ).all()
    section = writer.scalar(
        select(HostSection).where(HostSection.host_id == host_id, HostSection.section == "security")
    )
    section.data = dict(section.data, firewall={"enabled": False, "backend": "nftables"})
    writer.flush()
    job = threading.Thread(
        target=service.run_job,
        kwargs={
            "session_factory": sessions,
            "job_id": job_id,
            "pack_set": pack_set,
            "host_ids": [host_id],
        },
    )
    job.start()
    with engine.connect() as probe:
        # the job's batch waits on the report's row lock (given a minute to get there)
        for _ in range(1200):
            waiting = probe.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'"
                )
            ).scalar()
            # pg_stat_activity is read once per transaction: end it, or every later read
            # would repeat the first (taken, on a loaded machine, before the job got there).
            probe.rollback()
            if waiting or not job.is_alive():
                break
            time.sleep(0.05)
    assert waiting == 1
    writer.commit()
    writer.close()
    job.join(timeout=60)
    with sessions() as db:
        assert db.get(ComplianceJob, job_id).status == "done"
    engine.dispose()
    assert results(db_url, host_id)[(WS, "firewall_enabled")].status == "fail"


STATUSES = ("pass", "fail", "not_applicable", "error")


def host_counts(db_url) -> tuple[dict, dict]:
    """Return (the result counts kept on ``hosts``, the same counted from
    ``compliance_results``), for the hosts with any."""
    from collections import Counter

    from inventory_server.models import Host

    engine = make_engine(db_url)
    with make_sessionmaker(engine)() as db:
        kept = {
            h.id: {s: getattr(h, f"{s}_count") for s in STATUSES} for h in db.scalars(select(Host))
        }
        counted: dict[int, Counter] = {}
        for host_id, status in db.execute(
            select(ComplianceResult.host_id, ComplianceResult.status)
        ):
            counted.setdefault(host_id, Counter())[status] += 1
    engine.dispose()
    kept = {h: c for h, c in kept.items() if any(c.values())}
    return kept, {h: {s: c[s] for s in STATUSES} for h, c in counted.items()}


def unit_counts(db_url) -> tuple[dict, dict]:
    """Return (``unit_check_counts`` rows, the same counted from the results of the active
    hosts with a unit), as (unit id, pack, check, status) → hosts, zeros left out."""
    from sqlalchemy import func

    from inventory_server.models import Host, UnitCheckCount

    engine = make_engine(db_url)
    with make_sessionmaker(engine)() as db:
        c = UnitCheckCount
        kept = {
            (r.unit_id, r.pack_id, r.check_id, r.status): r.hosts
            for r in db.scalars(select(c))
            if r.hosts
        }
        r = ComplianceResult
        counted = {
            (u, p, k, st): n
            for u, p, k, st, n in db.execute(
                select(Host.unit_id, r.pack_id, r.check_id, r.status, func.count())
                .join(Host, Host.id == r.host_id)
                .where(Host.status == "active", Host.unit_id.is_not(None))
                .group_by(Host.unit_id, r.pack_id, r.check_id, r.status)
            )
        }
    engine.dispose()
    return kept, counted


def assert_unit_counts_follow(db_url) -> dict:
    kept, counted = unit_counts(db_url)
    assert kept == counted
    return kept


@pytest.mark.usefixtures("jobs_joined")
def test_host_counts_follow_results_as_they_change_and_go(client, seed, db_url, app):
    """Each host's counts by status (read by per-unit figures) equal its results after a first
    evaluation, a status change, a pack added and then removed, and a host left without any."""
    report = fixture_report(patch=STALE_AV)
    host_id, token = enroll(client, seed.secret, report)
    send(client, token, report)
    other_id = enroll_windows_workstation(client, seed)
    kept, counted = host_counts(db_url)
    assert kept == counted and set(kept) == {host_id, other_id}
    assert kept[host_id]["fail"] >= 1 and kept[host_id]["pass"] >= 10
    failing = kept[host_id]["fail"]
    by_check = assert_unit_counts_follow(db_url)
    assert sum(by_check.values()) == sum(sum(c.values()) for c in kept.values())

    send(client, token, fixture_report())  # antivirus fixed: its checks fail no more
    kept, counted = host_counts(db_url)
    assert kept == counted and kept[host_id]["fail"] == 0 < failing
    assert assert_unit_counts_follow(db_url) != by_check  # statuses changed, not the total

    site = write_local_pack(app)
    send(client, token, fixture_report(patch={"security": {"firewall": {"enabled": False}}}))
    wait_jobs_idle(client, seed.security_token)  # the other host, by the background job
    with_local, counted = host_counts(db_url)
    assert with_local == counted
    assert any(k[1] == "local" for k in assert_unit_counts_follow(db_url))
    assert with_local[other_id]["pass"] == kept[other_id]["pass"] + 1

    (site / "local.yml").unlink()  # its results are no longer in force: deleted
    send(client, token, fixture_report())
    # Back to the packs of the first reports within the minute: recorded again, and the other
    # host re-evaluated in the background.
    assert [j["reason"] for j in wait_jobs_idle(client, seed.security_token)] == [
        "packs changed",
        "packs changed",
    ]
    kept, counted = host_counts(db_url)
    assert kept == counted
    assert kept[other_id]["pass"] == with_local[other_id]["pass"] - 1
    assert not any(k[1] == "local" for k in assert_unit_counts_follow(db_url))
    assert ("local", "local_no_telnet") not in results(db_url, other_id)

    engine = make_engine(db_url)
    with make_sessionmaker(engine)() as db:
        db.execute(delete(ComplianceResult).where(ComplianceResult.host_id == other_id))
        service.recount(db, [host_id, other_id])
        db.commit()
    engine.dispose()
    kept, counted = host_counts(db_url)
    assert kept == counted and set(kept) == {host_id}


@pytest.mark.usefixtures("jobs_joined")
def test_unit_counts_by_check_move_with_their_hosts_and_answer_the_checks_summary(
    client, seed, db_url
):
    """Counts per unit and check follow a host re-enrolled into another unit and a host merged
    into another; the per-check summary of any subtree is what its hosts' results say."""
    from sqlalchemy import func

    from inventory_server.enrollment.services import create_secret
    from inventory_server.models import Host, OrgUnit
    from inventory_server.units.services import get_by_code

    report = fixture_report(patch=STALE_AV)
    host_id, token = enroll(client, seed.secret, report)
    send(client, token, report)
    other_id = enroll_windows_workstation(client, seed)
    before = assert_unit_counts_follow(db_url)
    engine = make_engine(db_url)
    with make_sessionmaker(engine)() as db:
        tinh, so_tc = get_by_code(db, "TINH").id, get_by_code(db, "SO-TC").id
        tc_secret, _ = create_secret(db, unit=get_by_code(db, "SO-TC"), days=1)
        db.commit()
    assert {k[0] for k in before} == {tinh}

    # Re-enrolled into another unit (same machine): its results count there now.
    assert enroll(client, tc_secret, report)[0] == host_id
    moved = assert_unit_counts_follow(db_url)
    assert {k[0] for k in moved} == {tinh, so_tc}
    assert sum(n for k, n in moved.items() if k[0] == so_tc) == sum(
        n for k, n in before.items() if k[0] == tinh
    ) - sum(n for k, n in moved.items() if k[0] == tinh)

    def summary(unit: str | None) -> dict:
        path = "/checks" + (f"?unit={unit}" if unit else "")
        r = api(client, seed.security_token, path)
        assert r.status_code == 200, r.get_json()
        return {
            (c["pack"], c["check"]): {s: n for s, n in c["counts"].items() if n}
            for c in r.get_json()["checks"]
        }

    def direct(prefix: str | None) -> dict:
        with make_sessionmaker(engine)() as db:
            r = ComplianceResult
            stmt = (
                select(r.pack_id, r.check_id, r.status, func.count())
                .join(Host, Host.id == r.host_id)
                .join(OrgUnit, OrgUnit.id == Host.unit_id)
                .where(Host.status == "active")
                .group_by(r.pack_id, r.check_id, r.status)
            )
            if prefix:
                stmt = stmt.where(OrgUnit.path.startswith(prefix))
            out: dict = {}
            for p, k, st, n in db.execute(stmt):
                out.setdefault((p, k), {})[st] = n
        return out

    def in_force(d: dict) -> dict:
        return {k: v for k, v in d.items() if v}

    with make_sessionmaker(engine)() as db:
        paths = {u.code: u.path for u in db.scalars(select(OrgUnit))}
    for code in (None, "TINH", "SO-TC", "SO-TTTT"):
        assert in_force(summary(code)) == direct(paths.get(code)), code
    assert direct(paths["SO-TC"]) and not direct(paths["SO-TTTT"])

    # Merged into the first host: the duplicate is no longer active, its results count nowhere.
    r = client.post(
        f"/api/v1/hosts/{host_id}/merge",
        json={"duplicate_id": other_id},
        headers={"Authorization": f"Bearer {seed.admin_token}"},
    )
    assert r.status_code == 200, r.get_json()
    merged = assert_unit_counts_follow(db_url)
    assert {k[0] for k in merged} == {so_tc}
    assert in_force(summary(None)) == direct(None)
    engine.dispose()


def test_recounting_a_host_reads_its_own_results_only(sqlite_url):
    """Each count reads the host's results by host id: SQLite, offered the status index by a
    condition on the status, read every host's results with that status for each host (a job
    of 20,000 hosts did not end)."""
    from sqlalchemy import event

    engine = make_engine(sqlite_url)
    sent = []

    @event.listens_for(engine, "before_cursor_execute")
    def _grab(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().startswith("UPDATE hosts"):
            sent.append((statement, parameters))

    with Session(engine) as db:
        service.recount(db, [1, 2])
        db.rollback()
    assert len(sent) == 1
    statement, parameters = sent[0]
    with engine.connect() as conn:
        plan = [r[3] for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)]
    engine.dispose()
    reads = [line for line in plan if "compliance_results" in line]
    assert len(reads) == len(service.COUNT_COLUMNS), plan
    assert all(line.startswith("SEARCH") and "(host_id=?)" in line for line in reads), plan


def test_migrations_count_the_results_already_stored(db_url):
    """Revision 0011 fills ``host_compliance`` from the results stored before it (a host with
    none gets no row); 0012 moves the counts onto the hosts and drops the table, and back; 0013
    counts the active hosts' results per unit and check."""
    import random

    from sqlalchemy import text

    from inventory_server.models import Host
    from inventory_server.units.services import create_unit

    rng = random.Random(11)
    engine = make_engine(db_url)
    with make_sessionmaker(engine)() as db:
        top = create_unit(db, code="T", name="T")
        units = [top.id, create_unit(db, code="C", name="C", parent_code="T").id, None]
        for i in range(12):
            host = Host(
                hostname=f"counted-{i}",
                status="active" if i % 4 else "merged",
                unit_id=units[i % 3],
            )
            db.add(host)
            db.flush()
            for c in range(rng.randint(0, 6)):
                db.add(
                    ComplianceResult(
                        host_id=host.id,
                        pack_id=WS,
                        check_id=f"check-{c}",
                        status=rng.choice(("pass", "fail", "not_applicable", "error")),
                        severity="medium",
                        evidence=[],
                        pack_version=1,
                    )
                )
        db.commit()
    engine.dispose()
    downgrade(db_url, "0010")
    engine = make_engine(db_url)
    assert "host_compliance" not in inspect(engine).get_table_names()
    engine.dispose()

    def table_counts() -> dict:
        engine = make_engine(db_url)
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT * FROM host_compliance")).mappings().all()
        engine.dispose()
        return {r["host_id"]: {s: r[f"{s}_count"] for s in STATUSES} for r in rows}

    upgrade(db_url, "0011")
    in_table = table_counts()
    upgrade(db_url, "head")
    kept, counted = host_counts(db_url)
    assert kept == counted == in_table and 0 < len(kept) < 12
    engine = make_engine(db_url)
    assert "host_compliance" not in inspect(engine).get_table_names()
    engine.dispose()
    downgrade(db_url, "0011")
    assert table_counts() == counted
    engine = make_engine(db_url)
    assert "pass_count" not in {c["name"] for c in inspect(engine).get_columns("hosts")}
    engine.dispose()
    upgrade(db_url, "head")
    assert host_counts(db_url) == (counted, counted)
    kept, by_check = unit_counts(db_url)
    assert kept == by_check and {k[0] for k in kept} == set(units[:2])
    downgrade(db_url, "0012")
    engine = make_engine(db_url)
    assert "unit_check_counts" not in inspect(engine).get_table_names()
    engine.dispose()
    upgrade(db_url, "head")
    assert unit_counts(db_url) == (by_check, by_check)
