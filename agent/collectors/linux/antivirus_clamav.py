"""ClamAV: installed, clamd/freshclam/clamonacc running, signature version and date (.cvd/.cld)."""

import re
from datetime import datetime, timezone
from typing import Dict, List, Optional

from agent.collectors.linux.software_deb import package_version
from agent.schema import AntivirusProduct

CATEGORY = "security.antivirus.products"

DB_DIRS = ("/var/lib/clamav", "/var/clamav", "/usr/local/share/clamav")
DATABASES = ("daily", "main", "bytecode")


def is_enabled(ctx) -> bool:
    """Enabled where a ClamAV program or database is present."""
    return any(ctx.which(p) for p in ("clamscan", "clamd", "clamdscan", "freshclam")) or any(
        ctx.exists(f"{d}/main.cvd") or ctx.exists(f"{d}/daily.cld") for d in DB_DIRS
    )


def parse_cvd_header(text: str) -> Optional[Dict[str, object]]:
    """Parse a .cvd/.cld header: ``ClamAV-VDB:time:version:sigs:level:md5:dsig:builder:stime``.

    Returns ``version`` (int), ``signatures`` (int) and ``built`` (UTC datetime), or None when
    the text is not a ClamAV database header.
    """
    head = text[:512].split("\0")[0].strip()
    if not head.startswith("ClamAV-VDB:"):
        return None
    parts = head.split(":")
    if len(parts) < 4:
        return None
    built = None
    if len(parts) > 8 and parts[8].strip().isdigit():
        built = datetime.fromtimestamp(int(parts[8].strip()), tz=timezone.utc)
    else:
        try:
            built = datetime.strptime(parts[1].strip(), "%d %b %Y %H-%M %z")
            built = built.astimezone(timezone.utc)
        except ValueError:
            built = None
    try:
        version, sigs = int(parts[2]), int(parts[3])
    except ValueError:
        return None
    return {"version": version, "signatures": sigs, "built": built}


def parse_version(text: str) -> Optional[str]:
    """Return the engine version from ``clamscan --version`` (``ClamAV 1.0.7/27456/...``)."""
    m = re.match(r"ClamAV\s+([\w.\-+~]+)", text.strip())
    return m.group(1) if m else None


def _read_header(ctx, path: str) -> Optional[str]:
    try:
        with open(ctx.path(path), "rb") as fh:
            return fh.read(512).decode("ascii", "replace")
    except OSError:
        return None


def collect(ctx) -> List[AntivirusProduct]:
    """Describe ClamAV from its processes and the headers of its signature databases."""
    procs = set(ctx.processes())
    headers = {}
    for d in DB_DIRS:
        for db in DATABASES:
            for ext in ("cld", "cvd"):
                if db in headers:
                    break
                text = _read_header(ctx, f"{d}/{db}.{ext}")
                info = parse_cvd_header(text) if text else None
                if info:
                    headers[db] = info
    built = [h["built"] for h in headers.values() if h.get("built")]
    newest = max(built) if built else None
    now = datetime.now(timezone.utc)
    age = round(max(0.0, (now - newest).total_seconds() / 86400), 1) if newest else None
    status = ctx.read_text("/var/lib/dpkg/status")
    version = package_version(status, "clamav") if status else None
    if version:
        version = version.split(":")[-1].split("+")[0].split("-")[0]  # 1.4.3+dfsg-1 -> 1.4.3
    elif ctx.which("clamscan"):  # no dpkg: ask the scanner (it loads libclamav, ~50 ms)
        try:
            version = parse_version(ctx.run(["clamscan", "--version"], timeout=10))
        except Exception:  # a broken clamscan still leaves the rest of the facts
            version = None
    daily = headers.get("daily") or headers.get("main")
    return [
        AntivirusProduct(
            name="ClamAV",
            vendor="Cisco Talos",
            version=version,
            running="clamd" in procs,
            realtime="clamonacc" in procs,
            signature_version=str(daily["version"]) if daily else None,
            signature_date=newest,
            signature_age_days=age,
            updater_running="freshclam" in procs,
            source="clamav",
        )
    ]
