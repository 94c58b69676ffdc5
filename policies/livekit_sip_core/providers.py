"""SIP providers recognised from an outbound trunk address, and the address shapes they serve.

From LiveKit's provider guides: Telnyx serves only ``sip.telnyx.com`` and ``sip-eu.telnyx.com``
(any subdomain answers 503); Twilio trunks are ``<name>.pstn.twilio.com`` or the localized
``<name>.pstn.<edge>.twilio.com``; Plivo zentrunks are ``<id>.zt.plivo.com``; Wavix is
``<cc>.wavix.net``. Telnyx, Plivo and Wavix authenticate outbound calls with digest
username/password (a trunk without credentials gets 403).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .addresses import host_of
from .links import PLIVO_DOC, TELNYX_DOC, TWILIO_DOC, WAVIX_DOC

__all__ = [
    "DIGEST_PROVIDERS",
    "LIVEKIT_CLOUD_SIP_DOMAIN",
    "PLIVO",
    "PROVIDERS",
    "TELNYX",
    "TELNYX_HOSTS",
    "TWILIO",
    "WAVIX",
    "Provider",
    "provider_of",
]


@dataclass(frozen=True)
class Provider:
    """A SIP provider: its domain, the hosts it serves (``shape``, matched in full against the
    lowercased host), those hosts in words, and its LiveKit guide."""

    name: str
    domain: str
    shape: re.Pattern[str]
    expected: str
    docs_url: str
    #: Outbound calls need digest credentials on the trunk (403 without).
    digest_auth: bool
    #: Hosts on the provider's domain that users mistake for its SIP hosts: (shape matched in
    #: full against the lowercased host, what that host is instead).
    mistakes: tuple[tuple[re.Pattern[str], str], ...] = ()

    def serves(self, host: str) -> bool:
        """Whether ``host`` (lowercased, no port) is one of this provider's SIP hosts."""
        return self.shape.fullmatch(host) is not None

    def host_problem(self, address: str) -> str | None:
        """What is wrong with ``address`` (a bare host, optionally with a port) as this
        provider's SIP host, worded to follow the quoted address; None if it serves it."""
        host = host_of(address)
        if self.serves(host):
            return None
        problem = f"is not a {self.name} SIP host; {self.name} expects {self.expected}"
        for shape, instead in self.mistakes:
            if shape.fullmatch(host):
                return f"{problem} ({instead})"
        return problem


#: LiveKit Cloud's SIP domain: a project's SIP URI is ``<subdomain>.sip.livekit.cloud`` (or
#: ``<subdomain>.<region>.sip.livekit.cloud`` when pinned to a region).
LIVEKIT_CLOUD_SIP_DOMAIN = "sip.livekit.cloud"

#: Telnyx's SIP hosts by region.
TELNYX_HOSTS = {"us": "sip.telnyx.com", "eu": "sip-eu.telnyx.com"}

TELNYX = Provider(
    "Telnyx",
    "telnyx.com",
    re.compile(r"sip(-eu)?\.telnyx\.com"),
    "'sip.telnyx.com' (US) or 'sip-eu.telnyx.com' (EU), never a subdomain",
    TELNYX_DOC,
    digest_auth=True,
    mistakes=(
        (
            re.compile(r".+\.sip(-eu)?\.telnyx\.com"),
            "Telnyx answers 503 to a subdomain; the credentials select the connection",
        ),
    ),
)
TWILIO = Provider(
    "Twilio",
    "twilio.com",
    re.compile(r"[a-z0-9][a-z0-9-]*\.pstn(\.[a-z0-9-]+)?\.twilio\.com"),
    "'<trunk>.pstn.twilio.com' or '<trunk>.pstn.<edge>.twilio.com'",
    TWILIO_DOC,
    digest_auth=False,
    mistakes=(
        (
            re.compile(r".+\.sip\.twilio\.com"),
            "'<name>.sip.twilio.com' is a Programmable Voice SIP domain, not an Elastic SIP "
            "trunk: use the trunk's Termination SIP URI",
        ),
    ),
)
PLIVO = Provider(
    "Plivo",
    "plivo.com",
    re.compile(r"[a-z0-9]+\.zt\.plivo\.com"),
    "'<trunk id>.zt.plivo.com'",
    PLIVO_DOC,
    digest_auth=True,
)
WAVIX = Provider(
    "Wavix",
    "wavix.net",
    re.compile(r"[a-z]{2}\.wavix\.net"),
    "'<country code>.wavix.net', e.g. 'us.wavix.net'",
    WAVIX_DOC,
    digest_auth=True,
)
PROVIDERS = (TELNYX, TWILIO, PLIVO, WAVIX)

#: Names of the providers whose outbound calls need digest credentials on the trunk.
DIGEST_PROVIDERS = frozenset(p.name for p in PROVIDERS if p.digest_auth)


def provider_of(address: str) -> Provider | None:
    """The provider whose domain ``address`` belongs to, or None."""
    host = host_of(address)
    for provider in PROVIDERS:
        if host == provider.domain or host.endswith("." + provider.domain):
            return provider
    return None
