"""Validated specs of LiveKit SIP objects, with the protocol's field names.

A spec holds what a user declares; it refuses what the LiveKit server would reject and what is
plainly malformed (numbers not in E.164, addresses that are not IPs or CIDRs, host names with a
scheme), so that a bad program fails at ``pulumi preview`` and nothing is created.

Each spec converts to the protocol message (``to_proto``) and back to the plain dict that the
providers keep as outputs (``outputs_from_proto``); both are derived from the protobuf
descriptors (:mod:`.messages`): a protocol field is declared once, as a field of its spec.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Mapping
from enum import Enum
from typing import Annotated, Any, ClassVar

import phonenumbers
from google.protobuf.message import Message
from livekit.protocol import agent_dispatch as agent_dispatch_pb
from livekit.protocol import room as room_pb
from livekit.protocol import sip as sip_pb
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

DOCS_INBOUND = "https://docs.livekit.io/telephony/accepting-calls/inbound-trunk/"
DOCS_OUTBOUND = "https://docs.livekit.io/telephony/making-calls/outbound-trunk/"
DOCS_DISPATCH = "https://docs.livekit.io/telephony/accepting-calls/dispatch-rule/"


# --- errors and quoting ------------------------------------------------------------------------


class ErrorType:
    """The error types (``PydanticCustomError.type``, :attr:`Problem.code`) of our checks.

    pydantic's own types (``bool_type``, ``int_type``, ``list_type``, ``missing``,
    ``extra_forbidden``, ``enum``, ...) pass through unchanged."""

    STRING_UNENCODABLE = "string_unencodable"
    STRING_NUL = "string_nul"
    E164_PLUS = "e164_plus"
    E164_IMPOSSIBLE = "e164_impossible"
    E164_NOT_STRICT = "e164_not_strict"
    IP_OR_CIDR = "ip_or_cidr"
    HEADER_NAME = "header_name"
    HEADER_RESERVED = "header_reserved"
    HEADER_VALUE = "header_value"
    HEADER_VALUE_LENGTH = "header_value_length"
    ATTRIBUTE_NAME = "attribute_name"
    SIP_HOST_URI = "sip_host_uri"
    SIP_HOST_USER = "sip_host_user"
    SIP_HOST_PARAMS = "sip_host_params"
    SIP_HOST_PORT = "sip_host_port"
    SIP_HOST_BRACKET = "sip_host_bracket"
    SIP_HOST_NAME = "sip_host_name"
    PIN_DIGITS = "pin_digits"
    TRUNK_ID = "trunk_id"
    NUMBER_TYPE = "number_type"
    REQUIRED = "required"
    COUNTRY_CODE = "country_code"
    CODEC_NAME = "codec_name"
    AGENT_NAME = "agent_name"
    AUTH_PAIR = "auth_pair"
    INBOUND_OPEN = "inbound_open"
    RULE_KIND = "rule_kind"
    ADOPT_ID = "adopt_id"
    DUPLICATE_NAME = "duplicate_name"
    DUPLICATE_ADOPT_ID = "duplicate_adopt_id"
    ARGUMENTS = "arguments"


def _error(code: str, message: str) -> PydanticCustomError:
    """A typed validation error. The message goes through the context, so braces in quoted user
    values are never taken for template fields."""
    return PydanticCustomError(code, "{message}", {"message": message})


_QUOTE_LIMIT = 60


def quote(value: Any, limit: int = _QUOTE_LIMIT) -> str:
    """``value`` for an error message: quoted, control and unencodable characters escaped
    (``\\r``, ``\\x00``, ``\\ud800``), cut after ``limit`` characters."""
    text = value if isinstance(value, str) else repr(value)
    cut = len(text) > limit
    text = text[:limit]
    shown = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    return f"'{shown}'" + ("... (cut)" if cut else "")


def _unencodable(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _text(value: str) -> str:
    """Any string field: it must travel as UTF-8 in a protobuf message (no lone surrogates) and
    hold no NUL character (C strings and SIP stacks end there)."""
    if _unencodable(value):
        raise _error(
            ErrorType.STRING_UNENCODABLE,
            f"{quote(value)} contains a lone surrogate character, which cannot be sent as "
            "UTF-8; remove it (it usually comes from decoding bytes with 'surrogateescape')",
        )
    if "\x00" in value:
        raise _error(
            ErrorType.STRING_NUL, f"{quote(value)} contains a NUL character ('\\x00'); remove it"
        )
    return value


def _secret_text(value: SecretStr) -> SecretStr:
    """:func:`_text` for a secret, without quoting it."""
    secret = value.get_secret_value()
    if _unencodable(secret) or "\x00" in secret:
        raise _error(
            ErrorType.STRING_UNENCODABLE,
            "the value contains a NUL or lone surrogate character; remove it (value not shown)",
        )
    return value


def _whole_number(value: Any) -> Any:
    """The engine sends every number as a float: accept whole floats as ints, refuse booleans
    (``True`` is not 1 here) and anything else that is not a number."""
    if isinstance(value, bool):
        raise _error(ErrorType.NUMBER_TYPE, f"must be a whole number, not a boolean ({value})")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _number(value: Any) -> Any:
    if isinstance(value, bool):
        raise _error(ErrorType.NUMBER_TYPE, f"must be a number of seconds, not a boolean ({value})")
    return value


Text = Annotated[str, Strict(), AfterValidator(_text)]
Secret = Annotated[SecretStr, AfterValidator(_secret_text)]
StrictBool = Annotated[bool, Strict()]


# --- scalar types -----------------------------------------------------------------------------

TRUNK_ID_PREFIX = "ST_"
DISPATCH_RULE_ID_PREFIX = "SDR_"
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


#: ASCII digits only: ``str.isdigit`` and ``\d`` also accept superscripts, Arabic-Indic and
#: full-width digits (U+00B2, U+0661, U+FF15).
_ASCII_DIGITS = re.compile(r"[0-9]+")


def canonical_e164(value: str) -> str | None:
    """The E.164 form of ``value`` (``+15105550100``), or None when it is not a phone number."""
    try:
        parsed = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _ascii_digits_hint(value: str) -> str:
    """The digits of ``value`` in ASCII, for a "did you mean" hint only: NFKC folds full-width
    characters, and every other decimal digit (Arabic-Indic U+0661...) maps to its value."""
    normalized = unicodedata.normalize("NFKC", value)
    return "".join(str(unicodedata.decimal(c)) for c in normalized if c.isdecimal())


def _e164(value: str) -> str:
    if not value.startswith("+"):
        digits = _ascii_digits_hint(value)
        hint = f" (did you mean '+{digits}'?)" if 6 <= len(digits) <= 15 else ""
        raise _error(
            ErrorType.E164_PLUS,
            f"{quote(value)} is not an E.164 number: it must start with '+' and the country "
            f"code{hint}",
        )
    canonical = canonical_e164(value)
    if canonical is None:
        raise _error(
            ErrorType.E164_IMPOSSIBLE,
            f"{quote(value)} is not a possible phone number: write it in E.164, '+' then country "
            "code and subscriber number, ASCII digits only (e.g. '+15105550100')",
        )
    if canonical != value:
        raise _error(
            ErrorType.E164_NOT_STRICT,
            f"{quote(value)} is not in strict E.164 form: write it as '{canonical}' "
            "(ASCII digits, no spaces, dashes or parentheses; LiveKit compares numbers as "
            "strings)",
        )
    return value


def _ip_or_cidr(value: str) -> str:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise _error(
            ErrorType.IP_OR_CIDR,
            f"{quote(value)} is not an IP address or CIDR block (e.g. '203.0.113.10' or "
            "'203.0.113.0/24'); LiveKit silently ignores such entries, and a trunk whose entries "
            "are all ignored accepts calls from any address",
        ) from None
    return value


# Header rules of livekit/protocol (v1.50.5-0.20260728075222-28e604c046c6, the version
# livekit-server v1.13.5 builds with), livekit/sip_validation.go:
#
#     tokenCharacters.AddNumbers(); ...AddLowercaseASCII(); ...AddUppercaseASCII()
#     tokenCharacters.Add("-.!%*_+`'~")
#     headerValuesCharacters.AddPrintableLienarASCII()  // 0x20-0x7E and \t
#     headerValuesCharacters.AddUTF8()
#     func ValidateHeaderName(name string, restrictNames bool) error {
#         if name == "" { ... "header name cannot be empty" }
#         if len(name) > 255 { ... "header name too long (max 255 characters)" }
#         if err := tokenCharacters.Validate(name); ...
#         if restrictNames { if ForbiddenSipHeaderNames[strings.ToLower(name)] ... }
#     func ValidateHeaderValueResult(name, value string) ValidationResult {
#         if len(value) > 1024 { ... "value too long (max 1024 characters)" }  // bytes
#         if err := headerValuesCharacters.Validate(value); ...
#
# sip.go applies ValidateHeaderName(name, true) + ValidateHeaderValueResult to `headers`,
# ValidateHeaderName(name, false) to the keys of `headers_to_attributes` and the values of
# `attributes_to_headers`.
_HEADER_TOKEN = re.compile(r"[A-Za-z0-9\-.!%*_+`'~]{1,255}")
_FORBIDDEN_HEADERS = frozenset(
    {
        # ForbiddenSipHeaderNames (sip_validation.go)
        "accept", "accept-encoding", "accept-language", "allow", "allow-events", "call-id",
        "contact", "content-encoding", "content-length", "content-type", "cseq", "event",
        "expires", "from", "max-forwards", "record-route", "refer-to", "reply-to",
        "k", "l", "m", "o", "r", "t", "u", "v",
        # LiveKit writes these itself on every request
        "to", "via",
    }
)  # fmt: skip
_MAX_HEADER_VALUE_BYTES = 1024
_REPORTED_ENTRIES = 5


def _header_name_problem(name: str, *, restricted: bool) -> tuple[str, str] | None:
    if not _HEADER_TOKEN.fullmatch(name):
        return (
            ErrorType.HEADER_NAME,
            f"header name {quote(name)} is not a SIP token: 1 to 255 ASCII letters, digits and "
            "-.!%*_+`'~ (no spaces, ':' or line breaks)",
        )
    if restricted and name.lower() in _FORBIDDEN_HEADERS:
        return (
            ErrorType.HEADER_RESERVED,
            f"header {quote(name)} is managed by LiveKit and cannot be set",
        )
    return None


def _header_value_problem(name: str, value: str) -> tuple[str, str] | None:
    if len(value.encode("utf-8", "surrogatepass")) > _MAX_HEADER_VALUE_BYTES:
        return (
            ErrorType.HEADER_VALUE_LENGTH,
            f"the value of header {quote(name)} is longer than {_MAX_HEADER_VALUE_BYTES} bytes",
        )
    bad = sorted({c for c in value if (c < " " and c != "\t") or c == "\x7f"})
    if bad:
        shown = ", ".join(repr(c) for c in bad)
        return (
            ErrorType.HEADER_VALUE,
            f"the value of header {quote(name)} contains control characters ({shown}); a "
            "header value is one line of printable text (CR/LF would start a new header)",
        )
    return None


def _attribute_problem(name: str, role: str) -> tuple[str, str] | None:
    if not name.strip():
        return (ErrorType.ATTRIBUTE_NAME, f"{role}: a participant attribute name cannot be empty")
    return None


def _raise_entries(problems: list[tuple[str, str]]) -> None:
    """One error for a map: its bad entries (at most a few, so a huge map is not echoed)."""
    if not problems:
        return
    shown = [message for _code, message in problems[:_REPORTED_ENTRIES]]
    more = len(problems) - len(shown)
    if more:
        shown.append(f"and {more} more")
    raise _error(problems[0][0], "; ".join(shown))


def _header_map(value: dict[str, str]) -> dict[str, str]:
    """``headers``: header name -> value, both as the server checks them."""
    problems = []
    for name, header_value in value.items():
        problem = _header_name_problem(name, restricted=True) or _header_value_problem(
            name, header_value
        )
        if problem:
            problems.append(problem)
    _raise_entries(problems)
    return value


def _headers_to_attributes(value: dict[str, str]) -> dict[str, str]:
    """``headers_to_attributes``: SIP header name -> participant attribute name."""
    problems = []
    for name, attribute in value.items():
        problem = _header_name_problem(name, restricted=False) or _attribute_problem(
            attribute, f"header {quote(name)}"
        )
        if problem:
            problems.append(problem)
    _raise_entries(problems)
    return value


def _attributes_to_headers(value: dict[str, str]) -> dict[str, str]:
    """``attributes_to_headers``: participant attribute name -> SIP header name."""
    problems = []
    for attribute, name in value.items():
        problem = _attribute_problem(attribute, f"attribute {quote(attribute)}") or (
            _header_name_problem(name, restricted=False)
        )
        if problem:
            problems.append(problem)
    _raise_entries(problems)
    return value


def _e164_or_wildcard(value: str) -> str:
    return value if value == "*" else _e164(value)


_HOST_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")


def _split_host_port(value: str) -> tuple[str, str | None]:
    """``host[:port]`` or ``[ipv6][:port]`` -> (host, port or None when there is no ':')."""
    if value.startswith("["):
        host, closed, rest = value[1:].partition("]")
        if not closed:
            raise _error(
                ErrorType.SIP_HOST_BRACKET,
                f"{quote(value)} opens '[' but never closes it: write an IPv6 address as "
                "'[2001:db8::1]' or '[2001:db8::1]:5060'",
            )
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise _error(
                ErrorType.SIP_HOST_BRACKET,
                f"{quote(value)}: only an IPv6 address goes in brackets (e.g. '[2001:db8::1]')",
            ) from None
        if rest and not rest.startswith(":"):
            raise _error(
                ErrorType.SIP_HOST_BRACKET,
                f"{quote(value)} has text after ']': only ':' and a port may follow",
            )
        return host, (rest[1:] if rest else None)
    if value.count(":") == 1:
        host, port = value.split(":")
        return host, port
    return value, None


def _sip_host(value: str) -> str:
    """A bare host name or IP, optionally with a port, as the server wants it (or empty).

    The server (livekit/protocol sip.go, same version as above) only refuses::

        strings.Contains(value, "transport=")
        strings.ContainsAny(value, "@;") || HasPrefix(value, "sip:") || HasPrefix(value, "sips:")

    and stores anything else; what SIP cannot dial is refused here too: an unclosed IPv6
    bracket, an empty or out-of-range port, characters that are not in a host name.
    """
    if value == "":
        return value
    lowered = value.lower()
    if lowered.startswith(("sip:", "sips:")):
        bare = value.split(":", 1)[1].split(";")[0].split("@")[-1]
        raise _error(
            ErrorType.SIP_HOST_URI,
            f"{quote(value)} is a SIP URI; LiveKit wants a bare host name or IP address: write "
            f"{quote(bare)} (set the transport with the transport field)",
        )
    if "@" in value:
        raise _error(
            ErrorType.SIP_HOST_USER,
            f"{quote(value)} contains a user part ('@'); write only the host (e.g. "
            f"{quote(value.split('@')[-1])}) and put the user name in auth_username",
        )
    if ";" in value or "transport=" in lowered:
        raise _error(
            ErrorType.SIP_HOST_PARAMS,
            f"{quote(value)} contains URI parameters (';' or 'transport='); write only the host "
            "and set the transport with the transport field",
        )
    host, port = _split_host_port(value)
    if port is not None and not (_ASCII_DIGITS.fullmatch(port) and 0 < int(port) < 65536):
        what = "an empty port after ':'" if port == "" else f"an invalid port {quote(port)}"
        raise _error(
            ErrorType.SIP_HOST_PORT,
            f"{quote(value)} has {what}: write the host alone, or ':' and a port from 1 to "
            "65535 (e.g. 'sip.telnyx.com:5060')",
        )
    try:
        ipaddress.ip_address(host)
        return value
    except ValueError:
        pass
    labels = host[:-1].split(".") if host.endswith(".") else host.split(".")
    if len(host) > 253 or not all(_HOST_LABEL.fullmatch(label) for label in labels):
        raise _error(
            ErrorType.SIP_HOST_NAME,
            f"{quote(value)} is not a host name or IP address (ASCII letters, digits, '-' and "
            "'.', e.g. 'sip.telnyx.com')",
        )
    return value


def _pin(value: str) -> str:
    # The PIN is compared with the DTMF digits the caller types: ASCII '0'-'9' only.
    if value and not _ASCII_DIGITS.fullmatch(value):
        raise _error(
            ErrorType.PIN_DIGITS,
            f"a PIN is entered on the phone keypad: digits only, ASCII 0-9 (e.g. '1234'), or empty "
            f"for no PIN; got {quote(value)}",
        )
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
Seconds = Annotated[
    float, BeforeValidator(_number), Strict(), Field(ge=0, le=86400 * 7, allow_inf_nan=False)
]
UInt32 = Annotated[int, BeforeValidator(_whole_number), Strict(), Field(ge=0, le=2**32 - 1)]


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


# --- media ------------------------------------------------------------------------------------

MAX_MEDIA_TIMEOUT = 600.0  # seconds; the server's MaxSIPMediaTimeout


class _NestedSpec(MessageSpec):
    """A nested protocol message: same strictness as the specs, built from models or dicts."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=True)


def _codec_name(value: str) -> str:
    if not value:
        raise _error(
            ErrorType.CODEC_NAME, "a codec needs a name (e.g. 'PCMU', 'PCMA', 'G722', 'opus')"
        )
    if any(c in value for c in " \t\r\n"):
        raise _error(ErrorType.CODEC_NAME, f"codec name {quote(value)} must not contain whitespace")
    if "/" in value:
        raise _error(
            ErrorType.CODEC_NAME,
            f"codec name {quote(value)} must not contain '/': give the clock rate in rate instead",
        )
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
    media_timeout: (
        Annotated[
            float,
            BeforeValidator(_number),
            Strict(),
            Field(ge=0, le=MAX_MEDIA_TIMEOUT, allow_inf_nan=False),
        ]
        | None
    ) = None


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

_AUTH_FIELDS = frozenset({"auth_username", "auth_password"})


def _check_auth_pair(username: str, password: SecretStr, unknown: frozenset[str]) -> None:
    """Refuse a trunk with only one of its digest credentials (unless either is unknown yet)."""
    if unknown & _AUTH_FIELDS:
        return
    has_user = bool(username)
    has_password = bool(password.get_secret_value())
    if has_user != has_password:
        missing = "auth_password" if has_user else "auth_username"
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
        "ringing_timeout_status": "not in the protocol of livekit-server v1.13.5, which drops it",
    }

    name: Text = ""
    metadata: Text = ""
    numbers: Annotated[list[E164], Strict()] = Field(default_factory=list)
    allowed_addresses: Annotated[list[IpOrCidr], Strict()] = Field(default_factory=list)
    allowed_numbers: Annotated[list[E164], Strict()] = Field(default_factory=list)
    auth_username: Text = ""
    auth_password: Secret = SecretStr("")
    auth_realm: Text = ""
    headers: HeaderMap = Field(default_factory=dict)
    headers_to_attributes: HeadersToAttributes = Field(default_factory=dict)
    attributes_to_headers: AttributesToHeaders = Field(default_factory=dict)
    include_headers: SipHeaderOptions = SipHeaderOptions.SIP_NO_HEADERS
    ringing_timeout: Seconds | None = None
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


_COUNTRY = re.compile(r"[a-z]{2}")


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
    auth_username: Text = ""
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
        if not value:
            return value
        if value.lower() == "uk":
            raise _error(
                ErrorType.COUNTRY_CODE, "'uk' is not an ISO 3166-1 country code: write 'gb'"
            )
        if not _COUNTRY.fullmatch(value):
            fix = f": write '{value.lower()}'" if _COUNTRY.fullmatch(value.lower()) else ""
            raise _error(
                ErrorType.COUNTRY_CODE,
                f"{quote(value)} is not a two-letter lowercase ISO country code (e.g. 'us', 'in', "
                f"'gb'){fix}",
            )
        return value

    @model_validator(mode="after")
    def _auth_pair(self, info: ValidationInfo) -> SipOutboundTrunkSpec:
        _check_auth_pair(self.auth_username, self.auth_password, self._unknown(info))
        return self


# --- dispatch rules --------------------------------------------------------------------------


def _trunk_id(value: str) -> str:
    if not is_livekit_id(value, TRUNK_ID_PREFIX):
        raise _error(
            ErrorType.TRUNK_ID,
            f"{quote(value)} is not a LiveKit trunk ID: they are 'ST_' and letters or digits (a "
            "provider's trunk SID, such as Twilio's 'TK...', is not a LiveKit ID); pass the "
            "sip_trunk_id output of a SipInboundTrunk",
        )
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
        if not value:
            raise _error(
                ErrorType.REQUIRED, "a direct rule needs the name of the room callers join"
            )
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


_RULE_KINDS = ("dispatch_rule_direct", "dispatch_rule_individual", "dispatch_rule_callee")


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
    def _agent_name_set(cls, value: str) -> str:
        if not value.strip():
            raise _error(
                ErrorType.AGENT_NAME,
                "agent_name must be the agent_name the agent worker registers with; an empty "
                "name never matches, and the call rings with no agent",
            )
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
    "dispatch_rule_direct": "rule.dispatch_rule_direct",
    "dispatch_rule_individual": "rule.dispatch_rule_individual",
    "dispatch_rule_callee": "rule.dispatch_rule_callee",
    "room_name": "rule.dispatch_rule_direct.room_name",
    "room_prefix": "rule.dispatch_rule_individual.room_prefix",
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


def adopt_id_problem(spec_class: type[SipSpec], value: Any) -> Problem | None:
    """What is wrong with ``value`` as the ``adopt_id`` of a ``spec_class`` object, if anything.

    The message quotes at most the start of the value and ends with the documentation link."""
    if value is None or is_livekit_id(value, spec_class.id_prefix):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # the engine sends every number as a float
    shown = quote(value) if isinstance(value, str) else f"{quote(value)} (a {type(value).__name__})"
    return Problem(
        "adopt_id",
        f"{shown} is not a LiveKit {spec_class.kind} ID: give the ID as a string, "
        f"'{spec_class.id_prefix}' and letters or digits (list them with `lk sip` or in the "
        f"LiveKit console), or leave adopt_id unset to create a new one. See {spec_class.docs_url}",
        ErrorType.ADOPT_ID,
    )
