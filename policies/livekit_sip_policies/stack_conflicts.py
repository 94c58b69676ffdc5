"""Stack rules over conflicts (band LKSSTK): inbound trunks and dispatch rules the server
refuses to create side by side, and inbound trunks that can both match one call.

The keys and their comparison are the server's (:mod:`.conflicts`); dispatch rules are compared
over the trunks they certainly name (:mod:`.references`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from livekit_sip_core.links import DISPATCH_RULE_DOC, INBOUND_TRUNK_DOC, TROUBLESHOOTING

from .conflicts import (
    DispatchRuleKeys,
    InboundTrunkKeys,
    TrunkConflict,
    dispatch_rule_conflicts,
    inbound_trunk_conflicts,
    inbound_trunk_overlaps,
)
from .dispatch import known_rule_kind
from .references import StackReferences, TrunkRefs
from .rule import (
    INBOUND_TRUNK,
    Enforcement,
    Finding,
    Severity,
    StackResource,
    StackRule,
    is_unknown,
    of_type,
    register,
)
from .values import string, strings

__all__: list[str] = []


def _trunk_keys(trunk: StackResource) -> InboundTrunkKeys | None:
    numbers = strings(trunk.props, "numbers")
    allowed = strings(trunk.props, "allowed_numbers")
    if is_unknown(numbers) or is_unknown(allowed):
        return None
    return InboundTrunkKeys(trunk.urn, numbers, allowed)


def _names(resources: Sequence[StackResource]) -> dict[str, str]:
    return {r.urn: r.name for r in resources}


def _inbound_keys(resources: Sequence[StackResource]) -> list[InboundTrunkKeys]:
    """The keys of the inbound trunks whose numbers are known."""
    return [k for t in of_type(resources, INBOUND_TRUNK) if (k := _trunk_keys(t))]


def _both_take(pair: TrunkConflict) -> str:
    """What two inbound trunks both take, as the findings word it."""
    return "both take " + _describe_trunk_conflict(pair.number, pair.allowed_number)


def _describe_trunk_conflict(number: str, allowed: str | None) -> str:
    called = f"number '{number}'" if number else "any called number (no numbers set)"
    if allowed is None:
        return f"{called}, neither restricting callers with allowed_numbers"
    if allowed == "":
        return f"{called}, one of them admitting every caller"
    return f"{called} and allowed number '{allowed}'"


@register
class InboundTrunkConflicts(StackRule):
    id = "LKSSTK002"
    title = "Inbound trunks do not conflict"
    description = (
        "No two inbound trunks share a called number (or both have no numbers) unless "
        "allowed_numbers tell their callers apart, and no two share an allowed_numbers entry "
        "for the same called number. Numbers are compared normalized ('+1 510 555 0100' and "
        "'15105550100' are the same number). The server rejects the second trunk ('Conflicting "
        "inbound SIP Trunks'); credentials and allowed_addresses do not disambiguate."
    )
    severity = Severity.CRITICAL
    enforcement = Enforcement.MANDATORY
    remediation = (
        "Give each number to one trunk, or give the trunks disjoint allowed_numbers; merge "
        "trunks that serve the same number from the same provider."
    )
    url = INBOUND_TRUNK_DOC

    def check(
        self, resources: Sequence[StackResource], config: Mapping[str, Any]
    ) -> Iterable[Finding]:
        names = _names(resources)
        for conflict in inbound_trunk_conflicts(_inbound_keys(resources)):
            yield Finding(
                f"conflicts with inbound trunk '{names[conflict.first]}': {_both_take(conflict)}",
                "allowed_numbers" if conflict.allowed_number else "numbers",
                conflict.second,
            )


@register
class InboundTrunkOverlaps(StackRule):
    id = "LKSSTK003"
    title = "A call matches at most one inbound trunk"
    description = (
        "Trunks the server accepts can still both match one call: one trunk with "
        "allowed_numbers and one without for the same called number. Such calls fail with "
        "'Multiple SIP Trunks matched' unless allowed_addresses separate the trunks."
    )
    severity = Severity.HIGH
    enforcement = Enforcement.ADVISORY
    remediation = (
        "Write numbers in strict E.164 and give each called number to one trunk, or give both "
        "trunks disjoint allowed_numbers."
    )
    url = TROUBLESHOOTING

    def check(
        self, resources: Sequence[StackResource], config: Mapping[str, Any]
    ) -> Iterable[Finding]:
        names = _names(resources)
        for overlap in inbound_trunk_overlaps(_inbound_keys(resources)):
            yield Finding(
                f"a call can match both this trunk and '{names[overlap.first]}': "
                f"{_both_take(overlap)}",
                "numbers",
                overlap.second,
            )


def _dispatch_keys(rule: StackResource, refs: TrunkRefs) -> DispatchRuleKeys | None:
    """The rule's keys over the trunks it certainly names; None when they are not known."""
    kind = known_rule_kind(rule.props)
    if kind is None:
        return None
    pin = string(kind[1].get("pin"))
    inbound_numbers = strings(rule.props, "inbound_numbers")
    numbers = strings(rule.props, "numbers")
    if any(is_unknown(v) for v in (pin, inbound_numbers, numbers)):
        return None
    if not refs.resolved and not refs.refs:
        # Not even one trunk is known: the rule may still be a catch-all (no trunk_ids).
        return None
    trunks = sorted({ref.identity for ref in refs.refs})
    return DispatchRuleKeys(rule.urn, pin, trunks, inbound_numbers, numbers)


@register
class DispatchRuleConflicts(StackRule):
    id = "LKSSTK004"
    title = "Dispatch rules do not conflict"
    description = (
        "No two dispatch rules share the key (pin, trunk or any trunk, caller number in "
        "inbound_numbers or any, called number in numbers or any). The server rejects the "
        "second rule ('Dispatch rule for the same trunk, inbound number, number, and PIN "
        "combination already exists'). Rules without trunk_ids only collide with each other."
    )
    severity = Severity.CRITICAL
    enforcement = Enforcement.MANDATORY
    remediation = (
        "Scope the rules apart: different trunk_ids, inbound_numbers, numbers or pins; keep a "
        "single catch-all rule (no trunk_ids) per pin."
    )
    url = DISPATCH_RULE_DOC

    def check(
        self, resources: Sequence[StackResource], config: Mapping[str, Any]
    ) -> Iterable[Finding]:
        keys = [
            k
            for r, refs in StackReferences(resources).rules
            if isinstance(r.props, Mapping) and (k := _dispatch_keys(r, refs))
        ]
        names = _names(resources)
        seen: set[tuple[str, str]] = set()
        for conflict in dispatch_rule_conflicts(keys):
            pair = (conflict.first, conflict.second)
            if pair in seen:
                continue
            seen.add(pair)
            trunk = names.get(conflict.trunk, conflict.trunk)
            scope = ", ".join(
                [
                    f"trunk '{trunk}'" if conflict.trunk else "any trunk",
                    f"caller '{conflict.inbound_number}'"
                    if conflict.inbound_number
                    else "any caller",
                    f"called number '{conflict.number}'"
                    if conflict.number
                    else "any called number",
                    f"pin '{conflict.pin}'" if conflict.pin else "no pin",
                ]
            )
            yield Finding(
                f"conflicts with dispatch rule '{names[conflict.first]}': both cover {scope}",
                "trunk_ids",
                conflict.second,
            )
