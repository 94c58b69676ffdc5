"""Rules over the stack's objects (band LKSSTK): references to trunks, names, inspectability,
provider settings the pack cannot see.

The other stack rules: :mod:`.stack_conflicts` (what the server refuses, what matches twice)
and :mod:`.stack_routing` (reachability and the routing simulation). During the first preview
nothing exists yet, so every trunk ID is unknown. The engine still tells which resources a
value comes from (``property_dependencies``): a dispatch rule's ``trunk_ids`` entries are
resolved through them to the trunks they reference, so these checks already work before
anything is created. What a reference resolves to, and how a rule reads an unresolved one, is
defined once in :mod:`.references`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from livekit_sip_core import PLUGIN_PROVIDER_TYPE, TELNYX, TRUNK_ID_PREFIX, provider_of
from livekit_sip_core.links import TELNYX_DOC, TROUBLESHOOTING

from .references import StackReferences
from .rule import (
    COMPONENT_TYPE_PREFIX,
    DISPATCH_RULE,
    INBOUND_TRUNK,
    OUTBOUND_TRUNK,
    RESOURCE_TYPES,
    Enforcement,
    Finding,
    Severity,
    StackResource,
    StackRule,
    is_unknown,
    of_type,
    register,
)
from .values import contains_unknown, text

__all__ = ["EXTERNAL_KEY", "REFER_KEY"]

EXTERNAL_KEY = "externalTrunkIds"


@register
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
        for rule, refs in StackReferences(resources).rules:
            for ref in refs.refs:
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
                    f" (LiveKit trunk IDs start with '{TRUNK_ID_PREFIX}'; this looks like a "
                    "provider's ID)"
                    if not trunk_id.startswith(TRUNK_ID_PREFIX)
                    else ""
                )
                yield Finding(
                    f"'{trunk_id}' is not an inbound trunk of this stack nor listed in "
                    f"{EXTERNAL_KEY}{hint}",
                    ref.field,
                    rule.urn,
                )


REFER_KEY = "telnyxReferEnabled"


@register
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
        for trunk in of_type(resources, OUTBOUND_TRUNK):
            address = text(trunk.props, "address")
            if is_unknown(address) or not address:
                continue
            if provider_of(address) is TELNYX:
                yield Finding(
                    f"is a Telnyx host: transfers fail with 408 unless SIP REFER is enabled "
                    f"on the connection (attest it with {REFER_KEY}: true)",
                    "address",
                    trunk.urn,
                )


@register
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
            elif (
                resource.type.startswith(COMPONENT_TYPE_PREFIX)
                or resource.type == PLUGIN_PROVIDER_TYPE
            ):
                # livekit-sip-pulumi's own components (their children are checked) and the
                # provider plugin's configuration.
                continue
            elif "livekit" in lowered and "sip" in lowered and resource.props:
                yield Finding(
                    f"type '{resource.type}' is a LiveKit SIP object the pack cannot inspect",
                    None,
                    resource.urn,
                )


@register
class UniqueNames(StackRule):
    id = "LKSSTK010"
    title = "Objects of one kind have distinct names"
    description = (
        "No two inbound trunks, outbound trunks or dispatch rules of the stack share a name. "
        "The LiveKit console, `lk sip ... list` and call logs show objects by name, and "
        "livekit-sip-pulumi recognizes an object left behind by an interrupted update by its "
        "name (a resource's autoname; an explicit name together with every declared field): "
        "two objects with one name cannot be told apart."
    )
    severity = Severity.LOW
    enforcement = Enforcement.ADVISORY
    remediation = (
        "Give each object its own name, or leave `name` unset: the object then gets its "
        "autoname, `<resource name>-<7 hex>`, unique to the stack and the resource."
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
            for resource in of_type(resources, resource_type):
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
