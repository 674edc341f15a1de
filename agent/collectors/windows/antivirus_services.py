"""Anti-malware on Windows Server (no Security Center) recognised by its Windows services."""

from typing import List

from agent.collectors import pwsh
from agent.schema import AntivirusProduct

CATEGORY = "security.antivirus.products"

# service name -> (product, vendor)
SERVICES = {
    "AVP": ("Kaspersky Endpoint Security", "Kaspersky"),
    "kavfs": ("Kaspersky Security for Windows Server", "Kaspersky"),
    "ekrn": ("ESET Security", "ESET"),
    "BkavService": ("Bkav Endpoint", "Bkav"),
    "BkavProService": ("Bkav Pro", "Bkav"),
    "SAVService": ("Sophos Anti-Virus", "Sophos"),
    "Sophos Endpoint Defense Service": ("Sophos Endpoint", "Sophos"),
    "SepMasterService": ("Symantec Endpoint Protection", "Broadcom"),
    "mfemms": ("McAfee Endpoint Security", "Trellix"),
    "ds_agent": ("Trend Micro Deep Security", "Trend Micro"),
    "ntrtscan": ("Trend Micro Apex One", "Trend Micro"),
    "CSFalconService": ("CrowdStrike Falcon", "CrowdStrike"),
    "CMCAVService": ("CMC Antivirus", "CMC Cyber Security"),
}

SCRIPT = r"""
$ErrorActionPreference = 'SilentlyContinue'
$names = @(__NAMES__)
$os = Get-CimInstance Win32_OperatingSystem
$svc = Get-Service -Name $names | Select-Object Name, DisplayName,
  @{n='Status';e={[string]$_.Status}}, @{n='StartType';e={[string]$_.StartType}}
[pscustomobject]@{ ProductType = $os.ProductType; Services = @($svc) } |
  ConvertTo-Json -Compress -Depth 3
""".replace("__NAMES__", ", ".join(f"'{n}'" for n in SERVICES))


def is_enabled(ctx) -> bool:
    """Enabled on Windows; the parser keeps results only on servers (ProductType 2 or 3)."""
    return ctx.platform == "win32"


def parse_services(text: str) -> List[AntivirusProduct]:
    """Return products whose services exist, on servers only (workstations use Security Center)."""
    data = pwsh.loads(text) or {}
    if data.get("ProductType") == 1:
        return []
    found = {}
    for s in pwsh.as_list(data.get("Services")):
        name = pwsh.text(s.get("Name")) or ""
        product = SERVICES.get(name) or next(
            (v for k, v in SERVICES.items() if k.lower() == name.lower()), None
        )
        if not product:
            continue
        running = (pwsh.text(s.get("Status")) or "").lower() == "running"
        prev = found.get(product[0])
        if prev is None or running:
            found[product[0]] = AntivirusProduct(
                name=product[0], vendor=product[1], running=running,
                realtime=True if running else None, source="service", state=s.get("Status"),
            )
    return list(found.values())


def collect(ctx) -> List[AntivirusProduct]:
    """List the known services through PowerShell."""
    return parse_services(ctx.powershell(SCRIPT, timeout=60))
