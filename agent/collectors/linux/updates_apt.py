"""Debian/Ubuntu updates: unattended-upgrades, last apt run, pending updates, reboot required."""

import re
from datetime import datetime, timezone
from typing import Dict, Optional

from agent.schema import Updates

CATEGORY = "security.updates"

APT_CONF_DIR = "/etc/apt/apt.conf.d"
HISTORY = "/var/log/apt/history.log"


def is_enabled(ctx) -> bool:
    """Enabled where apt is configured."""
    return ctx.exists(APT_CONF_DIR)


def parse_apt_conf(text: str) -> Dict[str, str]:
    """Return ``Name "value";`` settings of an apt.conf fragment (comments dropped)."""
    text = re.sub(r"//[^\n]*|/\*.*?\*/", "", text, flags=re.S)
    return dict(re.findall(r'([\w:\-]+)\s+"([^"]*)"\s*;', text))


def automatic(settings: Dict[str, str]) -> bool:
    """True when APT::Periodic enables unattended-upgrade and package-list updates."""
    def on(key):
        return settings.get(key, "0").strip() not in ("0", "", "false", "no")

    return on("APT::Periodic::Unattended-Upgrade") and on("APT::Periodic::Update-Package-Lists")


def parse_history(text: str) -> Optional[datetime]:
    """Return the last End-Date in apt's history.log (the last time apt changed packages)."""
    last = None
    for block in text.split("\n\n"):
        m = re.search(r"^End-Date:\s*(\d{4})-(\d{2})-(\d{2})\s+(\d{2}):(\d{2}):(\d{2})",
                      block, re.M)
        if m:
            # int() rather than strptime: _strptime costs more to import than this whole parse.
            stamp = datetime(*(int(g) for g in m.groups()))
            last = stamp.astimezone(timezone.utc)  # history.log is in local time
    return last


def parse_updates_available(text: str) -> Dict[str, int]:
    """Parse update-notifier's updates-available (``N updates can be applied``)."""
    out = {}
    m = re.search(r"(\d+)\s+(?:updates|packages) can be (?:applied|updated)", text)
    if m:
        out["pending"] = int(m.group(1))
    m = re.search(r"(\d+)\s+(?:of these updates are|updates are)\s+(?:standard\s+)?security", text)
    if m:
        out["pending_security"] = int(m.group(1))
    return out


def _last_apt_run(ctx) -> Optional[datetime]:
    """Read history.log, or the last rotated one when logrotate has just emptied it."""
    last = parse_history(ctx.read_text(HISTORY) or "")
    if last is None:
        last = parse_history(ctx.read_text(HISTORY + ".1") or "")
    if last is None and ctx.exists(HISTORY + ".1.gz"):
        import gzip

        try:
            with gzip.open(ctx.path(HISTORY + ".1.gz"), "rt", encoding="utf-8",
                           errors="replace") as fh:
                last = parse_history(fh.read(16 * 1024 * 1024))
        except (OSError, EOFError):
            last = None
    return last


def collect(ctx) -> Updates:
    """Read apt's periodic settings, its history and update-notifier's cached counts."""
    settings: Dict[str, str] = {}
    for name in ctx.listdir(APT_CONF_DIR):
        settings.update(parse_apt_conf(ctx.read_text(f"{APT_CONF_DIR}/{name}") or ""))
    installed = ctx.exists("/usr/bin/unattended-upgrade")
    last = _last_apt_run(ctx)
    counts = parse_updates_available(
        ctx.read_text("/var/lib/update-notifier/updates-available") or ""
    )
    return Updates(
        automatic=installed and automatic(settings),
        mechanism="unattended-upgrades" if installed else None,
        last_update=last,
        pending=counts.get("pending"),
        pending_security=counts.get("pending_security"),
        reboot_required=ctx.exists("/var/run/reboot-required"),
    )
