"""Stack rules over every call (band LKSSTK): each dispatch rule takes some call, an ordinary
caller on each number reaches an agent, a rule without trunk_ids serves one trunk.

They read the stack's call classes (:mod:`.call_classes`): every call the routing can tell
apart, routed with the simulator. Like the other routing rules they need every field routing
reads to be known and every dispatch rule's references resolved (:func:`.stack_routing.
routing_objects`); a new stack, whose trunk IDs are unknown Outputs, is analysed as it will be
created. A call no dispatch rule takes is "not answered" whichever way the server release
turns it away (dropped or rejected).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from livekit_sip_core import normalize_number, printable, quote
from livekit_sip_core.links import DISPATCH_RULE_DOC, TROUBLESHOOTING, WILDCARD_DISPATCH_ISSUE

from .call_classes import CallClasses, RoutedCall, call_classes
from .routing import (
    ACCEPT,
    AUTH_FAILED,
    ERROR,
    REQUEST_PIN,
    Route,
    agents_of,
    dispatch_rule_priority,
    pin_and_room,
)
from .rule import (
    Enforcement,
    Finding,
    Severity,
    StackResource,
    StackRule,
    register,
)
from .stack_routing import RoutingObjects, routing_objects
from .values import strings

__all__ = [
    "AGENTLESS_NUMBERS_KEY",
    "PIN_NUMBERS_KEY",
    "Unreachable",
    "stack_call_classes",
    "unreachable",
]

PIN_NUMBERS_KEY = "pinNumbers"
AGENTLESS_NUMBERS_KEY = "agentlessNumbers"

#: The route took a dispatch rule: accepted, or the caller asked for the rule's PIN.
_TAKEN = (ACCEPT, REQUEST_PIN)
#: The server refuses the call before any rule is chosen.
_REFUSED = (ERROR, AUTH_FAILED)


_Analysis = tuple[RoutingObjects, CallClasses]
#: The last analysis and the resources it was made of (held, so that their ids stay theirs):
#: the doctor hands the three rules the same resource objects, and derives the classes once.
_last: tuple[tuple[StackResource, ...], _Analysis | None] | None = None


def stack_call_classes(resources: Sequence[StackResource]) -> _Analysis | None:
    """The stack's routing objects and their call classes; None when routing cannot be told
    yet (a field it reads unknown, a dispatch rule's references unresolved)."""
    global _last
    if (
        _last is not None
        and len(_last[0]) == len(resources)
        and all(a is b for a, b in zip(_last[0], resources, strict=True))
    ):
        return _last[1]
    objects = routing_objects(resources)
    analysis = None if objects is None else (objects, call_classes(objects.trunks, objects.rules))
    _last = (tuple(resources), analysis)
    return analysis


def _label(objects: RoutingObjects, sim_id: str) -> str:
    """An object as messages name it, quoted: its resource name in a stack; in a live
    project (where the resource name is the ID) its LiveKit name and ID."""
    names = objects.names.get(sim_id) or [sim_id]
    if names[0] == sim_id and len(names) > 1:
        return f"{quote(names[1])} ({printable(sim_id)})"
    return quote(names[0])


def _describe(call: RoutedCall) -> str:
    return printable(call.call.describe())


def _taken_by(route: Route) -> str:
    return route.rule_id if route.result in _TAKEN else ""


# --- LKSSTK013 ----------------------------------------------------------------------------------


def _why_winner(rule: Mapping[str, Any], route: Route) -> str:
    """Why the route's rule beat ``rule``, which also passed every filter."""
    winner = route.rule
    assert winner is not None
    if rule["trunk_ids"] == [] and winner.get("trunk_ids"):
        return (
            "a rule naming the call's trunk beats every rule without trunk_ids, whatever "
            "their priorities"
        )
    mine, theirs = dispatch_rule_priority(rule), dispatch_rule_priority(winner)
    winner_pin = (pin_and_room(winner) or ("", ""))[1]
    if winner_pin and not route.call.pin:
        return (
            f"a rule with a PIN is preferred (priority {theirs} < {mine}), so the caller is "
            "asked for its PIN, and a caller who enters one no longer matches a rule without one"
        )
    if theirs < mine:
        return f"higher priority ({theirs} < {mine}; lower is preferred)"
    return f"same priority ({theirs}), and its room name sorts first"


def _unreached(
    rule: Mapping[str, Any],
    classes: CallClasses,
    objects: RoutingObjects,
    stray_only: set[str],
) -> Finding | None:
    rid = rule["sip_dispatch_rule_id"]
    skipped: dict[str, tuple[str, RoutedCall]] = {}
    refused = False
    landed: RoutedCall | None = None
    for routed in classes.calls:
        route = routed.route
        selection = route.selection
        if selection is None:
            continue
        if selection.error is not None:
            if not rule["trunk_ids"] or route.trunk_id in rule["trunk_ids"]:
                refused = True
            continue
        for candidate in selection.candidates:
            if candidate.rule_id != rid:
                continue
            landed = landed or routed
            if candidate.skipped is None and route.rule is not None and route.rule_id != rid:
                winner = _label(objects, route.rule_id)
                stray = " on a trunk" if rid in stray_only else ""
                return Finding(
                    f"no call{stray} reaches it: the {_describe(routed)} passes its filters, "
                    f"but rule {winner} takes it: {_why_winner(rule, route)}",
                    None,
                )
            if candidate.skipped is not None:
                skipped.setdefault(_skip_field(candidate.skipped), (candidate.skipped, routed))
    for field_, what in (
        ("numbers", "its numbers filter matches no number its trunks take (compared as written)"),
        ("inbound_numbers", "its inbound_numbers admit no caller its trunks accept"),
        ("rule", "its PIN is never asked for: calls with that PIN go to another rule"),
    ):
        if field_ in skipped:
            reason, routed = skipped[field_]
            return Finding(
                f"no call reaches it: {what}; e.g. the {_describe(routed)}: {printable(reason)}",
                field_,
            )
    if refused or landed is not None:
        return None  # refused calls: LKSSTK002-004 report the conflict
    trunks = [t for t in objects.trunks if t["sip_trunk_id"] in rule["trunk_ids"]]
    names = ", ".join(_label(objects, t["sip_trunk_id"]) for t in trunks)
    example = _elsewhere(trunks, classes)
    if example is not None and example.route.result in _REFUSED:
        return None  # its trunks' calls are refused: LKSSTK002/003 report the conflict
    tail = (
        f"; e.g. the {_describe(example)}: {printable(example.route.trunk.explain())}"
        if example
        else ""
    )
    return Finding(f"no call reaches it: its trunks {names} take no call{tail}", "trunk_ids")


def _skip_field(reason: str) -> str:
    if reason.startswith("called number"):
        return "numbers"
    if reason.startswith("caller"):
        return "inbound_numbers"
    if "PIN" in reason:
        return "rule"
    return "trunk_ids"


def _elsewhere(trunks: Sequence[Mapping[str, Any]], classes: CallClasses) -> RoutedCall | None:
    """A call to a number of one of ``trunks`` that another trunk (or none) takes."""
    numbers = {normalize_number(n) for t in trunks for n in strings(t, "numbers")}
    for routed in classes.calls:
        if normalize_number(routed.call.to) in numbers:
            return routed
    return None


@register
class DispatchRulesReachable(StackRule):
    id = "LKSSTK013"
    title = "Every dispatch rule takes some call"
    description = (
        "Over every call the stack's routing can tell apart (each called number, caller, "
        "source address and PIN the trunks and rules write, plus one of each that none "
        "writes), each dispatch rule is the one chosen for some call. A rule no call reaches "
        "is a routing mistake: a rule naming the trunk, or one with a PIN, wins over it; its "
        "numbers or inbound_numbers (compared as written) match nothing its trunks take; or "
        "its trunks take no call. The finding names the reason and a call that shows it. "
        "Rules naming trunks outside the stack are not judged."
    )
    severity = Severity.HIGH
    enforcement = Enforcement.ADVISORY
    remediation = (
        "Follow the reason: give the shadowed rule the filters (numbers, inbound_numbers, "
        "trunk_ids) that set it apart, write its numbers exactly as the provider sends them "
        "(E.164), or delete it; check the outcome with `livekit-sip route` or a routing "
        "expectation (LKSSTK011)."
    )
    url = DISPATCH_RULE_DOC

    def check(
        self, resources: Sequence[StackResource], config: Mapping[str, Any]
    ) -> Iterable[Finding]:
        analysis = stack_call_classes(resources)
        if analysis is None:
            return
        objects, classes = analysis
        if not classes.complete:
            return
        if not objects.trunks:
            return  # the trunks are elsewhere: what reaches a rule cannot be told
        # A call no trunk takes (a stray INVITE) reaches only rules without trunk_ids; a rule
        # that only such calls reach serves no line of the stack.
        reached = {_taken_by(c.route) for c in classes.calls if c.route.trunk_id}
        stray_only = {_taken_by(c.route) for c in classes.calls} - reached
        trunk_ids = {t["sip_trunk_id"] for t in objects.trunks}
        for rule in objects.rules:
            rid = rule["sip_dispatch_rule_id"]
            if rid in reached or pin_and_room(rule) is None:
                continue  # LKSDR001: a rule without a kind
            if any(t not in trunk_ids for t in rule["trunk_ids"]):
                continue  # a trunk outside the stack may take its calls (LKSSTK001)
            finding = _unreached(rule, classes, objects, stray_only)
            if finding is not None:
                yield Finding(finding.message, finding.field, objects.urns[rid])


# --- LKSSTK014 ----------------------------------------------------------------------------------


def _numbers(config: Mapping[str, Any], key: str) -> set[str]:
    return {normalize_number(str(n)) for n in config.get(key) or () if n is not None}


def _ordinary(
    trunk: Mapping[str, Any],
    number: str,
    classes: Sequence[RoutedCall],
    listed_callers: set[str],
) -> list[RoutedCall]:
    """The ordinary calls to ``number`` of ``trunk``: no PIN, a caller no rule lists (one the
    trunk admits), from an address the trunk allows."""
    allowed = strings(trunk, "allowed_numbers")
    masks = strings(trunk, "allowed_addresses")
    calls = []
    for routed in classes:
        call = routed.call
        if call.to != number or call.pin:
            continue
        if allowed:
            if call.from_ not in allowed or call.from_ in listed_callers:
                continue
        elif not routed.unlisted_caller:
            continue
        if masks:
            if routed.outside_address:
                continue
        elif not routed.outside_address:
            continue
        calls.append(routed)
    return calls


def _skips(route: Route, objects: RoutingObjects, agents_only: bool) -> str:
    """Why the rules the call passed over did not take it (the simulator's words)."""
    if route.selection is None:
        return ""
    by_id = {r["sip_dispatch_rule_id"]: r for r in objects.rules}
    reasons = [
        f"{_label(objects, c.rule_id)}: {printable(c.skipped)}"
        for c in route.selection.candidates
        if c.skipped is not None and (not agents_only or agents_of(by_id.get(c.rule_id, {})))
    ]
    return f" ({'; '.join(reasons)})" if reasons else ""


def _outcome(route: Route, objects: RoutingObjects) -> tuple[str, str]:
    """(kind, words) of a route that does not reach an agent; kind '' when it does."""
    rule = _label(objects, route.rule_id) if route.rule_id else ""
    if route.result == ACCEPT:
        if route.agents:
            return "", ""
        return "agentless", (
            f"joins room {quote(route.room_pattern)} without an agent: rule {rule} takes it"
            + _skips(route, objects, agents_only=True)
        )
    if route.result == REQUEST_PIN:
        return "pin", f"is asked for the PIN of rule {rule}"
    if route.result in _REFUSED:
        return "refused", f"is refused: {printable(route.error or '')}"
    return "unanswered", (
        "is not answered: no dispatch rule takes it" + _skips(route, objects, agents_only=False)
    )


@register
class OrdinaryCallersReachAgents(StackRule):
    id = "LKSSTK014"
    title = "An ordinary caller on each number reaches an agent"
    description = (
        "For each number of an inbound trunk, the simulated call of an ordinary caller (no "
        "PIN, a number on no allowed_numbers or inbound_numbers list, from an address the "
        "trunk allows) is accepted into a room with an agent. A PIN prompt, a room without "
        "an agent, a call refused or not answered (dropped or rejected, whichever the server "
        "release does) is reported with the simulator's reasons. List numbers meant to ask "
        "every caller for a PIN in pinNumbers, and numbers whose rooms are joined without an "
        "agent in agentlessNumbers. Trunks no rule routes (LKSSTK005) and trunks whose rules "
        "dispatch no agent at all (LKSDR002) are left to those rules; on a trunk restricted "
        "with allowed_numbers, the ordinary callers are the admitted ones no rule lists."
    )
    severity = Severity.HIGH
    enforcement = Enforcement.ADVISORY
    remediation = (
        "Read the 'Why' (the rule chosen and why): give the open rule the call's trunk or "
        "number, move the PIN rule to its own number, or list the number in pinNumbers or "
        "agentlessNumbers when that is what it is for."
    )
    url = TROUBLESHOOTING
    config_schema = {
        PIN_NUMBERS_KEY: {
            "type": "array",
            "items": {"type": "string"},
            "description": "Inbound numbers where every caller is meant to be asked for a PIN.",
            "default": [],
        },
        AGENTLESS_NUMBERS_KEY: {
            "type": "array",
            "items": {"type": "string"},
            "description": "Inbound numbers whose calls are meant to join a room without an "
            "agent (a conference bridge, a human-staffed room).",
            "default": [],
        },
    }

    def check(
        self, resources: Sequence[StackResource], config: Mapping[str, Any]
    ) -> Iterable[Finding]:
        analysis = stack_call_classes(resources)
        if analysis is None:
            return
        objects, classes = analysis
        excused = {
            "pin": _numbers(config, PIN_NUMBERS_KEY),
            "agentless": _numbers(config, AGENTLESS_NUMBERS_KEY),
        }
        listed_callers = {n for r in objects.rules for n in strings(r, "inbound_numbers")}
        wildcard = [r for r in objects.rules if not r["trunk_ids"]]
        by_trunk: dict[str, list[Mapping[str, Any]]] = {}
        for rule in objects.rules:
            for named in dict.fromkeys(rule["trunk_ids"]):
                by_trunk.setdefault(named, []).append(rule)
        by_number: dict[str, list[RoutedCall]] = {}
        for routed in classes.calls:
            by_number.setdefault(routed.call.to, []).append(routed)
        for trunk in objects.trunks:
            tid = trunk["sip_trunk_id"]
            routing = wildcard + by_trunk.get(tid, [])
            if not routing or not any(agents_of(r) for r in routing):
                continue  # LKSSTK005: no rule; LKSDR002: no rule dispatches an agent
            seen: set[str] = set()
            for index, number in enumerate(strings(trunk, "numbers")):
                key = normalize_number(number)
                if key in seen:
                    continue
                seen.add(key)
                for routed in _ordinary(trunk, number, by_number.get(number, []), listed_callers):
                    kind, words = _outcome(routed.route, objects)
                    if not kind or kind == "refused" or key in excused.get(kind, ()):
                        # refused: the conflict rules (LKSSTK002-004) report why
                        continue
                    yield Finding(
                        f"an ordinary caller, the {_describe(routed)}, {words}",
                        f"numbers[{index}]",
                        objects.urns[tid],
                    )
                    break


# --- LKSSTK015 ----------------------------------------------------------------------------------


@register
class WildcardRuleServesOneTrunk(StackRule):
    id = "LKSSTK015"
    title = "A rule without trunk_ids does not serve several trunks"
    description = (
        "A dispatch rule without trunk_ids takes calls from every inbound trunk, and calls no "
        "trunk takes at all (stray INVITEs to the project's SIP address, livekit/sip#460). In "
        "a stack with more than one inbound trunk, a rule that the simulated calls show "
        "taking calls from several trunks is reported with the trunks it captures: a line "
        "added later silently lands on its agent, and a rule naming a trunk beats it "
        "whatever its priority."
    )
    severity = Severity.MEDIUM
    enforcement = Enforcement.ADVISORY
    remediation = (
        "Set trunk_ids to the trunks the rule is for (trunk_ids=[trunk.sip_trunk_id]); keep "
        "one rule without trunk_ids only as a deliberate catch-all, exempted here."
    )
    url = WILDCARD_DISPATCH_ISSUE

    def check(
        self, resources: Sequence[StackResource], config: Mapping[str, Any]
    ) -> Iterable[Finding]:
        analysis = stack_call_classes(resources)
        if analysis is None:
            return
        objects, classes = analysis
        if len(objects.trunks) < 2:
            return
        captured: dict[str, dict[str, None]] = {}
        stray: dict[str, RoutedCall] = {}
        for routed in classes.calls:
            rid = _taken_by(routed.route)
            if not rid:
                continue
            if routed.route.trunk_id:
                captured.setdefault(rid, {})[routed.route.trunk_id] = None
            else:
                stray.setdefault(rid, routed)
        for rule in objects.rules:
            rid = rule["sip_dispatch_rule_id"]
            trunks = list(captured.get(rid, ()))
            if rule["trunk_ids"] or len(trunks) < 2:
                continue
            names = ", ".join(_label(objects, t) for t in trunks)
            extra = (
                f", and calls no trunk takes (e.g. the {_describe(stray[rid])})"
                if rid in stray
                else ""
            )
            yield Finding(
                f"has no trunk_ids and takes the calls of {len(trunks)} trunks: {names}{extra}",
                "trunk_ids",
                objects.urns[rid],
            )


# --- What the map colours ----------------------------------------------------------------------


@dataclass(frozen=True)
class Unreachable:
    """What LKSSTK013 and LKSSTK014 find, by LiveKit ID: the dispatch rules no call reaches,
    and the (trunk ID, number as written) whose ordinary caller reaches no agent."""

    rules: frozenset[str] = frozenset()
    numbers: frozenset[tuple[str, str]] = frozenset()


_INDEX = re.compile(r"^numbers\[(\d+)\]$")


def unreachable(
    resources: Sequence[StackResource], config: Mapping[str, Any] | None = None
) -> Unreachable:
    """The findings of LKSSTK013 and LKSSTK014 over ``resources`` (whose props carry their
    LiveKit IDs: a live project, a stack after ``up``), as IDs for the routing map. ``config``
    is LKSSTK014's (pinNumbers, agentlessNumbers)."""
    by_urn = {r.urn: r for r in resources}
    rules: set[str] = set()
    for finding in DispatchRulesReachable().check(resources, {}):
        rule = by_urn.get(finding.urn or "")
        if rule is not None and isinstance(rule.props.get("sip_dispatch_rule_id"), str):
            rules.add(rule.props["sip_dispatch_rule_id"])
    numbers: set[tuple[str, str]] = set()
    for finding in OrdinaryCallersReachAgents().check(resources, config or {}):
        trunk = by_urn.get(finding.urn or "")
        match = _INDEX.match(finding.field or "")
        if trunk is None or match is None:
            continue
        listed = strings(trunk.props, "numbers")
        trunk_id = trunk.props.get("sip_trunk_id")
        if isinstance(listed, list) and isinstance(trunk_id, str):
            numbers.add((trunk_id, listed[int(match.group(1))]))
    return Unreachable(frozenset(rules), frozenset(numbers))
