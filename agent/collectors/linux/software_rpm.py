"""RPM packages from ``rpm -qa`` (RHEL, Rocky, AlmaLinux, Fedora, SUSE)."""

from datetime import datetime, timezone
from typing import List

from agent.schema import Package

CATEGORY = "software.packages"

QUERY_FORMAT = (
    "%{NAME}\\t%{EPOCH}\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\t%{VENDOR}\\t%{INSTALLTIME}"
    "\\t%{GROUP}\\t%{LICENSE}\\n"
)
"""The query format whose output ``parse_query`` reads (tab-separated, one package a line)."""


def is_enabled(ctx) -> bool:
    """Enabled where rpm exists and has a database (not Debian's rpm tool on an empty DB)."""
    return bool(ctx.which("rpm")) and (
        ctx.exists("/var/lib/rpm") or ctx.exists("/usr/lib/sysimage/rpm")
    ) and not ctx.exists("/var/lib/dpkg/status")


def _none(value):
    return None if value in ("", "(none)", "Unspecified") else value


def parse_query(text: str) -> List[Package]:
    """Parse ``rpm -qa --queryformat QUERY_FORMAT`` output."""
    out = []
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) < 9 or not parts[0] or parts[0] == "gpg-pubkey":
            continue
        name, epoch, version, release, arch, vendor, itime, group, lic = parts[:9]
        full = f"{version}-{release}" if _none(release) else version
        if _none(epoch):
            full = f"{epoch}:{full}"
        try:
            installed = datetime.fromtimestamp(int(itime), tz=timezone.utc)
        except ValueError:
            installed = None
        out.append(
            Package(
                name=name,
                version=full,
                arch=_none(arch),
                source="rpm",
                publisher=_none(vendor),
                install_date=installed,
                section=_none(group),
                license=_none(lic),
            )
        )
    return out


def collect(ctx) -> List[Package]:
    """Query the RPM database."""
    return parse_query(ctx.run(["rpm", "-qa", "--queryformat", QUERY_FORMAT], timeout=60))
