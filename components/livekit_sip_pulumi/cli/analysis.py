"""The pack's rules over a live project, without Pulumi: configuration, analysis, report.

Pure: no LiveKit call here (``live.py`` lists the objects). The configuration is the JSON
``pulumi preview --policy-pack-config`` takes: rule ID -> enforcement level, or rule ID ->
``{"enforcementLevel": ..., <knob>: ...}``, and ``"all"`` for every rule.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from livekit_sip_policies.catalogue import REGISTRY
from livekit_sip_policies.rule import (
    EXEMPT_KEY,
    Enforcement,
    Finding,
    Registry,
    ResourceRule,
    Rule,
    StackRule,
    config_properties,
    is_exempt,
)

from .live import CannotRun, LiveObject

__all__ = [
    "JSON_SCHEMA_ID",
    "LEVELS",
    "Report",
    "RuleSetting",
    "analyze",
    "load_config",
    "rule_settings",
]

#: The ``schema`` member of ``livekit-sip doctor --json`` (docs/cli.md).
JSON_SCHEMA_ID = "livekit-sip-doctor/v1"
LEVELS = tuple(level.value for level in Enforcement)
#: Levels that fail the command (exit code 1). A live object cannot be remediated in place, so
#: a finding of a rule set to "remediate" stands like a mandatory one.
BLOCKING = frozenset({Enforcement.MANDATORY.value, Enforcement.REMEDIATE.value})
ALL_KEY = "all"
LEVEL_KEY = "enforcementLevel"

_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "array": (list,),
    "string": (str,),
    "boolean": (bool,),
    "object": (dict,),
    "number": (int, float),
    "integer": (int,),
}


@dataclass(frozen=True)
class RuleSetting:
    rule: Rule
    level: str
    config: Mapping[str, Any]


def load_config(path: Path | None) -> dict[str, Any]:
    """The JSON of ``--config`` (the file ``--policy-pack-config`` takes), or {}."""
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CannotRun(f"--config {path}: cannot read it ({exc.strerror or exc})") from None
    except json.JSONDecodeError as exc:
        raise CannotRun(
            f"--config {path}: not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    if not isinstance(data, dict):
        raise CannotRun(
            f"--config {path}: must be a JSON object of rule IDs, e.g. "
            '{"LKSDR002": {"agentNames": ["support-agent"]}, "LKSSTK003": "disabled"}'
        )
    return data


def _level(value: Any, where: str) -> str:
    if value not in LEVELS:
        raise CannotRun(
            f"--config: {where} is {json.dumps(value)}, not an enforcement level: use one of "
            f"{', '.join(LEVELS)}"
        )
    return str(value)


def _check_knob(rule: Rule, key: str, value: Any, schema: Mapping[str, Any]) -> None:
    where = f"{rule.id}.{key}"
    if key not in schema:
        known = ", ".join(sorted(schema)) or "none"
        raise CannotRun(
            f"--config: {where} is not a setting of {rule.id} ({rule.title}); its settings: "
            f"{known}, {LEVEL_KEY} (docs/rules.md)"
        )
    expected = schema[key].get("type")
    types = _JSON_TYPES.get(str(expected))
    if types and (not isinstance(value, types) or (bool in types) != isinstance(value, bool)):
        raise CannotRun(f"--config: {where} must be a JSON {expected}, not {json.dumps(value)}")
    strings = schema[key].get("items", {}).get("type") == "string"
    if expected == "array" and strings and not all(isinstance(v, str) for v in value):
        raise CannotRun(f"--config: {where} must be a list of strings")


def rule_settings(raw: Mapping[str, Any], registry: Registry = REGISTRY) -> list[RuleSetting]:
    """Each rule with its enforcement level and knobs (schema defaults filled in), as the
    Pulumi engine hands them to the pack. Raises :class:`CannotRun` naming the bad key."""
    rules = {rule.id: rule for rule in registry}
    for key in raw:
        if key != ALL_KEY and key not in rules:
            raise CannotRun(
                f"--config: '{key}' is not a rule of the pack (rule IDs look like LKSDR002; "
                f"'{ALL_KEY}' sets every rule's level; the list: docs/rules.md)"
            )
    default_level: str | None = None
    if ALL_KEY in raw:
        value = raw[ALL_KEY]
        if isinstance(value, Mapping):
            extra = set(value) - {LEVEL_KEY}
            if extra:
                raise CannotRun(f"--config: all.{sorted(extra)[0]}: 'all' takes only a level")
            value = value.get(LEVEL_KEY)
        default_level = _level(value, ALL_KEY)
    settings: list[RuleSetting] = []
    for rule in registry:
        schema = config_properties(rule)
        # The schema's defaults, as the engine fills them in (a fresh copy of each list).
        config: dict[str, Any] = {
            key: list(spec["default"]) if isinstance(spec["default"], list) else spec["default"]
            for key, spec in schema.items()
            if "default" in spec
        }
        level = default_level or rule.enforcement.value
        entry = raw.get(rule.id)
        if isinstance(entry, Mapping):
            for key, value in entry.items():
                if key == LEVEL_KEY:
                    level = _level(value, f"{rule.id}.{LEVEL_KEY}")
                    continue
                _check_knob(rule, key, value, schema)
                config[key] = value
        elif entry is not None:
            level = _level(entry, rule.id)
        settings.append(RuleSetting(rule, level, config))
    return settings


@dataclass(frozen=True)
class Reported:
    """One finding as the doctor reports it."""

    rule: Rule
    level: str
    finding: Finding

    def as_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule.id,
            "title": self.rule.title,
            "severity": self.rule.severity.value,
            "enforcement": self.level,
            "field": self.finding.field,
            "message": self.finding.message,
            "fix": self.rule.remediation,
            "url": self.rule.url,
        }


@dataclass
class Report:
    #: object ID -> its findings, in the catalogue's order
    findings: dict[str, list[Reported]] = field(default_factory=dict)
    #: findings of the project as a whole (no object named)
    project: list[Reported] = field(default_factory=list)
    rules_run: int = 0
    analysis_seconds: float = 0.0
    #: rules that failed on an object or the project: (rule ID, object ID or None, error)
    errors: list[tuple[str, str | None, str]] = field(default_factory=list)

    def all(self) -> Iterable[Reported]:
        for reported in self.findings.values():
            yield from reported
        yield from self.project

    def count(self, levels: Iterable[str]) -> int:
        wanted = set(levels)
        return sum(1 for r in self.all() if r.level in wanted)

    @property
    def blocking(self) -> int:
        return self.count(BLOCKING)

    @property
    def exit_code(self) -> int:
        return 1 if self.blocking else 0


def _exempt(obj: LiveObject, config: Mapping[str, Any]) -> bool:
    """The pack's exemption (names or glob patterns), matched against the object's ID and its
    name (a live object has no component parent)."""
    patterns = config.get(EXEMPT_KEY) or ()
    return bool(patterns) and is_exempt(obj.id, (obj.name,) if obj.name else (), patterns)


def _order(settings: Sequence[RuleSetting]) -> dict[str, int]:
    return {s.rule.id: i for i, s in enumerate(settings)}


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:300]


def analyze(objects: Sequence[LiveObject], settings: Sequence[RuleSetting]) -> Report:
    """Run every enabled rule: resource rules on each object of their types, stack rules on
    the project as a whole (literal IDs as references)."""
    started = time.perf_counter()
    report = Report()
    by_urn = {o.urn: o for o in objects}
    by_type: dict[str, list[LiveObject]] = {}
    for obj in objects:
        by_type.setdefault(obj.kind.type_token, []).append(obj)
    resources = [o.stack_resource() for o in objects]
    for setting in settings:
        if setting.level == Enforcement.DISABLED.value:
            continue
        rule, config = setting.rule, setting.config
        report.rules_run += 1
        if isinstance(rule, ResourceRule):
            for type_token in rule.resource_types:
                for obj in by_type.get(type_token, ()):
                    if _exempt(obj, config):
                        continue
                    try:
                        found = list(rule.check(obj.props, config))
                    except Exception as exc:  # a value no rule anticipated: say so, go on
                        report.errors.append((rule.id, obj.id, _describe(exc)))
                        continue
                    for finding in found:
                        report.findings.setdefault(obj.id, []).append(
                            Reported(rule, setting.level, finding)
                        )
        elif isinstance(rule, StackRule):
            kept = [r for r, o in zip(resources, objects, strict=True) if not _exempt(o, config)]
            try:
                found = list(rule.check(kept, config))
            except Exception as exc:
                report.errors.append((rule.id, None, _describe(exc)))
                continue
            for finding in found:
                reported = Reported(rule, setting.level, finding)
                owner = by_urn.get(finding.urn or "")
                if owner is None:
                    report.project.append(reported)
                else:
                    report.findings.setdefault(owner.id, []).append(reported)
    order = _order(settings)
    for reported_list in report.findings.values():
        reported_list.sort(key=lambda r: order[r.rule.id])
    report.analysis_seconds = time.perf_counter() - started
    return report
