"""Evaluate compiled policy packs against host facts, fast, with evidence.

:class:`Engine` compiles packs once: every fact path used by any rule gets an index, each rule
becomes a tuple (value index, operator function, expected value or param name, ...). Evaluating
a host resolves each path once, then runs the rule tuples; no path strings are looked up per rule.

Aggregation follows Wazuh SCA, with ``error`` ranking above ``not_applicable``:

* ``all``: fail if any rule fails, else error if any errs, else not_applicable if any is, else pass;
* ``any``: pass if any rule passes, else error, else not_applicable, else fail;
* ``none``: fail if any rule passes, else error, else not_applicable, else pass.

A missing fact (absent or null) makes its rule not_applicable, or fail with ``missing: fail``;
``exists`` is never not_applicable. A value of the wrong type for its operator makes the rule
``error`` (and so the check, unless another rule decides it).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, NamedTuple

from inventory_server.compliance.loader import Pack

PASS = "pass"  # noqa: S105 - a result status, not a password
FAIL = "fail"
NOT_APPLICABLE = "not_applicable"
ERROR = "error"
STATUSES = (PASS, FAIL, NOT_APPLICABLE, ERROR)
"""Every check result status."""

MISSING: Any = type("Missing", (), {"__repr__": lambda self: "MISSING"})()
"""Sentinel for a fact that is absent or null."""

SUMMARY_LIMIT = 20
"""Collections longer than this appear in evidence as their size only."""

_TIME_KEY = "\0now"  # never a fact path (paths are validated), used to cache parsed timestamps


class CheckResult(NamedTuple):
    """The result of one check on one host."""

    pack_id: str
    check_id: str
    status: str
    evidence: list[dict[str, Any]]


def _number(a: Any) -> Any:
    """Return ``a`` when it is an int or float (not bool); raise TypeError otherwise."""
    if type(a) is bool or not isinstance(a, (int, float)):
        raise TypeError("not a number")
    return a


def _eq(a: Any, e: Any, now: float) -> bool:
    if type(a) is bool or type(e) is bool:
        return a is e
    return a == e


def _ne(a: Any, e: Any, now: float) -> bool:
    return not _eq(a, e, now)


def _lt(a: Any, e: Any, now: float) -> bool:
    return _number(a) < e


def _le(a: Any, e: Any, now: float) -> bool:
    return _number(a) <= e


def _gt(a: Any, e: Any, now: float) -> bool:
    return _number(a) > e


def _ge(a: Any, e: Any, now: float) -> bool:
    return _number(a) >= e


def _in(a: Any, e: Any, now: float) -> bool:
    if isinstance(a, (list, dict, set, frozenset)):
        raise TypeError("a collection is not a member")
    return a in e


def _not_in(a: Any, e: Any, now: float) -> bool:
    return not _in(a, e, now)


def _contains(a: Any, e: Any, now: float) -> bool:
    if isinstance(a, (frozenset, list, set, dict, tuple)) or (
        isinstance(a, str) and isinstance(e, str)
    ):
        return e in a
    raise TypeError("not a collection or string")


def _matches(a: Any, e: Any, now: float) -> bool:
    if isinstance(a, str):
        return e.search(a) is not None
    if isinstance(a, (list, frozenset, set, tuple)):
        return any(isinstance(x, str) and e.search(x) is not None for x in a)
    raise TypeError("not a string")


def _timestamp(a: Any) -> float:
    """Return a POSIX timestamp for an ISO-8601 string, datetime or number."""
    if isinstance(a, str):
        a = datetime.fromisoformat(a)
    if isinstance(a, datetime):
        if a.tzinfo is None:
            a = a.replace(tzinfo=UTC)
        return a.timestamp()
    return float(_number(a))


def _age_le(a: Any, e: Any, now: float) -> bool:
    return now - _timestamp(a) <= e * 86400.0


def _subset_of(a: Any, e: Any, now: float) -> bool:
    if isinstance(a, (list, tuple, set, frozenset)):
        return frozenset(a).issubset(e)
    raise TypeError("not a list")


OPERATORS = {
    "eq": _eq,
    "ne": _ne,
    "lt": _lt,
    "le": _le,
    "gt": _gt,
    "ge": _ge,
    "in": _in,
    "not_in": _not_in,
    "contains": _contains,
    "matches": _matches,
    "exists": None,
    "age_le": _age_le,
    "subset_of": _subset_of,
}
"""Operator name → function(actual, expected, now) -> bool (``exists`` is handled inline)."""

_ERRORS = (TypeError, ValueError, AttributeError, OverflowError)


def summarize(value: Any) -> Any:
    """Return a JSON-ready, bounded form of a fact value for evidence."""
    if value is MISSING:
        return None
    if isinstance(value, (frozenset, set)):
        if len(value) > SUMMARY_LIMIT:
            return {"count": len(value)}
        return sorted(value, key=str)
    if isinstance(value, (list, tuple)):
        if len(value) > SUMMARY_LIMIT:
            return {"count": len(value)}
        return list(value)
    if isinstance(value, dict):
        if len(value) > SUMMARY_LIMIT:
            return {"count": len(value)}
        return value
    return value


def _frozen(value: Any) -> Any:
    """Return a frozenset for a list of hashable values (faster membership), else the value."""
    if isinstance(value, list):
        try:
            return frozenset(value)
        except TypeError:
            return value
    return value


# rule tuple fields
_IDX, _FN, _CONST, _PARAM, _MISSING_FAILS, _EXISTS, _FACT, _OP = range(8)


class _CompiledCheck(NamedTuple):
    check_id: str
    platforms: frozenset[str] | None
    roles: frozenset[str] | None
    condition: str
    rules: tuple[tuple[Any, ...], ...]


class _CompiledPack(NamedTuple):
    pack: Pack
    platforms: frozenset[str] | None
    roles: frozenset[str] | None
    units: frozenset[str] | None
    checks: tuple[_CompiledCheck, ...]


class Engine:
    """Packs compiled for evaluation; thread-safe and reusable across hosts."""

    def __init__(self, packs: Iterable[Pack]):
        self.packs: tuple[Pack, ...] = tuple(packs)
        index: dict[str, int] = {}
        for path in ("host.platform", "host.role", "host.unit_path"):
            index[path] = len(index)
        compiled = []
        for pack in self.packs:
            checks = []
            for check in pack.checks:
                rules = []
                for rule in check.rules:
                    idx = index.setdefault(rule.fact, len(index))
                    const = rule.pattern if rule.op == "matches" else _frozen(rule.value)
                    if rule.op in ("eq", "ne", "contains"):
                        const = rule.value
                    rules.append(
                        (
                            idx,
                            OPERATORS[rule.op],
                            const,
                            rule.param,
                            rule.missing == "fail",
                            rule.op == "exists",
                            rule.fact,
                            rule.op,
                        )
                    )
                checks.append(
                    _CompiledCheck(
                        check.id,
                        frozenset(check.platforms) if check.platforms else None,
                        frozenset(check.roles) if check.roles else None,
                        check.condition,
                        tuple(rules),
                    )
                )
            applies = pack.applies_to
            compiled.append(
                _CompiledPack(
                    pack,
                    frozenset(applies["platform"]) if applies.get("platform") else None,
                    frozenset(applies["role"]) if applies.get("role") else None,
                    frozenset(applies["unit"]) if applies.get("unit") else None,
                    tuple(checks),
                )
            )
        self._compiled = tuple(compiled)
        self._paths = tuple(tuple(p.split(".")) for p in index)
        self.fact_paths: tuple[str, ...] = tuple(index)
        self.defaults: dict[str, dict[str, Any]] = {p.id: dict(p.params) for p in self.packs}

    def params_for(self, overrides: Mapping[str, Mapping[str, Any]] | None) -> dict[str, dict]:
        """Merge per-pack param overrides ({pack_id: {param: value}}) over the pack defaults."""
        merged = {pid: dict(d) for pid, d in self.defaults.items()}
        for pid, values in (overrides or {}).items():
            if pid in merged:
                merged[pid].update(values)
        return merged

    def resolve(self, facts: Mapping[str, Any]) -> list[Any]:
        """Return the value of every fact path the packs use (MISSING when absent or null)."""
        values = []
        append = values.append
        for keys in self._paths:
            v: Any = facts
            for k in keys:
                try:
                    v = v[k]
                except (KeyError, TypeError, IndexError):
                    v = MISSING
                    break
            append(MISSING if v is None else v)
        return values

    def evaluate(
        self,
        facts: Mapping[str, Any],
        params: Mapping[str, Mapping[str, Any]] | None = None,
        now: float | None = None,
    ) -> list[CheckResult]:
        """Evaluate every pack on one host's facts; return one result per check.

        ``params`` maps pack ids to their full param dict (see :meth:`params_for`); packs not
        in it use their defaults. ``now`` (POSIX time) is the reference for ``age_le``.
        """
        if now is None:
            now = time.time()
        vals = self.resolve(facts)
        platform, role, unit_path = vals[0], vals[1], vals[2]
        out: list[CheckResult] = []
        append = out.append
        defaults = self.defaults
        for cp in self._compiled:
            pack_id = cp.pack.id
            why = self._not_applicable(cp, platform, role, unit_path)
            if why is not None:
                for cc in cp.checks:
                    append(CheckResult(pack_id, cc.check_id, NOT_APPLICABLE, why))
                continue
            pparams = params.get(pack_id) if params else None
            if pparams is None:
                pparams = defaults[pack_id]
            for cc in cp.checks:
                if cc.platforms is not None and platform not in cc.platforms:
                    ev = [_host_evidence("host.platform", "in", sorted(cc.platforms), platform)]
                    append(CheckResult(pack_id, cc.check_id, NOT_APPLICABLE, ev))
                    continue
                if cc.roles is not None and role not in cc.roles:
                    ev = [_host_evidence("host.role", "in", sorted(cc.roles), role)]
                    append(CheckResult(pack_id, cc.check_id, NOT_APPLICABLE, ev))
                    continue
                append(self._check(pack_id, cc, vals, pparams, now))
        return out

    @staticmethod
    def _not_applicable(
        cp: _CompiledPack, platform: Any, role: Any, unit_path: Any
    ) -> list[dict[str, Any]] | None:
        """Return evidence when the pack does not apply to the host, else None."""
        if cp.platforms is not None and platform not in cp.platforms:
            return [_host_evidence("host.platform", "in", sorted(cp.platforms), platform)]
        if cp.roles is not None and role not in cp.roles:
            return [_host_evidence("host.role", "in", sorted(cp.roles), role)]
        if cp.units is not None and (
            unit_path is MISSING or not any(u in cp.units for u in unit_path)
        ):
            return [_host_evidence("host.unit_path", "in", sorted(cp.units), unit_path)]
        return None

    @staticmethod
    def _check(
        pack_id: str, cc: _CompiledCheck, vals: list[Any], params: Mapping[str, Any], now: float
    ) -> CheckResult:
        """Evaluate one check's rules with short-circuit and Wazuh aggregation."""
        condition = cc.condition
        # decisive: the rule status that settles the check at once
        decisive = FAIL if condition == "all" else PASS
        done: list[tuple[tuple[Any, ...], Any, Any, str]] = []
        status = None
        for r in cc.rules:
            a = vals[r[_IDX]]
            e = r[_CONST] if r[_PARAM] is None else params[r[_PARAM]]
            if r[_EXISTS]:
                st = PASS if (a is not MISSING) is e else FAIL
            elif a is MISSING:
                st = FAIL if r[_MISSING_FAILS] else NOT_APPLICABLE
            else:
                try:
                    st = PASS if r[_FN](a, e, now) else FAIL
                except _ERRORS:
                    st = ERROR
            if st is decisive:
                status = FAIL if condition != "any" else PASS
                return CheckResult(pack_id, cc.check_id, status, [_evidence(r, a, e, st)])
            done.append((r, a, e, st))
        statuses = [d[3] for d in done]
        if ERROR in statuses:
            status = ERROR
        elif NOT_APPLICABLE in statuses:
            status = NOT_APPLICABLE
        else:
            status = FAIL if condition == "any" else PASS
        if status is ERROR or status is NOT_APPLICABLE:
            evidence = [_evidence(*d) for d in done if d[3] is status]
        else:
            evidence = [_evidence(*d) for d in done]
        return CheckResult(pack_id, cc.check_id, status, evidence)


def _evidence(rule: tuple[Any, ...], actual: Any, expected: Any, status: str) -> dict[str, Any]:
    """Return the evidence entry of one rule: the fact, its value and what was expected."""
    op = rule[_OP]
    if op == "matches":
        expected = expected.pattern
    elif isinstance(expected, frozenset):
        expected = sorted(expected, key=str)
    entry = {
        "fact": rule[_FACT],
        "op": op,
        "expected": expected,
        "actual": summarize(actual),
        "result": status,
    }
    if rule[_PARAM] is not None:
        entry["param"] = rule[_PARAM]
    if op == "contains" and isinstance(actual, (frozenset, set, list, dict)):
        entry["actual"] = (
            summarize(actual)
            if len(actual) <= SUMMARY_LIMIT
            else {
                "count": len(actual),
                "contains": status == PASS,
            }
        )
    if op == "subset_of" and status == FAIL:
        entry["unexpected"] = sorted(set(actual) - set(expected), key=str)
    return entry


def _host_evidence(fact: str, op: str, expected: Any, actual: Any) -> dict[str, Any]:
    """Return the evidence of a host-level applicability test."""
    return {
        "fact": fact,
        "op": op,
        "expected": expected,
        "actual": summarize(actual),
        "result": NOT_APPLICABLE,
    }


def unit_params(
    packs: Iterable[Pack],
    unit_path: Iterable[str],
    overrides_by_unit: Mapping[str, Mapping[str, Mapping[str, Any]]],
) -> dict[str, dict[str, Any]]:
    """Return per-pack params for a host, the nearest unit's override winning.

    ``unit_path`` lists the host's unit and its ancestors, nearest first; ``overrides_by_unit``
    maps unit codes to ``{pack_id: {param: value}}``.
    """
    out = {p.id: dict(p.params) for p in packs}
    for unit in reversed(list(unit_path)):
        for pid, values in (overrides_by_unit.get(unit) or {}).items():
            if pid in out:
                out[pid].update(values)
    return out
