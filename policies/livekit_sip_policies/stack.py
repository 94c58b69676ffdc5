"""Rules over the whole stack (band LKSSTK): references, conflicts, reachability.

During the first preview nothing exists yet, so every trunk ID is unknown. The engine still
tells which resources a value comes from (``property_dependencies``): a dispatch rule's
``trunk_ids`` entries are resolved through them to the trunks they reference, so the checks
below already work before anything is created.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .conflicts import (
    DispatchRuleKeys,
    InboundTrunkKeys,
    TrunkConflict,
    dispatch_rule_conflicts,
    inbound_trunk_conflicts,
    inbound_trunk_overlaps,
)
from .dispatch import known_rule_kind
from .expectations import parse_expectations, unmet
from .links import DISPATCH_RULE_DOC, INBOUND_TRUNK_DOC, TELNYX_DOC, TROUBLESHOOTING
from .numbers import normalize_number
from .providers import provider_of
from .routing import admits_caller, agents_of
from .routing import route as simulate_route
from .rule import (
    COMPONENT_TYPE_PREFIX,
    DISPATCH_RULE,
    INBOUND_TRUNK,
    OUTBOUND_TRUNK,
    RESOURCE_TYPES,
    Enforcement,
    Finding,
    Registry,
    Severity,
    StackResource,
    StackRule,
    is_unknown,
)
from .values import contains_unknown, flag, string, strings, text

__all__ = ["RoutingObjects", "TrunkRef", "TrunkRefs", "register", "routing_objects", "trunk_refs"]

TRUNK_TYPES = (INBOUND_TRUNK, OUTBOUND_TRUNK)
#: Props under which a trunk resource carries its LiveKit ID.
ID_PROPS = ("sip_trunk_id", "adopt_id")


@dataclass(frozen=True)
class TrunkRef:
    """One trunk a dispatch rule names: a trunk of the stack, or an ID from elsewhere."""

    field: str
    resource: StackResource | None = None
    trunk_id: str | None = None

    @property
    def identity(self) -> str:
        """The same string for every reference to the same trunk."""
        return self.resource.urn if self.resource is not None else (self.trunk_id or "")


@dataclass(frozen=True)
class TrunkRefs:
    """What a dispatch rule's trunk_ids resolves to.

    ``wildcard``: trunk_ids is empty, the rule matches every trunk. ``resolved`` is False when
    some entries cannot be told yet (unknown and not traceable to a resource).
    """

    wildcard: bool
    refs: tuple[TrunkRef, ...]
    resolved: bool


def _trunk_ids(resource: StackResource) -> set[str]:
    ids = set()
    for key in ID_PROPS:
        value = resource.props.get(key) if isinstance(resource.props, Mapping) else None
        if isinstance(value, str) and value:
            ids.add(value)
    return ids


@dataclass(frozen=True)
class _TrunkIndex:
    """The trunks of a stack by URN and by ID, built once per check rather than once per
    dispatch rule (which made the stack rules quadratic in the stack's size)."""

    by_urn: Mapping[str, StackResource]
    #: LiveKit ID -> the first trunk (in stack order) that carries it.
    by_id: Mapping[str, StackResource]

    @classmethod
    def of(cls, resources: Sequence[StackResource]) -> _TrunkIndex:
        trunks = [r for r in resources if r.type in TRUNK_TYPES]
        by_id: dict[str, StackResource] = {}
        for trunk in trunks:
            for trunk_id in _trunk_ids(trunk):
                by_id.setdefault(trunk_id, trunk)
        return cls(by_urn={r.urn: r for r in trunks}, by_id=by_id)


def trunk_refs(
    rule: StackResource,
    resources: Sequence[StackResource],
    index: _TrunkIndex | None = None,
) -> TrunkRefs:
    """Resolve ``rule``'s trunk_ids to trunks of the stack, through IDs and dependencies.

    ``index``: the trunks of ``resources`` (``_TrunkIndex.of(resources)``), when the caller
    resolves many rules of the same stack.
    """
    props = rule.props if isinstance(rule.props, Mapping) else {}
    raw = props.get("trunk_ids") if not is_unknown(rule.props) else rule.props
    if index is None:
        index = _TrunkIndex.of(resources)
    by_urn = index.by_urn
    dep_trunks = [
        by_urn[urn] for urn in rule.property_dependencies.get("trunk_ids", ()) if urn in by_urn
    ]
    if raw is None or (isinstance(raw, list) and not raw):
        return TrunkRefs(wildcard=True, refs=(), resolved=True)
    if not isinstance(raw, list):
        # The whole list is unknown: it references whatever trunks it is computed from.
        refs = tuple(TrunkRef("trunk_ids", resource=r) for r in dep_trunks)
        return TrunkRefs(wildcard=False, refs=refs, resolved=bool(dep_trunks))
    refs_list: list[TrunkRef] = []
    matched: set[str] = set()
    unknown_count = 0
    literals: list[tuple[int, str]] = []
    for position, value in enumerate(raw):
        if is_unknown(value):
            unknown_count += 1
            continue
        value = str(value)
        owner = index.by_id.get(value)
        if owner is not None:
            refs_list.append(TrunkRef(f"trunk_ids[{position}]", resource=owner))
            matched.add(owner.urn)
        else:
            literals.append((position, value))
    remaining = [t for t in dep_trunks if t.urn not in matched]
    if literals and not unknown_count and remaining:
        # The IDs come from trunks of the stack whose props do not show them (e.g. replaced).
        unknown_count, literals = len(literals), []
    refs_list.extend(TrunkRef(f"trunk_ids[{i}]", trunk_id=v) for i, v in literals)
    if unknown_count:
        refs_list.extend(TrunkRef("trunk_ids", resource=t) for t in remaining)
    resolved = not unknown_count or bool(remaining)
    return TrunkRefs(wildcard=False, refs=tuple(refs_list), resolved=resolved)


def _of_type(resources: Sequence[StackResource], type_: str) -> list[StackResource]:
    return [r for r in resources if r.type == type_ and isinstance(r.props, Mapping)]


EXTERNAL_KEY = "externalTrunkIds"


class DispatchTrunkReferences(StackRule):
    id = "LKSSTK001"
    title = "Dispatch rules reference inbound trunks that exist"
    description = (
        "Every trunk_ids entry of a dispatch rule is an inbound trunk of this stack or an ID "
        "declared in externalTrunkIds. The server accepts any string: a rule naming a missing "
        "trunk, a provider's trunk SID (e.g. Twilio 'TK...') or an outbound trunk never "
        "matches a call (404 object cannot be found / calls ring unanswered)."
    )
    severity = Severity.CRITICAL
    enforcement = Enforcement.MANDATORY
    remediation = (
        "Pass the inbound trunk resource's sip_trunk_id (e.g. trunk_ids=[trunk.sip_trunk_id]); "
        "list LiveKit IDs ('ST_...') of trunks managed elsewhere in externalTrunkIds."
    )
    url = TROUBLESHOOTING
    config_schema = {
        EXTERNAL_KEY: {
            "type": "array",
            "items": {"type": "string"},
            "description": "LiveKit IDs (ST_...) of inbound trunks that exist outside this stack.",
            "default": [],
        }
    }

    def check(
        self, resources: Sequence[StackResource], config: Mapping[str, Any]
    ) -> Iterable[Finding]:
        external = {str(v) for v in config.get(EXTERNAL_KEY) or ()}
        index = _TrunkIndex.of(resources)
        for rule in _of_type(resources, DISPATCH_RULE):
            for ref in trunk_refs(rule, resources, index).refs:
                if ref.resource is not None:
                    if ref.resource.type == OUTBOUND_TRUNK:
                        yield Finding(
                            f"references outbound trunk '{ref.resource.name}': dispatch rules "
                            "match inbound trunks only, so this entry never matches",
                            ref.field,
                            rule.urn,
                        )
                    continue
                trunk_id = ref.trunk_id or ""
                if trunk_id in external:
                    continue
                hint = (
                    " (LiveKit trunk IDs start with 'ST_'; this looks like a provider's ID)"
                    if not trunk_id.startswith("ST_")
                    else ""
                )
                yield Finding(
                    f"'{trunk_id}' is not an inbound trunk of this stack nor listed in "
                    f"{EXTERNAL_KEY}{hint}",
                    ref.field,
                    rule.urn,
                )


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
    return [k for t in _of_type(resources, INBOUND_TRUNK) if (k := _trunk_keys(t))]


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


def _dispatch_keys(
    rule: StackResource, resources: Sequence[StackResource], index: _TrunkIndex
) -> DispatchRuleKeys | None:
    kind = known_rule_kind(rule.props)
    if kind is None:
        return None
    pin = string(kind[1].get("pin"))
    inbound_numbers = strings(rule.props, "inbound_numbers")
    numbers = strings(rule.props, "numbers")
    if any(is_unknown(v) for v in (pin, inbound_numbers, numbers)):
        return None
    refs = trunk_refs(rule, resources, index)
    if not refs.resolved:
        return None
    trunks = sorted({ref.identity for ref in refs.refs})
    return DispatchRuleKeys(rule.urn, pin, trunks, inbound_numbers, numbers)


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
        index = _TrunkIndex.of(resources)
        keys = [
            k
            for r in _of_type(resources, DISPATCH_RULE)
            if (k := _dispatch_keys(r, resources, index))
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


def _routing(
    resources: Sequence[StackResource],
) -> tuple[bool, list[tuple[StackResource, TrunkRefs]]]:
    """Every dispatch rule with its references; False first when some cannot be resolved."""
    index = _TrunkIndex.of(resources)
    routes = [
        (r, trunk_refs(r, resources, index)) for r in _of_type(resources, DISPATCH_RULE)
    ]
    return all(refs.resolved for _, refs in routes), routes


def _rules_by_trunk(
    routes: Sequence[tuple[StackResource, TrunkRefs]],
) -> tuple[list[int], dict[int, list[int]]]:
    """Which routes reach which trunk, in one pass: the positions (in ``routes``) of the
    wildcard rules, and per trunk (by ``id()``, as ``ref.resource is trunk`` compares) the
    positions of the rules naming it."""
    wildcards: list[int] = []
    named: dict[int, list[int]] = {}
    for position, (_, refs) in enumerate(routes):
        if refs.wildcard:
            wildcards.append(position)
            continue
        for ref in refs.refs:
            if ref.resource is not None:
                positions = named.setdefault(id(ref.resource), [])
                if not positions or positions[-1] != position:
                    positions.append(position)
    return wildcards, named


class InboundTrunkReachable(StackRule):
    id = "LKSSTK005"
    title = "Every inbound trunk has a dispatch rule"
    description = (
        "Each inbound trunk is named by some dispatch rule's trunk_ids, or a rule without "
        "trunk_ids (matching every trunk) exists. Otherwise calls to the trunk are accepted "
        "and then dropped: 'No SIP Dispatch Rules matched'."
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
        resolved, routes = _routing(resources)
        if not resolved:
            return
        wildcards, named = _rules_by_trunk(routes)
        for trunk in _of_type(resources, INBOUND_TRUNK):
            if not wildcards and id(trunk) not in named:
                yield Finding(
                    "no dispatch rule routes calls from this trunk, so they are dropped",
                    None,
                    trunk.urn,
                )


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
        resolved, routes = _routing(resources)
        wildcards, named = _rules_by_trunk(routes)
        for trunk in _of_type(resources, INBOUND_TRUNK):
            on_trunk = flag(trunk.props, "krisp_enabled")
            if is_unknown(on_trunk) or on_trunk:
                continue
            positions = sorted({*wildcards, *named.get(id(trunk), ())})
            rules = [routes[p][0] for p in positions]
            if not resolved and not rules:
                continue
            flags = [flag(rule.props, "krisp_enabled") for rule in rules]
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


REFER_KEY = "telnyxReferEnabled"


class TelnyxReferAttested(StackRule):
    id = "LKSSTK007"
    title = "Telnyx transfers have SIP REFER enabled"
    description = (
        "Call transfers through Telnyx use SIP REFER, which is off by default on a Telnyx "
        "connection: transfers time out with 408. The pack cannot see Telnyx settings, so "
        "attest REFER in config (telnyxReferEnabled: true) once enabled."
    )
    severity = Severity.MEDIUM
    enforcement = Enforcement.ADVISORY
    remediation = (
        "Enable SIP REFER on the Telnyx SIP connection, then set telnyxReferEnabled: true in "
        "this rule's policy config (or disable the rule if no call is ever transferred)."
    )
    url = TELNYX_DOC
    config_schema = {
        REFER_KEY: {
            "type": "boolean",
            "description": "SIP REFER is enabled on the Telnyx connection(s) of this stack.",
            "default": False,
        }
    }

    def check(
        self, resources: Sequence[StackResource], config: Mapping[str, Any]
    ) -> Iterable[Finding]:
        if config.get(REFER_KEY) is True:
            return
        for trunk in _of_type(resources, OUTBOUND_TRUNK):
            address = text(trunk.props, "address")
            if is_unknown(address) or not address:
                continue
            provider = provider_of(address)
            if provider is not None and provider.name == "Telnyx":
                yield Finding(
                    f"is a Telnyx host: transfers fail with 408 unless SIP REFER is enabled "
                    f"on the connection (attest it with {REFER_KEY}: true)",
                    "address",
                    trunk.urn,
                )


class UninspectableObjects(StackRule):
    id = "LKSSTK008"
    title = "Every LiveKit SIP object can be inspected"
    description = (
        "The pack checks the three resource types of livekit-sip-pulumi. LiveKit SIP objects "
        "of another type, or whose properties are all unknown, are not checked: their "
        "problems and their conflicts with other objects go unseen."
    )
    severity = Severity.LOW
    enforcement = Enforcement.ADVISORY
    remediation = (
        "Manage LiveKit SIP objects with livekit-sip-pulumi's SipInboundTrunk, "
        "SipOutboundTrunk and SipDispatchRule; re-run after the values become known."
    )
    url = TROUBLESHOOTING

    def check(
        self, resources: Sequence[StackResource], config: Mapping[str, Any]
    ) -> Iterable[Finding]:
        for resource in resources:
            lowered = resource.type.lower()
            if resource.type in RESOURCE_TYPES:
                props = resource.props
                if is_unknown(props) or (
                    isinstance(props, Mapping)
                    and props
                    and all(contains_unknown(v) for k, v in props.items() if k != "__provider")
                ):
                    yield Finding(
                        "every property is unknown, so this object is not checked",
                        None,
                        resource.urn,
                    )
            elif resource.type.startswith(COMPONENT_TYPE_PREFIX):
                # livekit-sip-pulumi's own components: their children are checked.
                continue
            elif "livekit" in lowered and "sip" in lowered and resource.props:
                yield Finding(
                    f"type '{resource.type}' is a LiveKit SIP object the pack cannot inspect",
                    None,
                    resource.urn,
                )


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
        trunks = _of_type(resources, INBOUND_TRUNK)
        for rule in _of_type(resources, DISPATCH_RULE):
            callers = strings(rule.props, "inbound_numbers")
            if is_unknown(callers) or not callers:
                continue
            refs = trunk_refs(rule, resources)
            routed = (
                trunks if refs.wildcard else [r.resource for r in refs.refs if r.resource in trunks]
            )
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


class UniqueNames(StackRule):
    id = "LKSSTK010"
    title = "Objects of one kind have distinct names"
    description = (
        "No two inbound trunks, outbound trunks or dispatch rules of the stack share a name. "
        "The LiveKit console, `lk sip ... list` and call logs show objects by name, and "
        "livekit-sip-pulumi recognizes an object left behind by an interrupted update by its "
        "name and declared fields: two identical objects with one name cannot be told apart."
    )
    severity = Severity.LOW
    enforcement = Enforcement.ADVISORY
    remediation = (
        "Give each object its own name (it defaults to the Pulumi resource name; an explicit "
        "name argument overrides it)."
    )
    url = TROUBLESHOOTING

    KINDS = (
        (INBOUND_TRUNK, "inbound trunk"),
        (OUTBOUND_TRUNK, "outbound trunk"),
        (DISPATCH_RULE, "dispatch rule"),
    )

    def check(
        self, resources: Sequence[StackResource], config: Mapping[str, Any]
    ) -> Iterable[Finding]:
        for resource_type, kind in self.KINDS:
            first: dict[str, StackResource] = {}
            for resource in _of_type(resources, resource_type):
                name = text(resource.props, "name")
                if is_unknown(name) or not name:
                    continue
                if name in first:
                    yield Finding(
                        f"'{name}' is also the name of {kind} '{first[name].name}'",
                        "name",
                        resource.urn,
                    )
                else:
                    first[name] = resource


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

    Dispatch rules' trunk_ids are resolved with :func:`trunk_refs`, so a new stack (unknown
    IDs) is simulated as it will be created. Trunk passwords are not read.
    """
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
    for trunk in _of_type(resources, INBOUND_TRUNK):
        fields = {k: trunk.props.get(k) for k in TRUNK_ROUTING_FIELDS}
        if contains_unknown(fields):
            return None
        trunks.append({**fields, "sip_trunk_id": assign(trunk, ID_PROPS)})
    for other in _of_type(resources, OUTBOUND_TRUNK):
        assign(other, ID_PROPS)
    rules: list[dict[str, Any]] = []
    index = _TrunkIndex.of(resources)
    for rule in _of_type(resources, DISPATCH_RULE):
        fields = {k: rule.props.get(k) for k in RULE_ROUTING_FIELDS}
        refs = trunk_refs(rule, resources, index)
        if contains_unknown(fields) or not refs.resolved:
            return None
        trunk_ids = [
            sim_ids.get(ref.resource.urn, "") if ref.resource is not None else ref.trunk_id or ""
            for ref in refs.refs
        ]
        sim_id = assign(rule, ("sip_dispatch_rule_id", "adopt_id"))
        rules.append({**fields, "trunk_ids": trunk_ids, "sip_dispatch_rule_id": sim_id})
    return RoutingObjects(trunks, rules, names, urns)


CALLS_KEY = "calls"


class RoutingExpectations(StackRule):
    id = "LKSSTK011"
    title = "Calls are routed as expected"
    description = (
        "Each call listed in the calls knob (caller, called number, source address, PIN) gets "
        "the configured outcome: an agent, a room, a PIN prompt, a drop. The pack simulates "
        "livekit-server v1.13.5's routing (trunk matching, dispatch rule selection and "
        "priorities, room names) over the stack's trunks and rules, the first preview "
        "included; a failure names the call, the predicted outcome and why. Without calls "
        "there is nothing to check. Objects outside the stack are not simulated."
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
                "authUsername?, name?, expect: 'drop' | 'refused' | 'accept' | {agent?, "
                "agents?, room?, pin?, trunk?, rule?, identity?}}."
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


RULES: tuple[type[StackRule], ...] = (
    DispatchTrunkReferences,
    InboundTrunkConflicts,
    InboundTrunkOverlaps,
    DispatchRuleConflicts,
    InboundTrunkReachable,
    NoiseCancellation,
    TelnyxReferAttested,
    UninspectableObjects,
    CallerFilterIsNotCalledNumber,
    UniqueNames,
    RoutingExpectations,
    NumbersReachAgents,
)


def register(registry: Registry) -> None:
    for rule in RULES:
        registry.register(rule)
