"""Windows screen lock: machine inactivity limit, per-user screen-saver policy and settings."""

from typing import Any, Optional

from agent.collectors import pwsh
from agent.schema import ScreenLock

CATEGORY = "security.screen_lock"

SCRIPT = r"""
$ErrorActionPreference = 'SilentlyContinue'
$m = Get-ItemProperty 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System'
$pp = 'Registry::HKEY_USERS\*\Software\Policies\Microsoft\Windows\Control Panel\Desktop'
$pol = Get-ItemProperty $pp |
  Select-Object PSParentPath, ScreenSaveActive, ScreenSaverIsSecure, ScreenSaveTimeOut
$usr = Get-ItemProperty 'Registry::HKEY_USERS\S-1-5-21-*\Control Panel\Desktop' |
  Select-Object PSParentPath, ScreenSaveActive, ScreenSaverIsSecure, ScreenSaveTimeOut
[pscustomobject]@{
  InactivityTimeoutSecs = $m.InactivityTimeoutSecs; UserPolicies = @($pol); UserSettings = @($usr)
} | ConvertTo-Json -Compress -Depth 3
"""


def is_enabled(ctx) -> bool:
    """Enabled on Windows."""
    return ctx.platform == "win32"


def _int(value: Any) -> Optional[int]:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _secure(entry) -> Optional[int]:
    """Return the screen-saver timeout of an entry that locks, else None."""
    if _int(entry.get("ScreenSaveActive")) == 0 or _int(entry.get("ScreenSaverIsSecure")) != 1:
        return None
    return _int(entry.get("ScreenSaveTimeOut"))


def parse_screenlock(text: str) -> ScreenLock:
    """Machine InactivityTimeoutSecs wins; else user policy (enforced); else user settings."""
    data = pwsh.loads(text) or {}
    machine = _int(data.get("InactivityTimeoutSecs"))
    if machine:
        return ScreenLock(enabled=True, idle_delay_seconds=machine, enforced=True, applicable=True)
    policies = [_secure(p) for p in pwsh.as_list(data.get("UserPolicies"))]
    if policies and all(t for t in policies):
        return ScreenLock(enabled=True, idle_delay_seconds=max(policies), enforced=True,
                          applicable=True)
    settings = [_secure(p) for p in pwsh.as_list(data.get("UserSettings"))]
    if settings and all(t for t in settings):
        return ScreenLock(enabled=True, idle_delay_seconds=max(settings), enforced=False,
                          applicable=True)
    return ScreenLock(enabled=False, enforced=False, applicable=True)


def collect(ctx) -> ScreenLock:
    """Read the policies and settings through PowerShell."""
    return parse_screenlock(ctx.powershell(SCRIPT, timeout=60))
