"""dmidecode -t 17 parsing (dmidecode 3.4 output of a two-module SMBIOS table)."""

from agent.collectors.linux import hardware_memory
from tests.agent.helpers import fixture_text


def test_populated_slots_only():
    mods = hardware_memory.parse_dmidecode(
        fixture_text("linux", "dmidecode", "type17-two-modules.txt"))
    assert [m.slot for m in mods] == ["DIMM_A1", "DIMM_B1"]
    a1, b1 = mods
    assert a1.size_bytes == 8 * 1024**3 and b1.size_bytes == 16 * 1024**3
    assert a1.type == "DDR4" and a1.speed_mts == 2666 and b1.speed_mts == 3200
    assert a1.manufacturer == "Samsung" and a1.serial == "39A4B1C2"
    assert a1.part_number == "M378A1K43CB2-CTD"  # trailing padding stripped


def test_not_enabled_without_firmware_tables(make_tree):
    from agent.collectors.context import Context

    assert hardware_memory.is_enabled(Context(root=make_tree({"etc/x": ""}))) is False
