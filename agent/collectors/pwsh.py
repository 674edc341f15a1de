"""Helpers for the JSON that PowerShell's ConvertTo-Json prints (Windows parsers use them)."""

import json
import re
from datetime import datetime, timedelta, timezone
from typing import Any, List, Optional

_MS_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")


def loads(text: str) -> Any:
    """Decode ConvertTo-Json output; empty output (no objects) is None."""
    text = (text or "").strip().lstrip("\ufeff")
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise ValueError(f"PowerShell output is not JSON: {exc}: {text[:80]!r}") from exc


def as_list(value: Any) -> List[Any]:
    """ConvertTo-Json prints one object bare and several as an array: always return a list."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


def date(value: Any) -> Optional[datetime]:
    """Parse a date as PowerShell prints it: /Date(ms)/, ISO 8601, or yyyyMMdd (registry)."""
    if value in (None, ""):
        return None
    if isinstance(value, dict):  # Windows PowerShell 5.1 wraps some dates: {"value": ..., ...}
        return date(value.get("value") or value.get("DateTime"))
    text = str(value).strip()
    m = _MS_DATE.match(text)
    if m:
        stamp = datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(milliseconds=int(m.group(1)))
        return stamp.replace(microsecond=0)
    if re.fullmatch(r"\d{8}", text):
        try:
            return datetime.strptime(text, "%Y%m%d").replace(tzinfo=timezone.utc)
        except ValueError:
            return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00")[:32])
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc).replace(microsecond=0)


def text(value: Any) -> Optional[str]:
    """Return a trimmed string, or None for empty values."""
    if value is None:
        return None
    out = str(value).strip()
    return out or None
