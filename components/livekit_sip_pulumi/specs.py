"""Validated specs of LiveKit SIP objects, with the protocol's field names.

A spec holds what a user declares; it refuses what the LiveKit server would reject and what is
plainly malformed (numbers not in E.164, addresses that are not IPs or CIDRs, host names with a
scheme), so that a bad program fails at ``pulumi preview`` and nothing is created.

Each spec converts to the protocol message (``to_proto``) and back to the plain dict that the
providers keep as outputs (``outputs_from_proto``).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from enum import Enum
from typing import Annotated, Any, ClassVar

import phonenumbers
from google.protobuf.duration_pb2 import Duration
from livekit.protocol import agent_dispatch as agent_dispatch_pb
from livekit.protocol import room as room_pb
from livekit.protocol import sip as sip_pb
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from .errors import SpecError

__all__ = [
    "E164",
    "E164OrWildcard",
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
    "canonical_e164",
    "validate_spec",
]

DOCS_INBOUND = "https://docs.livekit.io/telephony/accepting-calls/inbound-trunk/"
DOCS_OUTBOUND = "https://docs.livekit.io/telephony/making-calls/outbound-trunk/"
DOCS_DISPATCH = "https://docs.livekit.io/telephony/accepting-calls/dispatch-rule/"


# --- scalar types -----------------------------------------------------------------------------


def canonical_e164(value: str) -> str | None:
    """The E.164 form of ``value`` (``+15105550100``), or None when it is not a phone number."""
    try:
        parsed = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _e164(value: str) -> str:
    if not isinstance(value, str) or not value.startswith("+"):
        digits = re.sub(r"[^\d]", "", value) if isinstance(value, str) else ""
        hint = f" (did you mean '+{digits}'?)" if digits else ""
        raise ValueError(
            f"'{value}' is not an E.164 number: it must start with '+' and the country code{hint}"
        )
    canonical = canonical_e164(value)
    if canonical is None:
        raise ValueError(
            f"'{value}' is not a possible phone number: write it in E.164, '+' then country code "
            "and subscriber number, digits only (e.g. '+15105550100')"
        )
    if canonical != value:
        raise ValueError(
            f"'{value}' is not in strict E.164 form: write it as '{canonical}' "
            "(no spaces, dashes or parentheses; LiveKit compares numbers as strings)"
        )
    return value


def _ip_or_cidr(value: str) -> str:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise ValueError(
            f"'{value}' is not an IP address or CIDR block (e.g. '203.0.113.10' or "
            "'203.0.113.0/24'); LiveKit silently ignores such entries, and a trunk whose entries "
            "are all ignored accepts calls from any address"
        ) from None
    return value


_HEADER_TOKEN = re.compile(r"^[A-Za-z0-9!#$%&'*+\-.^_`|~]{1,255}$")
_UNSUPPORTED_HEADERS = {"to", "via", "from", "call-id", "cseq", "contact"}


def _header_map(value: dict[str, str]) -> dict[str, str]:
    for name, header_value in value.items():
        if not _HEADER_TOKEN.match(name):
            raise ValueError(
                f"header name '{name}' is not a SIP token (letters, digits and !#$%&'*+-.^_`|~, "
                "at most 255 characters)"
            )
        if name.lower() in _UNSUPPORTED_HEADERS:
            raise ValueError(f"header '{name}' is managed by LiveKit and cannot be set")
        if len(header_value) > 1024:
            raise ValueError(f"the value of header '{name}' is longer than 1024 characters")
    return value


def _e164_or_wildcard(value: str) -> str:
    return value if value == "*" else _e164(value)


_HOST_LABEL = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")


def _sip_host(value: str) -> str:
    """A bare host name or IP, optionally with a port, as the server wants it (or empty)."""
    if value == "":
        return value
    lowered = value.lower()
    if lowered.startswith(("sip:", "sips:")):
        bare = value.split(":", 1)[1].split(";")[0].split("@")[-1]
        raise ValueError(
            f"'{value}' is a SIP URI; LiveKit wants a bare host name or IP address: write "
            f"'{bare}' (set the transport with the transport field)"
        )
    if "@" in value:
        raise ValueError(
            f"'{value}' contains a user part ('@'); write only the host (e.g. "
            f"'{value.split('@')[-1]}') and put the user name in auth_username"
        )
    if ";" in value or "transport=" in lowered:
        raise ValueError(
            f"'{value}' contains URI parameters (';' or 'transport='); write only the host and "
            "set the transport with the transport field"
        )
    host, port = value, ""
    if value.startswith("["):  # [IPv6]:port
        host, _, rest = value[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else rest
    elif value.count(":") == 1:
        host, port = value.split(":")
    if port and not (port.isdigit() and 0 < int(port) < 65536):
        raise ValueError(f"'{value}' has an invalid port '{port}'")
    try:
        ipaddress.ip_address(host)
        return value
    except ValueError:
        pass
    labels = host.rstrip(".").split(".")
    if not all(_HOST_LABEL.match(label) for label in labels):
        raise ValueError(
            f"'{value}' is not a host name or IP address (letters, digits, '-' and '.', "
            "e.g. 'sip.telnyx.com')"
        )
    return value


def _pin(value: str) -> str:
    if value and not value.isdigit():
        raise ValueError(
            "a PIN is entered on the phone keypad: digits only (e.g. '1234'), or empty for no PIN"
        )
    return value


E164 = Annotated[str, AfterValidator(_e164)]
E164OrWildcard = Annotated[str, AfterValidator(_e164_or_wildcard)]
SipHost = Annotated[str, AfterValidator(_sip_host)]
Pin = Annotated[str, AfterValidator(_pin)]
IpOrCidr = Annotated[str, AfterValidator(_ip_or_cidr)]
HeaderMap = Annotated[dict[str, str], AfterValidator(_header_map)]
Seconds = Annotated[float, Field(ge=0, le=86400 * 7)]


class SipMediaEncryption(str, Enum):
    SIP_MEDIA_ENCRYPT_DISABLE = "SIP_MEDIA_ENCRYPT_DISABLE"
    SIP_MEDIA_ENCRYPT_ALLOW = "SIP_MEDIA_ENCRYPT_ALLOW"
    SIP_MEDIA_ENCRYPT_REQUIRE = "SIP_MEDIA_ENCRYPT_REQUIRE"


class SipTransport(str, Enum):
    SIP_TRANSPORT_AUTO = "SIP_TRANSPORT_AUTO"
    SIP_TRANSPORT_UDP = "SIP_TRANSPORT_UDP"
    SIP_TRANSPORT_TCP = "SIP_TRANSPORT_TCP"
    SIP_TRANSPORT_TLS = "SIP_TRANSPORT_TLS"


class SipHeaderOptions(str, Enum):
    SIP_NO_HEADERS = "SIP_NO_HEADERS"
    SIP_X_HEADERS = "SIP_X_HEADERS"
    SIP_ALL_HEADERS = "SIP_ALL_HEADERS"


def _enum_name(value: Enum | str) -> str:
    """The protocol name of an enum value (defaults are not converted by pydantic)."""
    return value.value if isinstance(value, Enum) else value


def _duration(seconds: float | None) -> Duration | None:
    if seconds is None:
        return None
    d = Duration()
    d.FromNanoseconds(round(seconds * 1e9))
    return d


def _seconds(message: Any, field: str) -> float | None:
    if not message.HasField(field):
        return None
    value = getattr(message, field)
    return value.ToNanoseconds() / 1e9


# --- media ------------------------------------------------------------------------------------

MAX_MEDIA_TIMEOUT = 600.0  # seconds; the server's MaxSIPMediaTimeout


class _NestedSpec(BaseModel):
    """A nested protocol message: same strictness as the specs, built from models or dicts."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=True)


def _codec_name(value: str) -> str:
    if not value:
        raise ValueError("a codec needs a name (e.g. 'PCMU', 'PCMA', 'G722', 'opus')")
    if any(c in value for c in " \t\r\n"):
        raise ValueError(f"codec name '{value}' must not contain whitespace")
    if "/" in value:
        raise ValueError(
            f"codec name '{value}' must not contain '/': give the clock rate in rate instead"
        )
    return value


class SipCodecSpec(_NestedSpec):
    """``SIPCodec``: a codec by name, optionally with its clock rate."""

    name: Annotated[str, AfterValidator(_codec_name)]
    rate: Annotated[int, Field(ge=0, le=2**32 - 1)] = 0


class SipMediaConfigSpec(_NestedSpec):
    """``SIPMediaConfig``: codecs, media encryption and the RTP timeout (seconds, at most 600)."""

    only_listed_codecs: bool = False
    codecs: list[SipCodecSpec] = Field(default_factory=list)
    encryption: SipMediaEncryption | None = None
    media_timeout: Annotated[float, Field(ge=0, le=MAX_MEDIA_TIMEOUT)] | None = None

    def to_proto(self) -> sip_pb.SIPMediaConfig:
        return sip_pb.SIPMediaConfig(
            only_listed_codecs=self.only_listed_codecs,
            codecs=[sip_pb.SIPCodec(name=c.name, rate=c.rate) for c in self.codecs],
            encryption=_enum_name(self.encryption) if self.encryption is not None else None,
            media_timeout=_duration(self.media_timeout),
        )


def _media_proto(media: SipMediaConfigSpec | None) -> sip_pb.SIPMediaConfig | None:
    return media.to_proto() if media is not None else None


def _media_outputs(message: Any) -> dict[str, Any] | None:
    """The effective media config, normalized as the server stores it.

    The server folds the deprecated ``media_encryption`` into ``media.encryption`` when the
    latter is unset (on dispatch rules at create time, on trunks at call time); folding it
    here on both the declared and the returned side keeps diffs stable. An empty config is
    the same as none.
    """
    media = message.media if message.HasField("media") else None
    encryption: str | None = None
    if media is not None and media.HasField("encryption"):
        encryption = sip_pb.SIPMediaEncryption.Name(media.encryption)
    elif message.media_encryption != sip_pb.SIP_MEDIA_ENCRYPT_DISABLE:
        encryption = sip_pb.SIPMediaEncryption.Name(message.media_encryption)
    codecs = [{"name": c.name, "rate": c.rate} for c in media.codecs] if media else []
    only_listed = bool(media and media.only_listed_codecs)
    timeout = _seconds(media, "media_timeout") if media is not None else None
    if not codecs and not only_listed and encryption is None and timeout is None:
        return None
    return {
        "only_listed_codecs": only_listed,
        "codecs": codecs,
        "encryption": encryption,
        "media_timeout": timeout,
    }


def _media_fields_proto(
    spec: SipInboundTrunkSpec | SipOutboundTrunkSpec | SipDispatchRuleSpec,
) -> dict[str, Any]:
    """The ``media_encryption`` and ``media`` fields of ``spec``'s protocol message."""
    return {
        "media_encryption": _enum_name(spec.media_encryption),
        "media": _media_proto(spec.media),
    }


def _media_fields_outputs(message: Any) -> dict[str, Any]:
    """The ``media_encryption`` and ``media`` outputs of a trunk or dispatch rule message."""
    return {
        "media_encryption": sip_pb.SIPMediaEncryption.Name(message.media_encryption),
        "media": _media_outputs(message),
    }


# --- fields shared by the specs -------------------------------------------------------------------

_AUTH_FIELDS = frozenset({"auth_username", "auth_password"})


def _check_auth_pair(username: str, password: SecretStr, unknown: frozenset[str]) -> None:
    """Refuse a trunk with only one of its digest credentials (unless either is unknown yet)."""
    if unknown & _AUTH_FIELDS:
        return
    has_user = bool(username)
    has_password = bool(password.get_secret_value())
    if has_user != has_password:
        missing = "auth_password" if has_user else "auth_username"
        raise ValueError(
            f"auth_username and auth_password go together: set {missing} too, or "
            "neither (the provider's digest credentials)"
        )


def _headers_proto(spec: SipInboundTrunkSpec | SipOutboundTrunkSpec) -> dict[str, Any]:
    """The SIP header fields of a trunk spec's protocol message."""
    return {
        "headers": spec.headers,
        "headers_to_attributes": spec.headers_to_attributes,
        "attributes_to_headers": spec.attributes_to_headers,
        "include_headers": _enum_name(spec.include_headers),
    }


def _headers_outputs(message: Any) -> dict[str, Any]:
    """The SIP header outputs of a trunk message."""
    return {
        "headers": dict(message.headers),
        "headers_to_attributes": dict(message.headers_to_attributes),
        "attributes_to_headers": dict(message.attributes_to_headers),
        "include_headers": sip_pb.SIPHeaderOptions.Name(message.include_headers),
    }


# --- specs --------------------------------------------------------------------------------------


class SipSpec(BaseModel):
    """Common behaviour of the three specs."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=True)

    kind: ClassVar[str]
    docs_url: ClassVar[str]
    # Fields a user may leave unknown during preview: the model validators skip the checks
    # that involve a field listed in the validation context's "unknown" set.

    @staticmethod
    def _unknown(info: ValidationInfo) -> frozenset[str]:
        context = info.context or {}
        return frozenset(context.get("unknown", ()))

    def to_proto(self) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    @classmethod
    def outputs_from_proto(cls, message: Any) -> dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def outputs(self) -> dict[str, Any]:
        """The declared state as plain values, shaped as ``outputs_from_proto`` shapes it."""
        return self.outputs_from_proto(self.to_proto())


class SipInboundTrunkSpec(SipSpec):
    """``SIPInboundTrunkInfo``: which calls LiveKit accepts from a provider."""

    kind: ClassVar[str] = "SIP inbound trunk"
    docs_url: ClassVar[str] = DOCS_INBOUND

    name: str = ""
    metadata: str = ""
    numbers: list[E164] = Field(default_factory=list)
    allowed_addresses: list[IpOrCidr] = Field(default_factory=list)
    allowed_numbers: list[E164] = Field(default_factory=list)
    auth_username: str = ""
    auth_password: SecretStr = SecretStr("")
    auth_realm: str = ""
    headers: HeaderMap = Field(default_factory=dict)
    headers_to_attributes: dict[str, str] = Field(default_factory=dict)
    attributes_to_headers: dict[str, str] = Field(default_factory=dict)
    include_headers: SipHeaderOptions = SipHeaderOptions.SIP_NO_HEADERS
    ringing_timeout: Seconds | None = None
    max_call_duration: Seconds | None = None
    krisp_enabled: bool = False
    media_encryption: SipMediaEncryption = SipMediaEncryption.SIP_MEDIA_ENCRYPT_DISABLE
    media: SipMediaConfigSpec | None = None

    @model_validator(mode="after")
    def _server_rules(self, info: ValidationInfo) -> SipInboundTrunkSpec:
        unknown = self._unknown(info)
        _check_auth_pair(self.auth_username, self.auth_password, unknown)
        if not unknown & (_AUTH_FIELDS | {"allowed_addresses", "numbers"}) and not (
            self.auth_username or self.allowed_addresses or self.numbers
        ):
            raise ValueError(
                "an inbound trunk needs at least one of numbers, allowed_addresses, or "
                "auth_username/auth_password; otherwise it would accept any call (the server "
                "rejects it)"
            )
        return self

    def to_proto(self) -> sip_pb.SIPInboundTrunkInfo:
        return sip_pb.SIPInboundTrunkInfo(
            name=self.name,
            metadata=self.metadata,
            numbers=self.numbers,
            allowed_addresses=self.allowed_addresses,
            allowed_numbers=self.allowed_numbers,
            auth_username=self.auth_username,
            auth_password=self.auth_password.get_secret_value(),
            auth_realm=self.auth_realm,
            **_headers_proto(self),
            ringing_timeout=_duration(self.ringing_timeout),
            max_call_duration=_duration(self.max_call_duration),
            krisp_enabled=self.krisp_enabled,
            **_media_fields_proto(self),
        )

    @classmethod
    def outputs_from_proto(cls, message: Any) -> dict[str, Any]:
        return {
            "name": message.name,
            "metadata": message.metadata,
            "numbers": list(message.numbers),
            "allowed_addresses": list(message.allowed_addresses),
            "allowed_numbers": list(message.allowed_numbers),
            "auth_username": message.auth_username,
            "auth_password": message.auth_password,
            "auth_realm": message.auth_realm,
            **_headers_outputs(message),
            "ringing_timeout": _seconds(message, "ringing_timeout"),
            "max_call_duration": _seconds(message, "max_call_duration"),
            "krisp_enabled": message.krisp_enabled,
            **_media_fields_outputs(message),
        }


_COUNTRY = re.compile(r"^[a-z]{2}$")


class SipOutboundTrunkSpec(SipSpec):
    """``SIPOutboundTrunkInfo``: how LiveKit places calls through a provider."""

    kind: ClassVar[str] = "SIP outbound trunk"
    docs_url: ClassVar[str] = DOCS_OUTBOUND

    name: str = ""
    metadata: str = ""
    address: SipHost = Field(default="", validate_default=True)
    destination_country: str = ""
    transport: SipTransport = SipTransport.SIP_TRANSPORT_AUTO
    numbers: list[E164OrWildcard] = Field(default_factory=list, validate_default=True)
    auth_username: str = ""
    auth_password: SecretStr = SecretStr("")
    headers: HeaderMap = Field(default_factory=dict)
    headers_to_attributes: dict[str, str] = Field(default_factory=dict)
    attributes_to_headers: dict[str, str] = Field(default_factory=dict)
    include_headers: SipHeaderOptions = SipHeaderOptions.SIP_NO_HEADERS
    media_encryption: SipMediaEncryption = SipMediaEncryption.SIP_MEDIA_ENCRYPT_DISABLE
    media: SipMediaConfigSpec | None = None
    from_host: SipHost = ""

    @field_validator("address")
    @classmethod
    def _address_required(cls, value: str, info: ValidationInfo) -> str:
        if not value and "address" not in cls._unknown(info):
            raise ValueError(
                "an outbound trunk needs the provider's SIP host (e.g. 'sip.telnyx.com'); the "
                "server rejects an empty address"
            )
        return value

    @field_validator("numbers")
    @classmethod
    def _numbers_required(cls, value: list[str], info: ValidationInfo) -> list[str]:
        if not value and "numbers" not in cls._unknown(info):
            raise ValueError(
                "an outbound trunk needs at least one number to call from, in E.164 (or '*' to "
                "choose the caller number per call); the server rejects an empty list"
            )
        return value

    @field_validator("destination_country")
    @classmethod
    def _country_code(cls, value: str) -> str:
        if not value:
            return value
        if value.lower() == "uk":
            raise ValueError("'uk' is not an ISO 3166-1 country code: write 'gb'")
        if not _COUNTRY.match(value):
            fix = f": write '{value.lower()}'" if _COUNTRY.match(value.lower()) else ""
            raise ValueError(
                f"'{value}' is not a two-letter lowercase ISO country code (e.g. 'us', 'in', "
                f"'gb'){fix}"
            )
        return value

    @model_validator(mode="after")
    def _auth_pair(self, info: ValidationInfo) -> SipOutboundTrunkSpec:
        _check_auth_pair(self.auth_username, self.auth_password, self._unknown(info))
        return self

    def to_proto(self) -> sip_pb.SIPOutboundTrunkInfo:
        return sip_pb.SIPOutboundTrunkInfo(
            name=self.name,
            metadata=self.metadata,
            address=self.address,
            destination_country=self.destination_country,
            transport=_enum_name(self.transport),
            numbers=self.numbers,
            auth_username=self.auth_username,
            auth_password=self.auth_password.get_secret_value(),
            **_headers_proto(self),
            **_media_fields_proto(self),
            from_host=self.from_host,
        )

    @classmethod
    def outputs_from_proto(cls, message: Any) -> dict[str, Any]:
        return {
            "name": message.name,
            "metadata": message.metadata,
            "address": message.address,
            "destination_country": message.destination_country,
            "transport": sip_pb.SIPTransport.Name(message.transport),
            "numbers": list(message.numbers),
            "auth_username": message.auth_username,
            "auth_password": message.auth_password,
            **_headers_outputs(message),
            **_media_fields_outputs(message),
            "from_host": message.from_host,
        }


# --- dispatch rules --------------------------------------------------------------------------


def _trunk_id(value: str) -> str:
    if not value.startswith("ST_"):
        raise ValueError(
            f"'{value}' is not a LiveKit trunk ID: they start with 'ST_' (a provider's trunk SID, "
            "such as Twilio's 'TK...', is not a LiveKit ID); pass the sip_trunk_id output of a "
            "SipInboundTrunk"
        )
    return value


TrunkId = Annotated[str, AfterValidator(_trunk_id)]
UInt32 = Annotated[int, Field(ge=0, le=2**32 - 1)]


class SipDispatchRuleDirectSpec(_NestedSpec):
    """``SIPDispatchRuleDirect``: every caller joins the same room ``room_name``."""

    room_name: str
    pin: Pin = ""

    @field_validator("room_name")
    @classmethod
    def _room_name_set(cls, value: str) -> str:
        if not value:
            raise ValueError("a direct rule needs the name of the room callers join")
        return value


class SipDispatchRuleIndividualSpec(_NestedSpec):
    """``SIPDispatchRuleIndividual``: each caller gets a new room named ``room_prefix`` + ..."""

    room_prefix: str = ""
    pin: Pin = ""
    no_randomness: bool = False


class SipDispatchRuleCalleeSpec(_NestedSpec):
    """``SIPDispatchRuleCallee``: the room is named after the called number."""

    room_prefix: str = ""
    pin: Pin = ""
    randomize: bool = False


_RULE_KINDS = ("dispatch_rule_direct", "dispatch_rule_individual", "dispatch_rule_callee")


class SipDispatchRuleKindSpec(_NestedSpec):
    """``SIPDispatchRule``: exactly one of the three kinds of rule."""

    dispatch_rule_direct: SipDispatchRuleDirectSpec | None = None
    dispatch_rule_individual: SipDispatchRuleIndividualSpec | None = None
    dispatch_rule_callee: SipDispatchRuleCalleeSpec | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> SipDispatchRuleKindSpec:
        chosen = [kind for kind in _RULE_KINDS if getattr(self, kind) is not None]
        if len(chosen) != 1:
            raise ValueError(
                f"set exactly one of {', '.join(_RULE_KINDS)} (got "
                f"{', '.join(chosen) if chosen else 'none'})"
            )
        return self

    def to_proto(self) -> sip_pb.SIPDispatchRule:
        if self.dispatch_rule_direct is not None:
            d = self.dispatch_rule_direct
            return sip_pb.SIPDispatchRule(
                dispatch_rule_direct=sip_pb.SIPDispatchRuleDirect(room_name=d.room_name, pin=d.pin)
            )
        if self.dispatch_rule_individual is not None:
            i = self.dispatch_rule_individual
            return sip_pb.SIPDispatchRule(
                dispatch_rule_individual=sip_pb.SIPDispatchRuleIndividual(
                    room_prefix=i.room_prefix, pin=i.pin, no_randomness=i.no_randomness
                )
            )
        c = self.dispatch_rule_callee
        assert c is not None
        return sip_pb.SIPDispatchRule(
            dispatch_rule_callee=sip_pb.SIPDispatchRuleCallee(
                room_prefix=c.room_prefix, pin=c.pin, randomize=c.randomize
            )
        )


class RoomAgentDispatchSpec(_NestedSpec):
    """``RoomAgentDispatch``: an agent to dispatch into the room the call creates."""

    agent_name: str
    metadata: str = ""

    @field_validator("agent_name")
    @classmethod
    def _agent_name_set(cls, value: str) -> str:
        if not value.strip():
            raise ValueError(
                "agent_name must be the agent_name the agent worker registers with; an empty "
                "name never matches, and the call rings with no agent"
            )
        return value


class RoomConfigurationSpec(_NestedSpec):
    """``RoomConfiguration`` of the rooms a dispatch rule creates. Timeouts are in seconds."""

    name: str = ""
    empty_timeout: UInt32 = 0
    departure_timeout: UInt32 = 0
    max_participants: UInt32 = 0
    metadata: str = ""
    min_playout_delay: UInt32 = 0
    max_playout_delay: UInt32 = 0
    sync_streams: bool = False
    agents: list[RoomAgentDispatchSpec] = Field(default_factory=list)

    def to_proto(self) -> room_pb.RoomConfiguration:
        return room_pb.RoomConfiguration(
            name=self.name,
            empty_timeout=self.empty_timeout,
            departure_timeout=self.departure_timeout,
            max_participants=self.max_participants,
            metadata=self.metadata,
            min_playout_delay=self.min_playout_delay,
            max_playout_delay=self.max_playout_delay,
            sync_streams=self.sync_streams,
            agents=[
                agent_dispatch_pb.RoomAgentDispatch(agent_name=a.agent_name, metadata=a.metadata)
                for a in self.agents
            ],
        )


def _rule_outputs(message: Any) -> dict[str, Any] | None:
    kind = message.WhichOneof("rule")
    if kind is None:
        return None
    value = getattr(message, kind)
    if kind == "dispatch_rule_direct":
        return {kind: {"room_name": value.room_name, "pin": value.pin}}
    if kind == "dispatch_rule_individual":
        return {
            kind: {
                "room_prefix": value.room_prefix,
                "pin": value.pin,
                "no_randomness": value.no_randomness,
            }
        }
    return {
        kind: {"room_prefix": value.room_prefix, "pin": value.pin, "randomize": value.randomize}
    }


def _room_config_outputs(message: Any) -> dict[str, Any] | None:
    # An empty configuration and no configuration mean the same thing to the server.
    if not message.HasField("room_config") or message.room_config.ByteSize() == 0:
        return None
    config = message.room_config
    return {
        "name": config.name,
        "empty_timeout": config.empty_timeout,
        "departure_timeout": config.departure_timeout,
        "max_participants": config.max_participants,
        "metadata": config.metadata,
        "min_playout_delay": config.min_playout_delay,
        "max_playout_delay": config.max_playout_delay,
        "sync_streams": config.sync_streams,
        "agents": [{"agent_name": a.agent_name, "metadata": a.metadata} for a in config.agents],
    }


class SipDispatchRuleSpec(SipSpec):
    """``SIPDispatchRuleInfo``: which room an accepted call goes to, and which agent answers."""

    kind: ClassVar[str] = "SIP dispatch rule"
    docs_url: ClassVar[str] = DOCS_DISPATCH

    rule: SipDispatchRuleKindSpec | None = Field(default=None, validate_default=True)
    trunk_ids: list[TrunkId] = Field(default_factory=list)
    hide_phone_number: bool = False
    inbound_numbers: list[E164] = Field(default_factory=list)
    numbers: list[E164] = Field(default_factory=list)
    name: str = ""
    metadata: str = ""
    attributes: dict[str, str] = Field(default_factory=dict)
    room_preset: str = ""
    room_config: RoomConfigurationSpec | None = None
    krisp_enabled: bool = False
    media_encryption: SipMediaEncryption = SipMediaEncryption.SIP_MEDIA_ENCRYPT_DISABLE
    media: SipMediaConfigSpec | None = None

    @field_validator("rule")
    @classmethod
    def _rule_required(
        cls, value: SipDispatchRuleKindSpec | None, info: ValidationInfo
    ) -> SipDispatchRuleKindSpec | None:
        if value is None and "rule" not in cls._unknown(info):
            raise ValueError(
                "a dispatch rule needs a rule: one of dispatch_rule_individual (a new room per "
                "caller), dispatch_rule_direct (one fixed room) or dispatch_rule_callee (a room "
                "per called number); the server rejects a missing rule"
            )
        return value

    def to_proto(self) -> sip_pb.SIPDispatchRuleInfo:
        return sip_pb.SIPDispatchRuleInfo(
            rule=self.rule.to_proto() if self.rule is not None else None,
            trunk_ids=self.trunk_ids,
            hide_phone_number=self.hide_phone_number,
            inbound_numbers=self.inbound_numbers,
            numbers=self.numbers,
            name=self.name,
            metadata=self.metadata,
            attributes=self.attributes,
            room_preset=self.room_preset,
            room_config=self.room_config.to_proto() if self.room_config is not None else None,
            krisp_enabled=self.krisp_enabled,
            **_media_fields_proto(self),
        )

    @classmethod
    def outputs_from_proto(cls, message: Any) -> dict[str, Any]:
        return {
            "rule": _rule_outputs(message.rule) if message.HasField("rule") else None,
            "trunk_ids": list(message.trunk_ids),
            "hide_phone_number": message.hide_phone_number,
            "inbound_numbers": list(message.inbound_numbers),
            "numbers": list(message.numbers),
            "name": message.name,
            "metadata": message.metadata,
            "attributes": dict(message.attributes),
            "room_preset": message.room_preset,
            "room_config": _room_config_outputs(message),
            "krisp_enabled": message.krisp_enabled,
            **_media_fields_outputs(message),
        }


# --- validation entry point -----------------------------------------------------------------------


def _field_path(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:
            parts.append(("." if parts else "") + str(item))
    return "".join(parts) or "(resource)"


# Fields users commonly put one level too high; the hint says where they belong.
_MISPLACED = {
    "dispatch_rule_direct": "rule.dispatch_rule_direct",
    "dispatch_rule_individual": "rule.dispatch_rule_individual",
    "dispatch_rule_callee": "rule.dispatch_rule_callee",
    "room_name": "rule.dispatch_rule_direct.room_name",
    "room_prefix": "rule.dispatch_rule_individual.room_prefix",
    "pin": "rule.<kind>.pin",
    "agents": "room_config.agents",
    "agent_name": "room_config.agents[].agent_name",
}


def _describe(error: Mapping[str, Any]) -> str:
    message = str(error.get("msg", "invalid value"))
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    if error.get("type") == "extra_forbidden":
        loc = tuple(error.get("loc", ()))
        name = str(loc[-1]) if loc else ""
        if name in _MISPLACED and len(loc) <= 2:
            return f"is not a field here: it belongs in {_MISPLACED[name]}"
        return "is not a field of this object (check the spelling against the LiveKit protocol)"
    return message


def validate_spec(
    spec_class: type[SipSpec], values: Mapping[str, Any], unknown: frozenset[str] = frozenset()
) -> SipSpec:
    """Validate ``values`` into ``spec_class``; raise :class:`SpecError` listing every problem.

    Secret values never appear in the problems: pydantic's messages are rebuilt without inputs.
    """
    try:
        return spec_class.model_validate(dict(values), context={"unknown": unknown})
    except ValidationError as exc:
        problems = [
            (_field_path(tuple(err["loc"])), _describe(err))
            for err in exc.errors(include_input=False)
        ]
        raise SpecError(spec_class.kind, problems) from None
