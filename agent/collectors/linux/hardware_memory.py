"""Installed memory modules from ``dmidecode -t 17`` (SMBIOS memory devices; needs root)."""

import re
from typing import Dict, List, Optional

from agent.schema import MemoryModule

CATEGORY = "hardware.memory.modules"

_UNITS = {"b": 1, "bytes": 1, "kb": 1024, "mb": 1024**2, "gb": 1024**3, "tb": 1024**4}


def is_enabled(ctx) -> bool:
    """Enabled where firmware tables exist, dmidecode is installed and the agent runs as root."""
    has_tables = ctx.exists("/sys/firmware/dmi/tables/DMI") or ctx.exists("/sys/class/dmi/id")
    return has_tables and bool(ctx.which("dmidecode")) and ctx.is_admin()


def _clean(value: Optional[str]) -> Optional[str]:
    if value is None:
        return None
    value = value.strip()
    if value.lower() in ("", "unknown", "not specified", "none", "not provided", "other") or (
        set(value) <= {"0", " "}
    ):
        return None
    return value


def _size(value: str) -> Optional[int]:
    m = re.match(r"^\s*(\d+)\s*([A-Za-z]+)", value or "")
    if not m or m.group(2).lower() not in _UNITS:
        return None
    return int(m.group(1)) * _UNITS[m.group(2).lower()]


def _speed(value: str) -> Optional[int]:
    m = re.match(r"^\s*(\d+)\s*(MT/s|MHz)", value or "")
    return int(m.group(1)) if m else None


def _records(text: str) -> List[Dict[str, str]]:
    out: List[Dict[str, str]] = []
    current: Optional[Dict[str, str]] = None
    for line in text.splitlines():
        if line.startswith("Handle "):
            current = {"_type": "17" if "DMI type 17," in line else ""}
            out.append(current)
        elif current is not None and line.startswith("\t") and not line.startswith("\t\t"):
            key, sep, value = line.strip().partition(":")
            if sep:
                current[key.strip()] = value.strip()
    return [r for r in out if r.get("_type") == "17"]


def parse_dmidecode(text: str) -> List[MemoryModule]:
    """Return the populated memory modules in ``dmidecode -t 17`` output (empty slots skipped)."""
    modules = []
    for r in _records(text):
        size = _size(r.get("Size", ""))
        if not size:
            continue
        modules.append(
            MemoryModule(
                slot=_clean(r.get("Locator")) or _clean(r.get("Bank Locator")),
                size_bytes=size,
                type=_clean(r.get("Type")),
                speed_mts=_speed(r.get("Speed", "")),
                manufacturer=_clean(r.get("Manufacturer")),
                serial=_clean(r.get("Serial Number")),
                part_number=_clean(r.get("Part Number")),
            )
        )
    return modules


def collect(ctx) -> List[MemoryModule]:
    """Run dmidecode for SMBIOS type 17 records."""
    return parse_dmidecode(ctx.run(["dmidecode", "-t", "17"], timeout=15))
