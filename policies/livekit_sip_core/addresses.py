"""Network addresses: SIP hosts (``host[:port]``, ``[ipv6][:port]``), and IP/CIDR entries."""

from __future__ import annotations

import ipaddress
import re

from .problems import ErrorType, Invalid, quote

__all__ = [
    "host_of",
    "ip_or_cidr_problem",
    "is_ip_or_cidr",
    "server_drops_address",
    "sip_host_problem",
    "split_host_port",
]

_HOST_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_PORT = re.compile(r"[0-9]+")  # ASCII digits: '\d' also takes U+0661, U+FF15...


def split_host_port(value: str) -> tuple[str, str | None] | Invalid:
    """``host[:port]`` or ``[ipv6][:port]`` -> (host, port or None when there is no ':'), or
    why the brackets are wrong."""
    if value.startswith("["):
        host, closed, rest = value[1:].partition("]")
        if not closed:
            return Invalid(
                ErrorType.SIP_HOST_BRACKET,
                f"{quote(value)} opens '[' but never closes it: write an IPv6 address as "
                "'[2001:db8::1]' or '[2001:db8::1]:5060'",
            )
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return Invalid(
                ErrorType.SIP_HOST_BRACKET,
                f"{quote(value)}: only an IPv6 address goes in brackets (e.g. '[2001:db8::1]')",
            )
        if rest and not rest.startswith(":"):
            return Invalid(
                ErrorType.SIP_HOST_BRACKET,
                f"{quote(value)} has text after ']': only ':' and a port may follow",
            )
        return host, (rest[1:] if rest else None)
    if value.count(":") == 1:
        host, port = value.split(":")
        return host, port
    return value, None


def sip_host_problem(value: str) -> Invalid | None:
    """Why ``value`` is not a bare host name or IP, optionally with a port, as the server wants
    it (an outbound trunk's ``address`` and ``from_host``); None when it is one or empty.

    The server (livekit/protocol sip.go, v1.50.5-0.20260728075222-28e604c046c6, the version
    livekit-server v1.13.5 builds with) only refuses::

        strings.Contains(value, "transport=")
        strings.ContainsAny(value, "@;") || HasPrefix(value, "sip:") || HasPrefix(value, "sips:")

    and stores anything else; what SIP cannot dial is refused here too: an unclosed IPv6
    bracket, an empty or out-of-range port, characters that are not in a host name.
    """
    if value == "":
        return None
    lowered = value.lower()
    if lowered.startswith(("sip:", "sips:")):
        bare = value.split(":", 1)[1].split(";")[0].split("@")[-1]
        return Invalid(
            ErrorType.SIP_HOST_URI,
            f"{quote(value)} is a SIP URI; LiveKit wants a bare host name or IP address: write "
            f"{quote(bare)} (set the transport with the transport field)",
        )
    if "@" in value:
        return Invalid(
            ErrorType.SIP_HOST_USER,
            f"{quote(value)} contains a user part ('@'); write only the host (e.g. "
            f"{quote(value.split('@')[-1])}) and put the user name in auth_username",
        )
    if ";" in value or "transport=" in lowered:
        return Invalid(
            ErrorType.SIP_HOST_PARAMS,
            f"{quote(value)} contains URI parameters (';' or 'transport='); write only the host "
            "and set the transport with the transport field",
        )
    split = split_host_port(value)
    if isinstance(split, Invalid):
        return split
    host, port = split
    if port is not None and not (_PORT.fullmatch(port) and 0 < int(port) < 65536):
        what = "an empty port after ':'" if port == "" else f"an invalid port {quote(port)}"
        return Invalid(
            ErrorType.SIP_HOST_PORT,
            f"{quote(value)} has {what}: write the host alone, or ':' and a port from 1 to "
            "65535 (e.g. 'sip.telnyx.com:5060')",
        )
    try:
        ipaddress.ip_address(host)
        return None
    except ValueError:
        pass
    labels = host[:-1].split(".") if host.endswith(".") else host.split(".")
    if len(host) > 253 or not all(_HOST_LABEL.fullmatch(label) for label in labels):
        return Invalid(
            ErrorType.SIP_HOST_NAME,
            f"{quote(value)} is not a host name or IP address (ASCII letters, digits, '-' and "
            "'.', e.g. 'sip.telnyx.com')",
        )
    return None


def host_of(address: str) -> str:
    """The host of an address (``host[:port]``, ``[ipv6][:port]``), lowercased, without a
    trailing dot: what a provider is recognised by. Tolerant: any string gives a host."""
    host = address.strip().lower()
    split = split_host_port(host)
    if isinstance(split, Invalid):
        return host.rstrip(".")
    name, port = split
    if port is not None and not _PORT.fullmatch(port):
        return host.rstrip(".")
    return name.rstrip(".")


def is_ip_or_cidr(value: str) -> bool:
    """Whether ``value`` is an IP address or a CIDR block (host bits may be set)."""
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        return False
    return True


def ip_or_cidr_problem(value: str) -> Invalid | None:
    """Why an inbound trunk's ``allowed_addresses`` entry is not an IP or CIDR, or None: the
    server drops some such entries when it loads the trunk, the others never match a caller."""
    if is_ip_or_cidr(value):
        return None
    fate = (
        "the server ignores it at call time"
        if server_drops_address(value)
        else "it never matches a caller's address"
    )
    return Invalid(
        ErrorType.IP_OR_CIDR, f"{quote(value)} is not an IP address or CIDR range; {fate}"
    )


def server_drops_address(entry: str) -> bool:
    """The server's ``isValidMask`` negated (livekit/protocol sip/sip.go): entries it drops."""
    return any(c in entry for c in "()+*;, \t\n\r") or "://" in entry
