"""Load YAML policy packs: safe YAML only, JSON Schema validation, semantic checks, line numbers.

A broken pack is refused with :class:`PackError` entries naming the file, line, check id and
reason. :func:`load_directory` keeps the packs already in force when a file is bad. Nothing in a
pack is ever executed: YAML goes through ``SafeLoader``, ``matches`` patterns are compiled with
``re`` under a length limit, and every other operator compares plain values.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from inventory_server.compliance.facts import check_fact_path, known_fact_paths
from inventory_server.compliance.i18n import _

SCHEMA_PATH = Path(__file__).with_name("pack.schema.json")
"""The JSON Schema every pack is validated against."""

PACKS_DIR = Path(__file__).with_name("packs")
"""The packs shipped with Kiemke."""

MAX_PACK_BYTES = 1 << 20
"""Largest pack file accepted (1 MiB)."""

MAX_PATTERN_LENGTH = 256
"""Longest regular expression accepted by the ``matches`` operator."""

NUMERIC_OPS = frozenset({"lt", "le", "gt", "ge", "age_le"})
LIST_OPS = frozenset({"in", "not_in", "subset_of"})


@dataclass(frozen=True)
class PackError:
    """Why a pack (or one of its checks) was refused."""

    file: str
    line: int | None
    check_id: str | None
    reason: str
    path: str = ""

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        check = f" check {self.check_id}:" if self.check_id else ""
        return f"{where}:{check} {self.reason}"

    def to_dict(self) -> dict[str, Any]:
        """Return the error as a JSON-ready dict."""
        return {
            "file": self.file,
            "line": self.line,
            "check_id": self.check_id,
            "reason": self.reason,
            "path": self.path,
        }


class PackLoadError(ValueError):
    """A pack was refused; ``errors`` lists every problem found."""

    def __init__(self, errors: list[PackError]):
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors))


@dataclass(frozen=True)
class Rule:
    """One typed test of a fact: ``fact op value`` (or ``op param``)."""

    fact: str
    op: str
    value: Any = None
    param: str | None = None
    missing: str = "not_applicable"
    pattern: re.Pattern[str] | None = None


@dataclass(frozen=True)
class Check:
    """One check of a pack: metadata and rules combined by ``condition``."""

    id: str
    name: dict[str, str]
    severity: str
    condition: str
    rules: tuple[Rule, ...]
    platforms: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    rationale: Any = None
    remediation: dict[str, Any] = field(default_factory=dict)
    references: tuple[str, ...] = ()


@dataclass(frozen=True)
class Pack:
    """A validated policy pack."""

    id: str
    version: int
    name: dict[str, str]
    checks: tuple[Check, ...]
    applies_to: dict[str, tuple[str, ...]] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    references: tuple[str, ...] = ()
    description: Any = None
    digest: str = ""
    source: str = ""
    document: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def check(self, check_id: str) -> Check:
        """Return the check with this id (KeyError when absent)."""
        for c in self.checks:
            if c.id == check_id:
                return c
        raise KeyError(check_id)


@dataclass
class LoadResult:
    """Packs in force after loading a directory, and the files refused."""

    packs: dict[str, Pack]
    errors: list[PackError]


_validator: jsonschema.Draft202012Validator | None = None


def _schema_validator() -> jsonschema.Draft202012Validator:
    """Return the (cached) JSON Schema validator for packs."""
    global _validator
    if _validator is None:
        schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
        jsonschema.Draft202012Validator.check_schema(schema)
        _validator = jsonschema.Draft202012Validator(schema)
    return _validator


def _compose(text: str) -> tuple[Any, dict[tuple[Any, ...], int]]:
    """Parse YAML safely; return the data and the 1-based line of every node by its path."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    lines: dict[tuple[Any, ...], int] = {}

    def walk(n: yaml.Node, path: tuple[Any, ...]) -> None:
        lines[path] = n.start_mark.line + 1
        if isinstance(n, yaml.MappingNode):
            for key, value in n.value:
                k = key.value if isinstance(key, yaml.ScalarNode) else None
                lines[(*path, k)] = key.start_mark.line + 1
                walk(value, (*path, k))
        elif isinstance(n, yaml.SequenceNode):
            for i, item in enumerate(n.value):
                walk(item, (*path, i))

    if node is not None:
        walk(node, ())
    return data, lines


def _line_of(lines: dict[tuple[Any, ...], int], path: tuple[Any, ...]) -> int | None:
    """Return the line of the deepest known node on ``path``."""
    for i in range(len(path), -1, -1):
        line = lines.get(tuple(path[:i]))
        if line is not None:
            return line
    return None


def _check_id_at(data: Any, path: tuple[Any, ...]) -> str | None:
    """Return the id of the check a path points into, if any."""
    if len(path) >= 2 and path[0] == "checks" and isinstance(path[1], int):
        try:
            cid = data["checks"][path[1]].get("id")
        except (AttributeError, IndexError, KeyError, TypeError):
            return None
        return cid if isinstance(cid, str) else None
    return None


def _as_tuple(value: Any) -> tuple[str, ...]:
    """Normalise a string-or-list field to a tuple."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(value)


def _is_number(value: Any) -> bool:
    """Return True for int/float values that are not booleans."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _rule_problems(rule: dict[str, Any], params: dict[str, Any]) -> list[tuple[str, str]]:
    """Return (field, reason) pairs for semantic problems of one rule."""
    problems: list[tuple[str, str]] = []
    op = rule["op"]
    fact = rule["fact"]
    reason = check_fact_path(fact)
    if reason:
        problems.append(("fact", reason))
    if "param" in rule:
        if op == "matches":
            return [*problems, ("param", _("operator matches takes a literal pattern in value"))]
        if rule["param"] not in params:
            problems.append(("param", _("undefined param {name!r}").format(name=rule["param"])))
            return problems
        expected, where = params[rule["param"]], "param"
    elif "value" in rule:
        expected, where = rule["value"], "value"
    elif op == "exists":
        return problems
    else:
        return [*problems, ("op", _("operator {op} needs value or param").format(op=op))]
    if op in NUMERIC_OPS and not _is_number(expected):
        problems.append((where, _("operator {op} needs a number").format(op=op)))
    elif op in LIST_OPS and not isinstance(expected, list):
        problems.append((where, _("operator {op} needs a list").format(op=op)))
    elif op == "exists" and not isinstance(expected, bool):
        problems.append((where, _("operator exists takes true or false")))
    elif op == "matches":
        if not isinstance(expected, str):
            problems.append((where, _("operator matches needs a string pattern")))
        elif len(expected) > MAX_PATTERN_LENGTH:
            problems.append(
                (where, _("pattern longer than {n} characters").format(n=MAX_PATTERN_LENGTH))
            )
        else:
            try:
                re.compile(expected)
            except re.error as exc:
                problems.append((where, _("invalid pattern: {error}").format(error=exc)))
    elif op in ("eq", "ne", "contains") and isinstance(expected, list):
        problems.append((where, _("operator {op} compares one value, not a list").format(op=op)))
    if (
        fact == "software.names"
        and op in ("contains", "eq", "ne")
        and isinstance(expected, str)
        and expected != expected.lower()
    ):
        problems.append((where, _("software.names holds lower-case names")))
    kind = known_fact_paths().get(fact)
    if op == "subset_of" and kind not in ("list", None):
        problems.append(("op", _("subset_of needs a list fact, {fact} is not").format(fact=fact)))
    return problems


def parse_pack(text: str, source: str = "<string>") -> Pack:
    """Validate and build a pack from YAML text; raise :class:`PackLoadError` when refused.

    The text is read in Unicode NFC, the form software names are keyed in (see
    ``models.software.name_key``) and unit codes stored in: a pack whose editor wrote Vietnamese
    decomposed matches what it names all the same. The pack's digest is of the text as written.
    """
    if len(text.encode("utf-8")) > MAX_PACK_BYTES:
        raise PackLoadError(
            [
                PackError(
                    source, None, None, _("pack larger than {n} bytes").format(n=MAX_PACK_BYTES)
                )
            ]
        )
    try:
        data, lines = _compose(unicodedata.normalize("NFC", text))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = _("invalid YAML: {problem}").format(problem=getattr(exc, "problem", None) or exc)
        raise PackLoadError([PackError(source, line, None, reason)]) from None
    errors: list[PackError] = []
    for err in sorted(_schema_validator().iter_errors(data), key=lambda e: list(map(str, e.path))):
        path = tuple(err.absolute_path)
        errors.append(
            PackError(
                source,
                _line_of(lines, path),
                _check_id_at(data, path),
                _("{where}: {message}").format(
                    where="/".join(map(str, path)) or "(top)", message=err.message
                ),
                "/".join(map(str, path)),
            )
        )
    if errors:
        raise PackLoadError(errors)
    meta = data["pack"]
    params = dict(meta.get("params") or {})
    seen: set[str] = set()
    checks: list[Check] = []
    for i, raw in enumerate(data["checks"]):
        cid = raw["id"]
        if cid in seen:
            errors.append(
                PackError(
                    source, _line_of(lines, ("checks", i, "id")), cid, _("duplicate check id")
                )
            )
        seen.add(cid)
        rules: list[Rule] = []
        for j, rule in enumerate(raw["rules"]):
            for fld, reason in _rule_problems(rule, params):
                path = ("checks", i, "rules", j, fld)
                errors.append(
                    PackError(source, _line_of(lines, path), cid, reason, "/".join(map(str, path)))
                )
            pattern = None
            if rule["op"] == "matches" and isinstance(rule.get("value"), str):
                try:
                    pattern = re.compile(rule["value"])
                except re.error:
                    pattern = None  # reported above
            rules.append(
                Rule(
                    fact=rule["fact"],
                    op=rule["op"],
                    value=rule.get("value", True if rule["op"] == "exists" else None),
                    param=rule.get("param"),
                    missing=rule.get("missing", "not_applicable"),
                    pattern=pattern,
                )
            )
        checks.append(
            Check(
                id=cid,
                name=raw["name"],
                severity=raw["severity"],
                condition=raw["condition"],
                rules=tuple(rules),
                platforms=_as_tuple(raw.get("platforms")),
                roles=_as_tuple(raw.get("roles")),
                rationale=raw.get("rationale"),
                remediation=dict(raw.get("remediation") or {}),
                references=tuple(raw.get("references") or ()),
            )
        )
    if errors:
        raise PackLoadError(errors)
    applies = meta.get("applies_to") or {}
    return Pack(
        id=meta["id"],
        version=meta["version"],
        name=meta["name"],
        checks=tuple(checks),
        applies_to={k: _as_tuple(v) for k, v in applies.items()},
        params=params,
        references=tuple(meta.get("references") or ()),
        description=meta.get("description"),
        digest=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        source=source,
        document=data,
    )


def load_pack_file(path: str | Path) -> Pack:
    """Read and validate one pack file; raise :class:`PackLoadError` when refused."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PackLoadError([PackError(str(path), None, None, str(exc))]) from None
    if len(raw) > MAX_PACK_BYTES:
        reason = _("pack larger than {n} bytes").format(n=MAX_PACK_BYTES)
        raise PackLoadError([PackError(str(path), None, None, reason)])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        reason = _("not UTF-8: {error}").format(error=exc)
        raise PackLoadError([PackError(str(path), None, None, reason)]) from None
    return parse_pack(text, str(path))


def load_directory(
    directory: str | Path = PACKS_DIR, current: dict[str, Pack] | None = None
) -> LoadResult:
    """Load every ``*.yml``/``*.yaml`` pack in a directory.

    A refused file is reported in ``errors``; the packs of ``current`` that came from that file
    (the packs already in force) stay in force. Two files declaring the same pack id: the second
    is refused.
    """
    current = current or {}
    packs: dict[str, Pack] = {}
    errors: list[PackError] = []
    files = sorted(p for p in Path(directory).iterdir() if p.suffix in (".yml", ".yaml"))
    for path in files:
        try:
            pack = load_pack_file(path)
        except PackLoadError as exc:
            errors.extend(exc.errors)
            for old in current.values():
                if old.source == str(path) and old.id not in packs:
                    packs[old.id] = old
            continue
        if pack.id in packs:
            first = packs[pack.id].source
            reason = _("pack id {id!r} already loaded from {first}").format(id=pack.id, first=first)
            errors.append(PackError(str(path), 1, None, reason))
            continue
        packs[pack.id] = pack
    return LoadResult(packs=packs, errors=errors)


def load_shipped() -> dict[str, Pack]:
    """Return the packs shipped with Kiemke; raise :class:`PackLoadError` if one is broken."""
    result = load_directory(PACKS_DIR)
    if result.errors:
        raise PackLoadError(result.errors)
    return result.packs


def validate_params(pack: Pack, overrides: dict[str, Any]) -> list[str]:
    """Return reasons why per-unit ``overrides`` do not fit the pack's params (empty: fine)."""
    problems = []
    for name, value in overrides.items():
        if name not in pack.params:
            problems.append(_("{pack}: unknown param {name!r}").format(pack=pack.id, name=name))
            continue
        default = pack.params[name]
        same = (
            (_is_number(default) and _is_number(value))
            or (isinstance(default, bool) and isinstance(value, bool))
            or (isinstance(default, str) and isinstance(value, str))
            or (isinstance(default, list) and isinstance(value, list))
        )
        if not same:
            problems.append(
                _("{pack}: param {name!r} must be a {kind}, not {value!r}").format(
                    pack=pack.id, name=name, kind=type(default).__name__, value=value
                )
            )
    return problems
