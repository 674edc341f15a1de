"""Commercial anti-malware on Linux (Kaspersky, ESET, BKAV, Sophos...) by process or directory."""

from typing import Iterable, List

from agent.schema import AntivirusProduct

CATEGORY = "security.antivirus.products"

# name, vendor, daemon process names (lower case), install directories.
PRODUCTS = (
    ("Kaspersky Endpoint Security", "Kaspersky", ("kesl", "wdserver", "klnagent"),
     ("/opt/kaspersky/kesl", "/var/opt/kaspersky/kesl")),
    ("ESET Endpoint Antivirus", "ESET", ("oaeventd", "esets_daemon"),
     ("/opt/eset/eea", "/opt/eset/efs", "/opt/eset/esets")),
    ("Bkav Endpoint", "Bkav", ("bkavservice", "bkavd", "bkav", "bkavpro"),
     ("/opt/bkav", "/opt/BkavEndpoint", "/usr/local/bkav")),
    ("Sophos Protection for Linux", "Sophos",
     ("sophos_threat_detector", "soapd", "savd", "sophos-spl"),
     ("/opt/sophos-spl", "/opt/sophos-av")),
    ("Trend Micro Deep Security", "Trend Micro", ("ds_agent",), ("/opt/ds_agent",)),
    ("CrowdStrike Falcon", "CrowdStrike", ("falcon-sensor",), ("/opt/CrowdStrike",)),
    ("Microsoft Defender for Endpoint", "Microsoft", ("wdavdaemon",),
     ("/opt/microsoft/mdatp",)),
    ("Symantec Endpoint Protection", "Broadcom", ("rtvscand", "symcfgd"),
     ("/opt/Symantec/symantec_antivirus",)),
    ("McAfee Endpoint Security", "Trellix", ("mfetpd", "isectpd"), ("/opt/McAfee/ens",)),
    ("CMC Antivirus", "CMC Cyber Security", ("cmcav", "cmcavd"), ("/opt/cmcav",)),
)


def is_enabled(ctx) -> bool:
    """Always enabled on Linux: looking costs one process listing."""
    return True


def detect(processes: Iterable[str], installed_dirs: Iterable[str]) -> List[AntivirusProduct]:
    """Return the products whose daemon runs or whose install directory exists."""
    procs = {p.lower() for p in processes}
    dirs = set(installed_dirs)
    out = []
    for name, vendor, daemons, paths in PRODUCTS:
        running = any(d in procs for d in daemons)
        if running or any(p in dirs for p in paths):
            out.append(
                AntivirusProduct(
                    name=name, vendor=vendor, running=running,
                    realtime=True if running else None, source="process",
                )
            )
    return out


def parse_processes(text: str) -> List[str]:
    """Return process names from ``ps -eo comm`` style text (one name a line, header skipped)."""
    return [line.strip() for line in text.splitlines()[1:] if line.strip()]


def collect(ctx) -> List[AntivirusProduct]:
    """Look for known daemons among running processes and for their install directories."""
    dirs = [p for _n, _v, _d, paths in PRODUCTS for p in paths if ctx.exists(p)]
    return detect(ctx.processes(), dirs)
