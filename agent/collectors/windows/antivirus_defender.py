"""Microsoft Defender Antivirus from Get-MpComputerStatus."""

from datetime import datetime, timezone
from typing import List, Optional

from agent.collectors import pwsh
from agent.schema import AntivirusProduct

CATEGORY = "security.antivirus.products"

SCRIPT = r"""
$ErrorActionPreference = 'SilentlyContinue'
$s = Get-MpComputerStatus
if ($s) {
  $s | Select-Object AMServiceEnabled, AntivirusEnabled, RealTimeProtectionEnabled,
    AntivirusSignatureVersion, AntivirusSignatureLastUpdated, AntivirusSignatureAge,
    AMProductVersion, AMEngineVersion, AMRunningMode | ConvertTo-Json -Compress
}
"""


def is_enabled(ctx) -> bool:
    """Enabled on Windows."""
    return ctx.platform == "win32"


def parse_mpcomputerstatus(text: str, now: Optional[datetime] = None) -> List[AntivirusProduct]:
    """Return Defender's state; an empty list when Defender is not present."""
    data = pwsh.loads(text)
    if not isinstance(data, dict):
        return []
    now = now or datetime.now(timezone.utc)
    updated = pwsh.date(data.get("AntivirusSignatureLastUpdated"))
    if updated:
        age = round(max(0.0, (now - updated).total_seconds() / 86400), 1)
    else:
        raw = data.get("AntivirusSignatureAge")
        age = float(raw) if isinstance(raw, (int, float)) and 0 <= raw < 65535 else None
    mode = pwsh.text(data.get("AMRunningMode")) or "Normal"
    active = mode.lower() == "normal"
    running = bool(data.get("AMServiceEnabled")) and bool(data.get("AntivirusEnabled")) and active
    return [AntivirusProduct(
        name="Microsoft Defender Antivirus",
        vendor="Microsoft",
        version=pwsh.text(data.get("AMProductVersion")),
        running=running,
        realtime=running and bool(data.get("RealTimeProtectionEnabled")),
        signature_version=pwsh.text(data.get("AntivirusSignatureVersion")),
        signature_date=updated,
        signature_age_days=age,
        source="defender",
        state=mode,
    )]


def collect(ctx) -> List[AntivirusProduct]:
    """Ask Defender for its status."""
    return parse_mpcomputerstatus(ctx.powershell(SCRIPT, timeout=60))
