"""Debian packages from dpkg's status database; install dates from dpkg's file lists; the
origin of packages that come from third-party apt repositories."""

import re
from datetime import datetime, timezone
from typing import Dict, Iterator, List, Optional, Tuple

from agent.schema import Package

CATEGORY = "software.packages"

STATUS_FILE = "/var/lib/dpkg/status"
INFO_DIR = "/var/lib/dpkg/info"
LISTS_DIR = "/var/lib/apt/lists"
# Archives of the distribution itself; packages from any other origin are third party.
DISTRO_ORIGINS = {"debian", "ubuntu", "devuan", "raspbian", "linuxmint", "linux mint", "kali",
                  "canonical"}
MAX_LIST_BYTES = 8 * 1024 * 1024  # third-party lists are small; the distribution's are skipped


def is_enabled(ctx) -> bool:
    """Enabled where dpkg's database exists."""
    return ctx.exists(STATUS_FILE)


def iter_paragraphs(text: str) -> Iterator[Dict[str, str]]:
    """Yield each RFC-822-style paragraph of a dpkg database as a field mapping."""
    fields: Dict[str, str] = {}
    key = None
    for line in text.splitlines():
        if not line.strip():
            if fields:
                yield fields
            fields, key = {}, None
        elif line[0] in " \t":
            if key is not None and key != "Description":
                fields[key] += "\n" + line.strip()
        else:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    if fields:
        yield fields


def _size(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


_FIELD = re.compile(
    r"^(Package|Status|Version|Architecture|Maintainer|Section|Origin|Installed-Size):[ \t]*(.*)$",
    re.M,
)
# The same fields over a whole database in one pass (its text preceded by a newline): a field
# line gives (name, value); the first newline of a blank line, which ends a paragraph, gives
# ("", ""). Continuation lines start with a space and match neither.
_FIELD_OR_END = re.compile(
    r"\n(?:(Package|Status|Version|Architecture|Maintainer|Section|Origin|Installed-Size)"
    r":[ \t]*([^\n]*)|(?=\n))"
)


def _installed(f: Dict[str, str]) -> Optional[Package]:
    """Return the package a paragraph's fields describe if its status is ``... installed``."""
    status = f.get("Status", "").split()
    if len(status) != 3 or status[2] != "installed" or not f.get("Package"):
        return None
    return Package(
        name=f["Package"],
        version=f.get("Version") or None,
        arch=f.get("Architecture") or None,
        source="deb",
        publisher=f.get("Maintainer") or None,
        section=f.get("Section") or None,
        origin=f.get("Origin") or None,
        size_kb=_size(f.get("Installed-Size")),
    )


def parse_status(text: str) -> List[Package]:
    """Return the installed packages (status ``... installed``) in a dpkg status file."""
    out = []
    fields: Dict[str, str] = {}
    # One regular-expression pass over the file rather than one per paragraph: a status file
    # of a thousand packages is about 1 MB and this is the agent's largest parse.
    for key, value in _FIELD_OR_END.findall("\n" + text):
        if key:
            fields[key] = value
        elif fields:
            pkg = _installed(fields)
            if pkg is not None:
                out.append(pkg)
            fields = {}
    pkg = _installed(fields) if fields else None
    if pkg is not None:
        out.append(pkg)
    return out


def _paragraph_starts(text: str, head: str) -> Iterator[int]:
    """Yield where a paragraph of a dpkg database starts with ``head``.

    A paragraph starts the text or follows a blank line; as ``text.split("\\n\\n")`` reads
    it, a run of newlines holds one separator per pair, so the paragraph after an odd run
    starts with a newline instead.
    """
    i = text.find(head)
    while i >= 0:
        run = 0
        while run < i and text[i - run - 1] == "\n":
            run += 1
        if run % 2 == 0 and (run or i == 0):
            yield i
        i = text.find(head, i + 1)


def package_version(text: str, name: str) -> Optional[str]:
    """Return the installed version of one package from dpkg's status text, or None."""
    paragraphs = []
    for start in _paragraph_starts(text, f"Package: {name}\n"):
        end = text.find("\n\n", start)
        paragraphs.append(text[start:] if end < 0 else text[start:end])
    for pkg in parse_status("\n\n".join(paragraphs)):
        if pkg.name == name:
            return pkg.version
    return None


def parse_release(text: str) -> Optional[str]:
    """Return the Origin field of an apt Release/InRelease file, or None."""
    m = re.search(r"^Origin:[ \t]*(.+)$", text, re.M)
    return m.group(1).strip() if m else None


def parse_packages_index(text: str) -> List[Tuple[str, str]]:
    """Return the (Package, Version) pairs an apt Packages index lists."""
    out = []
    for para in text.split("\n\n"):
        f = dict(_FIELD.findall(para))
        if f.get("Package") and f.get("Version"):
            out.append((f["Package"], f["Version"]))
    return out


def third_party_origins(ctx) -> Dict[Tuple[str, str], str]:
    """Map (package, version) to the Origin of every non-distribution apt repository."""
    names = ctx.listdir(LISTS_DIR)
    out: Dict[Tuple[str, str], str] = {}
    for release in names:
        if not release.endswith(("_InRelease", "_Release")):
            continue
        origin = parse_release(ctx.read_text(f"{LISTS_DIR}/{release}", limit=65536) or "")
        if not origin or origin.lower() in DISTRO_ORIGINS:
            continue
        prefix = release.rsplit("_", 1)[0] + "_"
        for index in names:
            if not (index.startswith(prefix) and index.endswith("_Packages")):
                continue
            path = f"{LISTS_DIR}/{index}"
            text = ctx.read_text(path, limit=MAX_LIST_BYTES + 1) or ""
            if len(text) > MAX_LIST_BYTES:
                continue
            for key in parse_packages_index(text):
                out.setdefault(key, origin)
    return out


def collect(ctx) -> List[Package]:
    """Read the dpkg status file; install dates come from each package's .list file."""
    text = ctx.read_text(STATUS_FILE)
    if text is None:
        raise OSError(f"cannot read {STATUS_FILE}")
    packages = parse_status(text)
    origins = third_party_origins(ctx)
    if origins:
        for p in packages:
            p.origin = origins.get((p.name, p.version or ""), p.origin)
    # A Multi-Arch: same package's list is name:arch.list, any other's name.list.
    stamps = ctx.mtimes(INFO_DIR, [f"{p.name}:{p.arch}.list" for p in packages])
    missing = [i for i, ts in enumerate(stamps) if ts is None]
    for i, ts in zip(missing, ctx.mtimes(INFO_DIR, [f"{packages[i].name}.list" for i in missing])):
        stamps[i] = ts
    for p, ts in zip(packages, stamps):
        if ts:
            p.install_date = datetime.fromtimestamp(int(ts), tz=timezone.utc)
    return packages
