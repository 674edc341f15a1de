"""Windows local accounts, members of Administrators (S-1-5-32-544) and ``net accounts`` policy."""

import re
from typing import Any, List, Optional

from agent.collectors import pwsh
from agent.schema import Accounts, LocalUser

CATEGORY = "security.accounts"

SCRIPT = r"""
$ErrorActionPreference = 'SilentlyContinue'
$admins = Get-LocalGroupMember -SID 'S-1-5-32-544' | Select-Object Name,
  @{n='SID';e={$_.SID.Value}}, @{n='ObjectClass';e={[string]$_.ObjectClass}},
  @{n='PrincipalSource';e={[string]$_.PrincipalSource}}
$users = Get-LocalUser | Select-Object Name, @{n='SID';e={$_.SID.Value}}, Enabled, LastLogon
[pscustomobject]@{
  Administrators = @($admins); Users = @($users); NetAccounts = ((net accounts) -join "`n")
} | ConvertTo-Json -Compress -Depth 4
"""

# ``net accounts`` labels are translated on localised Windows but their order is fixed.
NET_ACCOUNTS_ORDER = ("force_logoff", "min_age", "max_age", "min_length", "history",
                      "lockout_threshold", "lockout_duration", "lockout_window")


def is_enabled(ctx) -> bool:
    """Enabled on Windows."""
    return ctx.platform == "win32"


def _num(value: Optional[str]) -> Optional[int]:
    m = re.match(r"^\s*(\d+)", value or "")
    return int(m.group(1)) if m else None


def parse_net_accounts(text: str) -> dict:
    """Return ``net accounts`` values by position (labels may be in any language)."""
    values = [line.split(":", 1)[1].strip() for line in text.splitlines()
              if ":" in line and line.split(":", 1)[1].strip()]
    return dict(zip(NET_ACCOUNTS_ORDER, values))


def _short(name: Any) -> str:
    return (pwsh.text(name) or "").split("\\")[-1]


def parse_accounts(text: str) -> Accounts:
    """Turn the script's JSON into Accounts (users, administrators, password policy)."""
    data = pwsh.loads(text) or {}
    admins = [pwsh.text(a.get("Name")) or "" for a in pwsh.as_list(data.get("Administrators"))]
    admin_short = {_short(a).lower() for a in admins}
    users: List[LocalUser] = []
    for u in pwsh.as_list(data.get("Users")):
        name = pwsh.text(u.get("Name"))
        if not name:
            continue
        users.append(LocalUser(
            name=name, uid=pwsh.text(u.get("SID")), admin=name.lower() in admin_short,
            disabled=not bool(u.get("Enabled")), last_login=pwsh.date(u.get("LastLogon")),
        ))
    net = parse_net_accounts(pwsh.text(data.get("NetAccounts")) or "")
    threshold = net.get("lockout_threshold")
    return Accounts(
        users=users,
        administrators=sorted(a for a in admins if a),
        password_min_length=_num(net.get("min_length")),
        password_max_days=_num(net.get("max_age")),  # "Unlimited" -> None
        lockout_threshold=_num(threshold) if _num(threshold) is not None else (
            0 if threshold else None),
    )


def collect(ctx) -> Accounts:
    """Read local users, Administrators and the password policy."""
    return parse_accounts(ctx.powershell(SCRIPT, timeout=60))
