"""Rule metadata, base classes and the registry.

Rules are pure functions over plain data: a resource rule sees one resource's props (a plain
dict, unknown preview values replaced by :data:`UNKNOWN`), a stack rule sees every resource of
the stack. Only ``pack.py`` knows about ``pulumi_policy``; that keeps rules fast to test and usable
outside Pulumi (e.g. auditing a live LiveKit project).

A rule is one class decorated with :func:`register`, which adds it to :data:`REGISTRY` when its
module is imported; ``catalogue.py`` imports every rule module, so importing the package (or
``catalogue``) gives the whole pack. The registry lists rules by ID (bands in the order
LKSIN, LKSOUT, LKSDR, LKSSTK, then by number), whatever the order of the imports: that is the
order of the pack's policies and of docs/rules.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from fnmatch import fnmatchcase
from typing import Any, ClassVar, TypeVar

from livekit_sip_core.ids import (
    COMPONENT_TYPE_PREFIX,
    DISPATCH_RULE_TYPE,
    INBOUND_TRUNK_TYPE,
    OUTBOUND_TRUNK_TYPE,
)

__all__ = [
    "COMPONENT_TYPE_PREFIX",
    "DISPATCH_RULE",
    "EXEMPT_KEY",
    "INBOUND_TRUNK",
    "OUTBOUND_TRUNK",
    "REGISTRY",
    "RESOURCE_TYPES",
    "UNKNOWN",
    "Enforcement",
    "Finding",
    "Registry",
    "ResourceRule",
    "Rule",
    "Severity",
    "StackResource",
    "StackRule",
    "config_properties",
    "is_exempt",
    "is_unknown",
    "of_type",
    "register",
]

INBOUND_TRUNK = INBOUND_TRUNK_TYPE
OUTBOUND_TRUNK = OUTBOUND_TRUNK_TYPE
DISPATCH_RULE = DISPATCH_RULE_TYPE
RESOURCE_TYPES = (INBOUND_TRUNK, OUTBOUND_TRUNK, DISPATCH_RULE)

#: Every rule accepts this knob: resource names (Pulumi names) the rule does not apply to, or
#: glob patterns of them ('support-*'); naming a component (an AgentPhoneLine) exempts the
#: resources it creates too. ``livekit-sip doctor`` matches the objects' IDs and names.
EXEMPT_KEY = "exemptResources"


def is_exempt(name: str, parents: Iterable[str], patterns: Iterable[Any]) -> bool:
    """Whether a resource named ``name``, created by the components named ``parents``, is
    exempted by ``patterns`` (names or glob patterns: ``*``, ``?``, ``[...]``, case-sensitive
    like Pulumi names)."""
    globs = [p for p in patterns if isinstance(p, str)]
    if not globs:
        return False
    return any(fnmatchcase(n, g) for n in (name, *parents) for g in globs)


def config_properties(rule: Rule) -> dict[str, dict[str, Any]]:
    """The JSON schema properties of ``rule``'s knobs: :data:`EXEMPT_KEY`, then its own (a
    copy: the pack's config schema and the doctor's ``--config`` checks read it)."""
    properties: dict[str, dict[str, Any]] = {
        EXEMPT_KEY: {
            "type": "array",
            "items": {"type": "string"},
            "description": "Pulumi resource names this rule does not apply to, or glob "
            "patterns of them ('support-*'); a component's name exempts its resources.",
            "default": [],
        }
    }
    properties.update({k: dict(v) for k, v in (rule.config_schema or {}).items()})
    return properties


class _Unknown:
    """A value that is not known yet (during preview)."""

    _instance: ClassVar[_Unknown | None] = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()


def is_unknown(value: Any) -> bool:
    return value is UNKNOWN


class Severity(str, Enum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class Enforcement(str, Enum):
    ADVISORY = "advisory"
    MANDATORY = "mandatory"
    REMEDIATE = "remediate"
    DISABLED = "disabled"


@dataclass(frozen=True)
class Finding:
    """One violation: what is wrong, on which field (protocol name, dots for nesting).

    ``urn`` names the offending resource for stack rules. Messages never contain secret values.
    """

    message: str
    field: str | None = None
    urn: str | None = None


@dataclass(frozen=True)
class StackResource:
    """A resource as a stack rule sees it."""

    urn: str
    name: str
    type: str
    props: Mapping[str, Any]
    # property name -> URNs of the resources its value comes from
    property_dependencies: Mapping[str, Sequence[str]] = field(default_factory=dict)


def of_type(resources: Sequence[StackResource], type_: str) -> list[StackResource]:
    """The resources of one type whose properties are known (a mapping), in stack order."""
    return [r for r in resources if r.type == type_ and isinstance(r.props, Mapping)]


_ID = re.compile(r"^(LKS(?:IN|OUT|DR|STK))(\d{3})$")
#: The bands in documentation order: one resource type each, then the whole stack.
BANDS = ("LKSIN", "LKSOUT", "LKSDR", "LKSSTK")


class Rule:
    """Metadata shared by every rule. Subclasses set the class attributes."""

    id: ClassVar[str]
    title: ClassVar[str]
    description: ClassVar[str]
    severity: ClassVar[Severity]
    enforcement: ClassVar[Enforcement]
    remediation: ClassVar[str]
    url: ClassVar[str]
    # JSON schema of the rule's knobs (properties only; enforcementLevel is implied).
    config_schema: ClassVar[Mapping[str, Any] | None] = None

    def format(self, finding: Finding) -> str:
        """The message the user reads: what is wrong where, the fix, and the link."""
        where = f"{finding.field}: " if finding.field else ""
        return f"{where}{finding.message}\nFix: {self.remediation}\nSee {self.url}"


class ResourceRule(Rule):
    """A rule over one resource at a time."""

    resource_types: ClassVar[tuple[str, ...]]

    def check(self, props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[Finding]:
        raise NotImplementedError

    def remediate(
        self, props: Mapping[str, Any], config: Mapping[str, Any]
    ) -> dict[str, Any] | None:
        """The props with the fix applied, or None when there is nothing safe to change."""
        return None


class StackRule(Rule):
    """A rule over all resources of the stack."""

    def check(
        self, resources: Sequence[StackResource], config: Mapping[str, Any]
    ) -> Iterable[Finding]:
        raise NotImplementedError


_R = TypeVar("_R", bound=type[Rule])


def _order(rule_id: str) -> tuple[int, int]:
    match = _ID.match(rule_id)
    assert match is not None
    return BANDS.index(match.group(1)), int(match.group(2))


class Registry:
    """The rules of the pack, in ID order (band, then number). Refuses duplicate or malformed
    IDs. ``register`` returns the class, so it also works as a class decorator."""

    def __init__(self) -> None:
        self._rules: dict[str, Rule] = {}

    def register(self, rule_class: _R) -> _R:
        rule_id = getattr(rule_class, "id", None)
        if not isinstance(rule_id, str) or not _ID.match(rule_id):
            raise ValueError(
                f"{rule_class.__name__}: rule ID {rule_id!r} must look like LKSIN001, "
                "LKSOUT001, LKSDR001 or LKSSTK001"
            )
        if rule_id in self._rules:
            raise ValueError(
                f"duplicate rule ID {rule_id}: {rule_class.__name__} and "
                f"{type(self._rules[rule_id]).__name__} (IDs are never reused: take the next "
                "free one of the band)"
            )
        rules = {**self._rules, rule_id: rule_class()}
        self._rules = {k: rules[k] for k in sorted(rules, key=_order)}
        return rule_class

    def __iter__(self) -> Iterator[Rule]:
        return iter(self._rules.values())

    def __len__(self) -> int:
        return len(self._rules)

    def get(self, rule_id: str) -> Rule:
        return self._rules[rule_id]


#: The pack's rules. Rule modules add theirs with :func:`register`; ``catalogue`` imports them.
REGISTRY = Registry()


def register(rule_class: _R) -> _R:
    """Class decorator: add the rule to the pack (:data:`REGISTRY`).

    >>> @register
    ... class MyRule(ResourceRule):  # doctest: +SKIP
    ...     id = "LKSIN006"
    """
    return REGISTRY.register(rule_class)
