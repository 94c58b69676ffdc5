"""What the core's checks return: a plain problem (error type + message), and how values are
quoted in messages.

The components wrap a problem in pydantic's ``PydanticCustomError`` (the error type becomes
its ``type``), the policy rules in a ``Finding``: one message, written once, for both.
"""

from __future__ import annotations

from typing import Any, NamedTuple

__all__ = ["ErrorType", "Invalid", "printable", "quote"]


class Invalid(NamedTuple):
    """Why a value is invalid: a stable error type (:class:`ErrorType`) and a message saying
    what is wrong and how to fix it. Messages never contain secret values."""

    code: str
    message: str


class ErrorType:
    """The error types of our checks (``PydanticCustomError.type``, ``Problem.code``).

    pydantic's own types (``bool_type``, ``int_type``, ``list_type``, ``missing``,
    ``extra_forbidden``, ``enum``, ...) pass through unchanged."""

    STRING_UNENCODABLE = "string_unencodable"
    STRING_NUL = "string_nul"
    DIGEST_TEXT = "digest_text"
    E164_PLUS = "e164_plus"
    E164_IMPOSSIBLE = "e164_impossible"
    E164_NOT_STRICT = "e164_not_strict"
    NUMBER_CANNOT_EXIST = "number_cannot_exist"
    IP_OR_CIDR = "ip_or_cidr"
    IP_OR_CIDR_FORM = "ip_or_cidr_form"
    IP_OR_CIDR_ZONE = "ip_or_cidr_zone"
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
    REPEATED_ENTRY = "repeated_entry"
    SIP_REGION = "sip_region"
    NUMBER_TYPE = "number_type"
    # The numbers' errors keep pydantic's own type names, which the components used before the
    # checks moved here.
    FLOAT_TYPE = "float_type"
    INT_TYPE = "int_type"
    FINITE_NUMBER = "finite_number"
    GREATER_THAN_EQUAL = "greater_than_equal"
    LESS_THAN_EQUAL = "less_than_equal"
    DURATION_TOO_SHORT = "duration_too_short"
    ENUM = "enum"
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


_QUOTE_LIMIT = 60


def printable(text: str) -> str:
    """``text`` on one line, safe to show: every character that is not printable written as
    its Python escape (``\\n``, ``\\r``, ``\\x1b``, ``\\x07``, ``\\u2028``, ``\\u202e``,
    ``\\ud800``): line breaks of any kind, ESC and BEL and the other control characters,
    bidirectional overrides, lone surrogates.

    For text LiveKit holds (names, metadata, headers, room names, and messages quoting them) on
    its way to a terminal, a comment or a label of a picture: it cannot start a line of its
    own, move the cursor, clear the screen or recolour what follows."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def quote(value: Any, limit: int = _QUOTE_LIMIT) -> str:
    """``value`` for an error message: quoted, :func:`printable`, cut after ``limit``
    characters."""
    text = value if isinstance(value, str) else repr(value)
    cut = len(text) > limit
    return f"'{printable(text[:limit])}'" + ("... (cut)" if cut else "")
