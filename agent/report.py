"""Assemble a report from the collectors; digests per section; delta against the last state."""

import platform
import socket
import sys
import threading
from datetime import datetime, timezone
from typing import Dict, List, Optional, Tuple, get_args, get_origin

import msgspec

from agent import __version__, collectors
from agent.collectors.context import Context
from agent.schema import (
    SCHEMA_VERSION,
    SECTIONS,
    AgentInfo,
    Antivirus,
    AntivirusProduct,
    CollectorError,
    Hardware,
    HostIdentity,
    Network,
    Office,
    OSInfo,
    Report,
    Security,
    Software,
    section_digest,
)

SERVER_CHASSIS = {"main-server-chassis", "rack-mount-chassis", "blade", "multi-system-chassis"}


_FIELDS: Dict[type, tuple] = {}


def _fields(cls) -> tuple:
    """Return ``msgspec.structs.fields(cls)``, computed once per class.

    It evaluates the class's (postponed) annotations, so it is asked only for the classes a
    report merges into, and only once each.
    """
    out = _FIELDS.get(cls)
    if out is None:
        out = _FIELDS[cls] = msgspec.structs.fields(cls)
    return out


def field_struct(cls, field: str):
    """Return the Struct class a field of ``cls`` holds (through Optional/Annotated), or None."""
    for f in _fields(cls):
        if f.name == field:
            tp = f.type
            # Unwrap Annotated[Optional[X], Meta] down to the struct class X.
            while get_origin(tp) is not None:
                args = [a for a in get_args(tp) if a is not type(None)]
                if not args:
                    break
                tp = args[0]
            if isinstance(tp, type) and issubclass(tp, msgspec.Struct):
                return tp
            return None
    raise AttributeError(f"{cls.__name__} has no field {field!r}")


def _new_value(struct, field: str):
    """Return a fresh value for an Optional struct field that is still None."""
    cls = field_struct(type(struct), field)
    if cls is None:
        raise AttributeError(f"{type(struct).__name__}.{field} is not a section one can fill")
    try:
        return cls()
    except TypeError as exc:
        raise ValueError(
            f"{type(struct).__name__}.{field} must be collected first ({exc})"
        ) from exc


def merge(current, value):
    """Merge ``value`` into ``current``: lists extend, structs merge field by field, set wins."""
    if isinstance(current, list) and isinstance(value, list):
        current.extend(value)
        return current
    if (
        isinstance(current, msgspec.Struct)
        and isinstance(value, msgspec.Struct)
        and type(current) is type(value)
    ):
        for f in _fields(type(value)):
            new = getattr(value, f.name)
            default = f.default if f.default is not msgspec.NODEFAULT else None
            if f.default_factory is not msgspec.NODEFAULT:
                default = f.default_factory()
            if new == default:
                continue
            setattr(current, f.name, merge(getattr(current, f.name), new))
        return current
    return value


def _apply(report: Report, path: str, value) -> None:
    """Put ``value`` at a dotted ``path`` of the report, merging with what is already there."""
    parts = path.split(".")
    obj = report
    for part in parts[:-1]:
        nxt = getattr(obj, part)
        if nxt is None:
            nxt = _new_value(obj, part)
            setattr(obj, part, nxt)
        obj = nxt
    current = getattr(obj, parts[-1], None)
    setattr(obj, parts[-1], merge(current, value) if current is not None else value)


def _product_key(name: str) -> str:
    return " ".join(name.lower().replace("windows defender", "microsoft defender").split())


def summarise_antivirus(av: Antivirus) -> Antivirus:
    """Merge duplicate products and fill the summary fields from the best product found."""
    merged: Dict[str, AntivirusProduct] = {}
    for p in av.products:
        key = _product_key(p.name)
        if key in merged:
            merge(merged[key], p)
        else:
            merged[key] = msgspec.structs.replace(p)
    products = list(merged.values())

    def score(p: AntivirusProduct):
        age = p.signature_age_days if p.signature_age_days is not None else 1e9
        return (bool(p.running), bool(p.realtime), -age)

    av.products = products
    av.installed = bool(products)
    if products:
        best = max(products, key=score)
        av.product = best.name
        av.running = best.running
        av.realtime = best.realtime
        av.signature_age_days = best.signature_age_days
    else:
        av.product = av.running = av.realtime = av.signature_age_days = None
        av.running = False
    return av


def _unknown_when_failed(security: Security, categories) -> None:
    """A subsection left empty because its collector failed is unknown (None), not "none"."""
    for category in categories:
        parts = category.split(".")
        if len(parts) < 2 or parts[0] != "security":
            continue
        value = getattr(security, parts[1])
        if value is not None and value == type(value)():
            setattr(security, parts[1], None)


def _fill_absent(security: Security, categories) -> None:
    """A subsection none of whose enabled collectors exists is "not installed", not "unknown"."""
    for category in categories:
        parts = category.split(".")
        if len(parts) < 2 or parts[0] != "security":
            continue
        if getattr(security, parts[1]) is None:
            setattr(security, parts[1], _new_value(security, parts[1]))


_OFFICE_SUITES = (("microsoft office", "Microsoft Office"), ("microsoft 365", "Microsoft Office"),
                  ("libreoffice", "LibreOffice"), ("wps office", "WPS Office"),
                  ("onlyoffice", "ONLYOFFICE"))
_MAIL_CLIENTS = (("mozilla thunderbird", "Thunderbird"), ("thunderbird", "Thunderbird"),
                 ("microsoft outlook", "Outlook"))


def _from_packages(security: Security, packages) -> None:
    """Where a config collector found nothing, say what the package list shows is installed."""
    names = [p.name.lower() for p in packages]

    def find(table):
        needles = tuple(needle for needle, _ in table)
        hits = [n for n in names if n.startswith(needles)]
        for needle, label in table:
            if any(n.startswith(needle) for n in hits):
                return label
        return None

    office = security.office
    if office is not None and not office.installed:
        suite = find(_OFFICE_SUITES)
        if suite:
            security.office = Office(installed=True, suite=suite)
    mail = security.mail
    if mail is not None and not mail.client_installed:
        client = find(_MAIL_CLIENTS)
        if client:
            mail.client_installed, mail.client = True, client


def _machine_id(ctx) -> Optional[str]:
    if ctx.platform == "win32":
        try:
            import winreg  # Windows only

            with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE,  # type: ignore[attr-defined]
                                r"SOFTWARE\Microsoft\Cryptography") as key:
                return str(winreg.QueryValueEx(key, "MachineGuid")[0])  # type: ignore[attr-defined]
        except (ImportError, OSError):
            return None
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


def _run_one(mod, ctx) -> Tuple[str, object]:
    try:
        if not mod.is_enabled(ctx):
            return "absent", None
        return "ok", mod.collect(ctx)
    except Exception as exc:  # one failing collector never sinks the report
        return "error", exc


def run_collectors(mods, ctx, workers: int = 4) -> List[Tuple[str, object]]:
    """Run collectors on a few threads (their commands overlap); results in module order."""
    results: List[Tuple[str, object]] = [("absent", None)] * len(mods)
    todo = list(enumerate(mods))
    lock = threading.Lock()

    def worker():
        while True:
            with lock:
                if not todo:
                    return
                i, mod = todo.pop(0)
            results[i] = _run_one(mod, ctx)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(min(workers, len(mods)))]
    for t in threads[1:]:
        t.start()
    worker()  # the calling thread works too
    for t in threads[1:]:
        t.join()
    return results


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
    absent = set()  # security subsections whose collectors ran and found nothing to look at
    failed = set()
    mods = [m for m in collectors.load(ctx.platform)
            if not only or m.__name__.rsplit(".", 1)[-1] in only]
    for mod, (outcome, value) in zip(mods, run_collectors(mods, ctx)):
        name = mod.__name__.rsplit(".", 1)[-1]
        if outcome == "absent":
            absent.add(mod.CATEGORY)
            continue
        if outcome == "ok":
            try:
                _apply(report, mod.CATEGORY, value)
                continue
            except Exception as exc:  # a result that does not fit is that collector's error
                value = exc
        failed.add(mod.CATEGORY)
        report.errors.append(
            CollectorError(
                collector=name,
                section=mod.CATEGORY.split(".")[0],
                message=f"{type(value).__name__}: {value}"[:2000],
            )
        )
    _fill_absent(report.security, absent - failed)
    _unknown_when_failed(report.security, failed)
    _from_packages(report.security, report.software.packages)
    if report.security.antivirus is not None:
        report.security.antivirus = summarise_antivirus(report.security.antivirus)
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

