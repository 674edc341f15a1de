"""Thunderbird: installed, enterprise policies present, mail domains of configured accounts."""

import glob
import re
from typing import Any, Iterable, List

from agent.schema import Mail

CATEGORY = "security.mail"

PROGRAMS = ("/usr/bin/thunderbird", "/usr/lib/thunderbird/thunderbird", "/opt/thunderbird")
POLICY_FILES = ("/etc/thunderbird/policies/policies.json",
                "/usr/lib/thunderbird/distribution/policies.json",
                "/opt/thunderbird/distribution/policies.json")
WINDOWS_PROGRAMS = ("C:/Program Files/Mozilla Thunderbird/thunderbird.exe",
                    "C:/Program Files (x86)/Mozilla Thunderbird/thunderbird.exe")
WINDOWS_POLICY_FILES = tuple(p.rsplit("/", 1)[0] + "/distribution/policies.json"
                             for p in WINDOWS_PROGRAMS)
_EMAIL = re.compile(r"[\w.+\-]+@([A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+)")


def _paths(ctx):
    """Return (programs, policy files, prefs.js globs) for the platform."""
    if ctx.platform == "win32":
        return (WINDOWS_PROGRAMS, WINDOWS_POLICY_FILES,
                ("C:/Users/*/AppData/Roaming/Thunderbird/Profiles/*/prefs.js",))
    return (PROGRAMS, POLICY_FILES,
            ("/home/*/.thunderbird/*/prefs.js", "/root/.thunderbird/*/prefs.js"))


def is_enabled(ctx) -> bool:
    """Enabled where Thunderbird or its policy file is present (Linux or Windows)."""
    programs, policies, _ = _paths(ctx)
    return any(ctx.exists(p) for p in programs + policies)


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def parse_policies(text: str) -> List[str]:
    """Return the mail domains named in a policies.json (e-mail addresses in its preferences)."""
    import json  # only where a policies.json exists: most machines have none

    data = json.loads(text)
    if not isinstance(data, dict) or not isinstance(data.get("policies"), dict):
        raise ValueError("policies.json: expected an object with a 'policies' object")
    domains = set()
    for s in _strings(data["policies"]):
        domains.update(d.lower() for d in _EMAIL.findall(s))
    return sorted(domains)


def parse_prefs(text: str) -> List[str]:
    """Return the domains of ``mail.identity.*.useremail`` in a profile's prefs.js."""
    found = re.findall(r'user_pref\("mail\.identity\.[^"]+\.useremail",\s*"([^"]*)"\);', text)
    return sorted({e.rsplit("@", 1)[1].lower() for e in found if "@" in e})


def collect(ctx) -> Mail:
    """Read the policy file and the prefs.js of every local profile."""
    programs, policy_files, profile_globs = _paths(ctx)
    present = False
    domains = set()
    for path in policy_files:
        text = ctx.read_text(path)
        if text is not None:
            present = True
            domains.update(parse_policies(text))
    for pattern in profile_globs:
        for prefs in glob.glob(ctx.path(pattern))[:50]:
            try:
                with open(prefs, encoding="utf-8", errors="replace") as fh:
                    domains.update(parse_prefs(fh.read()))
            except OSError:
                continue
    installed = any(ctx.exists(p) for p in programs)
    return Mail(
        client_installed=installed,
        client="Thunderbird" if installed else None,
        policies_present=present,
        account_domains=sorted(domains),
    )
