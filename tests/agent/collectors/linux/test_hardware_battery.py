"""power_supply uevent parsing: energy- and charge-based batteries, mains and peripherals."""

from agent.collectors.linux import hardware_battery
from tests.agent.helpers import fixture_text


def _parse(name):
    return hardware_battery.parse_uevent(fixture_text("linux", "power_supply", name))


def test_energy_based_battery():
    b = _parse("thinkpad-BAT0.uevent")
    assert b.name == "BAT0" and b.model == "5B10W13930" and b.serial == "1234"
    assert b.design_capacity_wh == 57.0 and b.full_capacity_wh == 48.31
    assert b.percent == 90 and b.status == "Discharging" and b.technology == "Li-poly"


def test_charge_based_battery_uses_design_voltage():
    b = _parse("charge-based-BAT1.uevent")
    assert b.design_capacity_wh == round(3.5 * 11.4, 2)
    assert b.full_capacity_wh == round(3.1 * 11.4, 2)


def test_mains_and_mouse_are_not_batteries_of_the_machine():
    assert _parse("AC.uevent") is None
    assert _parse("mouse.uevent") is None
