"""Locale formatting for pages: numbers, percentages, dates, byte sizes (vi and en)."""

import datetime as dt

from babel.numbers import format_decimal

from inventory_server.i18n import current_language


def _parse(value) -> dt.datetime | None:
    if not value:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value


def fmt_number(n, digits: int = 0) -> str:
    """Format a number in the page language: 1.234,5 in Vietnamese, 1,234.5 in English."""
    if n is None:
        return "—"
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(n, format=pattern, locale=current_language())


def fmt_percent(share, digits: int = 0) -> str:
    """Format a share (0..1) as a percentage in the page language."""
    if share is None:
        return "—"
    return fmt_number(share * 100, digits) + " %"


def fmt_date(value) -> str:
    """Format a date: dd/mm/yyyy in Vietnamese, yyyy-mm-dd in English."""
    value = _parse(value)
    if value is None:
        return "—"
    return value.strftime("%d/%m/%Y" if current_language() == "vi" else "%Y-%m-%d")


def fmt_time(value) -> str:
    """Format a UTC timestamp: 'dd/mm/yyyy HH:MM UTC' in Vietnamese, 'yyyy-mm-dd HH:MM UTC'."""
    value = _parse(value)
    if value is None:
        return "—"
    return f"{fmt_date(value)} {value:%H:%M} UTC"


def fmt_bytes(n) -> str:
    """Format a byte count with binary units and a locale decimal separator."""
    if n is None:
        return "—"
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(value) < 1024 or unit == "TiB":
            return f"{fmt_number(value, 0 if unit == 'B' else 1)} {unit}"
        value /= 1024
    return str(n)
