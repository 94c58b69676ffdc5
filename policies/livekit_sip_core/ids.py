"""LiveKit object IDs and Pulumi type tokens: how each kind of object is named."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from .numbers import normalize_number
from .problems import ErrorType, Invalid, quote

__all__ = [
    "COMPONENT_PACKAGE",
    "COMPONENT_TYPE_PREFIX",
    "DISPATCH_RULE_ID_PREFIX",
    "DISPATCH_RULE_KEY_LISTS",
    "DISPATCH_RULE_KINDS",
    "DISPATCH_RULE_TYPE",
    "DYNAMIC_MODULE",
    "INBOUND_TRUNK_TYPE",
    "OUTBOUND_TRUNK_TYPE",
    "PLUGIN_DISPATCH_RULE_TYPE",
    "PLUGIN_INBOUND_TRUNK_TYPE",
    "PLUGIN_OUTBOUND_TRUNK_TYPE",
    "PLUGIN_PACKAGE",
    "PLUGIN_PROVIDER_TYPE",
    "PLUGIN_TYPES",
    "RULE_CALLEE",
    "RULE_DIRECT",
    "RULE_INDIVIDUAL",
    "TRUNK_ID_PREFIX",
    "is_livekit_id",
    "repeated_entries",
    "trunk_id_problem",
]

TRUNK_ID_PREFIX = "ST_"
DISPATCH_RULE_ID_PREFIX = "SDR_"

#: The ``rule`` oneof of ``SIPDispatchRule``: the kinds of dispatch rule, in the protocol's order.
RULE_DIRECT = "dispatch_rule_direct"
RULE_INDIVIDUAL = "dispatch_rule_individual"
RULE_CALLEE = "dispatch_rule_callee"
DISPATCH_RULE_KINDS = (RULE_DIRECT, RULE_INDIVIDUAL, RULE_CALLEE)
# livekit-server's IDs are the prefix and a base-57 random part (utils.NewGuid); '_' is let
# through for placeholders such as 'ST_replace_me'. No spaces, dashes or line breaks.
_ID_BODY = re.compile(r"[A-Za-z0-9_]+")


def is_livekit_id(value: Any, prefix: str) -> bool:
    """Whether ``value`` looks like a LiveKit ID with ``prefix`` (``ST_...``, ``SDR_...``)."""
    return (
        isinstance(value, str)
        and value.startswith(prefix)
        and _ID_BODY.fullmatch(value[len(prefix) :]) is not None
    )


def trunk_id_problem(value: str) -> Invalid | None:
    """A ``trunk_ids`` entry of a dispatch rule: a LiveKit trunk ID, not a provider's SID."""
    if is_livekit_id(value, TRUNK_ID_PREFIX):
        return None
    return Invalid(
        ErrorType.TRUNK_ID,
        f"{quote(value)} is not a LiveKit trunk ID: they are '{TRUNK_ID_PREFIX}' and letters or "
        "digits (a provider's trunk SID, such as Twilio's 'TK...', is not a LiveKit ID); pass "
        "the sip_trunk_id output of a SipInboundTrunk",
    )


# A dispatch rule's key (livekit/protocol sip/sip.go, DispatchRuleValidator.Validate): every
# (pin, trunk, inbound number, number) of the rule's lists goes into one map, numbers
# normalized; a key seen before is a conflict, even with the rule itself::
#
#     for _, trunk := range trunks { for _, inboundNumber := range inboundNumbers {
#         for _, number := range numbers {
#             key := dispatchRuleKey{Pin: pin, Trunk: trunk, Number: NormalizeNumber(number), ...}
#             if r2 := v.byRuleKey[key]; r2 != nil { ... "Dispatch rule for the same trunk,
#                 inbound number, number, and PIN combination already exists in dispatch rule
#                 %q %q" ...
#
# so a list that names one entry twice makes the server refuse the rule.
#: The lists of a dispatch rule that make its key, and whether their entries are numbers.
DISPATCH_RULE_KEY_LISTS = {"trunk_ids": False, "inbound_numbers": True, "numbers": True}


def repeated_entries(field: str, values: Sequence[Any]) -> list[tuple[int, Invalid]]:
    """The entries of a dispatch rule's ``field`` (one of :data:`DISPATCH_RULE_KEY_LISTS`)
    that repeat an earlier one, as the server compares them: (index, problem). Entries that
    are not strings are left out (other checks name them)."""
    numbers = DISPATCH_RULE_KEY_LISTS[field]
    first: dict[str, int] = {}
    repeats = []
    for index, value in enumerate(values):
        if not isinstance(value, str):
            continue
        key = normalize_number(value) if numbers else value
        if key not in first:
            first[key] = index
            continue
        same = "repeats" if value == values[first[key]] else "is the same number as"
        repeats.append(
            (
                index,
                Invalid(
                    ErrorType.REPEATED_ENTRY,
                    f"{quote(value)} {same} {field}[{first[key]}]: the server refuses a rule "
                    "that lists an entry twice, as conflicting with itself (the same trunk, "
                    "number and PIN twice); list each entry once",
                ),
            )
        )
    return repeats


#: The module of the dynamic resources; Pulumi names their types
#: ``pulumi-python:dynamic/<module>:<class name>``.
DYNAMIC_MODULE = "livekit"
INBOUND_TRUNK_TYPE = f"pulumi-python:dynamic/{DYNAMIC_MODULE}:SipInboundTrunk"
OUTBOUND_TRUNK_TYPE = f"pulumi-python:dynamic/{DYNAMIC_MODULE}:SipOutboundTrunk"
DISPATCH_RULE_TYPE = f"pulumi-python:dynamic/{DYNAMIC_MODULE}:SipDispatchRule"
#: The provider plugin's package (``pulumi-resource-livekit-sip``), for programs in every
#: language, and its resource types.
PLUGIN_PACKAGE = "livekit-sip"
PLUGIN_INBOUND_TRUNK_TYPE = f"{PLUGIN_PACKAGE}:index:SipInboundTrunk"
PLUGIN_OUTBOUND_TRUNK_TYPE = f"{PLUGIN_PACKAGE}:index:SipOutboundTrunk"
PLUGIN_DISPATCH_RULE_TYPE = f"{PLUGIN_PACKAGE}:index:SipDispatchRule"
#: The type of the plugin's provider resource (its configuration: URL, key, secret).
PLUGIN_PROVIDER_TYPE = f"pulumi:providers:{PLUGIN_PACKAGE}"
#: The one table of type tokens: each plugin type -> the dynamic type of the same object. The
#: pack and the doctor know the dynamic types; a plugin resource is read as the dynamic one
#: (its camelCase properties turned back into the protocol's names, :mod:`.names`).
PLUGIN_TYPES = {
    PLUGIN_INBOUND_TRUNK_TYPE: INBOUND_TRUNK_TYPE,
    PLUGIN_OUTBOUND_TRUNK_TYPE: OUTBOUND_TRUNK_TYPE,
    PLUGIN_DISPATCH_RULE_TYPE: DISPATCH_RULE_TYPE,
}
#: The package of the ComponentResources (``livekit-sip:index:AgentPhoneLine``, ...).
COMPONENT_PACKAGE = "livekit-sip"
COMPONENT_TYPE_PREFIX = f"{COMPONENT_PACKAGE}:"
