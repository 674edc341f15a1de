"""Snap packages from ``snap list`` (Ubuntu and others with snapd)."""

from typing import List

from agent.schema import Package

CATEGORY = "software.packages"


def is_enabled(ctx) -> bool:
    """Enabled where snap is installed and snapd has state."""
    return bool(ctx.which("snap")) and ctx.exists("/var/lib/snapd/state.json")


def parse_snap_list(text: str) -> List[Package]:
    """Parse ``snap list`` columns: Name Version Rev Tracking Publisher Notes."""
    out = []
    for line in text.splitlines():
        cols = line.split()
        if len(cols) < 5 or cols[0] == "Name":
            continue
        name, version, _rev, tracking, publisher = cols[:5]
        notes = cols[5] if len(cols) > 5 else ""
        if "disabled" in notes.split(","):
            continue
        publisher = publisher.rstrip("*✓") or None
        out.append(
            Package(
                name=name,
                version=version,
                source="snap",
                publisher=None if publisher == "-" else publisher,
                section=None if tracking == "-" else tracking,
                origin="snapcraft",
            )
        )
    return out


def collect(ctx) -> List[Package]:
    """Ask snapd for the installed snaps."""
    argv = ["snap", "list", "--color=never", "--unicode=never"]
    return parse_snap_list(ctx.run(argv, timeout=15))
