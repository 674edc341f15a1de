"""Anti-malware registered with Windows Security Center (workstations: root/SecurityCenter2)."""

from typing import List

from agent.collectors import pwsh
from agent.schema import AntivirusProduct

CATEGORY = "security.antivirus.products"

SCRIPT = r"""
$ErrorActionPreference = 'SilentlyContinue'
$p = Get-CimInstance -Namespace root/SecurityCenter2 -ClassName AntiVirusProduct |
  Select-Object displayName, productState, pathToSignedProductExe, timestamp
ConvertTo-Json -InputObject @($p) -Compress
"""

# productState packs the product (0xF000: 1 on, 0 off, 2 snoozed, 3 expired) and the
# signature state (0x00F0: 0 up to date, 1 out of date) into one integer.
_STATES = {0x0: "off", 0x1: "on", 0x2: "snoozed", 0x3: "expired"}


def is_enabled(ctx) -> bool:
    """Enabled on Windows (the namespace exists on workstations only; servers list nothing)."""
    return ctx.platform == "win32"


def decode_state(state: int):
    """Return (product state word, signatures up to date) from a productState integer."""
    return _STATES.get((state >> 12) & 0xF, "unknown"), ((state >> 4) & 0xF) == 0


def parse_securitycenter(text: str) -> List[AntivirusProduct]:
    """Return every product Security Center knows, with on/off and signature freshness."""
    out = []
    for e in pwsh.as_list(pwsh.loads(text)):
        name = pwsh.text(e.get("displayName"))
        if not name:
            continue
        if name.lower() == "windows defender":
            name = "Microsoft Defender Antivirus"
        try:
            word, fresh = decode_state(int(e.get("productState")))
        except (TypeError, ValueError):
            word, fresh = "unknown", None
        on = word == "on"
        out.append(AntivirusProduct(
            name=name, running=on, realtime=on, signatures_up_to_date=fresh,
            source="securitycenter", state=f"{word}, signatures {'current' if fresh else 'old'}",
        ))
    return out


def collect(ctx) -> List[AntivirusProduct]:
    """Ask Security Center through PowerShell."""
    return parse_securitycenter(ctx.powershell(SCRIPT, timeout=60))
