"""Network addresses: SIP hosts (``host[:port]``, ``[ipv6][:port]``), and IP/CIDR entries."""

from __future__ import annotations

import ipaddress
import re

from .problems import ErrorType, Invalid, quote

__all__ = [
    "Address",
    "address_zone_problem",
    "host_of",
    "ip_or_cidr_problem",
    "is_ip_or_cidr",
    "match_addr_mask",
    "parse_addr",
    "parse_prefix",
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


# How the server reads an entry (livekit/protocol sip/sip.go, the version livekit-server v1.13.5
# builds with, compiled by Go 1.26)::
#
#     func matchAddrMask(ip netip.Addr, mask string) bool {
#         if !strings.Contains(mask, "/") {
#             expIP, err := netip.ParseAddr(mask)
#             if err != nil { return false }
#             return ip == expIP
#         }
#         pref, err := netip.ParsePrefix(mask)
#         if err != nil { return false }
#         return pref.Contains(ip)
#     }
#
# The caller's address is ``netip.ParseAddrPort(req.Source()).Addr().String()`` (livekit/sip
# pkg/sip/inbound.go): an IPv4 caller is an IPv4 address (Go prints an IPv4-mapped peer as
# dotted IPv4), a link-local IPv6 caller carries its zone. Go's parser is stricter than
# Python's ``ipaddress``: no leading zero in an IPv4 field or in the prefix length, a prefix
# length only (no netmask), no zone in a prefix. ``==`` compares the address family and the
# zone; ``Prefix.Contains`` is false across families and for a zoned address.

#: An address the server parses: ``netip.Addr``.
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

_IPV4 = re.compile(r"(0|[1-9][0-9]{0,2})(\.(0|[1-9][0-9]{0,2})){3}")
_BITS = re.compile(r"0|[1-9][0-9]*")  # strconv.Atoi after ParsePrefix's leading-zero check


def parse_addr(text: str) -> Address | None:
    """Go's ``netip.ParseAddr``: dotted-decimal IPv4 without leading zeros, or IPv6 (an
    IPv4-mapped one stays IPv6, a zone is kept); None when Go refuses it."""
    if ":" in text:
        try:
            return ipaddress.IPv6Address(text)
        except ValueError:
            return None
    if not _IPV4.fullmatch(text):
        return None
    try:
        return ipaddress.IPv4Address(text)
    except ValueError:
        return None


def parse_prefix(text: str) -> tuple[Address, int] | None:
    """Go's ``netip.ParsePrefix``: (address, prefix length), or None when Go refuses it (no
    '/', a bad address, a zone, a length with a sign, a leading zero or out of range)."""
    addr_text, slash, bits = text.rpartition("/")
    if not slash:
        return None
    addr = parse_addr(addr_text)
    if addr is None or (isinstance(addr, ipaddress.IPv6Address) and addr.scope_id):
        return None
    if not _BITS.fullmatch(bits) or int(bits) > addr.max_prefixlen:
        return None
    return addr, int(bits)


def match_addr_mask(ip: Address, mask: str) -> bool:
    """The server's ``matchAddrMask``: ``mask`` equals ``ip``, or is a prefix containing it."""
    if "/" not in mask:
        return ip == parse_addr(mask)
    prefix = parse_prefix(mask)
    if prefix is None or prefix[0].version != ip.version:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.scope_id:
        return False  # "If ip has an IPv6 zone, Contains returns false."
    return ip in ipaddress.ip_network(f"{prefix[0]}/{prefix[1]}", strict=False)


def is_ip_or_cidr(value: str) -> bool:
    """Whether the server reads ``value`` as an IP address or a CIDR range (host bits may be
    set): ``netip.ParseAddr`` or, with a '/', ``netip.ParsePrefix``."""
    return (parse_prefix(value) if "/" in value else parse_addr(value)) is not None


def _unparsed_prefix_fix(value: str) -> str | None:
    """What a prefix that Python reads and Go refuses was meant to be, in words, or None."""
    addr_text, _, bits = value.rpartition("/")
    addr = parse_addr(addr_text)
    if addr is None:
        return None
    if isinstance(addr, ipaddress.IPv6Address) and addr.scope_id:
        if parse_prefix(f"{str(addr).split('%')[0]}/{bits}") is None:
            return None
        bare = ipaddress.ip_network(f"{str(addr).split('%')[0]}/{bits}", strict=False)
        return (
            f"a range cannot carry a zone ('%{addr.scope_id}'), which the server's parser "
            f"refuses: write {quote(str(bare))}"
        )
    try:
        meant = ipaddress.ip_network(value, strict=False)
    except ValueError:
        return None
    written = f"{addr_text}/{meant.prefixlen}"
    if bits.isascii() and bits.isdigit():
        return (
            f"the prefix length {quote(bits)} has a leading zero, which the server's parser "
            f"refuses: write {quote(written)}"
        )
    return (
        f"{quote(bits)} is a netmask, and the server takes only a prefix length: write "
        f"{quote(written)}"
    )


def _mapped_fix(addr: Address, bits: int | None) -> str:
    """The IPv4 form of an IPv4-mapped IPv6 address or range, for a message."""
    assert isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None
    if bits is None:
        return f": write {quote(str(addr.ipv4_mapped))}"
    if bits < 96:
        return ": write the IPv4 addresses or ranges it was meant to hold"
    network = ipaddress.ip_network(f"{addr.ipv4_mapped}/{bits - 96}", strict=False)
    return f": write {quote(str(network))}"


def ip_or_cidr_problem(value: str) -> Invalid | None:
    """Why an inbound trunk's ``allowed_addresses`` entry is not an IP or CIDR as the server
    reads it, or None: the server drops some such entries when it loads the trunk, the others
    never match a caller (:attr:`ErrorType.IP_OR_CIDR`); an IP or CIDR that Python reads and
    the server does not, or an IPv4 address in IPv6 form, comes with its fix
    (:attr:`ErrorType.IP_OR_CIDR_FORM`)."""
    if server_drops_address(value):
        return Invalid(
            ErrorType.IP_OR_CIDR,
            f"{quote(value)} is not an IP address or CIDR range; the server ignores it at call "
            "time",
        )
    parsed: tuple[Address, int | None] | None
    if "/" in value:
        parsed = parse_prefix(value)
        fix = _unparsed_prefix_fix(value) if parsed is None else None
        if fix is not None:
            return Invalid(
                ErrorType.IP_OR_CIDR_FORM,
                f"{quote(value)} never matches a caller's address: {fix}",
            )
    else:
        addr = parse_addr(value)
        parsed = None if addr is None else (addr, None)
    if parsed is None:
        return Invalid(
            ErrorType.IP_OR_CIDR,
            f"{quote(value)} is not an IP address or CIDR range; it never matches a caller's "
            "address",
        )
    addr, bits = parsed
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return Invalid(
            ErrorType.IP_OR_CIDR_FORM,
            f"{quote(value)} is an IPv4 address written as IPv6 (IPv4-mapped); the server "
            "compares an IPv4 caller's address as IPv4, so it never matches"
            + _mapped_fix(addr, bits),
        )
    return None


def address_zone_problem(value: str) -> Invalid | None:
    """Why an ``allowed_addresses`` entry with an IPv6 zone (``'fe80::1%eth0'``) is almost
    certainly not what was meant, or None. The server keeps the entry, and it equals a caller
    only on the SIP server's own link, reaching it through that interface: a provider's calls
    never come from there."""
    if "/" in value:
        return None
    addr = parse_addr(value)
    if not isinstance(addr, ipaddress.IPv6Address) or not addr.scope_id:
        return None
    return Invalid(
        ErrorType.IP_OR_CIDR_ZONE,
        f"{quote(value)} carries an interface zone ('%{addr.scope_id}'): it matches only a "
        f"caller on the SIP server's own network link, reaching it through interface "
        f"{quote(addr.scope_id)}, and a provider's calls never come from there; write the "
        "provider's public address",
    )


def server_drops_address(entry: str) -> bool:
    """The server's ``isValidMask`` negated (livekit/protocol sip/sip.go): entries it drops."""
    return any(c in entry for c in "()+*;, \t\n\r") or "://" in entry
