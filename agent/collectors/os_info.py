"""Operating system: name, version, kernel, architecture, boot time (all platforms)."""

import platform
import shlex
import time
from datetime import datetime, timezone
from typing import Dict

import psutil

from agent.schema import OSInfo

CATEGORY = "os"


def is_enabled(ctx) -> bool:
    """Always enabled."""
    return True


def parse_os_release(text: str) -> Dict[str, str]:
    """Parse /etc/os-release (shell-style KEY=value lines) into a dict."""
    out = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        try:
            parts = shlex.split(value)
        except ValueError:
            parts = [value.strip("'\"")]
        out[key.strip()] = parts[0] if parts else ""
    return out


def collect(ctx) -> OSInfo:
    """Describe the running operating system."""
    boot = datetime.fromtimestamp(psutil.boot_time(), tz=timezone.utc).replace(microsecond=0)
    tzname = time.strftime("%z")
    if ctx.platform.startswith("linux"):
        rel = parse_os_release(ctx.read_text("/etc/os-release") or "")
        return OSInfo(
            family="linux",
            name=rel.get("PRETTY_NAME") or rel.get("NAME") or "Linux",
            version=rel.get("VERSION_ID"),
            distribution_id=rel.get("ID"),
            id_like=rel.get("ID_LIKE", "").split(),
            codename=rel.get("VERSION_CODENAME"),
            kernel=platform.release(),
            arch=platform.machine(),
            boot_time=boot,
            timezone=tzname,
            locale=_linux_locale(ctx),
        )
    if ctx.platform == "win32":
        release, version, _csd, _ptype = platform.win32_ver()
        edition = platform.win32_edition() if hasattr(platform, "win32_edition") else None
        return OSInfo(
            family="windows",
            name=f"Windows {release or ''} {edition or ''}".replace("  ", " ").strip(),
            version=version,
            distribution_id="windows",
            edition=edition,
            kernel=version,
            arch=platform.machine(),
            boot_time=boot,
            timezone=tzname,
        )
    family = "darwin" if ctx.platform == "darwin" else "other"
    return OSInfo(
        family=family,
        name=f"{platform.system()} {platform.release()}",
        version=platform.release(),
        kernel=platform.version(),
        arch=platform.machine(),
        boot_time=boot,
        timezone=tzname,
    )


def _linux_locale(ctx):
    text = ctx.read_text("/etc/default/locale") or ctx.read_text("/etc/locale.conf") or ""
    values = parse_os_release(text)
    return values.get("LANG")
