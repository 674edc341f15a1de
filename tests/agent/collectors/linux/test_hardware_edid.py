"""EDID decoding, checked against Parse::EDID's reading of the same block."""

from agent.collectors.context import Context
from agent.collectors.linux import hardware_edid
from tests.agent.helpers import fixture_path, fixture_text


def _reference():
    lines = fixture_text("linux", "edid", "dell-p2422h.parse-edid.txt").splitlines()
    return dict(line.split(": ", 1) for line in lines)


def test_matches_parse_edid():
    ref = _reference()
    mon = hardware_edid.parse_edid(fixture_path("linux", "edid", "dell-p2422h.bin").read_bytes(),
                                   connector="DP-1")
    assert mon.vendor == ref["manufacturer_name"] == "DEL"
    assert mon.model == ref["monitor_name"]
    assert mon.manufacture_year == int(ref["year"])
    assert mon.serial == "CN0F4K2L1XYZ" and mon.connector == "DP-1" and mon.size_cm == "53x30"


def test_garbage_is_not_a_monitor():
    assert hardware_edid.parse_edid(b"\0" * 128) is None
    assert hardware_edid.parse_edid(b"") is None


def test_collect_reads_connected_outputs(make_tree):
    edid = fixture_path("linux", "edid", "dell-p2422h.bin").read_bytes()
    root = make_tree({
        "sys/class/drm/card0-DP-1/status": "connected\n",
        "sys/class/drm/card0-DP-1/edid": edid,
        "sys/class/drm/card0-HDMI-A-1/status": "disconnected\n",
        "sys/class/drm/card0-HDMI-A-1/edid": edid,
        "sys/class/drm/card0/dev": "226:0\n",
    })
    mons = hardware_edid.collect(Context(root=root))
    assert [m.connector for m in mons] == ["DP-1"]
