"""Flatpak applications and runtimes from ``flatpak list``."""

from typing import List

from agent.schema import Package

CATEGORY = "software.packages"

COLUMNS = "application,version,branch,arch,origin,installation"
"""The columns ``parse_flatpak_list`` reads, tab-separated, in this order."""


def is_enabled(ctx) -> bool:
    """Enabled where flatpak is installed."""
    return bool(ctx.which("flatpak"))


def parse_flatpak_list(text: str) -> List[Package]:
    """Parse ``flatpak list --columns=COLUMNS`` output (a header line, if any, is skipped)."""
    out = []
    for line in text.splitlines():
        cols = line.split("\t")
        if len(cols) < 6 or cols[0] in ("Application ID", "Application"):
            continue
        app, version, branch, arch, origin, installation = (c.strip() for c in cols[:6])
        out.append(
            Package(
                name=app,
                version=version or branch or None,
                arch=arch or None,
                source="flatpak",
                section=branch or None,
                origin=origin or None,
                scope="user" if installation == "user" else "machine",
            )
        )
    return out


def collect(ctx) -> List[Package]:
    """List system and user installations."""
    return parse_flatpak_list(ctx.run(["flatpak", "list", f"--columns={COLUMNS}"], timeout=20))
