"""Windows and Office licence state (SoftwareLicensingProduct); last five key characters only."""

import re
from typing import List, Optional

from agent.collectors import pwsh
from agent.schema import ProductLicense

CATEGORY = "software.licenses"

SCRIPT = r"""
$ErrorActionPreference = 'SilentlyContinue'
$p = Get-CimInstance -ClassName SoftwareLicensingProduct -Filter 'PartialProductKey IS NOT NULL' |
  Select-Object Name, Description, LicenseStatus, PartialProductKey, ApplicationID,
    ProductKeyChannel
ConvertTo-Json -InputObject @($p) -Compress
"""

WINDOWS_APP_ID = "55c92734-d682-4d71-983e-d6ec3f16059f"
OFFICE_APP_IDS = ("0ff1ce15-a989-479d-af46-f275c6370663", "59a52881-a989-479d-af46-f275c6370663")
STATUS = {0: "unlicensed", 1: "licensed", 2: "grace", 3: "grace", 4: "grace",
          5: "notification", 6: "grace"}


def is_enabled(ctx) -> bool:
    """Enabled on Windows."""
    return ctx.platform == "win32"


def _channel(entry) -> Optional[str]:
    channel = pwsh.text(entry.get("ProductKeyChannel"))
    if channel:
        return channel
    m = re.search(r"(\w[\w:]*) channel", pwsh.text(entry.get("Description")) or "", re.I)
    return m.group(1) if m else None


def parse_licensing(text: str) -> List[ProductLicense]:
    """Return one ProductLicense per product that has a key installed."""
    out = []
    for e in pwsh.as_list(pwsh.loads(text)):
        name = pwsh.text(e.get("Name"))
        if not name:
            continue
        app = (pwsh.text(e.get("ApplicationID")) or "").lower()
        kind = "windows" if app == WINDOWS_APP_ID else "office" if app in OFFICE_APP_IDS else (
            "other")
        key = re.sub(r"\s", "", pwsh.text(e.get("PartialProductKey")) or "")[-5:] or None
        try:
            status = STATUS.get(int(e.get("LicenseStatus")), "unknown")
        except (TypeError, ValueError):
            status = "unknown"
        out.append(ProductLicense(
            product=name, channel=_channel(e), status=status, partial_key=key, kind=kind
        ))
    return out


def collect(ctx) -> List[ProductLicense]:
    """Query the Software Licensing service through PowerShell."""
    return parse_licensing(ctx.powershell(SCRIPT, timeout=60))
