"""ClamAV database headers and detection from a file tree."""

from datetime import datetime, timezone

from agent.collectors.context import Context
from agent.collectors.linux import antivirus_clamav
from tests.agent.helpers import fixture_path


def _header(name):
    return fixture_path("linux", "clamav", name).read_bytes().decode("ascii", "replace")


def _raw(name):
    return fixture_path("linux", "clamav", name).read_bytes()


def test_cld_header_uses_build_seconds():
    info = antivirus_clamav.parse_cvd_header(_header("daily.cld.header"))
    assert info["version"] == 27100 and info["signatures"] == 2046218
    assert info["built"] == datetime.fromtimestamp(1700472271, tz=timezone.utc)


def test_cvd_header_date():
    info = antivirus_clamav.parse_cvd_header(_header("main.cvd.header"))
    assert info["version"] == 62
    assert info["built"].year == 2021


def test_not_a_database():
    assert antivirus_clamav.parse_cvd_header(_header("not-a-database.header")) is None
    assert antivirus_clamav.parse_cvd_header("ClamAV-VDB:x:notanumber:1") is None


def test_engine_version():
    assert antivirus_clamav.parse_version("ClamAV 1.0.7/27456/Mon Nov 20 09:20:39 2023\n") == \
        "1.0.7"
    assert antivirus_clamav.parse_version("garbage") is None


def test_collect_picks_newest_database(make_tree):
    root = make_tree({
        "var/lib/clamav/daily.cld": _raw("daily.cld.header"),
        "var/lib/clamav/main.cvd": _raw("main.cvd.header"),
    })
    ctx = Context(root=root)
    ctx._processes = ["freshclam", "bash"]  # clamd not running
    ctx._which = {"clamscan": None, "clamd": None, "clamdscan": None, "freshclam": None}
    assert antivirus_clamav.is_enabled(ctx)
    (p,) = antivirus_clamav.collect(ctx)
    assert p.signature_version == "27100"
    assert p.signature_date == datetime.fromtimestamp(1700472271, tz=timezone.utc)
    assert p.signature_age_days > 300  # built in 2023
    assert p.running is False and p.updater_running is True and p.realtime is False
