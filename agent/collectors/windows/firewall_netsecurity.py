"""Windows Defender Firewall profiles (domain, private, public) from Get-NetFirewallProfile."""

from agent.collectors import pwsh
from agent.schema import Firewall, FirewallProfile

CATEGORY = "security.firewall"

SCRIPT = r"""
$ErrorActionPreference = 'SilentlyContinue'
$p = Get-NetFirewallProfile -PolicyStore ActiveStore | Select-Object Name,
  @{n='Enabled';e={[string]$_.Enabled}},
  @{n='DefaultInboundAction';e={[string]$_.DefaultInboundAction}}
ConvertTo-Json -InputObject @($p) -Compress
"""

# Numeric forms Windows PowerShell 5.1 prints when enums are not turned into strings.
_BOOL = {"1": "true", "0": "false", "2": "notconfigured"}
_ACTION = {"0": "notconfigured", "2": "allow", "4": "block"}


def is_enabled(ctx) -> bool:
    """Enabled on Windows."""
    return ctx.platform == "win32"


def parse_profiles(text: str) -> Firewall:
    """Return the firewall as enabled only when every profile enforces a blocking default."""
    profiles = []
    for e in pwsh.as_list(pwsh.loads(text)):
        enabled = str(e.get("Enabled")).lower()
        enabled = _BOOL.get(enabled, enabled)
        action = str(e.get("DefaultInboundAction")).lower()
        action = _ACTION.get(action, action)
        # NotConfigured falls back to Windows' defaults: enabled, inbound blocked.
        on = enabled in ("true", "notconfigured")
        inbound = "block" if action in ("block", "notconfigured") else "allow"
        profiles.append(FirewallProfile(
            name=(pwsh.text(e.get("Name")) or "?").lower(), enabled=on, default_inbound=inbound
        ))
    if not profiles:
        return Firewall(enabled=None, backend="windows")
    all_on = all(p.enabled and p.default_inbound == "block" for p in profiles)
    return Firewall(
        enabled=all_on,
        backend="windows",
        default_inbound="block" if all_on else "allow",
        profiles=profiles,
    )


def collect(ctx) -> Firewall:
    """Read the active firewall profiles."""
    return parse_profiles(ctx.powershell(SCRIPT, timeout=60))
