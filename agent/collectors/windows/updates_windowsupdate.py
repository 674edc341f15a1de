"""Windows Update: automatic-update policy, WSUS, last installed update, pending reboot."""

from typing import Any, Optional

from agent.collectors import pwsh
from agent.schema import Updates

CATEGORY = "security.updates"

SCRIPT = r"""
$ErrorActionPreference = 'SilentlyContinue'
$au = Get-ItemProperty 'HKLM:\SOFTWARE\Policies\Microsoft\Windows\WindowsUpdate\AU'
$wu = Get-ItemProperty 'HKLM:\SOFTWARE\Policies\Microsoft\Windows\WindowsUpdate'
$last = $null
try {
  $h = (New-Object -ComObject Microsoft.Update.Session).CreateUpdateSearcher()
  if ($h.GetTotalHistoryCount() -gt 0) {
    $last = ($h.QueryHistory(0, 1) | Select-Object -First 1).Date
  }
} catch {}
$rr = 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate\Auto Update\RebootRequired'
$hf = Get-HotFix | Where-Object { $_.InstalledOn } | Sort-Object InstalledOn -Descending |
  Select-Object -First 1
[pscustomobject]@{
  NoAutoUpdate = $au.NoAutoUpdate; AUOptions = $au.AUOptions; UseWUServer = $au.UseWUServer
  WUServer = $wu.WUServer; LastInstall = $last; LastHotfix = $hf.InstalledOn
  RebootRequired = Test-Path $rr
  ServiceStartType = [string](Get-Service wuauserv).StartType
} | ConvertTo-Json -Compress
"""


def is_enabled(ctx) -> bool:
    """Enabled on Windows."""
    return ctx.platform == "win32"


def _int(value: Any) -> Optional[int]:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def parse_windowsupdate(text: str) -> Updates:
    """Automatic when not disabled by policy, AUOptions unset or 4 (auto install), service on."""
    data = pwsh.loads(text) or {}
    no_auto = _int(data.get("NoAutoUpdate")) == 1
    options = _int(data.get("AUOptions"))
    service_off = (pwsh.text(data.get("ServiceStartType")) or "").lower() == "disabled"
    automatic = not no_auto and options in (None, 4) and not service_off
    wsus = _int(data.get("UseWUServer")) == 1 and bool(pwsh.text(data.get("WUServer")))
    dates = [d for d in (pwsh.date(data.get("LastInstall")), pwsh.date(data.get("LastHotfix")))
             if d]
    return Updates(
        automatic=automatic,
        mechanism="wsus" if wsus else "windows-update",
        last_update=max(dates) if dates else None,
        reboot_required=bool(data.get("RebootRequired")),
    )


def collect(ctx) -> Updates:
    """Read update policy and history through PowerShell."""
    return parse_windowsupdate(ctx.powershell(SCRIPT, timeout=90))
