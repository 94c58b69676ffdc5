"""The bounds and shapes of the protocol's plain values: durations, counters, codec names, the
room name of a direct rule.

Each check takes the value as it arrives (the engine sends every number as a float, a program
may pass a string or a boolean) and returns an :class:`Invalid` naming what is wrong, so that
the components and the policy pack refuse exactly the same values.
"""

from __future__ import annotations

import math
from enum import Enum
from typing import Any

from .problems import ErrorType, Invalid, quote

__all__ = [
    "HEADER_OPTIONS",
    "MAX_DURATION",
    "MAX_MEDIA_TIMEOUT",
    "MAX_UINT32",
    "MEDIA_ENCRYPTIONS",
    "NANOSECOND",
    "TRANSPORTS",
    "SipHeaderOptions",
    "SipMediaEncryption",
    "SipTransport",
    "choice_problem",
    "codec_name_problem",
    "duration_nanoseconds",
    "room_name_problem",
    "seconds_problem",
    "uint32_problem",
]

#: Seconds; the server's ``MaxSIPMediaTimeout`` (a longer RTP timeout is refused).
MAX_MEDIA_TIMEOUT = 600.0
#: Seconds; the longest ringing timeout or call duration we accept (7 days): a larger value is
#: a unit mistake (milliseconds given as seconds), and past ~292 years the protocol's
#: ``Duration`` overflows.
MAX_DURATION = 7 * 86400.0
#: Seconds; the smallest duration a ``google.protobuf.Duration`` holds.
NANOSECOND = 1e-9
#: The largest ``uint32`` (room timeouts, participant counts, codec clock rates).
MAX_UINT32 = 2**32 - 1


class SipMediaEncryption(str, Enum):
    """``SIPMediaEncryption``, in the protocol's order."""

    SIP_MEDIA_ENCRYPT_DISABLE = "SIP_MEDIA_ENCRYPT_DISABLE"
    SIP_MEDIA_ENCRYPT_ALLOW = "SIP_MEDIA_ENCRYPT_ALLOW"
    SIP_MEDIA_ENCRYPT_REQUIRE = "SIP_MEDIA_ENCRYPT_REQUIRE"


class SipTransport(str, Enum):
    """``SIPTransport``, in the protocol's order."""

    SIP_TRANSPORT_AUTO = "SIP_TRANSPORT_AUTO"
    SIP_TRANSPORT_UDP = "SIP_TRANSPORT_UDP"
    SIP_TRANSPORT_TCP = "SIP_TRANSPORT_TCP"
    SIP_TRANSPORT_TLS = "SIP_TRANSPORT_TLS"


class SipHeaderOptions(str, Enum):
    """``SIPHeaderOptions``, in the protocol's order."""

    SIP_NO_HEADERS = "SIP_NO_HEADERS"
    SIP_X_HEADERS = "SIP_X_HEADERS"
    SIP_ALL_HEADERS = "SIP_ALL_HEADERS"


#: The names of the protocol's enums that users set, in the protocol's order, derived from the
#: enums above (which the components use); both are checked against the protocol's descriptors.
MEDIA_ENCRYPTIONS: tuple[str, ...] = tuple(m.value for m in SipMediaEncryption)
TRANSPORTS: tuple[str, ...] = tuple(m.value for m in SipTransport)
HEADER_OPTIONS: tuple[str, ...] = tuple(m.value for m in SipHeaderOptions)


def choice_problem(value: Any, choices: tuple[str, ...]) -> Invalid | None:
    """An enum field: one of ``choices``, by name (as pydantic says it)."""
    if isinstance(value, str) and value in choices:
        return None
    listed = ", ".join(f"'{c}'" for c in choices[:-1]) + f" or '{choices[-1]}'"
    return Invalid(ErrorType.ENUM, f"Input should be {listed}")


def _shown(value: Any) -> str:
    """A number for a message: whole floats without their '.0'."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def duration_nanoseconds(seconds: float) -> int:
    """A duration in seconds as the nanoseconds of the protocol's ``Duration`` (rounded to the
    nearest): what is sent to the server."""
    return round(seconds * 1e9)


def seconds_problem(value: Any, maximum: float = MAX_DURATION) -> Invalid | None:
    """A duration in seconds (``ringing_timeout``, ``max_call_duration``, ``media_timeout``):
    a finite number from 0 to ``maximum``. ``None`` (not set) is fine."""
    if value is None:
        return None
    if isinstance(value, bool):
        return Invalid(
            ErrorType.NUMBER_TYPE, f"must be a number of seconds, not a boolean ({value})"
        )
    if not isinstance(value, (int, float)):
        return Invalid(
            ErrorType.FLOAT_TYPE, f"must be a number of seconds, not {type(value).__name__}"
        )
    if isinstance(value, float) and not math.isfinite(value):
        return Invalid(ErrorType.FINITE_NUMBER, f"must be a finite number of seconds, not {value}")
    if value < 0:
        return Invalid(
            ErrorType.GREATER_THAN_EQUAL,
            f"must be greater than or equal to 0 seconds, got {_shown(value)}",
        )
    if value > maximum:
        return Invalid(
            ErrorType.LESS_THAN_EQUAL,
            f"must be at most {_shown(maximum)} seconds, got {_shown(value)}",
        )
    if value > 0 and duration_nanoseconds(value) == 0:
        # livekit/protocol: "Zero means use default" (SIPMediaConfig.Validate), and an unset
        # ringing_timeout or max_call_duration is the server's default too.
        return Invalid(
            ErrorType.DURATION_TOO_SHORT,
            f"must be 0 or at least 1 nanosecond ({NANOSECOND:g} seconds), the smallest "
            f"duration the protocol holds: {_shown(value)} seconds would be stored as 0, which "
            "the server reads as not set (its default)",
        )
    return None


def uint32_problem(value: Any) -> Invalid | None:
    """An unsigned 32-bit integer (``empty_timeout``, ``max_participants``, a codec's
    ``rate``, ...): a whole number from 0 to :data:`MAX_UINT32`; a whole float counts (the
    engine sends every number as a float)."""
    if isinstance(value, bool):
        return Invalid(ErrorType.NUMBER_TYPE, f"must be a whole number, not a boolean ({value})")
    if isinstance(value, float):
        if not value.is_integer():
            return Invalid(ErrorType.INT_TYPE, f"must be a whole number (an integer), not {value}")
        value = int(value)
    if not isinstance(value, int):
        return Invalid(
            ErrorType.INT_TYPE,
            f"must be a whole number (an integer), not {type(value).__name__}",
        )
    if value < 0:
        return Invalid(
            ErrorType.GREATER_THAN_EQUAL, f"must be greater than or equal to 0, got {value}"
        )
    if value > MAX_UINT32:
        return Invalid(
            ErrorType.LESS_THAN_EQUAL,
            f"must be at most {MAX_UINT32} (an unsigned 32-bit integer), got {value}",
        )
    return None


def codec_name_problem(value: str) -> Invalid | None:
    """A media codec's name: not empty, no whitespace, no '/' (the clock rate goes in
    ``rate``); the server refuses the object otherwise."""
    if not value:
        return Invalid(
            ErrorType.CODEC_NAME, "a codec needs a name (e.g. 'PCMU', 'PCMA', 'G722', 'opus')"
        )
    if any(c in value for c in " \t\r\n"):
        return Invalid(
            ErrorType.CODEC_NAME, f"codec name {quote(value)} must not contain whitespace"
        )
    if "/" in value:
        return Invalid(
            ErrorType.CODEC_NAME,
            f"codec name {quote(value)} must not contain '/': give the clock rate in rate instead",
        )
    return None


def room_name_problem(value: str) -> Invalid | None:
    """The room of a direct dispatch rule: a name, not empty nor only whitespace (the server
    has no room to send the callers to)."""
    if not value.strip():
        return Invalid(
            ErrorType.REQUIRED,
            "a direct rule needs the name of the room callers join"
            + (f" (got only whitespace: {quote(value)})" if value else ""),
        )
    return None
