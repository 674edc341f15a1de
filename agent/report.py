"""Assemble a report from the collectors; digests per section; delta against the last state."""

import platform
import socket
import sys
from datetime import datetime, timezone
from typing import Dict, Optional

import msgspec

from agent import __version__, collectors
from agent.collectors.context import Context
from agent.schema import (
    SCHEMA_VERSION,
    SECTIONS,
    AgentInfo,
    CollectorError,
    Hardware,
    HostIdentity,
    Network,
    OSInfo,
    Report,
    Security,
    Software,
    section_digest,
)

SERVER_CHASSIS = {"main-server-chassis", "rack-mount-chassis", "blade", "multi-system-chassis"}


def _apply(report: Report, path: str, value) -> None:
    """Put ``value`` at a dotted ``path`` of the report; lists extend what is there."""
    parts = path.split(".")
    obj = report
    for part in parts[:-1]:
        obj = getattr(obj, part)
    current = getattr(obj, parts[-1], None)
    if isinstance(value, list) and isinstance(current, list):
        current.extend(value)
    else:
        setattr(obj, parts[-1], value)


def _machine_id(ctx) -> Optional[str]:
    for path in ("/etc/machine-id", "/var/lib/dbus/machine-id"):
        text = (ctx.read_text(path) or "").strip()
        if text:
            return text
    return None


def guess_role(report: Report) -> str:
    """Guess workstation or server from the OS edition and the chassis type."""
    os_name = (report.os.name if report.os else "") or ""
    if "server" in os_name.lower():
        return "server"
    chassis = report.hardware.system.chassis_type if report.hardware else None
    return "server" if chassis in SERVER_CHASSIS else "workstation"


def collect(ctx: Optional[Context] = None, role: str = "", only=None) -> Report:
    """Run every enabled collector and return a full report; failures go to ``errors``."""
    ctx = ctx or Context()
    report = Report(
        schema_version=SCHEMA_VERSION,
        kind="full",
        agent=AgentInfo(
            version=__version__, platform=sys.platform, python=platform.python_version()
        ),
        host=HostIdentity(hostname=socket.gethostname() or "unknown"),
        collected_at=datetime.now(timezone.utc).replace(microsecond=0),
        hardware=Hardware(),
        network=Network(),
        software=Software(),
        security=Security(),
    )
    for mod in collectors.load(ctx.platform):
        name = mod.__name__.rsplit(".", 1)[-1]
        if only and name not in only:
            continue
        try:
            if not mod.is_enabled(ctx):
                continue
            value = mod.collect(ctx)
            _apply(report, mod.CATEGORY, value)
        except Exception as exc:  # noqa: BLE001 - one failing collector never sinks the report
            report.errors.append(
                CollectorError(
                    collector=name,
                    section=mod.CATEGORY.split(".")[0],
                    message=f"{type(exc).__name__}: {exc}"[:2000],
                )
            )
    if report.os is None:
        report.os = OSInfo(family="other", name=platform.system() or "unknown")
    system = report.hardware.system
    report.host.machine_id = _machine_id(ctx)
    report.host.dmi_uuid = system.uuid
    report.host.serial = system.serial
    report.host.mac_addresses = sorted(
        {i.mac for i in report.network.interfaces if i.mac and not i.virtual}
    )
    report.host.role = role or guess_role(report)
    report.digests = digests(report)
    return report


def digests(report: Report) -> Dict[str, str]:
    """Return the digest of every section present in the report."""
    return {
        name: section_digest(getattr(report, name))
        for name in SECTIONS
        if getattr(report, name) is not None
    }


def make_delta(report: Report, last: Dict[str, str]) -> Report:
    """Return a delta of a full report: sections whose digest equals ``last`` are left out."""
    delta = msgspec.structs.replace(report, kind="delta")
    for name in SECTIONS:
        if last.get(name) == report.digests.get(name):
            setattr(delta, name, None)
    return delta


def with_sections(report: Report, full: Report, names) -> Report:
    """Return ``report`` with the named sections taken from ``full``."""
    out = msgspec.structs.replace(report)
    for name in names:
        if name in SECTIONS:
            setattr(out, name, getattr(full, name))
    return out

