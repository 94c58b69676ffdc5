"""Rules over inbound trunks (band LKSIN)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from livekit_sip_core import (
    DEFAULT_RINGING_TIMEOUT,
    HEADER_OPTIONS,
    MAX_DURATION,
    MAX_MEDIA_TIMEOUT,
    MEDIA_ENCRYPTIONS,
    PASSWORD_FIELD,
    address_zone_problem,
    ip_or_cidr_problem,
    is_internal_address,
    parse_prefix,
    quote,
    server_drops_address,
)
from livekit_sip_core.links import (
    INBOUND_TRUNK_DOC,
    SIP_INBOUND_SOURCE,
    TROUBLESHOOTING,
    TRUNK_ADDRESS_ISSUE,
)

from .headers import TrunkHeadersRule
from .numbers import E164ListsRule
from .rule import (
    INBOUND_TRUNK,
    Enforcement,
    Finding,
    ResourceRule,
    Severity,
    is_unknown,
    register,
)
from .server_values import ServerValuesRule
from .values import credential_pair_findings, strings, text

__all__ = ["address_problem"]


@register
class InboundNumbersE164(E164ListsRule):
    id = "LKSIN001"
    title = "Inbound trunk numbers are strict E.164"
    description = (
        "Every entry of an inbound trunk's numbers and allowed_numbers is a strict E.164 number "
        "('+' country code and digits). Local formats, prefixes and separators make the trunk "
        "miss calls (486 / no trunk matched) or conflict with other trunks."
    )
    severity = Severity.HIGH
    enforcement = Enforcement.MANDATORY
    remediation = (
        "Write each number as '+' followed by the country code and subscriber number, digits "
        "only, e.g. '+15105550100'."
    )
    url = TROUBLESHOOTING
    resource_types = (INBOUND_TRUNK,)

    FIELDS = ("numbers", "allowed_numbers")


@register
class InboundNotOpen(ResourceRule):
    id = "LKSIN002"
    title = "Inbound trunk is not open to the world"
    description = (
        "An inbound trunk restricts who may call through it with at least one of: credentials "
        "(auth_username and auth_password), allowed_addresses, or numbers. Without any, anyone "
        "who finds the SIP endpoint can place calls into the project (the server rejects it)."
    )
    severity = Severity.CRITICAL
    enforcement = Enforcement.MANDATORY
    remediation = (
        "Set numbers to the provider numbers the trunk serves, and/or allowed_addresses to the "
        "provider's signalling IP ranges, and/or auth_username with auth_password."
    )
    url = INBOUND_TRUNK_DOC
    resource_types = (INBOUND_TRUNK,)

    def check(self, props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[Finding]:
        username = text(props, "auth_username")
        password = text(props, PASSWORD_FIELD)
        addresses = strings(props, "allowed_addresses")
        numbers = strings(props, "numbers")
        if any(is_unknown(v) for v in (username, password, addresses, numbers)):
            return
        if (username and password) or addresses or numbers:
            return
        yield Finding(
            "none of auth_username/auth_password, allowed_addresses, numbers is set: the "
            "trunk accepts calls from anyone"
        )


def address_problem(entry: str) -> str | None:
    """Why an allowed_addresses entry matches nothing, or None for an IP address or CIDR."""
    problem = ip_or_cidr_problem(entry)
    return problem.message if problem else None


@register
class InboundAllowedAddressesValid(ResourceRule):
    id = "LKSIN003"
    title = "Inbound allowed_addresses are IP addresses or CIDR ranges"
    description = (
        "Each allowed_addresses entry is an IP address or CIDR range as the server parses it "
        "(Go's netip): no leading zero in an IPv4 field or in the prefix length ('/08'), a "
        "prefix length and not a netmask, no interface zone in a range, IPv4 addresses written "
        "as IPv4 (not '::ffff:1.2.3.4'). Other entries are silently dropped or never match at "
        "call time; when every entry is dropped, the trunk accepts calls from ANY source "
        "address."
    )
    severity = Severity.HIGH
    enforcement = Enforcement.MANDATORY
    remediation = (
        "Write each entry as an IP ('203.0.113.10') or CIDR ('203.0.113.0/24'), one per list "
        "item, without schemes, ports, separators or leading zeros; take the ranges from the "
        "provider's docs."
    )
    url = TROUBLESHOOTING
    resource_types = (INBOUND_TRUNK,)

    def check(self, props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[Finding]:
        raw = props.get("allowed_addresses")
        if not isinstance(raw, list) or not raw:
            return
        known = [(i, v) for i, v in enumerate(raw) if isinstance(v, str)]
        for index, entry in known:
            problem = address_problem(entry)
            if problem:
                yield Finding(problem, f"allowed_addresses[{index}]")
        if len(known) == len(raw) and all(server_drops_address(v) for _, v in known):
            yield Finding(
                "every entry is ignored at call time, so the trunk accepts calls from any "
                "source address",
                "allowed_addresses",
            )


@register
class InboundAllowedAddressesNarrow(ResourceRule):
    id = "LKSIN004"
    title = "Inbound allowed_addresses are not the whole internet"
    description = (
        "A /0 or /1 range in allowed_addresses admits (half) the internet: the address filter "
        "then protects nothing."
    )
    severity = Severity.MEDIUM
    enforcement = Enforcement.ADVISORY
    remediation = (
        "List only the provider's signalling ranges (see its docs), or use credentials instead."
    )
    url = INBOUND_TRUNK_DOC
    resource_types = (INBOUND_TRUNK,)

    def check(self, props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[Finding]:
        raw = props.get("allowed_addresses")
        if not isinstance(raw, list):
            return
        for index, entry in enumerate(raw):
            # Read as the server's Go parser reads it (what it refuses is LKSIN003's).
            prefix = parse_prefix(entry) if isinstance(entry, str) else None
            if prefix is not None and prefix[1] <= 1:
                share = "every source address" if prefix[1] == 0 else "half of all source addresses"
                yield Finding(f"'{entry}' admits {share}", f"allowed_addresses[{index}]")


@register
class InboundAllowedAddressesNotZoned(ResourceRule):
    id = "LKSIN008"
    title = "Inbound allowed_addresses carry no interface zone"
    description = (
        "An IPv6 address with an interface zone ('fe80::1%eth0') equals only a caller on the "
        "SIP server's own network link that reaches it through that interface (the server "
        "keeps the zone of a link-local caller's address and compares it); a phone provider's "
        "calls never come from there, so the entry admits nobody the trunk is meant for."
    )
    severity = Severity.MEDIUM
    enforcement = Enforcement.ADVISORY
    remediation = (
        "Write the provider's public signalling addresses or ranges (from its docs) instead; "
        "keep a zoned address only for a test caller on the SIP server's own link."
    )
    url = INBOUND_TRUNK_DOC
    resource_types = (INBOUND_TRUNK,)

    def check(self, props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[Finding]:
        raw = props.get("allowed_addresses")
        if not isinstance(raw, list):
            return
        for index, entry in enumerate(raw):
            if isinstance(entry, str) and (problem := address_zone_problem(entry)):
                yield Finding(problem.message, f"allowed_addresses[{index}]")


@register
class InboundAuthPair(ResourceRule):
    id = "LKSIN005"
    title = "Inbound trunk credentials are complete"
    description = (
        "auth_username and auth_password are both set or both empty. With only one, digest "
        "authentication cannot succeed and every call through the trunk is refused."
    )
    severity = Severity.HIGH
    enforcement = Enforcement.MANDATORY
    remediation = (
        "Set both auth_username and auth_password (the password from a Pulumi secret), or "
        "neither and restrict the trunk by numbers/allowed_addresses."
    )
    url = INBOUND_TRUNK_DOC
    resource_types = (INBOUND_TRUNK,)

    def check(self, props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[Finding]:
        return credential_pair_findings(props)


@register
class InboundHeaders(TrunkHeadersRule):
    id = "LKSIN006"
    title = "Inbound trunk headers and header mappings are valid"
    description = TrunkHeadersRule.DESCRIPTION
    severity = Severity.HIGH
    enforcement = Enforcement.MANDATORY
    remediation = TrunkHeadersRule.REMEDIATION
    url = INBOUND_TRUNK_DOC
    resource_types = (INBOUND_TRUNK,)


@register
class InboundServerValues(ServerValuesRule):
    id = "LKSIN007"
    title = "Inbound trunk values are ones the server takes"
    description = (
        "Every string is text the protocol can carry (no NUL character, no lone surrogate); "
        "auth_username, auth_realm and auth_password hold no line break or other control "
        "character (the first two go into the SIP Digest headers, a password copied with its "
        "newline never authenticates); "
        "media_encryption, media.encryption and include_headers are names of the protocol's "
        "enums; ringing_timeout and max_call_duration are finite seconds from 0 to "
        f"{MAX_DURATION / 86400:g} days, and 0 or at least a nanosecond (less is stored as 0, "
        "not set); media "
        "codecs have a name without whitespace or '/' and a whole, non-negative rate; "
        f"media.media_timeout is at most {MAX_MEDIA_TIMEOUT:g} seconds. The server rejects the "
        "trunk otherwise "
        "(or the call fails when it is used); the components refuse the same values."
    )
    severity = Severity.HIGH
    enforcement = Enforcement.MANDATORY
    remediation = (
        "Remove NUL, lone surrogate and control characters (CR/LF) from text; give "
        "durations in seconds "
        "(e.g. ringing_timeout=30), codecs as media={'codecs': [{'name': 'PCMA', 'rate': 8000}]} "
        "and media_timeout at most 600."
    )
    url = INBOUND_TRUNK_DOC
    resource_types = (INBOUND_TRUNK,)

    DURATIONS = ("ringing_timeout", "max_call_duration")
    CHOICES = (("media_encryption", MEDIA_ENCRYPTIONS), ("include_headers", HEADER_OPTIONS))
    TEXT_CHECKED_ELSEWHERE = frozenset(
        {
            "numbers",  # LKSIN001
            "allowed_numbers",  # LKSIN001
            "allowed_addresses",  # LKSIN003
            "headers",  # LKSIN006
            "headers_to_attributes",  # LKSIN006
            "attributes_to_headers",  # LKSIN006
        }
    )


def _seconds(props: Mapping[str, Any], key: str) -> Any:
    """A duration in seconds: a float, None when not set (or not a number), UNKNOWN."""
    value = props.get(key)
    if is_unknown(value):
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        return None
    return float(value) if value > 0 else None  # 0: the server's default


#: Seconds: how long an agent may need to join a call's room (dispatch, job start, connect).
MIN_RINGING_TIMEOUT = 10.0
#: Seconds: the shortest max_call_duration that leaves a caller a conversation.
MIN_CALL_DURATION = 60.0


@register
class InboundRingingTimeoutLetsAgentJoin(ResourceRule):
    id = "LKSIN009"
    title = "Inbound calls ring long enough for an agent to join"
    description = (
        "An inbound call rings until the room's first participant (the agent) subscribes to "
        "the caller's audio; after ringing_timeout the SIP bridge gives up and ends the call "
        "('cannot-subscribe'). The default is "
        f"{DEFAULT_RINGING_TIMEOUT:g} seconds; a ringing_timeout under "
        f"{MIN_RINGING_TIMEOUT:g} seconds hangs up before an agent that is dispatched, "
        "started and connected has joined (a cold start takes longer), so callers hear the "
        "call drop (the guide's 486 section: 'your agent worker is running and dispatched "
        "correctly'). Advisory: a deliberately short ring is possible."
    )
    severity = Severity.MEDIUM
    enforcement = Enforcement.ADVISORY
    remediation = (
        f"Leave ringing_timeout unset (the server's {DEFAULT_RINGING_TIMEOUT:g} s) or give "
        f"it at least {MIN_RINGING_TIMEOUT:g} seconds, e.g. ringing_timeout=30 (seconds, not "
        "minutes)."
    )
    url = SIP_INBOUND_SOURCE
    resource_types = (INBOUND_TRUNK,)

    def check(self, props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[Finding]:
        seconds = _seconds(props, "ringing_timeout")
        if is_unknown(seconds) or seconds is None or seconds >= MIN_RINGING_TIMEOUT:
            return
        yield Finding(
            f"is {seconds:g} seconds: a call whose agent has not joined by then is ended "
            f"(under {MIN_RINGING_TIMEOUT:g} s an agent rarely has)",
            "ringing_timeout",
        )


@register
class InboundCallDurationLeavesAConversation(ResourceRule):
    id = "LKSIN010"
    title = "Inbound max_call_duration leaves room for a conversation"
    description = (
        "max_call_duration ends every call through the trunk that long after it arrives "
        "(ringing included), whatever is being said. Under "
        f"{MIN_CALL_DURATION:g} seconds no conversation with an agent fits: it is almost "
        "always minutes given as seconds. Unset (0), the server's limit is 24 hours. "
        "Advisory."
    )
    severity = Severity.MEDIUM
    enforcement = Enforcement.ADVISORY
    remediation = (
        "Give max_call_duration in seconds (e.g. 1800 for 30 minutes), or leave it unset."
    )
    url = SIP_INBOUND_SOURCE
    resource_types = (INBOUND_TRUNK,)

    def check(self, props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[Finding]:
        seconds = _seconds(props, "max_call_duration")
        if is_unknown(seconds) or seconds is None or seconds >= MIN_CALL_DURATION:
            return
        yield Finding(
            f"is {seconds:g} seconds: every call through the trunk is cut off after "
            f"{seconds:g} s (was {seconds:g} minutes meant, i.e. {seconds * 60:g}?)",
            "max_call_duration",
        )


@register
class InboundAllowedAddressesReachable(ResourceRule):
    id = "LKSIN011"
    title = "Inbound allowed_addresses include an address a provider calls from"
    description = (
        "When every allowed_addresses entry lies in private (10/8, 172.16/12, 192.168/16, "
        "fc00::/7), loopback or link-local space, the trunk admits only callers on the SIP "
        "server's own networks: a phone provider's INVITEs reach LiveKit Cloud (or a public "
        "self-hosted SIP server) from its public signalling addresses, so every provider call "
        "is refused ('call was not authorized by trunk configuration', livekit/sip#318). "
        "Advisory: a self-hosted bridge behind a PBX on the same network is legitimate."
    )
    severity = Severity.MEDIUM
    enforcement = Enforcement.ADVISORY
    remediation = (
        "List the provider's public signalling ranges from its docs (e.g. Twilio's, Telnyx's); "
        "exempt the trunk when the calls really come from your own network (a PBX beside a "
        "self-hosted SIP server)."
    )
    url = TRUNK_ADDRESS_ISSUE
    resource_types = (INBOUND_TRUNK,)

    def check(self, props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[Finding]:
        addresses = strings(props, "allowed_addresses")
        if is_unknown(addresses) or not addresses:
            return
        verdicts = [is_internal_address(entry) for entry in addresses]
        if any(v is None for v in verdicts) or not all(verdicts):
            return  # an unreadable entry is LKSIN003's; a public one admits the provider
        listed = ", ".join(quote(a) for a in addresses)
        yield Finding(
            f"admits only private, loopback or link-local addresses ({listed}): calls from "
            "a provider's public addresses are all refused",
            "allowed_addresses",
        )
