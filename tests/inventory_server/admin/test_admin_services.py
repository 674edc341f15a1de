"""Hosts' antivirus state on SQLite and PostgreSQL: set by ingest, filled by the migration from
stored sections by the same rule, counted by the dashboard."""

import msgspec
from sqlalchemy import select

from agent.report import digests
from agent.schema import Antivirus, CollectorError, Security
from inventory_server.admin import services
from inventory_server.db import make_engine, make_sessionmaker
from inventory_server.hosts.posture import antivirus_state
from inventory_server.migrate import downgrade, upgrade
from inventory_server.models import Host, HostSection
from tests.inventory_server.reports import body, make_report
from tests.inventory_server.test_reports import enroll, post

CASES = {
    "no-section": None,
    "no-antivirus": {"firewall": {"enabled": True}},
    "none-installed": {"antivirus": {}},  # reports omit installed=False
    "stopped": {"antivirus": {"installed": True, "running": False, "product": "ClamAV"}},
    "running-unknown": {"antivirus": {"installed": True}},
    "protected": {"antivirus": {"installed": True, "running": True, "products": [{"name": "x"}]}},
    "null-antivirus": {"antivirus": None},  # not an object: no data, as in antivirus_state
    "text-antivirus": {"antivirus": "ClamAV"},
}
EXPECTED = {
    "no-section": "unknown",
    "no-antivirus": "unknown",
    "none-installed": "missing",
    "stopped": "not_running",
    "running-unknown": "not_running",
    "protected": "protected",
    "null-antivirus": "unknown",
    "text-antivirus": "unknown",
}


def test_migration_fills_the_antivirus_state_by_the_python_rule(db_url):
    """Revision 0009 sets each host's antivirus state from its stored security section, as
    ``antivirus_state`` classifies it, and the dashboard counts hosts by it."""
    engine = make_engine(db_url)
    with make_sessionmaker(engine)() as db:
        ids = {}
        for name, data in CASES.items():
            host = Host(hostname=name, status="active")
            db.add(host)
            db.flush()
            ids[name] = host.id
            if data is not None:
                db.add(HostSection(host_id=host.id, section="security", digest="0" * 64, data=data))
        db.commit()
    engine.dispose()
    downgrade(db_url, "0008")
    upgrade(db_url, "0009")
    engine = make_engine(db_url)
    with make_sessionmaker(engine)() as db:
        states = dict(db.execute(select(Host.id, Host.av_state)).all())
        for name, host_id in ids.items():
            assert states[host_id] == EXPECTED[name], name
            assert antivirus_state(CASES[name]) == EXPECTED[name], name
    engine.dispose()
    upgrade(db_url)  # the dashboard reads the current schema
    engine = make_engine(db_url)
    with make_sessionmaker(engine)() as db:
        figures = services.dashboard(db, scope=None)
        assert figures["antivirus"] == {
            "protected": 1,
            "not_running": 2,
            "missing": 1,
            "unknown": 4,
        }
    engine.dispose()


def test_ingest_keeps_the_antivirus_state_of_the_latest_security_section(client, seed, db_url):
    """Each security section a host reports sets its state; a report whose security section
    failed to collect keeps the last one; a host that never sent one is "unknown"."""
    host_id, token = enroll(client, seed.secret)
    silent_id, _silent = enroll(
        client,
        seed.secret,
        make_report("pc-silent", machine_id="a" * 32, serial="SN-0002", mac="52:54:00:00:00:02"),
    )

    def state(hid):
        engine = make_engine(db_url)
        with make_sessionmaker(engine)() as db:
            value = db.scalar(select(Host.av_state).where(Host.id == hid))
        engine.dispose()
        return value

    report = make_report(av_running=True)
    assert post(client, token, body(report)).status_code == 200
    assert state(host_id) == "protected"
    stopped = make_report(av_running=False)
    assert post(client, token, body(stopped)).status_code == 200
    assert state(host_id) == "not_running"
    missing = make_report()
    missing.security = msgspec.structs.replace(missing.security, antivirus=Antivirus())
    missing.digests = digests(missing)
    assert post(client, token, body(missing)).status_code == 200
    assert state(host_id) == "missing"
    failed = make_report()
    failed.security = Security()  # sent empty, as the agent does when a collector fails
    failed.errors = [CollectorError(section="security", collector="antivirus", message="boom")]
    failed.digests = digests(failed)
    assert post(client, token, body(failed)).status_code == 200
    assert state(host_id) == "missing"
    assert state(silent_id) == "unknown"
    engine = make_engine(db_url)
    with make_sessionmaker(engine)() as db:
        assert services.dashboard(db, scope=None)["antivirus"] == {
            "protected": 0,
            "not_running": 0,
            "missing": 1,
            "unknown": 1,
        }
    engine.dispose()
