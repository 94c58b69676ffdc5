"""What LiveKit's SIP bridge does with a call's settings: the codecs it can speak, its timeouts,
the participant attributes it writes, the addresses a provider's calls cannot come from.

Read from livekit/sip (``pkg/sip/media_codecs.go``, ``pkg/sip/media_port.go``,
``pkg/sip/participant.go``, ``pkg/sip/inbound.go``; HEAD of 2026-08-21, be5d3f5), its codec
library livekit/media-sdk (the codecs that register an SDP name) and livekit/protocol
(``livekit/attrs.go``, ``sip/sip.go``; HEAD of 2026-08-22, d74e7cd).
"""

from __future__ import annotations

import ipaddress

from .addresses import parse_addr, parse_prefix

__all__ = [
    "CODEC_DEFAULT_RATES",
    "DEFAULT_MEDIA_TIMEOUT",
    "DEFAULT_MEDIA_TIMEOUT_INITIAL",
    "DEFAULT_RINGING_TIMEOUT",
    "DTMF_CODEC",
    "LIVEKIT_SIP_ATTRIBUTES",
    "SIP_AUDIO_CODECS",
    "codec_key",
    "is_internal_address",
]

#: The audio codecs the bridge registers, as its SDP names ``name/rate`` (lowercase, as its
#: ``CodecSet`` compares them). G722's SDP clock rate is 8000 (RFC 3551's known quirk), so
#: ``G722/16000`` names no codec. AMR-WB is off unless listed.
SIP_AUDIO_CODECS = ("pcmu/8000", "pcma/8000", "g722/8000", "amr-wb/16000")
#: DTMF (RFC 4733 events): always enabled, never an audio codec.
DTMF_CODEC = "telephone-event/8000"
#: ``codecSet``: the rate a codec gets when ``rate`` is 0; any other name without a rate fails
#: the call ("sample rate not specified for codec").
CODEC_DEFAULT_RATES = {"PCMA": 8000, "PCMU": 8000, "G722": 8000, "AMR-WB": 16000}

#: Seconds. ``defaultMediaTimeout``: a call with no RTP for this long once media flowed ends
#: ("media timeout"); ``media.media_timeout`` replaces it.
DEFAULT_MEDIA_TIMEOUT = 15.0
#: Seconds. ``defaultMediaTimeoutInitial``: no RTP this long after the call is set up.
DEFAULT_MEDIA_TIMEOUT_INITIAL = 30.0
#: Seconds. ``defaultRingingTimeout``: how long an inbound call rings waiting for an agent to
#: join when the trunk sets no ``ringing_timeout``.
DEFAULT_RINGING_TIMEOUT = 180.0

#: The participant attributes ``EvaluateDispatchRule`` writes after copying the rule's
#: ``attributes`` (so a rule's value under these names never reaches the room), and the one
#: the bridge keeps up to date (``sip.callStatus``).
LIVEKIT_SIP_ATTRIBUTES = (
    "sip.callID",
    "sip.trunkID",
    "sip.ruleID",
    "sip.phoneNumber",
    "sip.hostname",
    "sip.trunkPhoneNumber",
    "sip.callStatus",
)


def codec_key(name: str, rate: int) -> str | None:
    """The SDP name ``codecSet`` enables for a ``media.codecs`` entry (lowercase), or None when
    the entry fails the call (no rate, and a name without a default one)."""
    if rate == 0:
        default = CODEC_DEFAULT_RATES.get(name)
        if default is None:
            return None
        rate = default
    return f"{name}/{rate}".lower()


#: Ranges no phone provider's signalling comes from over the internet: private (RFC 1918,
#: RFC 4193), loopback, link-local. Documentation ranges (203.0.113.0/24, ...) are not here:
#: examples use them for a provider's public addresses.
_INTERNAL = tuple(
    ipaddress.ip_network(n)
    for n in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "::1/128",
        "fc00::/7",
        "fe80::/10",
    )
)


def is_internal_address(entry: str) -> bool | None:
    """Whether an ``allowed_addresses`` entry (IP or CIDR) lies inside private, loopback or
    link-local space; None when the server does not read it as either (LKSIN003's business)."""
    if "/" in entry:
        prefix = parse_prefix(entry)
        if prefix is None:
            return None
        network = ipaddress.ip_network(f"{prefix[0]}/{prefix[1]}", strict=False)
    else:
        addr = parse_addr(entry)
        if addr is None or (isinstance(addr, ipaddress.IPv6Address) and addr.scope_id):
            return None  # a zoned address: LKSIN008's business
        try:
            network = ipaddress.ip_network(addr)
        except ValueError:
            return None  # a zoned address: LKSIN008's business
    return any(
        network.version == inner.version and network.subnet_of(inner)  # type: ignore[arg-type]
        for inner in _INTERNAL
    )
