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


def parse_status(text: str) -> List[Package]:
    """Return the installed packages (status ``... installed``) in a dpkg status file."""
    out = []
    for para in text.split("\n\n"):
        if "installed" not in para:
            continue
        f = dict(_FIELD.findall(para))
        status = f.get("Status", "").split()
        if len(status) != 3 or status[2] != "installed" or not f.get("Package"):
            continue
        out.append(
            Package(
                name=f["Package"],
                version=f.get("Version") or None,
                arch=f.get("Architecture") or None,
                source="deb",
                publisher=f.get("Maintainer") or None,
                section=f.get("Section") or None,
                origin=f.get("Origin") or None,
                size_kb=_size(f.get("Installed-Size")),
            )
        )
    return out


def package_version(text: str, name: str) -> Optional[str]:
    """Return the installed version of one package from dpkg's status text, or None."""
    for pkg in parse_status(
        "\n\n".join(p for p in text.split("\n\n") if p.startswith(f"Package: {name}\n"))
    ):
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
    lists = set(ctx.listdir(INFO_DIR))  # one directory read instead of a failed stat each
    for p in packages:
        name = f"{p.name}:{p.arch}.list"
        if name not in lists:
            name = f"{p.name}.list"
            if name not in lists:
                continue
        ts = ctx.mtime(f"{INFO_DIR}/{name}")
        if ts:
            p.install_date = datetime.fromtimestamp(int(ts), tz=timezone.utc)
    return packages
