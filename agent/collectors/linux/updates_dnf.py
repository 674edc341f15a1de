"""RHEL-family updates: dnf-automatic or yum-cron configuration and the last transaction."""

import re
from typing import Dict

from agent.schema import Updates

CATEGORY = "security.updates"


def is_enabled(ctx) -> bool:
    """Enabled on dnf/yum systems without apt."""
    return (ctx.exists("/etc/dnf") or ctx.exists("/etc/yum.conf")) and not ctx.exists(
        "/etc/apt/apt.conf.d"
    )


def parse_ini(text: str) -> Dict[str, str]:
    """Return ``section.key`` values of an INI file such as /etc/dnf/automatic.conf."""
    out, section = {}, ""
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        m = re.match(r"^\[(.+)\]$", line)
        if m:
            section = m.group(1).strip()
            continue
        key, sep, value = line.partition("=")
        if sep:
            out[f"{section}.{key.strip()}"] = value.strip()
    return out


def automatic_dnf(conf: Dict[str, str], timer_enabled: bool) -> bool:
    """True when dnf-automatic's timer is enabled and it applies updates."""
    apply = conf.get("commands.apply_updates", "no").lower()
    return timer_enabled and apply in ("yes", "true", "1")


def collect(ctx) -> Updates:
    """Read dnf-automatic (or yum-cron) settings and whether its timer is enabled."""
    timers = ("dnf-automatic.timer", "dnf-automatic-install.timer")
    wants = "/etc/systemd/system/timers.target.wants"
    enabled = any(ctx.exists(f"{wants}/{t}") for t in timers)
    if ctx.exists(f"{wants}/dnf-automatic-install.timer"):
        return Updates(automatic=True, mechanism="dnf-automatic")
    conf = ctx.read_text("/etc/dnf/automatic.conf")
    if conf is not None:
        return Updates(automatic=automatic_dnf(parse_ini(conf), enabled), mechanism="dnf-automatic")
    yum = ctx.read_text("/etc/yum/yum-cron.conf")
    if yum is not None:
        values = parse_ini(yum)
        on = values.get("commands.apply_updates", "no").lower() == "yes"
        return Updates(automatic=on, mechanism="yum-cron")
    return Updates(automatic=False)
