"""WMI hardware parsing from the script's JSON."""

from agent.collectors.windows import hardware_wmi
from tests.agent.helpers import fixture_text


def test_laptop():
    hw = hardware_wmi.parse_hardware(fixture_text("windows", "wmi", "win11-laptop.json"))
    s = hw.system
    assert s.vendor == "LENOVO" and s.serial == "PF3ABCDE" and s.chassis_type == "notebook"
    assert s.uuid == "4c4c4544-0042-3010-8051-b3c04f4b4e32" and s.virtual is False
    assert hw.cpu.model == "11th Gen Intel(R) Core(TM) i5-1135G7 @ 2.40GHz"
    assert (hw.cpu.sockets, hw.cpu.cores, hw.cpu.threads) == (1, 4, 8)
    assert hw.memory.total_bytes == 16907235328
    assert [m.type for m in hw.memory.modules] == ["DDR4", "DDR4"]
    assert hw.memory.modules[0].serial is None  # 00000000 is a placeholder
    assert hw.memory.modules[1].part_number == "M471A1K43EB1-CWE"
    assert hw.disks[0].name == "PhysicalDrive0" and hw.disks[0].size_bytes == 512105932800
    dell = hw.monitors[1]
    assert (dell.vendor, dell.model, dell.serial, dell.manufacture_year) == (
        "DEL", "DELL P2422H", "CN0F4K2L1XYZ", 2021)
    assert hw.monitors[0].model is None  # internal panel without a name
    assert hw.batteries[0].percent == 90 and hw.batteries[0].technology == "Li-ion"
    assert hw.batteries[0].status == "Not charging"
