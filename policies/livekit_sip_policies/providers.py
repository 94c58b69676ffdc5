"""SIP providers recognised from an outbound trunk address, and the address shapes they accept.

From LiveKit's provider guides: Telnyx serves only ``sip.telnyx.com`` and ``sip-eu.telnyx.com``
(any subdomain answers 503); Twilio trunks are ``<name>.pstn.twilio.com`` or the localized
``<name>.pstn.<edge>.twilio.com``; Plivo zentrunks are ``<id>.zt.plivo.com``; Wavix is
``<cc>.wavix.net``. Telnyx, Plivo and Wavix authenticate outbound calls with digest
username/password (a trunk without credentials gets 403).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["DIGEST_PROVIDERS", "Provider", "host_of", "provider_of"]


@dataclass(frozen=True)
class Provider:
    name: str
    domain: str
    shape: re.Pattern[str]
    expected: str


PROVIDERS = (
    Provider(
        "Telnyx",
        "telnyx.com",
        re.compile(r"^sip(-eu)?\.telnyx\.com$"),
        "'sip.telnyx.com' (US) or 'sip-eu.telnyx.com' (EU), never a subdomain",
    ),
    Provider(
        "Twilio",
        "twilio.com",
        re.compile(r"^[a-z0-9][a-z0-9-]*\.pstn(\.[a-z0-9-]+)?\.twilio\.com$"),
        "'<trunk>.pstn.twilio.com' or '<trunk>.pstn.<edge>.twilio.com'",
    ),
    Provider(
        "Plivo",
        "plivo.com",
        re.compile(r"^[a-z0-9]+\.zt\.plivo\.com$"),
        "'<trunk id>.zt.plivo.com'",
    ),
    Provider(
        "Wavix",
        "wavix.net",
        re.compile(r"^[a-z]{2}\.wavix\.net$"),
        "'<country code>.wavix.net', e.g. 'us.wavix.net'",
    ),
)

#: Providers whose outbound calls need digest credentials on the trunk.
DIGEST_PROVIDERS = frozenset({"Telnyx", "Plivo", "Wavix"})

_PORT = re.compile(r":\d+$")


def host_of(address: str) -> str:
    """The host part of a bare ``host[:port]`` address, lowercased, without a trailing dot."""
    host = address.strip().lower()
    if host.startswith("[") and "]" in host:  # [IPv6]:port
        return host[1 : host.index("]")]
    if host.count(":") == 1:
        host = _PORT.sub("", host)
    return host.rstrip(".")


def provider_of(address: str) -> Provider | None:
    """The provider whose domain ``address`` belongs to, or None."""
    host = host_of(address)
    for provider in PROVIDERS:
        if host == provider.domain or host.endswith("." + provider.domain):
            return provider
    return None
