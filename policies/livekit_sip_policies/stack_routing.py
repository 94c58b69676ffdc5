"""Stack rules over call routing (band LKSSTK): every trunk reached by a dispatch rule, noise
cancellation on the way, caller filters, and calls simulated with :mod:`.routing`.

Findings about what no dispatch rule routes, and the simulation, wait until every dispatch
rule's references are resolved (:mod:`.references`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from livekit_sip_core import NEWEST_SERVER, OLDEST_SERVER, normalize_number
from livekit_sip_core.links import DISPATCH_RULE_DOC, INBOUND_TRUNK_DOC, TROUBLESHOOTING

from .expectations import parse_expectations, unmet
from .references import ID_PROPS, StackReferences
from .routing import admits_caller, agents_of
from .routing import route as simulate_route
from .rule import (
    DISPATCH_RULE,
    INBOUND_TRUNK,
    OUTBOUND_TRUNK,
    UNKNOWN,
    Enforcement,
    Finding,
    Severity,
    StackResource,
    StackRule,
    is_unknown,
    of_type,
    register,
)
from .values import contains_unknown, flag, strings, text

__all__ = ["CALLS_KEY", "RoutingObjects", "routing_objects"]


@register
class InboundTrunkReachable(StackRule):
    id = "LKSSTK005"
    title = "Every inbound trunk has a dispatch rule"
    description = (
        "Each inbound trunk is named by some dispatch rule's trunk_ids, or a rule without "
        "trunk_ids (matching every trunk) exists. Otherwise calls to the trunk are turned "
        f"away: livekit-server {NEWEST_SERVER} rejects them (the SIP bridge answers 404 'Does "
        f"not match Trunks or Dispatch Rules'), {OLDEST_SERVER} drops them unanswered."
    )
    severity = Severity.HIGH
    enforcement = Enforcement.MANDATORY
    remediation = (
        "Add a dispatch rule with trunk_ids=[trunk.sip_trunk_id], or exempt trunks routed by "
        "rules managed outside this stack (exemptResources)."
    )
    url = TROUBLESHOOTING

    def check(
        self, resources: Sequence[StackResource], config: Mapping[str, Any]
    ) -> Iterable[Finding]:
        references = StackReferences(resources)
        if not references.resolved:
            return  # an unresolved rule may route any trunk
        for trunk in of_type(resources, INBOUND_TRUNK):
            if not references.routed(trunk):
                yield Finding(
                    "no dispatch rule routes calls from this trunk, so they are turned away "
                    "(rejected with 404, or dropped by older servers)",
                    None,
                    trunk.urn,
                )


@register
class NoiseCancellation(StackRule):
    id = "LKSSTK006"
    title = "Inbound calls get noise cancellation"
    description = (
        "Krisp noise cancellation is on for every inbound trunk, either on the trunk "
        "(krisp_enabled) or on every dispatch rule that routes its calls. Phone audio is noisy; "
        "agents transcribe it much better with noise cancellation."
    )
    severity = Severity.LOW
    enforcement = Enforcement.ADVISORY
    remediation = "Set krisp_enabled=True on the inbound trunk or on its dispatch rules."
    url = INBOUND_TRUNK_DOC

    def check(
        self, resources: Sequence[StackResource], config: Mapping[str, Any]
    ) -> Iterable[Finding]:
        references = StackReferences(resources)
        for trunk in of_type(resources, INBOUND_TRUNK):
            on_trunk = flag(trunk.props, "krisp_enabled")
            if is_unknown(on_trunk) or on_trunk:
                continue
            rules = references.routing(trunk)
            if not references.resolved and not rules:
                continue
            flags = [_krisp(rule) for rule in rules]
            if any(is_unknown(f) for f in flags):
                continue
            if rules and all(flags):
                continue
            yield Finding(
                "is off on the trunk and on its dispatch rules"
                if rules
                else "is off on the trunk (and no dispatch rule routes it)",
                "krisp_enabled",
                trunk.urn,
            )


def _krisp(rule: StackResource) -> object:
    props = rule.props
    return flag(props, "krisp_enabled") if isinstance(props, Mapping) else UNKNOWN


@register
class CallerFilterIsNotCalledNumber(StackRule):
    id = "LKSSTK009"
    title = "inbound_numbers is not used as a called-number filter"
    description = (
        "A dispatch rule's inbound_numbers filters callers (the number calling in). Listing the "
        "trunk's own number there, meaning 'calls to this number', makes the rule match only "
        "calls from that number: real callers ring and no rule answers."
    )
    severity = Severity.HIGH
    enforcement = Enforcement.ADVISORY
    remediation = (
        "Move the trunk's number from inbound_numbers to numbers (the called-number filter), "
        "or drop the filter when the rule serves the whole trunk."
    )
    url = DISPATCH_RULE_DOC

    def check(
        self, resources: Sequence[StackResource], config: Mapping[str, Any]
    ) -> Iterable[Finding]:
        trunks = of_type(resources, INBOUND_TRUNK)
        inbound = {t.urn for t in trunks}
        for rule, refs in StackReferences(resources).rules:
            if not isinstance(rule.props, Mapping):
                continue
            callers = strings(rule.props, "inbound_numbers")
            if is_unknown(callers) or not callers:
                continue
            routed = trunks if refs.wildcard else [t for t in refs.resources() if t.urn in inbound]
            own: dict[str, str] = {}
            for trunk in routed:
                numbers = strings(trunk.props, "numbers")
                if not is_unknown(numbers):
                    own.update({normalize_number(n): trunk.name for n in numbers})
            for index, caller in enumerate(callers):
                trunk_name = own.get(normalize_number(caller))
                if trunk_name is not None:
                    yield Finding(
                        f"'{caller}' is a number of trunk '{trunk_name}' (the number called), "
                        "but inbound_numbers filters callers: calls from anyone else never "
                        "match; put it in numbers",
                        f"inbound_numbers[{index}]",
                        rule.urn,
                    )


TRUNK_ROUTING_FIELDS = (
    "name",
    "numbers",
    "allowed_numbers",
    "allowed_addresses",
    "auth_username",
    "krisp_enabled",
    "media_encryption",
    "media",
)
RULE_ROUTING_FIELDS = (
    "name",
    "rule",
    "inbound_numbers",
    "numbers",
    "hide_phone_number",
    "attributes",
    "metadata",
    "room_config",
    "room_preset",
    "krisp_enabled",
    "media_encryption",
    "media",
)


@dataclass(frozen=True)
class RoutingObjects:
    """The stack's inbound trunks and dispatch rules as the routing simulator reads them.

    Objects without a LiveKit ID yet (a new stack) get a placeholder ID '<resource name>';
    ``names`` maps an ID to the names a config may use (resource name, LiveKit name),
    ``urns`` maps it to the resource.
    """

    trunks: list[dict[str, Any]]
    rules: list[dict[str, Any]]
    names: dict[str, list[str]]
    urns: dict[str, str]


def _known_id(resource: StackResource, keys: Sequence[str]) -> str | None:
    for key in keys:
        value = resource.props.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def routing_objects(resources: Sequence[StackResource]) -> RoutingObjects | None:
    """Simulator inputs from the stack; None when a field routing reads is not known yet.

    Dispatch rules' trunk_ids are resolved with :class:`StackReferences`, so a new stack
    (unknown IDs) is simulated as it will be created; the simulation needs every rule resolved.
    Trunk passwords are not read.
    """
    if any(
        r.type in (INBOUND_TRUNK, DISPATCH_RULE) and not isinstance(r.props, Mapping)
        for r in resources
    ):
        return None  # an object whose properties are all unknown routes in unknown ways
    references = StackReferences(resources)
    if not references.resolved:
        return None
    sim_ids: dict[str, str] = {}
    names: dict[str, list[str]] = {}
    urns: dict[str, str] = {}

    def assign(resource: StackResource, id_keys: Sequence[str]) -> str:
        sim_id = _known_id(resource, id_keys) or f"<{resource.name}>"
        while sim_id in urns and urns[sim_id] != resource.urn:
            sim_id += "'"
        sim_ids[resource.urn] = sim_id
        urns[sim_id] = resource.urn
        name = text(resource.props, "name")
        names[sim_id] = [resource.name] + ([name] if isinstance(name, str) and name else [])
        return sim_id

    trunks: list[dict[str, Any]] = []
    for trunk in of_type(resources, INBOUND_TRUNK):
        fields = {k: trunk.props.get(k) for k in TRUNK_ROUTING_FIELDS}
        if contains_unknown(fields):
            return None
        trunks.append({**fields, "sip_trunk_id": assign(trunk, ID_PROPS)})
    for other in of_type(resources, OUTBOUND_TRUNK):
        assign(other, ID_PROPS)
    rules: list[dict[str, Any]] = []
    for rule, refs in references.rules:
        fields = {k: rule.props.get(k) for k in RULE_ROUTING_FIELDS}
        if contains_unknown(fields):
            return None
        trunk_ids = [
            sim_ids.get(ref.resource.urn, "") if ref.resource is not None else ref.trunk_id or ""
            for ref in refs.refs
        ]
        sim_id = assign(rule, ("sip_dispatch_rule_id", "adopt_id"))
        rules.append({**fields, "trunk_ids": trunk_ids, "sip_dispatch_rule_id": sim_id})
    return RoutingObjects(trunks, rules, names, urns)


CALLS_KEY = "calls"


@register
class RoutingExpectations(StackRule):
    id = "LKSSTK011"
    title = "Calls are routed as expected"
    description = (
        "Each call listed in the calls knob (caller, called number, source address, PIN) gets "
        "the configured outcome: an agent, a room, a PIN prompt, a rejection. The pack "
        f"simulates livekit-server {NEWEST_SERVER}'s routing (trunk matching, dispatch rule "
        "selection and priorities, room names) over the stack's trunks and rules, the first "
        "preview included; a failure names the call, the predicted outcome and why. 'reject' "
        "and 'drop' are one expectation (no dispatch rule takes the call): "
        f"{NEWEST_SERVER} answers REJECT, {OLDEST_SERVER} DROP. Without calls there is "
        "nothing to check. Objects outside the stack are not simulated."
    )
    severity = Severity.HIGH
    enforcement = Enforcement.MANDATORY
    remediation = (
        "Read the 'Why' of the message (the trunk filter or rule that decides) and fix the "
        "trunk or dispatch rule, or the expectation if the routing is what you want."
    )
    url = DISPATCH_RULE_DOC
    config_schema = {
        CALLS_KEY: {
            "type": "array",
            "items": {"type": "object"},
            "description": (
                "Calls and their expected routing: {from, to, sourceIp?, host?, pin?, noPin?, "
                "authUsername?, name?, expect: 'reject' (or 'drop') | 'refused' | 'accept' | "
                "{agent?, agents?, room?, pin?, trunk?, rule?, identity?}}."
            ),
            "default": [],
        }
    }

    def check(
        self, resources: Sequence[StackResource], config: Mapping[str, Any]
    ) -> Iterable[Finding]:
        expectations, problems = parse_expectations(config.get(CALLS_KEY))
        for index, problem in problems:
            where = f"{CALLS_KEY}[{index}]" if index >= 0 else CALLS_KEY
            yield Finding(f"policy config entry {problem}", where)
        if not expectations:
            return
        objects = routing_objects(resources)
        if objects is None:
            return
        for expectation in expectations:
            result = simulate_route(objects.trunks, objects.rules, expectation.call)
            message = unmet(expectation, result, objects.names)
            if message is not None:
                # The deciding object: the rule, else the trunk, else the first trunk that
                # turned the call away.
                candidates = [result.rule_id, result.trunk_id]
                candidates += [c.trunk_id for c in result.trunk.checks if c.failed_on]
                urn = next((objects.urns[c] for c in candidates if c in objects.urns), None)
                yield Finding(message, f"{CALLS_KEY}[{expectation.index}]", urn)


@register
class NumbersReachAgents(StackRule):
    id = "LKSSTK012"
    title = "Every inbound number can reach an agent"
    description = (
        "For each number of an inbound trunk that dispatch rules route, some rule that "
        "dispatches an agent can take a call to it: its numbers include the number (or are "
        "empty) and its inbound_numbers admit a caller the trunk accepts. Otherwise every call "
        "to the number ends in a room without an agent, or is dropped. Reported only when "
        "certain (PINs, wildcard rules and number formats get the benefit of the doubt), and "
        "only when some rule for the trunk dispatches an agent (LKSDR002 covers the others)."
    )
    severity = Severity.HIGH
    enforcement = Enforcement.ADVISORY
    remediation = (
        "Add the number to the numbers of a dispatch rule with room_config.agents (or empty "
        "its numbers), or widen the rule's inbound_numbers; check with a routing expectation "
        "(LKSSTK011)."
    )
    url = DISPATCH_RULE_DOC

    def check(
        self, resources: Sequence[StackResource], config: Mapping[str, Any]
    ) -> Iterable[Finding]:
        objects = routing_objects(resources)
        if objects is None:
            return
        # The rules of each trunk, in the rules' order: rules without trunk_ids take every
        # trunk. (Indexed once: scanning every rule per trunk was quadratic.)
        wildcard: list[int] = []
        by_trunk: dict[str, list[int]] = {}
        for position, rule in enumerate(objects.rules):
            if not rule["trunk_ids"]:
                wildcard.append(position)
            for named in dict.fromkeys(rule["trunk_ids"]):
                by_trunk.setdefault(named, []).append(position)
        for trunk in objects.trunks:
            tid = trunk["sip_trunk_id"]
            positions = sorted({*wildcard, *by_trunk.get(tid, ())})
            rules = [objects.rules[p] for p in positions]
            if not rules or not any(agents_of(r) for r in rules):
                continue  # LKSSTK005: no rule; LKSDR002: no rule dispatches an agent
            allowed = strings(trunk, "allowed_numbers")
            seen: set[str] = set()
            for index, number in enumerate(strings(trunk, "numbers")):
                key = normalize_number(number)
                if key in seen:
                    continue
                seen.add(key)
                why = [_why_no_agent(r, key, allowed, objects.names) for r in rules]
                if all(why):
                    yield Finding(
                        f"calls to '{number}' never reach an agent: " + "; ".join(why),
                        f"numbers[{index}]",
                        objects.urns[tid],
                    )


def _why_no_agent(
    rule: Mapping[str, Any], number: str, allowed: Sequence[str], names: Mapping[str, list[str]]
) -> str:
    """Why ``rule`` never puts an agent on a call to ``number`` ('' when it can)."""
    name = (names.get(rule["sip_dispatch_rule_id"]) or ["?"])[0]
    if not agents_of(rule):
        return f"rule '{name}' dispatches no agent"
    numbers = strings(rule, "numbers")
    if numbers and all(normalize_number(n) != number for n in numbers):
        return f"rule '{name}' takes only calls to {numbers}"
    callers = strings(rule, "inbound_numbers")
    if callers and not any(admits_caller(c, allowed) for c in callers):
        return (
            f"rule '{name}' takes only callers {callers}, which the trunk's allowed_numbers "
            f"{list(allowed)} turn away"
        )
    return ""
