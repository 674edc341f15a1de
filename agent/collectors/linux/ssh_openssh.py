"""OpenSSH server: effective settings from ``sshd -T`` (root), else parsed sshd_config."""

import glob
import os
import re
from typing import Dict, Optional

from agent.collectors.context import CommandError
from agent.schema import SSHServer

CATEGORY = "security.ssh"

SSHD_CONFIG = "/etc/ssh/sshd_config"
# OpenSSH's compiled-in defaults for the settings we report (sshd_config(5)).
DEFAULTS = {"permitrootlogin": "prohibit-password", "passwordauthentication": "yes",
            "permitemptypasswords": "no", "x11forwarding": "no", "maxauthtries": "6",
            "port": "22"}


def is_enabled(ctx) -> bool:
    """Always enabled on Linux: no sshd is reported as not installed."""
    return True


def parse_sshd_t(text: str) -> Dict[str, str]:
    """Return the lower-case keyword -> value lines of ``sshd -T`` (first value wins)."""
    out: Dict[str, str] = {}
    for line in text.splitlines():
        key, _, value = line.strip().partition(" ")
        if key and not key.startswith("#"):
            out.setdefault(key.lower(), value.strip())
    return out


def parse_sshd_config(text: str, read_include=None) -> Dict[str, str]:
    """Parse sshd_config as sshd does: first value wins, Include followed, Match blocks ignored."""
    out: Dict[str, str] = {}
    in_match = False
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = re.split(r"\s+|\s*=\s*", line, maxsplit=1)
        key = parts[0].lower()
        value = parts[1].strip() if len(parts) > 1 else ""
        if key == "match":
            in_match = True
            continue
        if in_match:
            continue
        if key == "include" and read_include:
            for pattern in value.split():
                for inc in read_include(pattern):
                    for k, v in parse_sshd_config(inc, read_include).items():
                        out.setdefault(k, v)
            continue
        out.setdefault(key, value)
    return out


def _bool(value: Optional[str]) -> Optional[bool]:
    if value is None:
        return None
    return value.lower() == "yes"


def build(values: Dict[str, str], installed: bool, running: Optional[bool],
          source: str) -> SSHServer:
    """Turn keyword values (missing ones take OpenSSH defaults) into SSHServer."""
    v = dict(DEFAULTS)
    v.update(values)
    prl = v["permitrootlogin"].lower()
    if prl == "without-password":  # the old spelling sshd -T still prints
        prl = "prohibit-password"
    try:
        port = int(v["port"].split()[0])
    except (ValueError, IndexError):
        port = None
    try:
        tries = int(v["maxauthtries"])
    except ValueError:
        tries = None
    return SSHServer(
        installed=installed,
        running=running,
        permit_root_login=prl,
        password_authentication=_bool(v["passwordauthentication"]),
        permit_empty_passwords=_bool(v["permitemptypasswords"]),
        x11_forwarding=_bool(v["x11forwarding"]),
        max_auth_tries=tries,
        port=port,
        source=source,
    )


def collect(ctx) -> SSHServer:
    """Ask sshd for its effective configuration when root, else read the files."""
    sshd = ctx.which("sshd") or ("/usr/sbin/sshd" if ctx.exists("/usr/sbin/sshd") else None)
    if not sshd and not ctx.exists(SSHD_CONFIG):
        return SSHServer(installed=False)
    running = "sshd" in ctx.processes()
    if sshd and ctx.is_admin():
        try:
            text = ctx.run([sshd, "-T"], timeout=10)
            return build(parse_sshd_t(text), True, running, "sshd -T")
        except CommandError:
            pass  # e.g. missing host keys or privilege-separation dir: fall back to the files

    def read_include(pattern):
        if not os.path.isabs(pattern):
            pattern = "/etc/ssh/" + pattern
        for path in sorted(glob.glob(ctx.path(pattern))):
            try:
                with open(path, encoding="utf-8", errors="replace") as fh:
                    yield fh.read()
            except OSError:
                continue

    text = ctx.read_text(SSHD_CONFIG) or ""
    return build(parse_sshd_config(text, read_include), bool(sshd), running, "config")
