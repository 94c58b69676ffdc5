"""Rule metadata, base classes and the registry.

Rules are pure functions over plain data: a resource rule sees one resource's props (a plain
dict, unknown preview values replaced by :data:`UNKNOWN`), a stack rule sees every resource of
the stack. Only ``pack.py`` knows about ``pulumi_policy``; that keeps rules fast to test and usable
outside Pulumi (e.g. auditing a live LiveKit project).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, ClassVar

from livekit_sip_core.ids import (
    COMPONENT_TYPE_PREFIX,
    DISPATCH_RULE_TYPE,
    INBOUND_TRUNK_TYPE,
    OUTBOUND_TRUNK_TYPE,
)

__all__ = [
    "COMPONENT_TYPE_PREFIX",
    "DISPATCH_RULE",
    "INBOUND_TRUNK",
    "OUTBOUND_TRUNK",
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
    "is_unknown",
]

INBOUND_TRUNK = INBOUND_TRUNK_TYPE
OUTBOUND_TRUNK = OUTBOUND_TRUNK_TYPE
DISPATCH_RULE = DISPATCH_RULE_TYPE
RESOURCE_TYPES = (INBOUND_TRUNK, OUTBOUND_TRUNK, DISPATCH_RULE)


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


_ID = re.compile(r"^LKS(IN|OUT|DR|STK)\d{3}$")


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


class Registry:
    """The rules of the pack, in registration order. Refuses duplicate or malformed IDs."""

    def __init__(self) -> None:
        self._rules: dict[str, Rule] = {}

    def register(self, rule_class: type[Rule]) -> type[Rule]:
        rule_id = rule_class.id
        if not _ID.match(rule_id):
            raise ValueError(f"rule ID {rule_id!r} must look like LKSIN001, LKSOUT001, ...")
        if rule_id in self._rules:
            raise ValueError(f"duplicate rule ID {rule_id}")
        self._rules[rule_id] = rule_class()
        return rule_class

    def __iter__(self) -> Iterator[Rule]:
        return iter(self._rules.values())

    def __len__(self) -> int:
        return len(self._rules)

    def get(self, rule_id: str) -> Rule:
        return self._rules[rule_id]
