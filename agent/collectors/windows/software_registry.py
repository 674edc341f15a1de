"""Windows programs from the registry's Uninstall keys: 64-bit, 32-bit (WOW6432Node), per user."""

from typing import Any, List, Optional, Set, Tuple

from agent.collectors import pwsh
from agent.schema import Package

CATEGORY = "software.packages"

SCRIPT = r"""
$ErrorActionPreference = 'SilentlyContinue'
$u = 'Microsoft\Windows\CurrentVersion\Uninstall\*'
$keys = @(
  @{ p = "HKLM:\SOFTWARE\$u"; a = 'x64'; s = 'machine' },
  @{ p = "HKLM:\SOFTWARE\WOW6432Node\$u"; a = 'x86'; s = 'machine' },
  @{ p = "Registry::HKEY_USERS\*\Software\$u"; a = ''; s = 'user' }
)
$out = foreach ($k in $keys) {
  Get-ItemProperty -Path $k.p | Where-Object { $_.DisplayName } | ForEach-Object {
    [pscustomobject]@{
      DisplayName = $_.DisplayName; DisplayVersion = $_.DisplayVersion; Publisher = $_.Publisher
      InstallDate = $_.InstallDate; EstimatedSize = $_.EstimatedSize
      SystemComponent = $_.SystemComponent; ParentKeyName = $_.ParentKeyName
      ReleaseType = $_.ReleaseType; Key = $_.PSChildName; Arch = $k.a; Scope = $k.s
    }
  }
}
ConvertTo-Json -InputObject @($out) -Compress -Depth 3
"""

_SKIP_RELEASE = {"update", "hotfix", "security update", "service pack"}


def is_enabled(ctx) -> bool:
    """Enabled on Windows."""
    return ctx.platform == "win32"


def _size(value: Any) -> Optional[int]:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def parse_uninstall(text: str) -> List[Package]:
    """Return programs from the Uninstall entries (updates and system components skipped)."""
    out = []
    seen: Set[Tuple[str, Optional[str], Optional[str], str]] = set()
    for e in pwsh.as_list(pwsh.loads(text)):
        name = pwsh.text(e.get("DisplayName"))
        if not name or str(e.get("SystemComponent") or "0") == "1" or e.get("ParentKeyName"):
            continue
        if (pwsh.text(e.get("ReleaseType")) or "").lower() in _SKIP_RELEASE:
            continue
        version = pwsh.text(e.get("DisplayVersion"))
        arch = pwsh.text(e.get("Arch"))
        scope = "user" if e.get("Scope") == "user" else "machine"
        key = (name, version, arch, scope)
        if key in seen:
            continue
        seen.add(key)
        out.append(Package(
            name=name[:512],
            version=version[:256] if version else None,
            arch=arch,
            source="windows",
            publisher=pwsh.text(e.get("Publisher")),
            install_date=pwsh.date(e.get("InstallDate")),
            scope=scope,
            size_kb=_size(e.get("EstimatedSize")),
        ))
    return out


def collect(ctx) -> List[Package]:
    """Read the Uninstall keys through PowerShell."""
    return parse_uninstall(ctx.powershell(SCRIPT, timeout=60))
