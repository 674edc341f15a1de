"""Real package lists: this machine's dpkg database and captured Debian 12 lists in bench/data.

``debian-bookworm-pool.tsv.gz`` holds 9,000 real packages (name, version, architecture, section,
maintainer) from the Debian 12 archive index; ``profile-*.txt`` name the packages of real
installations (the dependency closure of a desktop task plus an office suite, or of a server
set). Simulated hosts take a profile, drop and add real packages, and move some versions back to
an earlier Debian revision, so every name and version is one a real machine could report.
"""

import gzip
import random
import re
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data"


@dataclass(frozen=True, slots=True)
class Pkg:
    """One real package record."""

    name: str
    version: str
    arch: str
    section: str
    maintainer: str


@cache
def pool() -> dict[str, Pkg]:
    """Return the captured Debian 12 packages by name (9,000 real packages)."""
    out: dict[str, Pkg] = {}
    with gzip.open(DATA / "debian-bookworm-pool.tsv.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("#"):
                continue
            name, version, arch, section, maintainer = line.rstrip("\n").split("\t")
            out[name] = Pkg(name, version, arch, section, maintainer)
    return out


@cache
def machine_packages() -> tuple[Pkg, ...]:
    """Return this machine's installed packages (``dpkg-query -W``), or () where dpkg is absent."""
    fmt = "${Package}\\t${Version}\\t${Architecture}\\t${Section}\\t${Maintainer}\\n"
    try:
        text = subprocess.run(
            ["dpkg-query", "-W", "-f", fmt], capture_output=True, text=True, check=True, timeout=60
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return ()
    rows = []
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) == 5 and parts[0]:
            rows.append(Pkg(*parts))
    return tuple(rows)


@cache
def profiles() -> dict[str, tuple[Pkg, ...]]:
    """Return the captured installation profiles, plus ``this-machine`` when dpkg is present."""
    p = pool()
    out = {}
    for path in sorted(DATA.glob("profile-*.txt")):
        names = [n for n in path.read_text("utf-8").splitlines() if n and not n.startswith("#")]
        out[path.stem.removeprefix("profile-")] = tuple(p[n] for n in names if n in p)
    mine = machine_packages()
    if mine:
        out["this-machine"] = mine
    return out


_REVISION = re.compile(r"^(.*-)(\d+)([^-]*)$")


def older(version: str, rng: random.Random) -> str:
    """Return an earlier version of ``version``: a lower Debian revision or patch level."""
    m = _REVISION.match(version)
    if m and int(m.group(2)) > 1:
        return f"{m.group(1)}{int(m.group(2)) - rng.randint(1, int(m.group(2)) - 1)}"
    m = re.search(r"(\d+)(\D*)$", version.split("-")[0])
    if m and int(m.group(1)) > 0:
        head = version.split("-")[0]
        lower = head[: m.start(1)] + str(int(m.group(1)) - 1) + head[m.end(1) :]
        return version.replace(head, lower, 1)
    return version


def host_packages(rng: random.Random, lo: int = 800, hi: int = 3000) -> list[Pkg]:
    """Return a realistic package list of ``lo``..``hi`` real packages for one simulated host."""
    profs = profiles()
    names = sorted(profs)
    base = list(profs[rng.choice(names)])
    # Drop some packages (removed by the user), add some from the archive (installed later).
    keep = [pk for pk in base if rng.random() > 0.06]
    extra_pool = list(pool().values())
    target = max(lo, min(hi, len(keep) + rng.randint(20, 300)))
    have = {pk.name for pk in keep}
    while len(keep) < target:
        pk = rng.choice(extra_pool)
        if pk.name not in have:
            have.add(pk.name)
            keep.append(pk)
    if len(keep) > hi:
        keep = rng.sample(keep, hi)
    # A host that is behind on updates reports earlier revisions of some packages.
    lag = rng.random() * 0.15
    return [
        Pkg(pk.name, older(pk.version, rng), pk.arch, pk.section, pk.maintainer)
        if rng.random() < lag
        else pk
        for pk in keep
    ]
