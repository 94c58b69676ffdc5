"""Validated specs of LiveKit SIP objects, with the protocol's field names.

A spec holds what a user declares; it refuses what the LiveKit server would reject and what is
plainly malformed (numbers not in E.164, addresses that are not IPs or CIDRs, host names with a
scheme), so that a bad program fails at ``pulumi preview`` and nothing is created.

Each spec converts to the protocol message (``to_proto``) and back to the plain dict that the
providers keep as outputs (``outputs_from_proto``); both are derived from the protobuf
descriptors (:mod:`.messages`): a protocol field is declared once, as a field of its spec.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar

from google.protobuf.message import Message
from livekit.protocol import agent_dispatch as agent_dispatch_pb
from livekit.protocol import room as room_pb
from livekit.protocol import sip as sip_pb
from livekit_sip_core import (
    DISPATCH_RULE_ID_PREFIX,
    DISPATCH_RULE_KEY_LISTS,
    DISPATCH_RULE_KINDS,
    MAX_DURATION,
    MAX_MEDIA_TIMEOUT,
    PASSWORD_FIELD,
    RULE_DIRECT,
    RULE_INDIVIDUAL,
    TRUNK_ID_PREFIX,
    ErrorType,
    Invalid,
    SipHeaderOptions,
    SipMediaEncryption,
    SipTransport,
    agent_name_problem,
    attributes_to_headers_problems,
    canonical_e164,
    codec_name_problem,
    country_problem,
    digest_secret_problem,
    digest_text_problem,
    e164_or_wildcard_problem,
    e164_problem,
    header_map_problems,
    headers_to_attributes_problems,
    ip_or_cidr_problem,
    is_livekit_id,
    pin_problem,
    quote,
    repeated_entries,
    room_name_problem,
    seconds_problem,
    sip_host_problem,
    text_problem,
    trunk_id_problem,
    uint32_problem,
)
from livekit_sip_core.links import DISPATCH_RULE_DOC as DOCS_DISPATCH
from livekit_sip_core.links import INBOUND_TRUNK_DOC as DOCS_INBOUND
from livekit_sip_core.links import OUTBOUND_TRUNK_DOC as DOCS_OUTBOUND
from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    Strict,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from .errors import Problem, SpecError
from .messages import SERVER_ASSIGNED, MessageSpec

__all__ = [
    "ADOPT_ID",
    "ADOPT_ONLY_IF_MATCHING",
    "DISPATCH_RULE_ID_PREFIX",
    "E164",
    "TRUNK_ID_PREFIX",
    "E164OrWildcard",
    "ErrorType",
    "HeaderMap",
    "IpOrCidr",
    "Pin",
    "RoomAgentDispatchSpec",
    "RoomConfigurationSpec",
    "SipCodecSpec",
    "SipDispatchRuleCalleeSpec",
    "SipDispatchRuleDirectSpec",
    "SipDispatchRuleIndividualSpec",
    "SipDispatchRuleKindSpec",
    "SipDispatchRuleSpec",
    "SipHeaderOptions",
    "SipHost",
    "SipInboundTrunkSpec",
    "SipMediaConfigSpec",
    "SipMediaEncryption",
    "SipOutboundTrunkSpec",
    "SipSpec",
    "SipTransport",
    "adopt_id_problem",
    "canonical_e164",
    "is_livekit_id",
    "misplaced_field",
    "quote",
    "validate_spec",
]

# --- errors and quoting ------------------------------------------------------------------------


def _error(code: str, message: str) -> PydanticCustomError:
    """A typed validation error. The message goes through the context, so braces in quoted user
    values are never taken for template fields."""
    return PydanticCustomError(code, "{message}", {"message": message})


def _raise(problem: Invalid | None) -> None:
    """Raise the core's ``problem``, if any, as a typed validation error."""
    if problem is not None:
        raise _error(problem.code, problem.message)


def _text(value: str) -> str:
    """Any string field: UTF-8 without lone surrogates, no NUL (the core's text rules)."""
    _raise(text_problem(value))
    return value


def _secret_text(value: SecretStr) -> SecretStr:
    """The digest password: :func:`_text` without control characters, never quoted."""
    _raise(digest_secret_problem(value.get_secret_value()))
    return value


def _digest_text(field: str) -> Any:
    """``auth_username`` / ``auth_realm``: one line of text (it goes into Digest headers)."""

    def check(value: str) -> str:
        _raise(digest_text_problem(field, value))
        return value

    return check


def _whole_number(value: Any) -> Any:
    """A ``uint32`` as the core checks it. The engine sends every number as a float: a whole
    float is taken as an int; booleans (``True`` is not 1 here) and anything else are refused."""
    _raise(uint32_problem(value))
    return int(value)


def _seconds(maximum: float) -> Any:
    """A duration in seconds from 0 to ``maximum``, as the core checks it."""

    def check(value: Any) -> Any:
        _raise(seconds_problem(value, maximum))
        return value if value is None else float(value)

    return check


Text = Annotated[str, Strict(), AfterValidator(_text)]
Secret = Annotated[SecretStr, AfterValidator(_secret_text)]
AuthUsername = Annotated[str, Strict(), AfterValidator(_digest_text("auth_username"))]
AuthRealm = Annotated[str, Strict(), AfterValidator(_digest_text("auth_realm"))]
StrictBool = Annotated[bool, Strict()]


# --- scalar types -----------------------------------------------------------------------------

def _e164(value: str) -> str:
    _raise(e164_problem(value))
    return value


def _ip_or_cidr(value: str) -> str:
    problem = ip_or_cidr_problem(value)
    if problem and problem.code == ErrorType.IP_OR_CIDR:
        problem = Invalid(
            problem.code,
            f"{problem.message}: write an IP address ('203.0.113.10') or a CIDR range "
            "('203.0.113.0/24'); a trunk whose entries are all ignored accepts calls from "
            "any address",
        )
    _raise(problem)
    return value


_REPORTED_ENTRIES = 5


def _raise_entries(problems: list[Invalid]) -> None:
    """One error for a map: its bad entries (at most a few, so a huge map is not echoed)."""
    if not problems:
        return
    shown = [problem.message for problem in problems[:_REPORTED_ENTRIES]]
    more = len(problems) - len(shown)
    if more:
        shown.append(f"and {more} more")
    raise _error(problems[0].code, "; ".join(shown))


def _header_map(value: dict[str, str]) -> dict[str, str]:
    """``headers``: header name -> value, both as the server checks them."""
    _raise_entries(header_map_problems(value))
    return value


def _headers_to_attributes(value: dict[str, str]) -> dict[str, str]:
    """``headers_to_attributes``: SIP header name -> participant attribute name."""
    _raise_entries(headers_to_attributes_problems(value))
    return value


def _attributes_to_headers(value: dict[str, str]) -> dict[str, str]:
    """``attributes_to_headers``: participant attribute name -> SIP header name."""
    _raise_entries(attributes_to_headers_problems(value))
    return value


def _e164_or_wildcard(value: str) -> str:
    _raise(e164_or_wildcard_problem(value))
    return value


def _sip_host(value: str) -> str:
    """A bare host name or IP, optionally with a port, as the server wants it (or empty)."""
    _raise(sip_host_problem(value))
    return value


def _pin(value: str) -> str:
    _raise(pin_problem(value))
    return value


E164 = Annotated[Text, AfterValidator(_e164)]
E164OrWildcard = Annotated[Text, AfterValidator(_e164_or_wildcard)]
SipHost = Annotated[Text, AfterValidator(_sip_host)]
Pin = Annotated[Text, AfterValidator(_pin)]
IpOrCidr = Annotated[Text, AfterValidator(_ip_or_cidr)]
HeaderMap = Annotated[dict[Text, Text], Strict(), AfterValidator(_header_map)]
HeadersToAttributes = Annotated[dict[Text, Text], Strict(), AfterValidator(_headers_to_attributes)]
AttributesToHeaders = Annotated[dict[Text, Text], Strict(), AfterValidator(_attributes_to_headers)]
TextMap = Annotated[dict[Text, Text], Strict()]
Seconds = Annotated[float, BeforeValidator(_seconds(MAX_DURATION))]
UInt32 = Annotated[int, BeforeValidator(_whole_number)]


def _ringing_timeout_status(value: str) -> str:
    """``SIPInboundTrunkInfo.ValidateResult`` (protocol v1.53): a ``SIPStatusCode`` name, unset
    (``SIP_STATUS_UNKNOWN``) or a final failure status, 4xx to 6xx ("ringing timeout status
    must be 4xx-6xx, got %d")."""
    number = sip_pb.SIPStatusCode.DESCRIPTOR.values_by_name.get(value)
    if number is None or not (number.number == 0 or 400 <= number.number <= 699):
        allowed = [
            v.name
            for v in sip_pb.SIPStatusCode.DESCRIPTOR.values
            if v.number == 0 or 400 <= v.number <= 699
        ]
        raise _error(
            ErrorType.ENUM,
            f"{quote(value)} is not a SIP status LiveKit can answer a call that rang too long "
            f"with: give a 4xx-6xx SIPStatusCode name such as 'SIP_STATUS_BUSY_HERE' or "
            f"'SIP_STATUS_TEMPORARILY_UNAVAILABLE' ({len(allowed)} in all), or "
            "'SIP_STATUS_UNKNOWN' for the server's default",
        )
    return value


RingingTimeoutStatus = Annotated[Text, AfterValidator(_ringing_timeout_status)]


# --- media ------------------------------------------------------------------------------------

class _NestedSpec(MessageSpec):
    """A nested protocol message: same strictness as the specs, built from models or dicts."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=True)


def _codec_name(value: str) -> str:
    _raise(codec_name_problem(value))
    return value


class SipCodecSpec(_NestedSpec):
    """``SIPCodec``: a codec by name, optionally with its clock rate."""

    proto: ClassVar[type[Message]] = sip_pb.SIPCodec

    name: Annotated[Text, AfterValidator(_codec_name)]
    rate: UInt32 = 0


class SipMediaConfigSpec(_NestedSpec):
    """``SIPMediaConfig``: codecs, media encryption and the RTP timeout (seconds, at most 600).

    An empty config is the same as none."""

    proto: ClassVar[type[Message]] = sip_pb.SIPMediaConfig
    empty_is_none: ClassVar[bool] = True

    only_listed_codecs: StrictBool = False
    codecs: Annotated[list[SipCodecSpec], Strict()] = Field(default_factory=list)
    encryption: SipMediaEncryption | None = None
    media_timeout: Annotated[float, BeforeValidator(_seconds(MAX_MEDIA_TIMEOUT))] | None = None


def _fold_media_encryption(message: Any) -> Any:
    """``message`` as the server stores it once it has folded the deprecated
    ``media_encryption`` into an unset ``media.encryption`` (on dispatch rules at create time,
    on trunks at call time); folding it on both the declared and the returned side keeps diffs
    stable."""
    if message.media_encryption == sip_pb.SIP_MEDIA_ENCRYPT_DISABLE or (
        message.HasField("media") and message.media.HasField("encryption")
    ):
        return message
    folded = type(message)()
    folded.CopyFrom(message)
    folded.media.encryption = message.media_encryption
    return folded


# --- fields shared by the specs -------------------------------------------------------------------

_AUTH_FIELDS = frozenset({"auth_username", PASSWORD_FIELD})


def _check_auth_pair(username: str, password: SecretStr, unknown: frozenset[str]) -> None:
    """Refuse a trunk with only one of its digest credentials (unless either is unknown yet)."""
    if unknown & _AUTH_FIELDS:
        return
    has_user = bool(username)
    has_password = bool(password.get_secret_value())
    if has_user != has_password:
        missing = PASSWORD_FIELD if has_user else "auth_username"
        raise _error(
            ErrorType.AUTH_PAIR,
            f"auth_username and auth_password go together: set {missing} too, or "
            "neither (the provider's digest credentials)",
        )


# --- specs --------------------------------------------------------------------------------------


class SipSpec(MessageSpec):
    """Common behaviour of the three specs."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=True)

    kind: ClassVar[str]
    docs_url: ClassVar[str]
    #: Prefix of the IDs LiveKit gives this kind of object (``ST_``, ``SDR_``).
    id_prefix: ClassVar[str]
    # Fields a user may leave unknown during preview: the model validators skip the checks
    # that involve a field listed in the validation context's "unknown" set.

    @staticmethod
    def _unknown(info: ValidationInfo) -> frozenset[str]:
        context = info.context or {}
        return frozenset(context.get("unknown", ()))

    @classmethod
    def outputs_from_proto(cls, message: Any) -> dict[str, Any]:
        outputs = super().outputs_from_proto(_fold_media_encryption(message))
        assert outputs is not None  # a top-level object is never empty_is_none
        return outputs

    def outputs(self) -> dict[str, Any]:
        """The declared state as plain values, shaped as ``outputs_from_proto`` shapes it."""
        return self.outputs_from_proto(self.to_proto())


class SipInboundTrunkSpec(SipSpec):
    """``SIPInboundTrunkInfo``: which calls LiveKit accepts from a provider."""

    kind: ClassVar[str] = "SIP inbound trunk"
    docs_url: ClassVar[str] = DOCS_INBOUND
    id_prefix: ClassVar[str] = TRUNK_ID_PREFIX
    proto: ClassVar[type[Message]] = sip_pb.SIPInboundTrunkInfo
    omitted: ClassVar[Mapping[str, str]] = {
        "sip_trunk_id": SERVER_ASSIGNED,
        "created_at": SERVER_ASSIGNED,
        "updated_at": SERVER_ASSIGNED,
    }

    name: Text = ""
    metadata: Text = ""
    numbers: Annotated[list[E164], Strict()] = Field(default_factory=list)
    allowed_addresses: Annotated[list[IpOrCidr], Strict()] = Field(default_factory=list)
    allowed_numbers: Annotated[list[E164], Strict()] = Field(default_factory=list)
    auth_username: AuthUsername = ""
    auth_password: Secret = SecretStr("")
    auth_realm: AuthRealm = ""
    headers: HeaderMap = Field(default_factory=dict)
    headers_to_attributes: HeadersToAttributes = Field(default_factory=dict)
    attributes_to_headers: AttributesToHeaders = Field(default_factory=dict)
    include_headers: SipHeaderOptions = SipHeaderOptions.SIP_NO_HEADERS
    ringing_timeout: Seconds | None = None
    ringing_timeout_status: RingingTimeoutStatus = "SIP_STATUS_UNKNOWN"
    max_call_duration: Seconds | None = None
    krisp_enabled: StrictBool = False
    media_encryption: SipMediaEncryption = SipMediaEncryption.SIP_MEDIA_ENCRYPT_DISABLE
    media: SipMediaConfigSpec | None = None

    @model_validator(mode="after")
    def _server_rules(self, info: ValidationInfo) -> SipInboundTrunkSpec:
        unknown = self._unknown(info)
        _check_auth_pair(self.auth_username, self.auth_password, unknown)
        if not unknown & (_AUTH_FIELDS | {"allowed_addresses", "numbers"}) and not (
            self.auth_username or self.allowed_addresses or self.numbers
        ):
            raise _error(
                ErrorType.INBOUND_OPEN,
                "an inbound trunk needs at least one of numbers, allowed_addresses, or "
                "auth_username/auth_password; otherwise it would accept any call (the server "
                "rejects it)",
            )
        return self


class SipOutboundTrunkSpec(SipSpec):
    """``SIPOutboundTrunkInfo``: how LiveKit places calls through a provider."""

    kind: ClassVar[str] = "SIP outbound trunk"
    docs_url: ClassVar[str] = DOCS_OUTBOUND
    id_prefix: ClassVar[str] = TRUNK_ID_PREFIX
    proto: ClassVar[type[Message]] = sip_pb.SIPOutboundTrunkInfo
    omitted: ClassVar[Mapping[str, str]] = {
        "sip_trunk_id": SERVER_ASSIGNED,
        "created_at": SERVER_ASSIGNED,
        "updated_at": SERVER_ASSIGNED,
    }

    name: Text = ""
    metadata: Text = ""
    address: SipHost = Field(default="", validate_default=True)
    destination_country: Text = ""
    transport: SipTransport = SipTransport.SIP_TRANSPORT_AUTO
    numbers: Annotated[list[E164OrWildcard], Strict()] = Field(
        default_factory=list, validate_default=True
    )
    auth_username: AuthUsername = ""
    auth_password: Secret = SecretStr("")
    headers: HeaderMap = Field(default_factory=dict)
    headers_to_attributes: HeadersToAttributes = Field(default_factory=dict)
    attributes_to_headers: AttributesToHeaders = Field(default_factory=dict)
    include_headers: SipHeaderOptions = SipHeaderOptions.SIP_NO_HEADERS
    media_encryption: SipMediaEncryption = SipMediaEncryption.SIP_MEDIA_ENCRYPT_DISABLE
    media: SipMediaConfigSpec | None = None
    from_host: SipHost = ""

    @field_validator("address")
    @classmethod
    def _address_required(cls, value: str, info: ValidationInfo) -> str:
        if not value and "address" not in cls._unknown(info):
            raise _error(
                ErrorType.REQUIRED,
                "an outbound trunk needs the provider's SIP host (e.g. 'sip.telnyx.com'); the "
                "server rejects an empty address",
            )
        return value

    @field_validator("numbers")
    @classmethod
    def _numbers_required(cls, value: list[str], info: ValidationInfo) -> list[str]:
        if not value and "numbers" not in cls._unknown(info):
            raise _error(
                ErrorType.REQUIRED,
                "an outbound trunk needs at least one number to call from, in E.164 (or '*' to "
                "choose the caller number per call); the server rejects an empty list",
            )
        return value

    @field_validator("destination_country")
    @classmethod
    def _country_code(cls, value: str) -> str:
        _raise(country_problem(value))
        return value

    @model_validator(mode="after")
    def _auth_pair(self, info: ValidationInfo) -> SipOutboundTrunkSpec:
        _check_auth_pair(self.auth_username, self.auth_password, self._unknown(info))
        return self


# --- dispatch rules --------------------------------------------------------------------------


def _trunk_id(value: str) -> str:
    _raise(trunk_id_problem(value))
    return value


TrunkId = Annotated[Text, AfterValidator(_trunk_id)]


class SipDispatchRuleDirectSpec(_NestedSpec):
    """``SIPDispatchRuleDirect``: every caller joins the same room ``room_name``."""

    proto: ClassVar[type[Message]] = sip_pb.SIPDispatchRuleDirect

    room_name: Text
    pin: Pin = ""

    @field_validator("room_name")
    @classmethod
    def _room_name_set(cls, value: str) -> str:
        _raise(room_name_problem(value))
        return value


class SipDispatchRuleIndividualSpec(_NestedSpec):
    """``SIPDispatchRuleIndividual``: each caller gets a new room named ``room_prefix`` + ..."""

    proto: ClassVar[type[Message]] = sip_pb.SIPDispatchRuleIndividual

    room_prefix: Text = ""
    pin: Pin = ""
    no_randomness: StrictBool = False


class SipDispatchRuleCalleeSpec(_NestedSpec):
    """``SIPDispatchRuleCallee``: the room is named after the called number."""

    proto: ClassVar[type[Message]] = sip_pb.SIPDispatchRuleCallee

    room_prefix: Text = ""
    pin: Pin = ""
    randomize: StrictBool = False


_RULE_KINDS = DISPATCH_RULE_KINDS


class SipDispatchRuleKindSpec(_NestedSpec):
    """``SIPDispatchRule``: exactly one of the three kinds of rule (the ``rule`` oneof)."""

    proto: ClassVar[type[Message]] = sip_pb.SIPDispatchRule
    empty_is_none: ClassVar[bool] = True

    dispatch_rule_direct: SipDispatchRuleDirectSpec | None = None
    dispatch_rule_individual: SipDispatchRuleIndividualSpec | None = None
    dispatch_rule_callee: SipDispatchRuleCalleeSpec | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> SipDispatchRuleKindSpec:
        chosen = [kind for kind in _RULE_KINDS if getattr(self, kind) is not None]
        if len(chosen) != 1:
            raise _error(
                ErrorType.RULE_KIND,
                f"set exactly one of {', '.join(_RULE_KINDS)} (got "
                f"{', '.join(chosen) if chosen else 'none'})",
            )
        return self


class RoomAgentDispatchSpec(_NestedSpec):
    """``RoomAgentDispatch``: an agent to dispatch into the room the call creates."""

    proto: ClassVar[type[Message]] = agent_dispatch_pb.RoomAgentDispatch
    omitted: ClassVar[Mapping[str, str]] = {
        "restart_policy": "LiveKit Cloud only (a self-hosted server ignores it)",
        "deployment": "not modelled yet",
    }

    agent_name: Text
    metadata: Text = ""
    attributes: TextMap = Field(default_factory=dict)

    @field_validator("agent_name")
    @classmethod
    def _agent_name_matches_a_worker(cls, value: str) -> str:
        _raise(agent_name_problem(value))
        return value


class RoomConfigurationSpec(_NestedSpec):
    """``RoomConfiguration`` of the rooms a dispatch rule creates. Timeouts are in seconds.

    An empty configuration is the same as none to the server."""

    proto: ClassVar[type[Message]] = room_pb.RoomConfiguration
    omitted: ClassVar[Mapping[str, str]] = {
        "egress": "auto egress needs an egress service and storage credentials; not modelled",
        "tags": "not modelled yet",
    }
    empty_is_none: ClassVar[bool] = True

    name: Text = ""
    empty_timeout: UInt32 = 0
    departure_timeout: UInt32 = 0
    max_participants: UInt32 = 0
    metadata: Text = ""
    min_playout_delay: UInt32 = 0
    max_playout_delay: UInt32 = 0
    sync_streams: StrictBool = False
    agents: Annotated[list[RoomAgentDispatchSpec], Strict()] = Field(default_factory=list)


class SipDispatchRuleSpec(SipSpec):
    """``SIPDispatchRuleInfo``: which room an accepted call goes to, and which agent answers."""

    kind: ClassVar[str] = "SIP dispatch rule"
    docs_url: ClassVar[str] = DOCS_DISPATCH
    id_prefix: ClassVar[str] = DISPATCH_RULE_ID_PREFIX
    proto: ClassVar[type[Message]] = sip_pb.SIPDispatchRuleInfo
    omitted: ClassVar[Mapping[str, str]] = {
        "sip_dispatch_rule_id": SERVER_ASSIGNED,
        "created_at": SERVER_ASSIGNED,
        "updated_at": SERVER_ASSIGNED,
    }

    rule: SipDispatchRuleKindSpec | None = Field(default=None, validate_default=True)
    trunk_ids: Annotated[list[TrunkId], Strict()] = Field(default_factory=list)
    hide_phone_number: StrictBool = False
    inbound_numbers: Annotated[list[E164], Strict()] = Field(default_factory=list)
    numbers: Annotated[list[E164], Strict()] = Field(default_factory=list)
    name: Text = ""
    metadata: Text = ""
    attributes: TextMap = Field(default_factory=dict)
    room_preset: Text = ""
    room_config: RoomConfigurationSpec | None = None
    krisp_enabled: StrictBool = False
    media_encryption: SipMediaEncryption = SipMediaEncryption.SIP_MEDIA_ENCRYPT_DISABLE
    media: SipMediaConfigSpec | None = None

    @field_validator(*DISPATCH_RULE_KEY_LISTS)
    @classmethod
    def _each_entry_once(cls, value: list[str], info: ValidationInfo) -> list[str]:
        repeats = repeated_entries(str(info.field_name), value)
        if repeats:
            _raise(repeats[0][1])
        return value

    @field_validator("rule")
    @classmethod
    def _rule_required(
        cls, value: SipDispatchRuleKindSpec | None, info: ValidationInfo
    ) -> SipDispatchRuleKindSpec | None:
        if value is None and "rule" not in cls._unknown(info):
            raise _error(
                ErrorType.REQUIRED,
                "a dispatch rule needs a rule: one of dispatch_rule_individual (a new room per "
                "caller), dispatch_rule_direct (one fixed room) or dispatch_rule_callee (a room "
                "per called number); the server rejects a missing rule",
            )
        return value


# --- validation entry point -----------------------------------------------------------------------


_PLAIN_KEY = re.compile(r"[A-Za-z0-9_\-]{1,64}")


def _field_path(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:
            text = str(item) if _PLAIN_KEY.fullmatch(str(item)) else quote(item, 40)
            parts.append(("." if parts else "") + text)
    return "".join(parts) or "(resource)"


# Fields users commonly put one level too high; the hint says where they belong.
_MISPLACED = {
    **{kind: f"rule.{kind}" for kind in DISPATCH_RULE_KINDS},
    "room_name": f"rule.{RULE_DIRECT}.room_name",
    "room_prefix": f"rule.{RULE_INDIVIDUAL}.room_prefix",
    "pin": "rule.<kind>.pin",
    "agents": "room_config.agents",
    "agent_name": "room_config.agents[].agent_name",
}


# pydantic's type errors, said as what the field takes (the input's type is named, never its
# value, which may be a secret).
_EXPECTED = {
    "bool_type": "must be True or False (a boolean)",
    "string_type": "must be a string",
    "int_type": "must be a whole number (an integer)",
    "float_type": "must be a number",
    "list_type": "must be a list",
    "dict_type": "must be a mapping of strings to strings",
    "model_type": "must be a mapping with this object's fields (or its ...Args class)",
    "model_attributes_type": "must be a mapping with this object's fields (or its ...Args class)",
}
_LIST_HINTS = {
    "str": " (one string is not a list of one: write ['...'])",
    "set": " (a set has no order: pass sorted(...))",
    "frozenset": " (a set has no order: pass sorted(...))",
    "tuple": " (write [...] instead of (...))",
}


def misplaced_field(name: str) -> str | None:
    """Where a field that users often put one level too high belongs (``room_name`` ->
    ``rule.dispatch_rule_direct.room_name``), or None."""
    return _MISPLACED.get(name)


def _describe(error: Mapping[str, Any]) -> str:
    kind = str(error.get("type", ""))
    loc = tuple(error.get("loc", ()))
    if kind == "extra_forbidden":
        name = str(loc[-1]) if loc else ""
        if name in _MISPLACED and len(loc) <= 2:
            return f"is not a field here: it belongs in {_MISPLACED[name]}"
        return "is not a field of this object (check the spelling against the LiveKit protocol)"
    if kind == "missing":
        return "is required (Field required)"
    if kind in _EXPECTED:
        got = type(error.get("input")).__name__
        hint = _LIST_HINTS.get(got, "") if kind == "list_type" else ""
        return f"{_EXPECTED[kind]}, not {got}{hint}"
    return str(error.get("msg", "invalid value"))


def validate_spec(
    spec_class: type[SipSpec], values: Mapping[str, Any], unknown: frozenset[str] = frozenset()
) -> SipSpec:
    """Validate ``values`` into ``spec_class``; raise :class:`SpecError` listing every problem.

    Each problem carries its error type (:attr:`SpecError.details`). Secret values never appear
    in the problems: our messages never quote a secret, and pydantic's are rebuilt from the
    input's type, never its value.
    """
    try:
        return spec_class.model_validate(dict(values), context={"unknown": unknown})
    except ValidationError as exc:
        problems = [
            Problem(_field_path(tuple(err["loc"])), _describe(err), str(err["type"]))
            for err in exc.errors(include_url=False)
        ]
        raise SpecError(spec_class.kind, problems) from None


#: Input naming an existing LiveKit object that ``create`` takes over instead of creating one.
ADOPT_ID = "adopt_id"
#: Input: refuse the adoption when the live object differs from the declaration.
ADOPT_ONLY_IF_MATCHING = "adopt_only_if_matching"


def adopt_id_problem(spec_class: type[SipSpec], value: Any) -> Problem | None:
    """What is wrong with ``value`` as the ``adopt_id`` of a ``spec_class`` object, if anything.

    The message quotes at most the start of the value and ends with the documentation link."""
    if value is None or is_livekit_id(value, spec_class.id_prefix):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # the engine sends every number as a float
    shown = quote(value) if isinstance(value, str) else f"{quote(value)} (a {type(value).__name__})"
    return Problem(
        ADOPT_ID,
        f"{shown} is not a LiveKit {spec_class.kind} ID: give the ID as a string, "
        f"'{spec_class.id_prefix}' and letters or digits (list them with `lk sip` or in the "
        f"LiveKit console), or leave adopt_id unset to create a new one. See {spec_class.docs_url}",
        ErrorType.ADOPT_ID,
    )
