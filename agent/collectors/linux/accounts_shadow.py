"""Local accounts (passwd, group, shadow) and password policy (login.defs, pwquality)."""

import re
from typing import Dict, List, Optional

from agent.schema import Accounts, LocalUser

CATEGORY = "security.accounts"

ADMIN_GROUPS = ("sudo", "wheel", "admin")
NOLOGIN_SHELLS = ("/usr/sbin/nologin", "/sbin/nologin", "/bin/false", "/usr/bin/false", "/bin/sync")


def is_enabled(ctx) -> bool:
    """Enabled where /etc/passwd exists."""
    return ctx.exists("/etc/passwd")


def parse_passwd(text: str) -> List[Dict[str, str]]:
    """Return passwd entries as mappings (name, uid, gid, home, shell)."""
    out = []
    for line in text.splitlines():
        parts = line.split(":")
        if len(parts) >= 7 and parts[0] and not line.startswith(("#", "+", "-")):
            out.append({"name": parts[0], "uid": parts[2], "gid": parts[3], "home": parts[5],
                        "shell": parts[6]})
    return out


def parse_group(text: str) -> Dict[str, Dict[str, object]]:
    """Return groups as name -> {gid, members}."""
    out: Dict[str, Dict[str, object]] = {}
    for line in text.splitlines():
        parts = line.split(":")
        if len(parts) >= 4 and parts[0]:
            members = [m for m in parts[3].split(",") if m]
            out[parts[0]] = {"gid": parts[2], "members": members}
    return out


def parse_shadow(text: str) -> Dict[str, bool]:
    """Return name -> locked (password field starts with ``!`` or ``*``)."""
    out = {}
    for line in text.splitlines():
        parts = line.split(":")
        if len(parts) >= 2 and parts[0]:
            out[parts[0]] = parts[1].startswith(("!", "*"))
    return out


def parse_login_defs(text: str) -> Dict[str, str]:
    """Return login.defs settings (KEY value)."""
    out = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 2 and not parts[0].startswith("#"):
            out[parts[0]] = parts[1]
    return out


def parse_pwquality(text: str) -> Optional[int]:
    """Return ``minlen`` from pwquality.conf (or a pam_pwquality line), or None when unset."""
    found = None
    for line in text.splitlines():
        line = line.split("#", 1)[0]
        m = re.search(r"\bminlen\s*=\s*(\d+)", line)
        if m:
            found = int(m.group(1))
    return found


def _int(value) -> Optional[int]:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def build(passwd: str, group: str, shadow: str, login_defs: str, pwquality: str,
          uid_min: int = 1000) -> Accounts:
    """Combine the file contents into Accounts (pure; the collector only reads files)."""
    users = parse_passwd(passwd)
    groups = parse_group(group)
    locked = parse_shadow(shadow)
    defs = parse_login_defs(login_defs)
    uid_min = _int(defs.get("UID_MIN")) or uid_min
    gid_to_group = {g["gid"]: name for name, g in groups.items()}
    admins = set()
    for gname in ADMIN_GROUPS:
        if gname in groups:
            admins.update(groups[gname]["members"])  # type: ignore[arg-type]
            admins.update(u["name"] for u in users if gid_to_group.get(u["gid"]) == gname)
    uid0 = [u["name"] for u in users if u["uid"] == "0"]
    human = []
    for u in users:
        uid = _int(u["uid"])
        if uid is None or u["shell"] in NOLOGIN_SHELLS or (uid != 0 and uid < uid_min):
            continue
        if uid == 65534:
            continue
        human.append(
            LocalUser(
                name=u["name"], uid=u["uid"], admin=u["name"] in admins or uid == 0,
                disabled=locked.get(u["name"]), shell=u["shell"] or None,
            )
        )
    max_days = _int(defs.get("PASS_MAX_DAYS"))
    minlen = parse_pwquality(pwquality)
    if minlen is None:
        minlen = _int(defs.get("PASS_MIN_LEN"))
    return Accounts(
        users=human,
        administrators=sorted(admins),
        uid0=uid0,
        password_min_length=minlen,
        password_max_days=max_days if max_days is not None and max_days >= 0 else None,
    )


def collect(ctx) -> Accounts:
    """Read the account databases and password policy files."""
    pwq = (ctx.read_text("/etc/security/pwquality.conf") or "") + "\n" + "\n".join(
        ctx.read_text(f"/etc/security/pwquality.conf.d/{n}") or ""
        for n in ctx.listdir("/etc/security/pwquality.conf.d")
    )
    pam = ctx.read_text("/etc/pam.d/common-password") or ctx.read_text("/etc/pam.d/system-auth")
    pam_lines = "\n".join(line for line in (pam or "").splitlines() if "pam_pwquality" in line)
    return build(
        ctx.read_text("/etc/passwd") or "",
        ctx.read_text("/etc/group") or "",
        ctx.read_text("/etc/shadow") or "",
        ctx.read_text("/etc/login.defs") or "",
        pwq + "\n" + pam_lines,
    )
