"""Screen lock of GNOME, Cinnamon and MATE from the system dconf database (/etc/dconf/db/*.d)."""

import re
from typing import Dict, List, Optional, Set

from agent.schema import ScreenLock

CATEGORY = "security.screen_lock"

DCONF_DB = "/etc/dconf/db"
IDLE_KEY = "org/gnome/desktop/session/idle-delay"
LOCK_KEY = "org/gnome/desktop/screensaver/lock-enabled"
LOCK_DELAY_KEY = "org/gnome/desktop/screensaver/lock-delay"
ACTIVATION_KEY = "org/gnome/desktop/screensaver/idle-activation-enabled"

# GNOME's own defaults (gsettings schemas) when no system value is set.
DEFAULTS = {IDLE_KEY: "uint32 300", LOCK_KEY: "true", LOCK_DELAY_KEY: "uint32 0"}

# Other dconf desktops: (idle key, its unit in seconds, lock key, lock-delay key, defaults).
DESKTOPS = {
    "gnome": (IDLE_KEY, 1, LOCK_KEY, LOCK_DELAY_KEY, DEFAULTS),
    "cinnamon": ("org/cinnamon/desktop/session/idle-delay", 1,
                 "org/cinnamon/desktop/screensaver/lock-enabled",
                 "org/cinnamon/desktop/screensaver/lock-delay",
                 {"org/cinnamon/desktop/session/idle-delay": "uint32 0",
                  "org/cinnamon/desktop/screensaver/lock-enabled": "true"}),
    "mate": ("org/mate/screensaver/idle-delay", 60, "org/mate/screensaver/lock-enabled",
             "org/mate/screensaver/lock-delay",
             {"org/mate/screensaver/idle-delay": "10",
              "org/mate/screensaver/lock-enabled": "true"}),
}
SESSIONS = (("/usr/bin/cinnamon-session", "cinnamon"), ("/usr/bin/mate-session", "mate"),
            ("/usr/bin/gnome-shell", "gnome"))
GRAPHICAL = ("/usr/sbin/gdm3", "/usr/sbin/gdm", "/usr/sbin/lightdm", "/usr/bin/sddm",
             "/usr/bin/gnome-shell", "/usr/bin/cinnamon-session", "/usr/bin/xfce4-session")


def is_enabled(ctx) -> bool:
    """Always enabled on Linux: a machine without a desktop is reported as not applicable."""
    return True


def parse_keyfile(text: str) -> Dict[str, str]:
    """Return ``path/key`` -> value from a dconf keyfile (``[org/gnome/...]`` + ``key=value``)."""
    out, section = {}, ""
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = re.match(r"^\[(.+)\]$", line)
        if m:
            section = m.group(1).strip("/")
            continue
        key, sep, value = line.partition("=")
        if sep and section:
            out[f"{section}/{key.strip()}"] = value.strip()
    return out


def parse_locks(text: str) -> Set[str]:
    """Return the keys a dconf locks file locks (``/org/gnome/...`` one a line)."""
    return {
        line.strip().strip("/") for line in text.splitlines()
        if line.strip() and not line.strip().startswith("#")
    }


def _uint(value: Optional[str]) -> Optional[int]:
    m = re.search(r"(\d+)\s*$", value or "")
    return int(m.group(1)) if m else None


def _bool(value: Optional[str]) -> Optional[bool]:
    if value is None:
        return None
    return value.strip().lower() == "true"


def build(keyfiles: List[str], locks: List[str], graphical: bool,
          desktop: str = "gnome") -> ScreenLock:
    """Combine dconf keyfiles (in priority order, later wins) and lock files into ScreenLock."""
    if not graphical:
        return ScreenLock(applicable=False)
    idle_key, unit, lock_key, lock_delay_key, defaults = DESKTOPS[desktop]
    values = dict(defaults)
    for text in keyfiles:
        values.update(parse_keyfile(text))
    locked: Set[str] = set()
    for text in locks:
        locked |= parse_locks(text)
    idle = _uint(values.get(idle_key))
    idle = idle * unit if idle is not None else None
    lock = _bool(values.get(lock_key))
    activation = _bool(values.get(ACTIVATION_KEY)) if desktop == "gnome" else None
    enabled = bool(lock) and bool(idle) and activation is not False
    lock_delay = _uint(values.get(lock_delay_key))
    return ScreenLock(
        enabled=enabled,
        idle_delay_seconds=idle,
        lock_delay_seconds=lock_delay * unit if lock_delay is not None else None,
        enforced=idle_key in locked and lock_key in locked,
        applicable=True,
    )


def collect(ctx) -> ScreenLock:
    """Read every system dconf database's keyfiles and locks."""
    graphical = any(ctx.exists(p) for p in GRAPHICAL)
    desktop = next((d for path, d in SESSIONS if ctx.exists(path)), "gnome")
    keyfiles, locks = [], []
    for db in ctx.listdir(DCONF_DB):
        if not db.endswith(".d"):
            continue
        base = f"{DCONF_DB}/{db}"
        for name in ctx.listdir(base):
            if name == "locks":
                locks.extend(ctx.read_text(f"{base}/locks/{n}") or ""
                             for n in ctx.listdir(f"{base}/locks"))
            else:
                keyfiles.append(ctx.read_text(f"{base}/{name}") or "")
    return build(keyfiles, locks, graphical, desktop)
