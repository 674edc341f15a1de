"""Version comparison for software search, following dpkg's algorithm (works for RPM and Windows).

``7.4.7.2`` < ``7.5``; ``4:7.4.7-1`` compared with ``7.5`` ignores the epoch and revision the
query does not give, which is what a person asking for "older than 7.5" means.
"""

import re

_OPS = {
    "lt": lambda c: c < 0,
    "le": lambda c: c <= 0,
    "gt": lambda c: c > 0,
    "ge": lambda c: c >= 0,
    "eq": lambda c: c == 0,
}
OPERATORS = tuple(_OPS)


def _order(ch: str) -> int:
    if ch.isdigit():
        return 0
    if ch.isalpha():
        return ord(ch)
    if ch == "~":
        return -1
    return ord(ch) + 256 if ch else 0


def _verrevcmp(a: str, b: str) -> int:
    """Compare two upstream versions or revisions the way dpkg does."""
    i = j = 0
    while i < len(a) or j < len(b):
        first_diff = 0
        while (i < len(a) and not a[i].isdigit()) or (j < len(b) and not b[j].isdigit()):
            ac = _order(a[i]) if i < len(a) else 0
            bc = _order(b[j]) if j < len(b) else 0
            if ac != bc:
                return ac - bc
            i += 1
            j += 1
        while i < len(a) and a[i] == "0":
            i += 1
        while j < len(b) and b[j] == "0":
            j += 1
        while i < len(a) and a[i].isdigit() and j < len(b) and b[j].isdigit():
            if not first_diff:
                first_diff = ord(a[i]) - ord(b[j])
            i += 1
            j += 1
        if i < len(a) and a[i].isdigit():
            return 1
        if j < len(b) and b[j].isdigit():
            return -1
        if first_diff:
            return first_diff
    return 0


def split(version: str) -> tuple[int, str, str]:
    """Split ``epoch:upstream-revision`` into its parts (missing parts are 0 / "")."""
    epoch, upstream, revision = 0, version.strip(), ""
    m = re.match(r"^(\d+):(.*)$", upstream)
    if m:
        epoch, upstream = int(m.group(1)), m.group(2)
    if "-" in upstream:
        upstream, _, revision = upstream.rpartition("-")
    return epoch, upstream, revision


def compare(a: str, b: str) -> int:
    """Return <0, 0 or >0 as version ``a`` is older than, equal to or newer than ``b``."""
    ea, ua, ra = split(a)
    eb, ub, rb = split(b)
    if ea != eb:
        return ea - eb
    return _verrevcmp(ua, ub) or _verrevcmp(ra, rb)


def matches(installed: str | None, op: str, wanted: str) -> bool:
    """Return True when ``installed`` satisfies ``op wanted``; parts ``wanted`` omits are ignored.

    With ``eq``, ``7.4`` also matches ``7.4.7.2`` (the query names a release line).
    """
    if not installed:
        return False
    epoch, upstream, revision = split(installed)
    candidate = (f"{epoch}:" if ":" in wanted else "") + upstream
    if split(wanted)[2]:
        candidate += f"-{revision}"
    if op == "eq" and (candidate == wanted or candidate.startswith(wanted + ".")):
        return True
    return _OPS[op](compare(candidate, wanted))
