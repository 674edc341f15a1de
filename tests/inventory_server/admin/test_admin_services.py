"""Admin services on SQLite and PostgreSQL: antivirus classification in SQL matches the rule."""

from inventory_server.admin import services
from inventory_server.db import make_engine, make_sessionmaker
from inventory_server.models import Host, HostSection

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


def test_antivirus_states_in_sql_match_the_python_rule(db_url):
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
        figures = services.dashboard(db, scope=None)
        assert figures["antivirus"] == {
            "protected": 1,
            "not_running": 2,
            "missing": 1,
            "unknown": 4,
        }
        sql = services._antivirus_states(db, list(ids.values()))
        for name, host_id in ids.items():
            assert sql.get(host_id, "unknown") == EXPECTED[name], name
            assert services.antivirus_state(CASES[name]) == EXPECTED[name], name
    engine.dispose()
