"""Rules over dispatch rules (band LKSDR)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from livekit_sip_core import (
    DISPATCH_RULE_KEY_LISTS,
    DISPATCH_RULE_KINDS,
    LIVEKIT_SIP_ATTRIBUTES,
    MAX_MEDIA_TIMEOUT,
    MAX_UINT32,
    MEDIA_ENCRYPTIONS,
    RULE_CALLEE,
    RULE_DIRECT,
    RULE_INDIVIDUAL,
    TRUNK_ID_PREFIX,
    agent_name_problem,
    pin_problem,
    quote,
    repeated_entries,
    room_name_problem,
    trunk_id_problem,
)
from livekit_sip_core.links import (
    DISPATCH_RULE_DOC,
    PROTOCOL_DISPATCH_SOURCE,
    SERVER_AGENT_DISPATCH_SOURCE,
    TROUBLESHOOTING,
)

from .numbers import E164ListsRule
from .rule import (
    DISPATCH_RULE,
    UNKNOWN,
    Enforcement,
    Finding,
    ResourceRule,
    Severity,
    is_unknown,
    register,
)
from .server_values import ServerValuesRule
from .values import flag, string

__all__ = ["RULE_KINDS", "known_rule_kind", "rule_kind"]

DIRECT, INDIVIDUAL, CALLEE = RULE_DIRECT, RULE_INDIVIDUAL, RULE_CALLEE
RULE_KINDS = DISPATCH_RULE_KINDS


def _kinds(props: Mapping[str, Any]) -> Any:
    """The rule kinds set on ``props['rule']``: a list of names, or UNKNOWN."""
    rule = props.get("rule")
    if is_unknown(rule):
        return UNKNOWN
    if not isinstance(rule, Mapping):
        return []
    if any(is_unknown(rule.get(kind)) for kind in RULE_KINDS):
        return UNKNOWN
    return [kind for kind in RULE_KINDS if isinstance(rule.get(kind), Mapping)]


def rule_kind(props: Mapping[str, Any]) -> Any:
    """``(kind, body)`` of a dispatch rule with exactly one kind; None if not so; UNKNOWN."""
    kinds = _kinds(props)
    if is_unknown(kinds):
        return UNKNOWN
    if len(kinds) != 1:
        return None
    return kinds[0], props["rule"][kinds[0]]


def known_rule_kind(props: Mapping[str, Any]) -> tuple[str, Any] | None:
    """Like :func:`rule_kind`, with None also when the kinds are not known yet."""
    kind = rule_kind(props)
    return None if is_unknown(kind) else kind


def _agents(props: Mapping[str, Any]) -> Any:
    """``room_config.agents`` as set (None when room_config is not a mapping), or UNKNOWN."""
    room_config = props.get("room_config")
    if is_unknown(room_config):
        return UNKNOWN
    return room_config.get("agents") if isinstance(room_config, Mapping) else None


@register
class DispatchRuleOneKind(ResourceRule):
    id = "LKSDR001"
    title = "Dispatch rule sets exactly one rule kind"
    description = (
        "rule holds exactly one of dispatch_rule_direct, dispatch_rule_individual, "
        "dispatch_rule_callee. Without one the server rejects the rule ('missing rule'); kind "
        "fields placed elsewhere (e.g. room_prefix at the top level) are ignored and calls "
        "ring without being routed."
    )
    severity = Severity.CRITICAL
    enforcement = Enforcement.MANDATORY
    remediation = (
        "Nest the kind under rule, e.g. rule={'dispatch_rule_individual': {'room_prefix': "
        "'call-'}}, and set only one kind."
    )
    url = DISPATCH_RULE_DOC
    resource_types = (DISPATCH_RULE,)

    def check(self, props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[Finding]:
        kinds = _kinds(props)
        if is_unknown(kinds):
            return
        if not kinds:
            yield Finding(
                "sets no rule kind; set one of " + ", ".join(RULE_KINDS),
                "rule",
            )
        elif len(kinds) > 1:
            yield Finding(
                f"sets {len(kinds)} rule kinds ({', '.join(kinds)}); exactly one is allowed",
                "rule",
            )


AGENT_NAMES_KEY = "agentNames"


@register
class DispatchRuleNamesAgent(ResourceRule):
    id = "LKSDR002"
    title = "Dispatch rule dispatches a named, deployed agent"
    description = (
        "room_config.agents lists at least one agent, each with a non-empty agent_name "
        "without invisible or control characters (a newline, a zero-width space) or "
        "surrounding whitespace, and, when the agentNames knob lists the deployed agents, only "
        "those names. An agent with an agent_name is dispatched only by name, compared "
        "exactly: a missing or misspelled name means the call rings and no agent answers."
    )
    severity = Severity.HIGH
    enforcement = Enforcement.MANDATORY
    remediation = (
        "Set room_config={'agents': [{'agent_name': '<the agent_name your worker registers>'}]}; "
        "list deployed agent names in the agentNames knob to catch typos. Exempt rules whose "
        "rooms are joined without an agent."
    )
    url = TROUBLESHOOTING
    resource_types = (DISPATCH_RULE,)
    config_schema = {
        AGENT_NAMES_KEY: {
            "type": "array",
            "items": {"type": "string"},
            "description": "agent_name of every deployed agent; empty means any name.",
            "default": [],
        }
    }

    def check(self, props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[Finding]:
        agents = _agents(props)
        if is_unknown(agents):
            return
        if not isinstance(agents, list) or not agents:
            yield Finding(
                "is empty: no agent is dispatched to the call's room (the call rings and no "
                "agent answers)",
                "room_config.agents",
            )
            return
        deployed = [str(n) for n in config.get(AGENT_NAMES_KEY) or ()]
        for index, agent in enumerate(agents):
            if is_unknown(agent) or not isinstance(agent, Mapping):
                continue
            name = string(agent.get("agent_name"))
            field = f"room_config.agents[{index}].agent_name"
            if is_unknown(name):
                continue
            if problem := agent_name_problem(name):
                yield Finding(problem.message, field)
            elif deployed and name not in deployed:
                yield Finding(
                    f"'{name}' is not a deployed agent (agentNames: {', '.join(deployed)})",
                    field,
                )


@register
class DispatchRuleDirectAgents(ResourceRule):
    id = "LKSDR003"
    title = "Agents on a direct rule join only the first call"
    description = (
        "room_config (and its agents) applies only when a call creates the room. A direct rule "
        "sends every call to one fixed room, so the agent is dispatched for the first caller "
        "only while the room lives."
    )
    severity = Severity.LOW
    enforcement = Enforcement.ADVISORY
    remediation = (
        "Use dispatch_rule_individual (a room per call) for agent calls, or dispatch the agent "
        "to the fixed room explicitly."
    )
    url = DISPATCH_RULE_DOC
    resource_types = (DISPATCH_RULE,)

    def check(self, props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[Finding]:
        kind = known_rule_kind(props)
        if kind is None or kind[0] != DIRECT:
            return
        agents = _agents(props)
        if isinstance(agents, list) and agents:
            yield Finding(
                "names agents on a direct rule: only the call that creates the room gets one",
                "room_config.agents",
            )


@register
class DispatchRuleSharedRoom(ResourceRule):
    id = "LKSDR004"
    title = "Unrelated callers do not share a room"
    description = (
        "A direct rule without a pin, or a callee rule without randomize, puts every caller "
        "(of that number) into the same room: strangers hear each other and the agent."
    )
    severity = Severity.MEDIUM
    enforcement = Enforcement.ADVISORY
    remediation = (
        "Use dispatch_rule_individual for one room per call, set a pin on a direct rule, or "
        "randomize=True on a callee rule. Exempt intentional conference rooms."
    )
    url = DISPATCH_RULE_DOC
    resource_types = (DISPATCH_RULE,)

    def check(self, props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[Finding]:
        kind = known_rule_kind(props)
        if kind is None:
            return
        name, body = kind
        if name == DIRECT:
            pin = string(body.get("pin"))
            if not is_unknown(pin) and not pin:
                yield Finding("has no pin: every caller joins the same room", f"rule.{DIRECT}.pin")
        elif name == CALLEE:
            randomize = flag(body, "randomize")
            if not is_unknown(randomize) and not randomize:
                yield Finding(
                    "is false: every caller of the same number joins the same room",
                    f"rule.{CALLEE}.randomize",
                )


@register
class DispatchRuleHidesPhoneNumber(ResourceRule):
    id = "LKSDR005"
    title = "Caller numbers are hidden from rooms (opt-in)"
    description = (
        "Without hide_phone_number the caller's number is exposed to every participant "
        "(participant identity, name and attributes) and, for individual rules, in the room "
        "name. Opt in where caller numbers are personal data."
    )
    severity = Severity.LOW
    enforcement = Enforcement.DISABLED
    remediation = "Set hide_phone_number=True (the participant then shows the last 4 digits)."
    url = DISPATCH_RULE_DOC
    resource_types = (DISPATCH_RULE,)

    def check(self, props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[Finding]:
        hidden = flag(props, "hide_phone_number")
        if is_unknown(hidden) or hidden:
            return
        kind = known_rule_kind(props)
        where = (
            "room names and participants"
            if kind is not None and kind[0] == INDIVIDUAL
            else "participants"
        )
        yield Finding(f"is not set: caller numbers appear in {where}", "hide_phone_number")


@register
class DispatchRulePinDigits(ResourceRule):
    id = "LKSDR006"
    title = "Dispatch rule pins are digits"
    description = (
        "A pin is entered on a phone keypad (DTMF): anything but the ASCII digits 0-9 cannot "
        "be typed, so the room cannot be joined. Other Unicode digits (Arabic-Indic, "
        "full-width) are not keypad digits either. The components refuse such a pin too."
    )
    severity = Severity.HIGH
    enforcement = Enforcement.MANDATORY
    remediation = "Use the digits 0-9 only for pin, e.g. '4821', or leave it empty."
    url = DISPATCH_RULE_DOC
    resource_types = (DISPATCH_RULE,)

    def check(self, props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[Finding]:
        kind = known_rule_kind(props)
        if kind is None:
            return
        name, body = kind
        pin = string(body.get("pin"))
        if is_unknown(pin):
            return
        problem = pin_problem(pin)
        if problem:
            yield Finding(problem.message, f"rule.{name}.pin")


@register
class DispatchRuleNumbersE164(E164ListsRule):
    id = "LKSDR007"
    title = "Dispatch rule numbers are strict E.164"
    description = (
        "inbound_numbers (caller allow-list) and numbers (called-number filter) are compared "
        "to the call's numbers as exact strings: an entry that is not strict E.164 never "
        "matches and the rule never fires."
    )
    severity = Severity.HIGH
    enforcement = Enforcement.MANDATORY
    remediation = "Write each number as '+<country code><number>', digits only."
    url = TROUBLESHOOTING
    resource_types = (DISPATCH_RULE,)

    FIELDS = ("inbound_numbers", "numbers")


@register
class DispatchRuleServerValues(ServerValuesRule):
    id = "LKSDR008"
    title = "Dispatch rule values are ones the server takes"
    description = (
        "A direct rule names its room (not empty, not only whitespace); trunk_ids are LiveKit "
        f"trunk IDs ('{TRUNK_ID_PREFIX}' and letters or digits, not a provider's trunk SID); "
        "trunk_ids, inbound_numbers and numbers name each entry once (the server refuses a "
        "rule that repeats one as conflicting with itself); "
        "every string is text the protocol can carry (no NUL character, no lone surrogate); "
        "media_encryption and media.encryption are names of the protocol's enum; "
        "room_config's timeouts, participant limit and playout delays are whole numbers from 0 "
        f"to 2^{MAX_UINT32.bit_length()}-1; media codecs have a name without whitespace or '/' "
        "and a whole, non-negative rate; media.media_timeout is at most "
        f"{MAX_MEDIA_TIMEOUT:g} seconds. The server rejects the rule otherwise "
        "(or the call has nowhere to go); the components refuse the same values."
    )
    severity = Severity.HIGH
    enforcement = Enforcement.MANDATORY
    remediation = (
        "Name the room of a direct rule (rule={'dispatch_rule_direct': {'room_name': "
        "'lobby'}}); pass trunks' sip_trunk_id outputs in trunk_ids, each once; remove NUL "
        "and lone "
        "surrogate characters from text; give room_config numbers as whole seconds or counts "
        "(e.g. empty_timeout=30) and media_timeout at most 600."
    )
    url = DISPATCH_RULE_DOC
    resource_types = (DISPATCH_RULE,)

    COUNTERS = tuple(
        f"room_config.{field}"
        for field in (
            "empty_timeout",
            "departure_timeout",
            "max_participants",
            "min_playout_delay",
            "max_playout_delay",
        )
    )
    CHOICES = (("media_encryption", MEDIA_ENCRYPTIONS),)
    TEXT_CHECKED_ELSEWHERE = frozenset(
        {
            "trunk_ids",  # judged whole below
            "numbers",  # LKSDR007
            "inbound_numbers",  # LKSDR007
            *(f"rule.{kind}.pin" for kind in RULE_KINDS),  # LKSDR006
            "room_config.agents.agent_name",  # LKSDR002
        }
    )

    def more_findings(self, props: Mapping[str, Any]) -> Iterator[Finding]:
        trunk_ids = props.get("trunk_ids")
        if isinstance(trunk_ids, (list, tuple)):
            for index, trunk_id in enumerate(trunk_ids):
                if isinstance(trunk_id, str) and (problem := trunk_id_problem(trunk_id)):
                    yield Finding(problem.message, f"trunk_ids[{index}]")
        for field in DISPATCH_RULE_KEY_LISTS:
            values = props.get(field)
            if isinstance(values, (list, tuple)):
                for index, problem in repeated_entries(field, values):
                    yield Finding(problem.message, f"{field}[{index}]")
        kind = known_rule_kind(props)
        if kind is None or kind[0] != DIRECT or not isinstance(kind[1], Mapping):
            return
        room = kind[1].get("room_name")
        if room is None or isinstance(room, str):
            problem = room_name_problem(room or "")
            if problem is not None:
                yield Finding(problem.message, f"rule.{DIRECT}.room_name")


@register
class DispatchRuleIndividualRooms(ResourceRule):
    id = "LKSDR009"
    title = "An individual rule gives each call its own room"
    description = (
        "A dispatch_rule_individual room is named '<room_prefix>_<caller>' plus a random "
        "suffix; no_randomness drops the suffix. Then every call from one caller number joins "
        "the same room (a caller who calls twice, or all callers whose number is withheld "
        "and arrives as the same user), and with hide_phone_number the caller part is only "
        "the number's last 4 digits, so strangers whose numbers end alike share a room and "
        "hear each other and the agent. Advisory: a room that a returning caller rejoins on "
        "purpose is possible."
    )
    severity = Severity.MEDIUM
    enforcement = Enforcement.ADVISORY
    remediation = (
        "Remove no_randomness (one room per call); to find a caller's earlier calls, read "
        "the participant's sip.phoneNumber attribute instead of the room name."
    )
    url = PROTOCOL_DISPATCH_SOURCE
    resource_types = (DISPATCH_RULE,)

    def check(self, props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[Finding]:
        kind = known_rule_kind(props)
        if kind is None or kind[0] != INDIVIDUAL or not isinstance(kind[1], Mapping):
            return
        fixed = flag(kind[1], "no_randomness")
        hidden = flag(props, "hide_phone_number")
        if is_unknown(fixed) or not fixed or is_unknown(hidden):
            return
        field = f"rule.{INDIVIDUAL}.no_randomness"
        if hidden:
            yield Finding(
                "is true with hide_phone_number: rooms are named by the caller number's last "
                "4 digits, so callers whose numbers end alike join one room",
                field,
            )
        else:
            yield Finding(
                "is true: every call from the same caller number joins one room",
                field,
            )


@register
class DispatchRuleAgentsOnce(ResourceRule):
    id = "LKSDR010"
    title = "A dispatch rule dispatches each agent once"
    description = (
        "livekit-server starts one agent job for every room_config.agents entry of the room "
        "a call creates. The same agent_name listed twice starts two copies of the agent in "
        "the call's room: both greet the caller and answer every turn, talking over each "
        "other. Advisory: two differently configured copies (metadata) may be meant."
    )
    severity = Severity.MEDIUM
    enforcement = Enforcement.ADVISORY
    remediation = (
        "List each agent once in room_config.agents; give one entry the metadata both were "
        "meant to carry."
    )
    url = SERVER_AGENT_DISPATCH_SOURCE
    resource_types = (DISPATCH_RULE,)

    def check(self, props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[Finding]:
        agents = _agents(props)
        if not isinstance(agents, list):
            return
        first: dict[str, int] = {}
        for index, agent in enumerate(agents):
            if not isinstance(agent, Mapping):
                continue
            name = string(agent.get("agent_name"))
            if is_unknown(name) or not name:
                continue
            if name in first:
                yield Finding(
                    f"dispatches {quote(name)} again (also room_config.agents[{first[name]}]): "
                    "two copies of the agent answer the call",
                    f"room_config.agents[{index}].agent_name",
                )
            else:
                first[name] = index


@register
class DispatchRuleAttributesNotLiveKits(ResourceRule):
    id = "LKSDR011"
    title = "Dispatch rule attributes do not use LiveKit's sip.* names"
    description = (
        "The SIP participant's attributes are the rule's attributes, then LiveKit's own: "
        + ", ".join(LIVEKIT_SIP_ATTRIBUTES)
        + ". A rule attribute of one of those names is replaced before the agent sees it "
        "(or, for the ones LiveKit omits with hide_phone_number, passes a made-up value as "
        "LiveKit's): an agent that reads it gets another value than the rule meant."
    )
    severity = Severity.LOW
    enforcement = Enforcement.ADVISORY
    remediation = (
        "Name the rule's own attributes outside the 'sip.' namespace, e.g. 'app.queue'; read "
        "LiveKit's sip.* attributes for the call's IDs and numbers."
    )
    url = PROTOCOL_DISPATCH_SOURCE
    resource_types = (DISPATCH_RULE,)

    def check(self, props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[Finding]:
        attributes = props.get("attributes")
        if not isinstance(attributes, Mapping):
            return
        for key in attributes:
            if isinstance(key, str) and key in LIVEKIT_SIP_ATTRIBUTES:
                yield Finding(
                    "is an attribute LiveKit writes itself: the rule's value is replaced "
                    "or mistaken for LiveKit's",
                    f"attributes.{key}",
                )
