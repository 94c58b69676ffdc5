"""Pulumi resources for LiveKit SIP objects.

Type tokens are ``pulumi-python:dynamic/livekit:<Name>``; the policy pack matches on them, and
they are part of every resource's URN: keep them stable.

Every resource takes its inputs either as an args dataclass or as keyword arguments, with the
protocol's field names. Nested objects (a dispatch rule's ``rule`` and ``room_config``) may be
given as the typed ``...Args`` classes below or as plain dicts shaped like the protocol message.
"""

from __future__ import annotations

import dataclasses
import pickle
from collections.abc import Callable, Coroutine, Generator, Mapping
from dataclasses import dataclass, fields
from enum import Enum
from typing import Any, ClassVar

import pulumi
from livekit_sip_core import (
    DYNAMIC_MODULE,
    PASSWORD_FIELD,
    RULE_CALLEE,
    RULE_DIRECT,
    RULE_INDIVIDUAL,
)
from pulumi import Input, Output, ResourceOptions, dynamic

from .inputs import check_arguments, check_values, declare_unique, resource_label
from .providers import (
    ADOPT_ID,
    ADOPT_ONLY_IF_MATCHING,
    AUTONAME,
    SipDispatchRuleProvider,
    SipInboundTrunkProvider,
    SipOutboundTrunkProvider,
    SipProviderBase,
    autoname,
)
from .specs import (
    SipDispatchRuleSpec,
    SipHeaderOptions,
    SipInboundTrunkSpec,
    SipMediaEncryption,
    SipOutboundTrunkSpec,
    SipSpec,
    SipTransport,
)

__all__ = [
    "RoomAgentDispatchArgs",
    "RoomConfigurationArgs",
    "SipCodecArgs",
    "SipDispatchRule",
    "SipDispatchRuleArgs",
    "SipDispatchRuleCalleeArgs",
    "SipDispatchRuleDirectArgs",
    "SipDispatchRuleIndividualArgs",
    "SipInboundTrunk",
    "SipInboundTrunkArgs",
    "SipMediaConfigArgs",
    "SipOutboundTrunk",
    "SipOutboundTrunkArgs",
]

_SECRET_INPUTS = (PASSWORD_FIELD,)


def to_plain(value: Any) -> Any:
    """Typed args (dataclasses) -> the protocol's dict shape; enums -> their protocol names.

    Keys whose value is None are dropped (None means "not set"). Pulumi Inputs inside are left
    as they are: the engine resolves nested Outputs.
    """
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        plain = {
            f.name: to_plain(getattr(value, f.name))
            for f in fields(value)
            if getattr(value, f.name) is not None
        }
        return {value.rule_key: plain} if isinstance(value, _RuleKindArgs) else plain
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Mapping):
        return {k: to_plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    return value


def _props(
    spec_fields: Any, values: dict[str, Any], outputs: tuple[str, ...], secret: bool = True
) -> dict[str, Any]:
    """A fresh props dict: every spec field (None when not set, so it becomes an output
    attribute), secrets wrapped as secrets, enums as their protocol names, typed nested args as
    protocol-shaped dicts."""
    props: dict[str, Any] = {name: None for name in spec_fields}
    for name, value in values.items():
        if value is None:
            continue
        value = to_plain(value)
        if secret and name in _SECRET_INPUTS:
            value = pulumi.Output.secret(value)
        props[name] = value
    for name in outputs:
        props.setdefault(name, None)
    return props


def _with_secret_outputs(opts: ResourceOptions | None) -> ResourceOptions:
    return ResourceOptions.merge(
        opts, ResourceOptions(additional_secret_outputs=list(_SECRET_INPUTS))
    )


def _collect(
    type_token: str,
    resource_name: str,
    parent: pulumi.Resource | None,
    args: Any,
    kwargs: dict[str, Any],
) -> dict[str, Any]:
    """Args dataclass + kwargs -> values (checked by :func:`inputs.check_arguments` first)."""
    values = {f.name: getattr(args, f.name) for f in fields(args)} if args else {}
    values.update(kwargs)
    # No name: the provider's check() names the object (the name recorded in the state, the
    # adopted object's own name, or this autoname: unique to the project, stack and resource).
    values[AUTONAME] = _autoname(type_token, resource_name, parent)
    return values


def _autoname(type_token: str, resource_name: str, parent: pulumi.Resource | None) -> Input[str]:
    """This resource's autoname; a component's child's carries the component's URN (known at
    preview too), which tells it apart from a top-level resource of the same type and name."""
    project, stack = pulumi.get_project(), pulumi.get_stack()
    if parent is None:
        return autoname(project, stack, type_token, resource_name)

    async def with_parent() -> str:
        urn = await parent.urn.future()
        return autoname(project, stack, type_token, resource_name, urn or "")

    # Not parent.urn.apply(...): an Output of a component's URN is a dependency on every
    # child of the component, this one included (a cycle). The coroutine is made only when the
    # Output is awaited: a program (or a test) that ends before then leaves no coroutine
    # unawaited behind.
    return Output.from_input(_Deferred(with_parent))


class _Deferred:
    """An awaitable that makes its coroutine when awaited, not before."""

    def __init__(self, make: Callable[[], Coroutine[Any, Any, str]]) -> None:
        self._make = make

    def __await__(self) -> Generator[Any, None, str]:
        return self._make().__await__()


# Pulumi's serialize_provider (pulumi/dynamic/dynamic.py, 3.259) wraps
# pickle._Pickler._batch_setitems in a new sorting wrapper on every call and never unwraps it,
# so each dynamic resource adds a frame to every later pickling: a program declaring about a
# thousand of them fails with RecursionError (pulumi/pulumi#17803). Each of ours restores the
# method afterwards, which keeps the wrapping one level deep.
_PICKLER_BATCH_SETITEMS = pickle._Pickler._batch_setitems  # type: ignore[attr-defined]


class _SipObject(dynamic.Resource):
    """What the three resources share: args dataclass or keyword arguments in, a fresh props
    dict with every field (so each becomes an output attribute), the provider, and
    ``auth_password`` as a secret where the object has one."""

    _spec_class: ClassVar[type[SipSpec]]
    _provider_class: ClassVar[type[SipProviderBase]]
    _id_output: ClassVar[str]
    _info_name: ClassVar[str]
    _args_class: ClassVar[type[Any]]

    def __init__(
        self,
        resource_name: str,
        args: Any = None,
        opts: ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        label = resource_label(type(self).__name__, resource_name)
        check_arguments(label, self._spec_class, self._args_class, args, kwargs)
        explicit_name = kwargs["name"] if "name" in kwargs else getattr(args, "name", None)
        values = _collect(
            f"pulumi-python:{self._resource_type_name}",
            resource_name,
            opts.parent if opts is not None else None,
            args,
            kwargs,
        )
        check_values(label, self._spec_class, values)
        has_secret = any(name in self._spec_class.model_fields for name in _SECRET_INPUTS)
        props = _props(
            self._spec_class.model_fields,
            values,
            (self._id_output, ADOPT_ID, ADOPT_ONLY_IF_MATCHING, AUTONAME),
            secret=has_secret,
        )
        checked_name, props[ADOPT_ID] = declare_unique(
            label, self._spec_class, explicit_name, props[ADOPT_ID]
        )
        if isinstance(explicit_name, pulumi.Output):
            props["name"] = checked_name
        try:
            super().__init__(
                self._provider_class(),
                resource_name,
                props,
                _with_secret_outputs(opts) if has_secret else opts,
            )
        finally:
            pickle._Pickler._batch_setitems = _PICKLER_BATCH_SETITEMS  # type: ignore[attr-defined]


# --- media ------------------------------------------------------------------------------------


@dataclass
class SipCodecArgs:
    """``SIPCodec``: a codec name (``PCMU``, ``PCMA``, ``G722``, ``opus``...), optional rate."""

    name: Input[str]
    """Codec name as LiveKit knows it: ``PCMU``, ``PCMA``, ``G722``, ``opus``... (no ``/rate``)."""
    rate: Input[int] | None = None
    """Clock rate in Hz; 0 or unset for the codec's default."""


@dataclass
class SipMediaConfigArgs:
    """``SIPMediaConfig`` of a trunk or dispatch rule. ``media_timeout`` is in seconds (at
    most 600); ``encryption`` supersedes the object's ``media_encryption``."""

    codecs: Input[list[Input[SipCodecArgs | Mapping[str, Any]]]] | None = None
    """Codecs to offer, in order of preference (:class:`SipCodecArgs` or dicts)."""
    only_listed_codecs: Input[bool] | None = None
    """Offer only ``codecs``, not LiveKit's other codecs after them."""
    encryption: Input[SipMediaEncryption | str] | None = None
    """SRTP for the call's media (``SIP_MEDIA_ENCRYPT_...``); supersedes the object's
    ``media_encryption``."""
    media_timeout: Input[float] | None = None
    """Seconds without RTP before LiveKit ends the call (at most 600); unset for the server's
    default."""


# --- inbound trunk ------------------------------------------------------------------------------


@dataclass
class SipInboundTrunkArgs:
    """Inputs of :class:`SipInboundTrunk`; field names as in ``SIPInboundTrunkInfo``.

    ``name`` defaults to the Pulumi resource name. Durations are in seconds.
    ``adopt_id`` takes over an existing trunk (``ST_...``) instead of creating one: it is
    reconciled to these inputs and keeps its ID. Combine with ``retain_on_delete`` to leave it
    in LiveKit when the resource is removed from the stack.
    """

    numbers: Input[list[Input[str]]] | None = None
    """The provider numbers this trunk answers, in E.164 (``+15105550100``)."""
    name: Input[str] | None = None
    """The object's name in LiveKit; defaults to the Pulumi resource name and a short hash."""
    metadata: Input[str] | None = None
    """Free text stored with the object (LiveKit does not read it)."""
    allowed_addresses: Input[list[Input[str]]] | None = None
    """IP addresses or CIDR blocks calls may come from (the provider's signalling addresses)."""
    allowed_numbers: Input[list[Input[str]]] | None = None
    """Caller numbers (E.164) accepted on this trunk; empty accepts every caller."""
    auth_username: Input[str] | None = None
    """User name of the provider's SIP digest authentication; set with ``auth_password``."""
    auth_password: Input[str] | None = None
    """Password of the provider's SIP digest authentication; stored as a secret, the state keeps
    only a salted digest."""
    auth_realm: Input[str] | None = None
    """Realm of the digest challenge LiveKit sends; empty for LiveKit's default."""
    headers: Input[dict[str, Input[str]]] | None = None
    """SIP headers LiveKit adds to the responses it sends on this trunk (``X-...`` names; LiveKit's
    own headers cannot be set)."""
    headers_to_attributes: Input[dict[str, Input[str]]] | None = None
    """SIP header name -> participant attribute name: headers of the call copied into the SIP
    participant's attributes."""
    attributes_to_headers: Input[dict[str, Input[str]]] | None = None
    """Participant attribute name -> SIP header name: attributes sent as SIP headers."""
    include_headers: Input[SipHeaderOptions | str] | None = None
    """Which SIP headers of the call become participant attributes (``sip.h.<name>``):
    ``SIP_NO_HEADERS`` (default), ``SIP_X_HEADERS`` or ``SIP_ALL_HEADERS``."""
    ringing_timeout: Input[float] | None = None
    """Seconds a call may ring before LiveKit gives up on it; unset for the server's default."""
    ringing_timeout_status: Input[str] | None = None
    """The SIP status the caller gets when ``ringing_timeout`` elapses: a 4xx-6xx
    ``SIPStatusCode`` name (``SIP_STATUS_BUSY_HERE``, ``SIP_STATUS_TEMPORARILY_UNAVAILABLE``...);
    unset (``SIP_STATUS_UNKNOWN``) for the server's default. livekit-server v1.13.11 and later;
    v1.13.5 stores it and lists it back, but does not use it."""
    max_call_duration: Input[float] | None = None
    """Longest call in seconds; unset for the server's default."""
    krisp_enabled: Input[bool] | None = None
    """Krisp noise cancellation on the caller's audio."""
    media_encryption: Input[SipMediaEncryption | str] | None = None
    """SRTP for the call's media: ``SIP_MEDIA_ENCRYPT_DISABLE`` (default), ``..._ALLOW`` or
    ``..._REQUIRE``; deprecated by LiveKit in favour of ``media.encryption``."""
    media: Input[SipMediaConfigArgs | Mapping[str, Any]] | None = None
    """Codecs, media encryption and RTP timeout (:class:`SipMediaConfigArgs`)."""
    adopt_id: Input[str] | None = None
    """The ID of an existing trunk (``ST_...``) to take over instead of creating one; it is
    reconciled to these inputs and keeps its ID."""
    adopt_only_if_matching: Input[bool] | None = None
    """With ``adopt_id``: refuse to adopt an object whose live settings differ from these inputs,
    instead of changing them."""


class SipInboundTrunk(_SipObject, module=DYNAMIC_MODULE, name="SipInboundTrunk"):
    """A LiveKit SIP inbound trunk: which calls from a phone provider LiveKit accepts.

    Example::

        trunk = SipInboundTrunk("support-line", numbers=["+15105550100"],
                                allowed_addresses=["203.0.113.0/24"], krisp_enabled=True)
    """

    sip_trunk_id: Output[str]
    name: Output[str]
    metadata: Output[str]
    numbers: Output[list[str]]
    allowed_addresses: Output[list[str]]
    allowed_numbers: Output[list[str]]
    auth_username: Output[str]
    auth_password: Output[str]
    auth_realm: Output[str]
    headers: Output[dict[str, str]]
    headers_to_attributes: Output[dict[str, str]]
    attributes_to_headers: Output[dict[str, str]]
    include_headers: Output[str]
    ringing_timeout: Output[float | None]
    ringing_timeout_status: Output[str]
    max_call_duration: Output[float | None]
    krisp_enabled: Output[bool]
    media_encryption: Output[str]
    media: Output[dict[str, Any] | None]
    adopt_id: Output[str | None]
    adopt_only_if_matching: Output[bool | None]

    _spec_class = SipInboundTrunkSpec
    _provider_class = SipInboundTrunkProvider
    _id_output = "sip_trunk_id"
    _info_name = "SIPInboundTrunkInfo"
    _args_class = SipInboundTrunkArgs

    def __init__(
        self,
        resource_name: str,
        args: SipInboundTrunkArgs | None = None,
        opts: ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(resource_name, args, opts, **kwargs)


# --- outbound trunk -----------------------------------------------------------------------------


@dataclass
class SipOutboundTrunkArgs:
    """Inputs of :class:`SipOutboundTrunk`; field names as in ``SIPOutboundTrunkInfo``.

    ``address`` is the provider's bare SIP host (``sip.telnyx.com``, no ``sip:`` and no user
    part); ``numbers`` are the caller IDs in E.164 (or ``*``); ``destination_country`` pins the
    region calls leave from (two-letter code, e.g. ``in`` for India). ``name`` defaults to the
    Pulumi resource name; ``adopt_id`` works as on :class:`SipInboundTrunkArgs`.
    """

    address: Input[str] | None = None
    """The provider's SIP host, bare (``sip.telnyx.com``, optionally ``:port``; no ``sip:`` and no
    user part)."""
    numbers: Input[list[Input[str]]] | None = None
    """Caller IDs this trunk may call from, in E.164, or ``*`` to choose it per call."""
    name: Input[str] | None = None
    """The object's name in LiveKit; defaults to the Pulumi resource name and a short hash."""
    metadata: Input[str] | None = None
    """Free text stored with the object (LiveKit does not read it)."""
    destination_country: Input[str] | None = None
    """Two-letter lowercase ISO country code of the calls' destination, which pins the region calls
    leave from (``in`` for India)."""
    transport: Input[SipTransport | str] | None = None
    """SIP transport to the provider: ``SIP_TRANSPORT_AUTO`` (default), ``..._UDP``, ``..._TCP`` or
    ``..._TLS``."""
    auth_username: Input[str] | None = None
    """User name of the provider's SIP digest authentication; set with ``auth_password``."""
    auth_password: Input[str] | None = None
    """Password of the provider's SIP digest authentication; stored as a secret, the state keeps
    only a salted digest."""
    headers: Input[dict[str, Input[str]]] | None = None
    """SIP headers LiveKit adds to every request it sends on this trunk (``X-...`` names; LiveKit's
    own headers cannot be set)."""
    headers_to_attributes: Input[dict[str, Input[str]]] | None = None
    """SIP header name -> participant attribute name: headers of the call copied into the SIP
    participant's attributes."""
    attributes_to_headers: Input[dict[str, Input[str]]] | None = None
    """Participant attribute name -> SIP header name: attributes sent as SIP headers."""
    include_headers: Input[SipHeaderOptions | str] | None = None
    """Which SIP headers of the call become participant attributes (``sip.h.<name>``):
    ``SIP_NO_HEADERS`` (default), ``SIP_X_HEADERS`` or ``SIP_ALL_HEADERS``."""
    media_encryption: Input[SipMediaEncryption | str] | None = None
    """SRTP for the call's media: ``SIP_MEDIA_ENCRYPT_DISABLE`` (default), ``..._ALLOW`` or
    ``..._REQUIRE``; deprecated by LiveKit in favour of ``media.encryption``."""
    media: Input[SipMediaConfigArgs | Mapping[str, Any]] | None = None
    """Codecs, media encryption and RTP timeout (:class:`SipMediaConfigArgs`)."""
    from_host: Input[str] | None = None
    """Host name put in the From header instead of LiveKit's SIP domain; empty for the default."""
    adopt_id: Input[str] | None = None
    """The ID of an existing trunk (``ST_...``) to take over instead of creating one; it is
    reconciled to these inputs and keeps its ID."""
    adopt_only_if_matching: Input[bool] | None = None
    """With ``adopt_id``: refuse to adopt an object whose live settings differ from these inputs,
    instead of changing them."""


class SipOutboundTrunk(_SipObject, module=DYNAMIC_MODULE, name="SipOutboundTrunk"):
    """A LiveKit SIP outbound trunk: how LiveKit places calls through a phone provider.

    Example::

        trunk = SipOutboundTrunk("telnyx-out", address="sip.telnyx.com",
                                 numbers=["+15105550100"], auth_username="user",
                                 auth_password=config.require_secret("telnyxPassword"))

    ``auth_password`` is stored as a secret. The provider presets in
    :mod:`livekit_sip_pulumi.presets` fill in the address, transport and auth for you.
    """

    sip_trunk_id: Output[str]
    name: Output[str]
    metadata: Output[str]
    address: Output[str]
    destination_country: Output[str]
    transport: Output[str]
    numbers: Output[list[str]]
    auth_username: Output[str]
    auth_password: Output[str]
    headers: Output[dict[str, str]]
    headers_to_attributes: Output[dict[str, str]]
    attributes_to_headers: Output[dict[str, str]]
    include_headers: Output[str]
    media_encryption: Output[str]
    media: Output[dict[str, Any] | None]
    from_host: Output[str]
    adopt_id: Output[str | None]
    adopt_only_if_matching: Output[bool | None]

    _spec_class = SipOutboundTrunkSpec
    _provider_class = SipOutboundTrunkProvider
    _id_output = "sip_trunk_id"
    _info_name = "SIPOutboundTrunkInfo"
    _args_class = SipOutboundTrunkArgs

    def __init__(
        self,
        resource_name: str,
        args: SipOutboundTrunkArgs | None = None,
        opts: ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(resource_name, args, opts, **kwargs)


# --- dispatch rule ------------------------------------------------------------------------------


@dataclass
class _RuleKindArgs:
    """A kind of dispatch rule; serializes to ``{rule_key: {...}}``, the ``rule`` oneof."""

    rule_key: ClassVar[str]


@dataclass
class SipDispatchRuleDirectArgs(_RuleKindArgs):
    """``SIPDispatchRuleDirect``: every caller joins ``room_name`` (give a ``pin`` so strangers
    do not share a room with your callers). An agent is dispatched only for the first caller."""

    rule_key: ClassVar[str] = RULE_DIRECT

    room_name: Input[str] | None = None
    """The room every caller joins."""
    pin: Input[str] | None = None
    """Digits callers must enter on the keypad before joining; empty for none."""


@dataclass
class SipDispatchRuleIndividualArgs(_RuleKindArgs):
    """``SIPDispatchRuleIndividual``: each call gets its own new room named from
    ``room_prefix`` (and the caller's number, unless the rule hides it)."""

    rule_key: ClassVar[str] = RULE_INDIVIDUAL

    room_prefix: Input[str] | None = None
    """Start of each new room's name."""
    pin: Input[str] | None = None
    """Digits callers must enter on the keypad before joining; empty for none."""
    no_randomness: Input[bool] | None = None
    """Name the room without the random suffix (callers from one number share it)."""


@dataclass
class SipDispatchRuleCalleeArgs(_RuleKindArgs):
    """``SIPDispatchRuleCallee``: the room is named after the called number; set
    ``randomize`` to give each call its own room."""

    rule_key: ClassVar[str] = RULE_CALLEE

    room_prefix: Input[str] | None = None
    """Start of the room's name; the called number follows."""
    pin: Input[str] | None = None
    """Digits callers must enter on the keypad before joining; empty for none."""
    randomize: Input[bool] | None = None
    """Add a random suffix, so that each call gets its own room."""


@dataclass
class RoomAgentDispatchArgs:
    """``RoomAgentDispatch``: the agent to dispatch. ``agent_name`` must equal the
    ``agent_name`` the agent worker registers with."""

    agent_name: Input[str]
    """The ``agent_name`` the agent worker registers with (an empty or unknown name never
    answers)."""
    metadata: Input[str] | None = None
    """Job metadata handed to the agent."""
    attributes: Input[dict[str, Input[str]]] | None = None
    """Job attributes handed to the agent (name -> value)."""


@dataclass
class RoomConfigurationArgs:
    """``RoomConfiguration`` of the rooms the rule creates; timeouts in seconds."""

    agents: Input[list[Input[RoomAgentDispatchArgs | Mapping[str, Any]]]] | None = None
    """Agents dispatched into the room when the call creates it (:class:`RoomAgentDispatchArgs` or
    dicts)."""
    name: Input[str] | None = None
    """Name of the configuration, which LiveKit uses as its ID; usually left empty."""
    empty_timeout: Input[int] | None = None
    """Seconds the room stays open when nobody joins."""
    departure_timeout: Input[int] | None = None
    """Seconds the room stays open after the last participant leaves."""
    max_participants: Input[int] | None = None
    """Most participants in the room (egress and ingress not counted); 0 for no limit."""
    metadata: Input[str] | None = None
    """Metadata of the room."""
    min_playout_delay: Input[int] | None = None
    """Least playout delay of subscribers, in milliseconds."""
    max_playout_delay: Input[int] | None = None
    """Most playout delay of subscribers, in milliseconds."""
    sync_streams: Input[bool] | None = None
    """Better audio/video sync when the playout delay exceeds 200 ms (disables transceiver
    reuse)."""


RuleInput = (
    SipDispatchRuleDirectArgs
    | SipDispatchRuleIndividualArgs
    | SipDispatchRuleCalleeArgs
    | Mapping[str, Any]
)


@dataclass
class SipDispatchRuleArgs:
    """Inputs of :class:`SipDispatchRule`; field names as in ``SIPDispatchRuleInfo``.

    ``rule`` is one of :class:`SipDispatchRuleIndividualArgs`,
    :class:`SipDispatchRuleDirectArgs`, :class:`SipDispatchRuleCalleeArgs`, or the protocol dict
    (``{"dispatch_rule_individual": {"room_prefix": "call-"}}``). ``trunk_ids`` are LiveKit
    inbound trunk IDs (``ST_...``, e.g. ``trunk.sip_trunk_id``); empty means every trunk.
    ``inbound_numbers`` filters on the CALLER's number, ``numbers`` on the CALLED number.
    """

    rule: Input[RuleInput] | None = None
    """How rooms are chosen: :class:`SipDispatchRuleIndividualArgs`,
    :class:`SipDispatchRuleDirectArgs`, :class:`SipDispatchRuleCalleeArgs`, or the protocol dict."""
    trunk_ids: Input[list[Input[str]]] | None = None
    """Inbound trunks (``ST_...``, e.g. ``trunk.sip_trunk_id``) whose calls this rule takes; empty
    means every trunk."""
    hide_phone_number: Input[bool] | None = None
    """Hide the caller's number from the room (participant identity and attributes)."""
    inbound_numbers: Input[list[Input[str]]] | None = None
    """Caller numbers (E.164) this rule applies to; empty means every caller."""
    numbers: Input[list[Input[str]]] | None = None
    """Called numbers (E.164) this rule applies to; empty means every number of its trunks."""
    name: Input[str] | None = None
    """The object's name in LiveKit; defaults to the Pulumi resource name and a short hash."""
    metadata: Input[str] | None = None
    """Free text stored with the object (LiveKit does not read it)."""
    attributes: Input[dict[str, Input[str]]] | None = None
    """Attributes given to the SIP participant the call creates."""
    room_preset: Input[str] | None = None
    """Name of a room preset (a room configuration stored in LiveKit) to apply; empty for
    none."""
    room_config: Input[RoomConfigurationArgs | Mapping[str, Any]] | None = None
    """Configuration of the rooms the rule creates, with the agents to dispatch
    (:class:`RoomConfigurationArgs`)."""
    krisp_enabled: Input[bool] | None = None
    """Krisp noise cancellation on the caller's audio."""
    media_encryption: Input[SipMediaEncryption | str] | None = None
    """SRTP for the call's media: ``SIP_MEDIA_ENCRYPT_DISABLE`` (default), ``..._ALLOW`` or
    ``..._REQUIRE``; deprecated by LiveKit in favour of ``media.encryption``."""
    media: Input[SipMediaConfigArgs | Mapping[str, Any]] | None = None
    """Codecs, media encryption and RTP timeout (:class:`SipMediaConfigArgs`)."""
    adopt_id: Input[str] | None = None
    """The ID of an existing dispatch rule (``SDR_...``) to take over instead of creating one; it is
    reconciled to these inputs and keeps its ID."""
    adopt_only_if_matching: Input[bool] | None = None
    """With ``adopt_id``: refuse to adopt an object whose live settings differ from these inputs,
    instead of changing them."""


class SipDispatchRule(_SipObject, module=DYNAMIC_MODULE, name="SipDispatchRule"):
    """A LiveKit SIP dispatch rule: which room an accepted call joins, and which agent answers.

    Example::

        rule = SipDispatchRule(
            "support-rule",
            rule=SipDispatchRuleIndividualArgs(room_prefix="call-"),
            trunk_ids=[trunk.sip_trunk_id],
            room_config=RoomConfigurationArgs(
                agents=[RoomAgentDispatchArgs(agent_name="support-agent")]),
        )
    """

    sip_dispatch_rule_id: Output[str]
    rule: Output[dict[str, Any]]
    trunk_ids: Output[list[str]]
    hide_phone_number: Output[bool]
    inbound_numbers: Output[list[str]]
    numbers: Output[list[str]]
    name: Output[str]
    metadata: Output[str]
    attributes: Output[dict[str, str]]
    room_preset: Output[str]
    room_config: Output[dict[str, Any] | None]
    krisp_enabled: Output[bool]
    media_encryption: Output[str]
    media: Output[dict[str, Any] | None]
    adopt_id: Output[str | None]
    adopt_only_if_matching: Output[bool | None]

    _spec_class = SipDispatchRuleSpec
    _provider_class = SipDispatchRuleProvider
    _id_output = "sip_dispatch_rule_id"
    _info_name = "SIPDispatchRuleInfo"
    _args_class = SipDispatchRuleArgs

    def __init__(
        self,
        resource_name: str,
        args: SipDispatchRuleArgs | None = None,
        opts: ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(resource_name, args, opts, **kwargs)
