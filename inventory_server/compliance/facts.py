"""The facts that policy rules test: a host's stored report sections plus cheap derived values.

The server keeps, per host, the latest report sections as plain JSON (``msgspec.to_builtins`` of
each section, datetimes as ISO-8601 strings). :func:`build_facts` turns them into one nested dict
whose dotted paths (``security.antivirus.running``) are what a rule's ``fact:`` names.
:func:`known_fact_paths` lists every valid path so the loader can refuse a typo at load time.
docs/policies.md documents the paths.
"""

from __future__ import annotations

import copy
import functools
from typing import Any

import msgspec

from agent import schema
from inventory_server.compliance.i18n import _
from inventory_server.models.software import name_key

SECTIONS = ("os", "hardware", "network", "software", "security")
"""Report sections copied into the facts (the ``software`` section is replaced by a digest)."""

HOST_FACTS = {
    "host.id": "scalar",
    "host.hostname": "scalar",
    "host.fqdn": "scalar",
    "host.role": "scalar",
    "host.platform": "scalar",
    "host.unit_code": "scalar",
    "host.unit_path": "list",
    "host.tags": "list",
}
"""Facts about the host record (not the report): identity, role, org unit and its ancestors."""

DERIVED_FACTS = {
    "software.names": "list",
    "software.versions": "dict",
    "software.count": "scalar",
    "software.licenses": "list",
    "security.antivirus.updater_running": "scalar",
    "security.screen_lock.idle_delay_minutes": "scalar",
    "security.accounts.admin_count": "scalar",
    "security.accounts.admin_names": "list",
}
"""Facts computed by :func:`build_facts` from the report (see docs/policies.md)."""


_SECTION_TYPES = {
    "os": schema.OSInfo,
    "hardware": schema.Hardware,
    "network": schema.Network,
    "software": schema.Software,
    "security": schema.Security,
}


def _default_plan(info: Any) -> Any:
    """Return how to fill omitted defaults below a type: None, or ('struct'|'list', ...)."""
    info = _unwrap(info)
    if isinstance(info, msgspec.inspect.StructType):
        fields = []
        for f in info.fields:
            sub = _default_plan(f.type)
            if f.default is not msgspec.NODEFAULT:
                default = f.default
            elif f.default_factory is not msgspec.NODEFAULT:
                default = f.default_factory()
            else:
                default = None
            if default is not None:
                # the plain-JSON default, with its own omitted defaults filled, computed once
                default = to_builtins(default)
                if sub is not None:
                    default = _fill(default, sub)
            mutable = isinstance(default, (list, dict))
            fields.append((f.name, default, mutable, sub))
        return ("struct", tuple(fields))
    if isinstance(info, msgspec.inspect.ListType):
        inner = _default_plan(info.item_type)
        return ("list", inner) if inner is not None else None
    return None


@functools.cache
def _plans() -> dict[str, Any]:
    """Return the default-filling plan of each section except software."""
    return {
        name: _default_plan(msgspec.inspect.type_info(tp))
        for name, tp in _SECTION_TYPES.items()
        if name != "software"
    }


def _prune(plan: Any, rels: list[tuple[str, ...]]) -> Any:
    """Return the part of a filling plan that the relative fact paths ``rels`` can see.

    A field no path goes through is left as stored (neither filled nor copied). Whenever a
    path names this node itself, goes through a list, or names something that is not a field
    (a derived fact computed from its siblings), the whole plan below is kept.
    """
    if plan is None or any(not r for r in rels) or plan[0] != "struct":
        return plan
    names = {f[0] for f in plan[1]}
    if any(r[0] not in names for r in rels):
        return plan
    kept = []
    for name, default, mutable, sub in plan[1]:
        below = [r[1:] for r in rels if r[0] == name]
        if below:
            kept.append((name, default, mutable, _prune(sub, below)))
    return ("struct", tuple(kept))


@functools.lru_cache(maxsize=32)
def _plans_for(paths: tuple[str, ...]) -> dict[str, Any]:
    """Return the filling plans pruned to what these fact paths can see."""
    out = {}
    for name, plan in _plans().items():
        rels = [tuple(p.split("."))[1:] for p in paths if p.split(".", 1)[0] == name]
        out[name] = _prune(plan, rels) if rels else None
    return out


def _fill(value: Any, plan: Any) -> Any:
    """Return ``value`` with the defaults the wire omitted put back (present objects only)."""
    if plan is None or value is None:
        return value
    if plan[0] == "list":
        return [_fill(v, plan[1]) for v in value] if isinstance(value, list) else value
    if not isinstance(value, dict):
        return value
    out = dict(value)
    for name, default, mutable, sub in plan[1]:
        if name in out:
            if sub is not None:
                out[name] = _fill(out[name], sub)
        elif default is not None:
            out[name] = copy.deepcopy(default) if mutable else default
    return out


def to_builtins(value: Any) -> Any:
    """Return a plain-JSON form of a schema value (structs to dicts, datetimes to strings)."""
    return msgspec.to_builtins(value)


def build_facts(
    sections: dict[str, Any], host: dict[str, Any], paths: tuple[str, ...] | None = None
) -> dict[str, Any]:
    """Return the fact tree rules are evaluated on, from stored sections and the host record.

    ``sections`` maps section names to their plain-JSON value (a missing or ``None`` section
    means "not collected"; its facts are then missing). ``host`` holds the host record: hostname,
    role, unit_code, unit_path (the unit and its ancestors, nearest first), id, tags.
    ``paths`` (the fact paths the rules read, e.g. an engine's ``fact_paths``) limits the
    filling of omitted defaults to what those paths can see; other facts are left as stored.
    """
    facts: dict[str, Any] = {}
    plans = _plans() if paths is None else _plans_for(paths)
    os_section = sections.get("os")
    for name in ("os", "hardware", "network"):
        value = sections.get(name)
        if value is not None:
            facts[name] = _fill(value, plans[name])
    software = sections.get("software")
    if software is not None:
        facts["software"] = _software_facts(software)
    security = sections.get("security")
    if security is not None:
        facts["security"] = _security_facts(_fill(security, plans["security"]))
    platform = host.get("platform")
    if platform is None and isinstance(os_section, dict):
        platform = os_section.get("family")
    unit_code = host.get("unit_code")
    unit_path = host.get("unit_path")
    if unit_path is None:
        unit_path = [unit_code] if unit_code else []
    facts["host"] = {
        "id": host.get("id"),
        "hostname": host.get("hostname"),
        "fqdn": host.get("fqdn"),
        "role": host.get("role"),
        "platform": platform,
        "unit_code": unit_code,
        "unit_path": list(unit_path),
        "tags": list(host.get("tags") or ()),
    }
    return facts


def _software_facts(software: dict[str, Any]) -> dict[str, Any]:
    """Digest the package list into a name set and a name → version map.

    The server stores packages as rows, not in the section; it passes them here as
    ``{"packages": [{"name", "version"}...], "count": n}``.
    """
    packages = software.get("packages") or ()
    versions: dict[str, Any] = {}
    for package in packages:
        name = package.get("name")
        if name:
            versions.setdefault(name_key(name), package.get("version"))
    return {
        "names": frozenset(versions),
        "versions": versions,
        "count": software.get("count", len(packages)),
        "licenses": software.get("licenses") or [],
    }


def _security_facts(security: dict[str, Any]) -> dict[str, Any]:
    """Copy the security section, adding derived values that rules test directly."""
    out = dict(security)
    antivirus = security.get("antivirus")
    if isinstance(antivirus, dict):
        flags = [p.get("updater_running") for p in antivirus.get("products") or ()]
        known = [f for f in flags if f is not None]
        if known:
            antivirus = dict(antivirus, updater_running=any(known))
            out["antivirus"] = antivirus
    screen_lock = security.get("screen_lock")
    if isinstance(screen_lock, dict) and screen_lock.get("applicable") is False:
        # No graphical session: screen-lock facts mean nothing, so its rules are not_applicable.
        out["screen_lock"] = {"applicable": False}
    elif isinstance(screen_lock, dict) and screen_lock.get("idle_delay_seconds") is not None:
        total = screen_lock["idle_delay_seconds"] + (screen_lock.get("lock_delay_seconds") or 0)
        out["screen_lock"] = dict(screen_lock, idle_delay_minutes=total / 60)
    accounts = security.get("accounts")
    if isinstance(accounts, dict):
        admins = accounts.get("administrators") or []
        # Windows names members COMPUTER\name or DOMAIN\name; allow-lists use the short name.
        names = sorted({a.rsplit("\\", 1)[-1] for a in admins if isinstance(a, str)})
        out["accounts"] = dict(accounts, admin_count=len(admins), admin_names=names)
    return out


def _unwrap(info: Any) -> Any:
    """Strip msgspec metadata and Optional from a type description."""
    while True:
        if isinstance(info, msgspec.inspect.Metadata):
            info = info.type
        elif isinstance(info, msgspec.inspect.UnionType):
            inner = [t for t in info.types if not isinstance(t, msgspec.inspect.NoneType)]
            if len(inner) != 1:
                return info
            info = inner[0]
        else:
            return info


def _struct_paths(info: Any, prefix: str, out: dict[str, str]) -> None:
    """Record the dotted paths below a msgspec type description into ``out`` (path → kind)."""
    info = _unwrap(info)
    if isinstance(info, msgspec.inspect.StructType):
        if prefix:
            out[prefix] = "object"
        for field in info.fields:
            _struct_paths(field.type, f"{prefix}.{field.name}" if prefix else field.name, out)
    elif isinstance(info, msgspec.inspect.DictType):
        out[prefix] = "dict"
    elif isinstance(info, (msgspec.inspect.ListType, msgspec.inspect.SetType)):
        out[prefix] = "list"
    else:
        out[prefix] = "scalar"


@functools.cache
def known_fact_paths() -> dict[str, str]:
    """Return every valid fact path and its kind: scalar, list, dict (any key below) or object."""
    out: dict[str, str] = {}
    for name in ("os", "hardware", "network", "security"):
        _struct_paths(msgspec.inspect.type_info(_SECTION_TYPES[name]), name, out)
    out["software"] = "object"
    out.update(DERIVED_FACTS)
    out["host"] = "object"
    out.update(HOST_FACTS)
    return out


def check_fact_path(path: str) -> str | None:
    """Return None when ``path`` names a fact, else the reason it does not."""
    known = known_fact_paths()
    if path in known:
        return None
    parts = path.split(".")
    for i in range(len(parts) - 1, 0, -1):
        kind = known.get(".".join(parts[:i]))
        if kind == "dict" and i == len(parts) - 1:
            return None
        if kind is not None:
            return _("unknown fact {path!r}: {parent!r} has no field {name!r}").format(
                path=path, parent=".".join(parts[:i]), name=parts[i]
            )
    roots = "os, hardware, network, software, security, host"
    return _("unknown fact {path!r}: it must start with one of {roots}").format(
        path=path, roots=roots
    )


def merge_patch(target: Any, patch: Any) -> Any:
    """Apply a JSON Merge Patch (RFC 7386): objects merge, null deletes, anything else replaces."""
    if not isinstance(patch, dict):
        return patch
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out
