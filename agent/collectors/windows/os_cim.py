"""Windows edition, version and build from Win32_OperatingSystem (Python's own view is vaguer:
it calls Windows 11 "10")."""

from typing import Optional

from agent.collectors import pwsh
from agent.schema import OSInfo

CATEGORY = "os"

SCRIPT = r"""
$ErrorActionPreference = 'SilentlyContinue'
$o = Get-CimInstance Win32_OperatingSystem
$cv = Get-ItemProperty 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion'
[pscustomobject]@{
  Caption = $o.Caption; Version = $o.Version; BuildNumber = $o.BuildNumber
  OSArchitecture = $o.OSArchitecture; ProductType = $o.ProductType; Locale = $o.Locale
  LastBootUpTime = $o.LastBootUpTime; EditionID = $cv.EditionID
  DisplayVersion = $cv.DisplayVersion; UBR = $cv.UBR
} | ConvertTo-Json -Compress
"""

# Windows LCIDs (hex) of the locales an agency machine is likely to have.
LOCALES = {"042a": "vi_VN", "0409": "en_US", "0809": "en_GB", "040c": "fr_FR", "0804": "zh_CN",
           "0411": "ja_JP", "0412": "ko_KR"}


def is_enabled(ctx) -> bool:
    """Enabled on Windows."""
    return ctx.platform == "win32"


def parse_operatingsystem(text: str) -> Optional[OSInfo]:
    """Return OSInfo from the script's JSON; None when Windows did not answer."""
    data = pwsh.loads(text)
    if not isinstance(data, dict) or not data.get("Caption"):
        return None
    name = pwsh.text(data.get("Caption")) or "Windows"
    if name.startswith("Microsoft "):
        name = name[len("Microsoft "):]
    build = pwsh.text(data.get("BuildNumber"))
    ubr = pwsh.text(data.get("UBR"))
    locale = (pwsh.text(data.get("Locale")) or "").lower()
    return OSInfo(
        family="windows",
        name=name,
        version=pwsh.text(data.get("Version")),
        distribution_id="windows",
        codename=pwsh.text(data.get("DisplayVersion")),  # e.g. 23H2
        edition=pwsh.text(data.get("EditionID")),
        kernel=f"{build}.{ubr}" if build and ubr else build,
        arch=pwsh.text(data.get("OSArchitecture")),
        boot_time=pwsh.date(data.get("LastBootUpTime")),
        locale=LOCALES.get(locale, locale or None),
    )


def collect(ctx) -> Optional[OSInfo]:
    """Ask CIM and the registry through PowerShell."""
    info = parse_operatingsystem(ctx.powershell(SCRIPT, timeout=60))
    if info is None:
        raise RuntimeError("Win32_OperatingSystem returned nothing")
    return info
