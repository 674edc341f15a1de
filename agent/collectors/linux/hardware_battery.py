"""Batteries from /sys/class/power_supply (the kernel's uevent files)."""

from typing import Dict, List, Optional

from agent.schema import Battery

CATEGORY = "hardware.batteries"

SUPPLY_DIR = "/sys/class/power_supply"


def is_enabled(ctx) -> bool:
    """Enabled where the kernel exposes power supplies."""
    return ctx.exists(SUPPLY_DIR)


def _num(values: Dict[str, str], key: str) -> Optional[float]:
    try:
        return float(values[key])
    except (KeyError, ValueError):
        return None


def _wh(values: Dict[str, str], energy: str, charge: str) -> Optional[float]:
    """Return Wh from energy (uWh) or from charge (uAh) times the design voltage (uV)."""
    e = _num(values, f"POWER_SUPPLY_{energy}")
    if e is not None:
        return round(e / 1e6, 2)
    c = _num(values, f"POWER_SUPPLY_{charge}")
    v = _num(values, "POWER_SUPPLY_VOLTAGE_MIN_DESIGN") or _num(values, "POWER_SUPPLY_VOLTAGE_NOW")
    if c is not None and v:
        return round(c * v / 1e12, 2)
    return None


def parse_uevent(text: str) -> Optional[Battery]:
    """Return a Battery from a power_supply uevent file, or None when it is not a battery."""
    values = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            values[key.strip()] = value.strip()
    if values.get("POWER_SUPPLY_TYPE") != "Battery":
        return None
    if values.get("POWER_SUPPLY_SCOPE") == "Device":  # mice, keyboards: not the machine's
        return None
    pct = _num(values, "POWER_SUPPLY_CAPACITY")
    return Battery(
        name=values.get("POWER_SUPPLY_NAME") or None,
        manufacturer=values.get("POWER_SUPPLY_MANUFACTURER") or None,
        model=values.get("POWER_SUPPLY_MODEL_NAME") or None,
        serial=(values.get("POWER_SUPPLY_SERIAL_NUMBER") or "").strip() or None,
        percent=round(max(0.0, min(100.0, pct)), -1) if pct is not None else None,
        design_capacity_wh=_wh(values, "ENERGY_FULL_DESIGN", "CHARGE_FULL_DESIGN"),
        full_capacity_wh=_wh(values, "ENERGY_FULL", "CHARGE_FULL"),
        status=values.get("POWER_SUPPLY_STATUS") or None,
        technology=values.get("POWER_SUPPLY_TECHNOLOGY") or None,
    )


def collect(ctx) -> List[Battery]:
    """Read every power supply's uevent file and keep the batteries."""
    out = []
    for name in ctx.listdir(SUPPLY_DIR):
        battery = parse_uevent(ctx.read_text(f"{SUPPLY_DIR}/{name}/uevent") or "")
        if battery:
            out.append(battery)
    return out
