"""ClamAV database headers and detection from a file tree."""

from datetime import datetime, timezone

from agent.collectors.context import Context
from agent.collectors.linux import antivirus_clamav
from tests.agent.helpers import fixture_path


def _header(name):
    return fixture_path("linux", "clamav", name).read_bytes().decode("ascii", "replace")


def _raw(name):
    return fixture_path("linux", "clamav", name).read_bytes()


def test_real_daily_cvd_header_uses_build_seconds():
    """Real daily.cvd header (version 25784, built by raynman on 16 Apr 2020)."""
    info = antivirus_clamav.parse_cvd_header(_header("daily-25784.cvd.header"))
    assert info["version"] == 25784 and info["signatures"] == 2267600
    assert info["built"] == datetime.fromtimestamp(1587038339, tz=timezone.utc)
    # the build-time text agrees: 16 Apr 2020 07-58 -0400 is 11:58 UTC
    assert info["built"].replace(second=0) == datetime(2020, 4, 16, 11, 58, tzinfo=timezone.utc)


def test_real_main_cvd_header_prefix_falls_back_to_build_time_text():
    """Real main.cvd header quoted up to its MD5: no build seconds, so the time text is used."""
    info = antivirus_clamav.parse_cvd_header(_header("main-57.cvd.header-prefix"))
    assert info["version"] == 57 and info["signatures"] == 4218790
    assert info["built"] == datetime(2016, 3, 16, 23, 17, tzinfo=timezone.utc)


def test_not_a_database():
    assert antivirus_clamav.parse_cvd_header(_header("not-a-database.header")) is None
    assert antivirus_clamav.parse_cvd_header("ClamAV-VDB:x:notanumber:1") is None


def test_engine_version():
    assert antivirus_clamav.parse_version("ClamAV 1.0.7/27456/Mon Nov 20 09:20:39 2023\n") == \
        "1.0.7"
    assert antivirus_clamav.parse_version("garbage") is None


def test_collect_picks_newest_database(make_tree):
    root = make_tree({
        "var/lib/clamav/daily.cvd": _raw("daily-25784.cvd.header"),
        "var/lib/clamav/main.cvd": _raw("main-57.cvd.header-prefix"),
    })
    ctx = Context(root=root)
    ctx._processes = ["freshclam", "bash"]  # clamd not running
    ctx._which = {"clamscan": None, "clamd": None, "clamdscan": None, "freshclam": None}
    assert antivirus_clamav.is_enabled(ctx)
    (p,) = antivirus_clamav.collect(ctx)
    assert p.signature_version == "25784"  # daily, not main
    assert p.signature_date == datetime.fromtimestamp(1587038339, tz=timezone.utc)  # newest
    assert p.signature_age_days > 2000  # built in April 2020
    assert p.running is False and p.updater_running is True and p.realtime is False
