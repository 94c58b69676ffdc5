"""Rules over outbound trunks (band LKSOUT)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from livekit_sip_core import (
    DIGEST_PROVIDERS,
    HEADER_OPTIONS,
    MAX_MEDIA_TIMEOUT,
    MEDIA_ENCRYPTIONS,
    PASSWORD_FIELD,
    REQUIRED_REGION_PINS,
    SUPPORTED_COUNTRIES,
    TRANSPORTS,
    country_fix,
    country_problem,
    normalize_number,
    provider_of,
    quote,
    region_pin_of,
    sip_host_problem,
    split_host_port,
)
from livekit_sip_core.links import (
    OUTBOUND_TRUNK_DOC,
    REGION_PINNING_DOC,
    SIP_CLIENT_SOURCE,
    TROUBLESHOOTING,
)

from .headers import TrunkHeadersRule
from .numbers import E164ListsRule
from .rule import (
    OUTBOUND_TRUNK,
    Enforcement,
    Finding,
    ResourceRule,
    Severity,
    is_unknown,
    register,
)
from .server_values import ServerValuesRule
from .values import credential_pair_findings, strings, text

__all__ = ["SUPPORTED_COUNTRIES"]


@register
class OutboundAddressBareHost(ResourceRule):
    id = "LKSOUT001"
    title = "Outbound trunk address is a bare host"
    description = (
        "address (and from_host when set) is a bare host name or IP, optionally with a port: no "
        "'sip:'/'sips:' scheme, no user part ('@'), no URI parameters (';', 'transport='); the "
        "server rejects those. The host is a host name (ASCII letters, digits, '-', '.') or an "
        "IP ('[...]' around IPv6), the port 1 to 65535: SIP cannot dial anything else. An "
        "empty address leaves calls nowhere to go."
    )
    severity = Severity.HIGH
    enforcement = Enforcement.MANDATORY
    remediation = (
        "Set address to the provider's SIP host only, e.g. 'sip.telnyx.com' or "
        "'example.pstn.twilio.com' (a ':port' suffix is fine); choose TLS/TCP with transport."
    )
    url = OUTBOUND_TRUNK_DOC
    resource_types = (OUTBOUND_TRUNK,)

    def check(self, props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[Finding]:
        address = text(props, "address")
        if not is_unknown(address):
            if not address.strip():
                yield Finding("is empty: the trunk has no provider to send calls to", "address")
            else:
                problem = sip_host_problem(address)
                if problem:
                    yield Finding(problem.message, "address")
        from_host = text(props, "from_host")
        if not is_unknown(from_host) and from_host:
            problem = sip_host_problem(from_host)
            if problem:
                yield Finding(problem.message, "from_host")


@register
class OutboundProviderAddressShape(ResourceRule):
    id = "LKSOUT002"
    title = "Outbound trunk address has its provider's shape"
    description = (
        "An address on a known provider's domain has the shape that provider serves: Telnyx "
        "only 'sip.telnyx.com' or 'sip-eu.telnyx.com' (a subdomain answers 503), Twilio "
        "'<trunk>.pstn[.<edge>].twilio.com', Plivo '<id>.zt.plivo.com', Wavix '<cc>.wavix.net'. "
        "Other shapes make every outbound call fail."
    )
    severity = Severity.HIGH
    enforcement = Enforcement.MANDATORY
    remediation = (
        "Copy the termination/outbound SIP host from the provider's console or LiveKit's "
        "provider guide, e.g. 'sip.telnyx.com'."
    )
    url = TROUBLESHOOTING
    resource_types = (OUTBOUND_TRUNK,)

    def check(self, props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[Finding]:
        address = text(props, "address")
        if is_unknown(address) or not address or sip_host_problem(address):
            return
        provider = provider_of(address)
        if provider is None:
            return
        problem = provider.host_problem(address)
        if problem:
            yield Finding(f"{quote(address)} {problem}", "address")


@register
class OutboundNumbers(E164ListsRule):
    id = "LKSOUT003"
    title = "Outbound trunk numbers are set and E.164 (or '*')"
    description = (
        "numbers lists the caller IDs the trunk may use: it must not be empty (the server "
        "rejects 'no trunk numbers specified') and each entry is a strict E.164 number or '*'. "
        "Other formats are sent as-is and providers refuse the call (403/404)."
    )
    severity = Severity.HIGH
    enforcement = Enforcement.MANDATORY
    remediation = (
        "List the provider numbers the trunk calls from as '+<country code><number>', digits "
        "only, e.g. '+15105550100', or '*' to pass the number per call."
    )
    url = OUTBOUND_TRUNK_DOC
    resource_types = (OUTBOUND_TRUNK,)

    FIELDS = ("numbers",)
    ALLOW_WILDCARD = True

    def check(self, props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[Finding]:
        raw = props.get("numbers")
        if is_unknown(raw):
            return
        if not raw:
            yield Finding("is empty: the trunk has no number to call from", "numbers")
            return
        yield from super().check(props, config)


@register
class OutboundAuthPair(ResourceRule):
    id = "LKSOUT004"
    title = "Outbound trunk credentials are complete"
    description = (
        "auth_username and auth_password are both set or both empty. With only one of them the "
        "provider's digest challenge cannot be answered and calls fail with 401/403."
    )
    severity = Severity.HIGH
    enforcement = Enforcement.MANDATORY
    remediation = (
        "Set both auth_username and auth_password (the password from a Pulumi secret), or "
        "neither when the provider authenticates by IP."
    )
    url = TROUBLESHOOTING
    resource_types = (OUTBOUND_TRUNK,)

    def check(self, props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[Finding]:
        return credential_pair_findings(props)


@register
class OutboundDigestProviderAuth(ResourceRule):
    id = "LKSOUT005"
    title = "Digest-auth providers get credentials"
    description = (
        "Telnyx, Plivo and Wavix authenticate outbound calls with a SIP username and password. "
        "A trunk to them without credentials gets 403 Forbidden on every call."
    )
    severity = Severity.HIGH
    enforcement = Enforcement.MANDATORY
    remediation = (
        "Set auth_username and auth_password to the credentials of the provider's outbound "
        "trunk/connection (the password from a Pulumi secret)."
    )
    url = TROUBLESHOOTING
    resource_types = (OUTBOUND_TRUNK,)

    def check(self, props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[Finding]:
        address = text(props, "address")
        username = text(props, "auth_username")
        password = text(props, PASSWORD_FIELD)
        if any(is_unknown(v) for v in (address, username, password)) or not address:
            return
        provider = provider_of(address)
        if provider is None or provider.name not in DIGEST_PROVIDERS:
            return
        if not username and not password:
            yield Finding(
                f"is empty: {provider.name} needs digest credentials for outbound calls "
                "(403 without them)",
                "auth_username",
            )


@register
class OutboundDestinationCountry(ResourceRule):
    id = "LKSOUT006"
    title = "destination_country is a supported region code"
    description = (
        "destination_country, when set, is one of the lowercase codes LiveKit pins outbound "
        f"calls to ({', '.join(SUPPORTED_COUNTRIES)}). Any other value is silently ignored: "
        "calls are not pinned ('uk' is not a code: the United Kingdom is 'gb')."
    )
    severity = Severity.MEDIUM
    enforcement = Enforcement.MANDATORY
    remediation = (
        "Use a lowercase ISO 3166-1 alpha-2 code from the supported list ('gb' for the United "
        "Kingdom), or leave destination_country empty."
    )
    url = REGION_PINNING_DOC
    resource_types = (OUTBOUND_TRUNK,)

    def check(self, props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[Finding]:
        country = text(props, "destination_country")
        if is_unknown(country):
            return
        problem = country_problem(country)
        if problem:
            yield Finding(problem.message, "destination_country")

    def remediate(
        self, props: Mapping[str, Any], config: Mapping[str, Any]
    ) -> dict[str, Any] | None:
        country = text(props, "destination_country")
        if is_unknown(country) or not country or country in SUPPORTED_COUNTRIES:
            return None
        fix = country_fix(country)
        if fix is None:
            return None
        return {**props, "destination_country": fix}


_PINS = REQUIRED_REGION_PINS.values()


@register
class OutboundIndiaPinning(ResourceRule):
    id = "LKSOUT007"
    title = " and ".join(
        f"{pin.country_name} ({pin.calling_code}) numbers are pinned to "
        f"'{pin.destination_country}'"
        for pin in _PINS
    )
    description = " ".join(
        f"Calls with {pin.country_name}'s ({pin.calling_code}) numbers must stay in "
        f"{pin.country_name}: a trunk with a {pin.calling_code} number needs destination_country "
        f"'{pin.destination_country}', otherwise calls fail with '{pin.failure}'."
        for pin in _PINS
    )
    severity = Severity.HIGH
    enforcement = Enforcement.MANDATORY
    remediation = " ".join(
        f"Set destination_country to '{pin.destination_country}' on trunks that call from "
        f"{pin.calling_code} numbers."
        for pin in _PINS
    )
    url = REGION_PINNING_DOC
    resource_types = (OUTBOUND_TRUNK,)

    def check(self, props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[Finding]:
        numbers = strings(props, "numbers")
        country = text(props, "destination_country")
        if is_unknown(country):
            return
        if is_unknown(numbers):
            # Known pinned numbers are enough to tell, even if others are unknown.
            raw = props.get("numbers")
            numbers = [v for v in raw if isinstance(v, str)] if isinstance(raw, list) else []
        current = quote(country) if country else "not set"
        reported: set[str] = set()
        for number in numbers:
            pin = region_pin_of(normalize_number(number))
            if pin is None or pin.destination_country in reported:
                continue
            if country.strip().lower() == pin.destination_country:
                continue
            reported.add(pin.destination_country)
            yield Finding(
                f"is {current} but the trunk calls from {pin.calling_code} number "
                f"{quote(number)}; {pin.country_name} requires '{pin.destination_country}' "
                f"({pin.failure})",
                "destination_country",
            )


@register
class OutboundHeaders(TrunkHeadersRule):
    id = "LKSOUT008"
    title = "Outbound trunk headers and header mappings are valid"
    description = TrunkHeadersRule.DESCRIPTION
    severity = Severity.HIGH
    enforcement = Enforcement.MANDATORY
    remediation = TrunkHeadersRule.REMEDIATION
    url = OUTBOUND_TRUNK_DOC
    resource_types = (OUTBOUND_TRUNK,)


@register
class OutboundServerValues(ServerValuesRule):
    id = "LKSOUT009"
    title = "Outbound trunk values are ones the server takes"
    description = (
        "Every string is text the protocol can carry (no NUL character, no lone surrogate); "
        "auth_username and auth_password hold no line break or other control character "
        "(the username goes into the SIP Digest headers, a password copied with its newline "
        "never authenticates); transport, media_encryption, media.encryption and "
        "include_headers are names of the protocol's enums; media codecs have a name without "
        "whitespace or '/' and a whole, non-negative rate; media.media_timeout is at most "
        f"{MAX_MEDIA_TIMEOUT:g} seconds. The server rejects the trunk otherwise (or the call "
        "fails when it is used); the components refuse the same values."
    )
    severity = Severity.HIGH
    enforcement = Enforcement.MANDATORY
    remediation = (
        "Remove NUL, lone surrogate and control characters (CR/LF) from text; give codecs as "
        "media={'codecs': [{'name': 'PCMA', 'rate': 8000}]} (the clock rate in rate, not in "
        "the name) and media_timeout in seconds, at most 600."
    )
    url = OUTBOUND_TRUNK_DOC
    resource_types = (OUTBOUND_TRUNK,)

    CHOICES = (
        ("transport", TRANSPORTS),
        ("media_encryption", MEDIA_ENCRYPTIONS),
        ("include_headers", HEADER_OPTIONS),
    )
    TEXT_CHECKED_ELSEWHERE = frozenset(
        {
            "address",  # LKSOUT001
            "from_host",  # LKSOUT001
            "numbers",  # LKSOUT003
            "destination_country",  # LKSOUT006
            "headers",  # LKSOUT008
            "headers_to_attributes",  # LKSOUT008
            "attributes_to_headers",  # LKSOUT008
        }
    )


#: RFC 3261's registered ports: SIP over UDP or TCP listens on 5060, SIP over TLS on 5061.
_PLAIN_PORT, _TLS_PORT = "5060", "5061"
_TLS = "SIP_TRANSPORT_TLS"
_PLAIN = ("SIP_TRANSPORT_UDP", "SIP_TRANSPORT_TCP")


@register
class OutboundTransportMatchesPort(ResourceRule):
    id = "LKSOUT010"
    title = "Outbound transport and address port agree"
    description = (
        "The SIP bridge dials the address's port with the transport as written (a "
        "'transport=' parameter for UDP, TCP and TLS). Port 5061 is where providers take SIP "
        "over TLS and 5060 plain SIP (RFC 3261's registered ports): transport TLS to port "
        "5060, or UDP/TCP to port 5061, reaches no listener that speaks it, and every "
        "outbound call times out or is refused (408/503). Advisory: a provider may serve "
        "another protocol on these ports."
    )
    severity = Severity.MEDIUM
    enforcement = Enforcement.ADVISORY
    remediation = (
        "Match the two: transport SIP_TRANSPORT_TLS with ':5061' (or no port), "
        "SIP_TRANSPORT_UDP or SIP_TRANSPORT_TCP with ':5060' (or no port), as the provider's "
        "docs give them."
    )
    url = SIP_CLIENT_SOURCE
    resource_types = (OUTBOUND_TRUNK,)

    def check(self, props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[Finding]:
        address = text(props, "address")
        transport = text(props, "transport")
        if is_unknown(address) or is_unknown(transport) or not address:
            return
        if sip_host_problem(address):
            return  # LKSOUT001
        parts = split_host_port(address)
        if not isinstance(parts, tuple) or parts[1] is None:
            return
        port = parts[1]
        if transport == _TLS and port == _PLAIN_PORT:
            yield Finding(
                f"is {transport} but address {quote(address)} names port 5060, where "
                "providers take plain SIP (TLS is on 5061)",
                "transport",
            )
        elif transport in _PLAIN and port == _TLS_PORT:
            yield Finding(
                f"is {transport} but address {quote(address)} names port 5061, where "
                "providers take SIP over TLS (plain SIP is on 5060)",
                "transport",
            )
