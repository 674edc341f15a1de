"""Postfix: the relayhost and TLS level outgoing mail uses (main.cf, or postconf output)."""

import re
from typing import Dict

from agent.schema import Mail

CATEGORY = "security.mail"

MAIN_CF = "/etc/postfix/main.cf"


def is_enabled(ctx) -> bool:
    """Enabled where Postfix is configured."""
    return ctx.exists(MAIN_CF)


def parse_main_cf(text: str) -> Dict[str, str]:
    """Return ``name = value`` settings of main.cf or postconf output (continuations joined)."""
    out: Dict[str, str] = {}
    key = None
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line[0].isspace() and key:
            out[key] = (out[key] + " " + line.strip()).strip()
            continue
        m = re.match(r"^([\w.\-]+)\s*=\s*(.*)$", line)
        if m:
            key = m.group(1)
            out[key] = m.group(2).strip()
    return out


def build(values: Dict[str, str]) -> Mail:
    """Turn Postfix settings into the relay part of Mail."""
    return Mail(
        relayhost=values.get("relayhost") or None,
        relay_tls=values.get("smtp_tls_security_level") or None,
    )


def collect(ctx) -> Mail:
    """Read main.cf (the settings reported have no non-empty Postfix default)."""
    return build(parse_main_cf(ctx.read_text(MAIN_CF) or ""))
