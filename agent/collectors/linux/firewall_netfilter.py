"""Host firewall on Linux: ufw, firewalld, then the nftables/iptables default input policy."""

import os
import re
from typing import Optional

from agent.collectors.context import CommandError
from agent.schema import Firewall, FirewallProfile

CATEGORY = "security.firewall"


def is_enabled(ctx) -> bool:
    """Enabled where any of the tools exists."""
    return any(ctx.which(t) for t in ("ufw", "firewall-cmd", "nft", "iptables-save"))


def parse_ufw_status(text: str) -> Optional[Firewall]:
    """Parse ``ufw status verbose``; None when the text is not ufw's."""
    m = re.search(r"^Status:\s*(\w+)", text, re.M)
    if not m:
        return None
    active = m.group(1).lower() == "active"
    d = re.search(r"^Default:\s*(\w+)\s*\(incoming\)", text, re.M)
    actions = {"deny": "drop", "reject": "block", "allow": "allow"}
    inbound = actions.get(d.group(1).lower()) if d else None
    return Firewall(
        enabled=active and inbound in ("drop", "block"),
        backend="ufw",
        default_inbound=inbound if active else "allow",
    )


def parse_firewalld(state: str, zone_text: str) -> Firewall:
    """Parse ``firewall-cmd --state`` and ``firewall-cmd --list-all`` (the default zone)."""
    running = state.strip() == "running"
    zone = zone_text.splitlines()[0].split()[0] if zone_text.strip() else "public"
    target = re.search(r"^\s*target:\s*(\S+)", zone_text, re.M)
    tgt = (target.group(1) if target else "default").upper()
    inbound = {"ACCEPT": "allow", "DROP": "drop"}.get(tgt, "block")  # default/REJECT reject
    return Firewall(
        enabled=running and inbound != "allow",
        backend="firewalld",
        default_inbound=inbound if running else "allow",
        profiles=[FirewallProfile(name=zone, enabled=running, default_inbound=inbound)],
    )


def parse_nft_ruleset(text: str) -> Optional[Firewall]:
    """Return the input policy of ``nft list ruleset``; None when no input hook exists."""
    policies = re.findall(r"type filter hook input priority [^;]+;\s*policy (\w+);", text)
    if not policies:
        return None
    chains = re.findall(r"chain \w+ \{([^}]*)\}", text, re.S)
    restrictive = "drop" in policies or any(
        "hook input" in c and re.search(r"^\s*(drop|reject)\s*$", c, re.M) for c in chains
    )
    return Firewall(
        enabled=restrictive, backend="nftables", default_inbound="drop" if restrictive else "allow"
    )


def parse_iptables_save(text: str) -> Optional[Firewall]:
    """Return the filter table's INPUT policy from ``iptables-save``; None when not shown."""
    m = re.search(r"^:INPUT (\w+)", text, re.M)
    if not m:
        return None
    policy = m.group(1).upper()
    rejects = re.search(r"^-A INPUT .*-j (DROP|REJECT)\s*$", text, re.M)
    enabled = policy == "DROP" or bool(rejects)
    return Firewall(
        enabled=enabled, backend="iptables", default_inbound="drop" if enabled else "allow"
    )


def collect(ctx) -> Firewall:
    """Ask the front end first (ufw, firewalld), then read the kernel ruleset."""
    if ctx.which("ufw"):
        try:
            fw = parse_ufw_status(ctx.run(["ufw", "status", "verbose"], timeout=10))
            if fw and fw.enabled:
                return fw
        except CommandError:
            pass
    if ctx.which("firewall-cmd"):
        try:
            state = ctx.run(["firewall-cmd", "--state"], timeout=10, ok_codes=(0, 252))
            if state.strip() == "running":
                return parse_firewalld(state, ctx.run(["firewall-cmd", "--list-all"], timeout=10))
        except CommandError:
            pass
    if ctx.which("nft"):
        fw = parse_nft_ruleset(ctx.run(["nft", "list", "ruleset"], timeout=10))
        if fw:
            return fw
    ipt = ctx.which("iptables-save")
    # iptables-nft shows the same kernel ruleset nft just printed: only legacy iptables adds.
    if ipt and (not ctx.which("nft") or "nft" not in os.path.realpath(ipt)):
        fw = parse_iptables_save(ctx.run(["iptables-save", "-t", "filter"], timeout=10))
        if fw:
            return fw
    return Firewall(enabled=False, backend=None, default_inbound="allow")
