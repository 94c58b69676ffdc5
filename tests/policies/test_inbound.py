from __future__ import annotations

import pytest
from livekit_sip_policies import UNKNOWN, Finding
from livekit_sip_policies.catalogue import REGISTRY
from livekit_sip_policies.rule import INBOUND_TRUNK

from .helpers import INBOUND, SECRET, Case, changed, fail, ok, run


def trunk(**changes):
    return changed(INBOUND, changes)


OPEN = {"numbers": [], "allowed_addresses": []}

CASES = [
    # LKSIN001 numbers strict E.164
    ok("LKSIN001", "baseline", INBOUND),
    ok("LKSIN001", "unknown_list", trunk(numbers=UNKNOWN)),
    ok("LKSIN001", "unknown_entry", trunk(numbers=[UNKNOWN, "+15105550100"])),
    ok("LKSIN001", "not_set", trunk(numbers=None, allowed_numbers=None)),
    fail(
        "LKSIN001",
        "no_plus",
        trunk(numbers=["15105550100"]),
        Finding(
            "'15105550100' is not an E.164 number: it must start with '+' and the country code "
            "(did you mean '+15105550100'?)",
            "numbers[0]",
        ),
    ),
    fail(
        "LKSIN001",
        "separators_in_allowed_numbers",
        trunk(allowed_numbers=["+14155550100", "+1 510-555-0100"]),
        Finding(
            "'+1 510-555-0100' is not in strict E.164 form: write it as '+15105550100' (ASCII "
            "digits, no spaces, dashes or parentheses; LiveKit compares numbers as strings)",
            "allowed_numbers[1]",
        ),
    ),
    fail(
        "LKSIN001",
        "impossible_number",
        trunk(numbers=["+1234"]),
        Finding(
            "'+1234' is not a possible phone number: write it in E.164, '+' then country code "
            "and subscriber number, ASCII digits only (e.g. '+15105550100')",
            "numbers[0]",
        ),
    ),
    # LKSIN002 not open to the world
    ok("LKSIN002", "baseline", INBOUND),
    ok("LKSIN002", "numbers_only", trunk(allowed_addresses=[])),
    ok("LKSIN002", "addresses_only", trunk(numbers=[])),
    ok("LKSIN002", "auth_only", trunk(**OPEN, auth_username="u", auth_password=SECRET)),
    ok("LKSIN002", "unknown_numbers", trunk(numbers=UNKNOWN, allowed_addresses=[])),
    ok("LKSIN002", "unknown_password", trunk(**OPEN, auth_username="u", auth_password=UNKNOWN)),
    fail(
        "LKSIN002",
        "open",
        trunk(**OPEN),
        Finding(
            "none of auth_username/auth_password, allowed_addresses, numbers is set: the "
            "trunk accepts calls from anyone"
        ),
    ),
    fail(
        "LKSIN002",
        "username_without_password",
        trunk(auth_username="u", numbers=None, allowed_addresses=None),
        Finding(
            "none of auth_username/auth_password, allowed_addresses, numbers is set: the "
            "trunk accepts calls from anyone"
        ),
    ),
    # LKSIN003 allowed_addresses parse
    ok("LKSIN003", "baseline", INBOUND),
    ok("LKSIN003", "ipv6_and_host_ip", trunk(allowed_addresses=["2001:db8::/32", "198.51.100.7"])),
    ok("LKSIN003", "non_canonical_cidr", trunk(allowed_addresses=["203.0.113.9/24"])),
    ok("LKSIN003", "unknown", trunk(allowed_addresses=[UNKNOWN])),
    ok("LKSIN003", "not_set", trunk(allowed_addresses=None)),
    fail(
        "LKSIN003",
        "uri_all_dropped",
        trunk(allowed_addresses=["sip://203.0.113.5"]),
        Finding(
            "'sip://203.0.113.5' is not an IP address or CIDR range; the server ignores it at "
            "call time",
            "allowed_addresses[0]",
        ),
        Finding(
            "every entry is ignored at call time, so the trunk accepts calls from any source "
            "address",
            "allowed_addresses",
        ),
    ),
    fail(
        "LKSIN003",
        "comma_list_in_one_entry",
        trunk(allowed_addresses=["203.0.113.0/24", "198.51.100.1, 198.51.100.2"]),
        Finding(
            "'198.51.100.1, 198.51.100.2' is not an IP address or CIDR range; the server "
            "ignores it at call time",
            "allowed_addresses[1]",
        ),
    ),
    fail(
        "LKSIN003",
        "bad_prefix",
        trunk(allowed_addresses=["203.0.113.0/33"]),
        Finding(
            "'203.0.113.0/33' is not an IP address or CIDR range; it never matches a caller's "
            "address",
            "allowed_addresses[0]",
        ),
    ),
    fail(
        "LKSIN003",
        "hostname",
        trunk(allowed_addresses=["sip.telnyx.com"]),
        Finding(
            "'sip.telnyx.com' is not an IP address or CIDR range; it never matches a caller's "
            "address",
            "allowed_addresses[0]",
        ),
    ),
    fail(
        "LKSIN003",
        "invalid_next_to_unknown_is_not_all_dropped",
        trunk(allowed_addresses=[UNKNOWN, "10.0.0.1 "]),
        Finding(
            "'10.0.0.1 ' is not an IP address or CIDR range; the server ignores it at call time",
            "allowed_addresses[1]",
        ),
    ),
    fail(
        "LKSIN003",
        "control_character_is_quoted",
        trunk(allowed_addresses=["10.0.0.1\r\nX-Evil: 1"]),
        Finding(
            "'10.0.0.1\\r\\nX-Evil: 1' is not an IP address or CIDR range; the server ignores "
            "it at call time",
            "allowed_addresses[0]",
        ),
        Finding(
            "every entry is ignored at call time, so the trunk accepts calls from any source "
            "address",
            "allowed_addresses",
        ),
    ),
    # ... as the server's Go parser reads them
    fail(
        "LKSIN003",
        "leading_zero_in_prefix_length",
        trunk(allowed_addresses=["1.2.3.4/08"]),
        Finding(
            "'1.2.3.4/08' never matches a caller's address: the prefix length '08' has a "
            "leading zero, which the server's parser refuses: write '1.2.3.4/8'",
            "allowed_addresses[0]",
        ),
    ),
    fail(
        "LKSIN003",
        "netmask",
        trunk(allowed_addresses=["203.0.113.0/255.255.255.0"]),
        Finding(
            "'203.0.113.0/255.255.255.0' never matches a caller's address: '255.255.255.0' is a "
            "netmask, and the server takes only a prefix length: write '203.0.113.0/24'",
            "allowed_addresses[0]",
        ),
    ),
    fail(
        "LKSIN003",
        "zone_in_range",
        trunk(allowed_addresses=["fe80::1%eth0/64"]),
        Finding(
            "'fe80::1%eth0/64' never matches a caller's address: a range cannot carry a zone "
            "('%eth0'), which the server's parser refuses: write 'fe80::/64'",
            "allowed_addresses[0]",
        ),
    ),
    fail(
        "LKSIN003",
        "ipv4_mapped_address",
        trunk(allowed_addresses=["::ffff:203.0.113.10", "::ffff:203.0.113.0/120"]),
        Finding(
            "'::ffff:203.0.113.10' is an IPv4 address written as IPv6 (IPv4-mapped); the server "
            "compares an IPv4 caller's address as IPv4, so it never matches: write "
            "'203.0.113.10'",
            "allowed_addresses[0]",
        ),
        Finding(
            "'::ffff:203.0.113.0/120' is an IPv4 address written as IPv6 (IPv4-mapped); the "
            "server compares an IPv4 caller's address as IPv4, so it never matches: write "
            "'203.0.113.0/24'",
            "allowed_addresses[1]",
        ),
    ),
    ok("LKSIN003", "zoned_address_is_an_address", trunk(allowed_addresses=["fe80::1%eth0"])),
    ok("LKSIN003", "ipv4_compatible_is_ipv6", trunk(allowed_addresses=["::203.0.113.10"])),
    # LKSIN004 not the whole internet
    ok("LKSIN004", "baseline", INBOUND),
    ok("LKSIN004", "slash_2", trunk(allowed_addresses=["0.0.0.0/2"])),
    ok("LKSIN004", "invalid_is_other_rule", trunk(allowed_addresses=["0.0.0.0/99"])),
    ok(
        "LKSIN004",
        "leading_zero_the_server_refuses_is_other_rule",
        trunk(allowed_addresses=["0.0.0.0/00"]),
    ),
    fail(
        "LKSIN004",
        "slash_0",
        trunk(allowed_addresses=["203.0.113.0/24", "0.0.0.0/0"]),
        Finding("'0.0.0.0/0' admits every source address", "allowed_addresses[1]"),
    ),
    fail(
        "LKSIN004",
        "ipv6_slash_1",
        trunk(allowed_addresses=["8000::/1"]),
        Finding("'8000::/1' admits half of all source addresses", "allowed_addresses[0]"),
    ),
    # LKSIN008 no interface zone
    ok("LKSIN008", "baseline", INBOUND),
    ok("LKSIN008", "link_local_range", trunk(allowed_addresses=["fe80::/10", "fe80::1"])),
    ok("LKSIN008", "unknown", trunk(allowed_addresses=UNKNOWN)),
    ok("LKSIN008", "zoned_range_is_lksin003s", trunk(allowed_addresses=["fe80::1%eth0/64"])),
    fail(
        "LKSIN008",
        "zoned_address",
        trunk(allowed_addresses=["203.0.113.0/24", "fe80::1%eth0"]),
        Finding(
            "'fe80::1%eth0' carries an interface zone ('%eth0'): it matches only a caller on "
            "the SIP server's own network link, reaching it through interface 'eth0', and a "
            "provider's calls never come from there; write the provider's public address",
            "allowed_addresses[1]",
        ),
    ),
    # LKSIN005 auth pair
    ok("LKSIN005", "baseline", INBOUND),
    ok("LKSIN005", "both_set", trunk(auth_username="u", auth_password=SECRET)),
    ok("LKSIN005", "unknown_password", trunk(auth_username="u", auth_password=UNKNOWN)),
    fail(
        "LKSIN005",
        "username_only",
        trunk(auth_username="u"),
        Finding("is empty while auth_username is set", "auth_password"),
    ),
    fail(
        "LKSIN005",
        "password_only",
        trunk(auth_password=SECRET),
        Finding("is empty while auth_password is set", "auth_username"),
    ),
    # LKSIN006 headers (new: the pack had no header checks; the components refused these)
    ok("LKSIN006", "baseline", INBOUND),
    ok("LKSIN006", "mapping", trunk(headers_to_attributes={"X-Customer-Id": "customer.id"})),
    ok("LKSIN006", "unknown", trunk(headers=UNKNOWN)),
    fail(
        "LKSIN006",
        "non_ascii_header_name",
        trunk(headers_to_attributes={"X-\u00dcser": "user"}),
        Finding(
            "header name 'X-\u00dcser' is not a SIP token: 1 to 255 ASCII letters, digits and "
            "-.!%*_+`'~ (no spaces, ':' or line breaks)",
            "headers_to_attributes",
        ),
    ),
    fail(
        "LKSIN006",
        "empty_attribute",
        trunk(headers_to_attributes={"X-Customer-Id": " "}),
        Finding(
            "header 'X-Customer-Id': a participant attribute name cannot be empty",
            "headers_to_attributes",
        ),
    ),
    fail(
        "LKSIN006",
        "value_too_long",
        trunk(headers={"X-Note": "x" * 1025}),
        Finding("the value of header 'X-Note' is longer than 1024 bytes", "headers"),
    ),
    # LKSIN007 values the server takes
    ok("LKSIN007", "baseline", INBOUND),
    ok(
        "LKSIN007",
        "full_values",
        trunk(
            name="caf\u00e9 \uff41",
            metadata='{"team": "\u4e2d"}',
            ringing_timeout=0.0,
            max_call_duration=604800.0,
            media={"codecs": [{"name": "G722", "rate": 16000.0}], "media_timeout": 600.0},
        ),
    ),
    ok(
        "LKSIN007",
        "unknown",
        trunk(
            ringing_timeout=UNKNOWN,
            media={"codecs": [{"name": UNKNOWN}], "media_timeout": UNKNOWN},
        ),
    ),
    ok("LKSIN007", "not_set", trunk(ringing_timeout=None, max_call_duration=None, media=None)),
    fail(
        "LKSIN007",
        "nul_in_metadata",
        trunk(metadata="a\x00b"),
        Finding("'a\\x00b' contains a NUL character ('\\x00'); remove it", "metadata"),
    ),
    fail(
        "LKSIN007",
        "lone_surrogate_in_name",
        trunk(name="\ud800"),
        Finding(
            "'\\ud800' contains a lone surrogate character, which cannot be sent as UTF-8; "
            "remove it (it usually comes from decoding bytes with 'surrogateescape')",
            "name",
        ),
    ),
    fail(
        "LKSIN007",
        "nul_in_password_not_shown",
        trunk(auth_username="u", auth_password=SECRET + "\x00"),
        Finding(
            "the value contains a NUL or lone surrogate character; remove it (value not shown)",
            "auth_password",
        ),
    ),
    fail(
        "LKSIN007",
        "durations_out_of_range",
        trunk(ringing_timeout=-1.0, max_call_duration=604801.0),
        Finding("must be greater than or equal to 0 seconds, got -1", "ringing_timeout"),
        Finding("must be at most 604800 seconds, got 604801", "max_call_duration"),
    ),
    fail(
        "LKSIN007",
        "durations_not_numbers",
        trunk(ringing_timeout=float("nan"), max_call_duration=True),
        Finding("must be a finite number of seconds, not nan", "ringing_timeout"),
        Finding("must be a number of seconds, not a boolean (True)", "max_call_duration"),
    ),
    fail(
        "LKSIN007",
        "media",
        trunk(
            media={
                "codecs": [
                    {"name": "PCMU/8000"},
                    {"name": "G 722"},
                    {"name": ""},
                    {"name": "opus", "rate": 1.5},
                ],
                "media_timeout": 601.0,
            }
        ),
        Finding("must be at most 600 seconds, got 601", "media.media_timeout"),
        Finding(
            "codec name 'PCMU/8000' must not contain '/': give the clock rate in rate instead",
            "media.codecs[0].name",
        ),
        Finding("codec name 'G 722' must not contain whitespace", "media.codecs[1].name"),
        Finding(
            "a codec needs a name (e.g. 'PCMU', 'PCMA', 'G722', 'opus')", "media.codecs[2].name"
        ),
        Finding("must be a whole number (an integer), not 1.5", "media.codecs[3].rate"),
    ),
    fail(
        "LKSIN007",
        "one_finding_per_field",
        # A NUL in a number is LKSIN001's, in a header LKSIN006's: not reported twice.
        trunk(numbers=["+1\x00"], headers={"X-A": "\x00"}, metadata="a\x00b"),
        Finding("'a\\x00b' contains a NUL character ('\\x00'); remove it", "metadata"),
    ),
    fail(
        "LKSIN007",
        "enum_names",
        trunk(media_encryption="on", include_headers="SIP_X_HEADERS ", media={"encryption": 1}),
        Finding(
            "Input should be 'SIP_MEDIA_ENCRYPT_DISABLE', 'SIP_MEDIA_ENCRYPT_ALLOW' or "
            "'SIP_MEDIA_ENCRYPT_REQUIRE'",
            "media_encryption",
        ),
        Finding(
            "Input should be 'SIP_NO_HEADERS', 'SIP_X_HEADERS' or 'SIP_ALL_HEADERS'",
            "include_headers",
        ),
        Finding(
            "Input should be 'SIP_MEDIA_ENCRYPT_DISABLE', 'SIP_MEDIA_ENCRYPT_ALLOW' or "
            "'SIP_MEDIA_ENCRYPT_REQUIRE'",
            "media.encryption",
        ),
    ),
    fail(
        "LKSIN007",
        "crlf_in_digest_credentials",
        trunk(auth_username="u\r\nX-Evil: 1", auth_password=SECRET + "\n", auth_realm="r\n"),
        Finding(
            "'u\\r\\nX-Evil: 1' contains control characters ('\\n', '\\r'): auth_username goes "
            "into the SIP Digest authentication headers, where CR/LF would start a new header; "
            "remove them",
            "auth_username",
        ),
        Finding(
            "the value contains control characters, such as a line break copied from a file "
            "(value not shown): the provider's password has none, so every digest answer would "
            "be wrong; remove them",
            "auth_password",
        ),
        Finding(
            "'r\\n' contains control characters ('\\n'): auth_realm goes into the SIP Digest "
            "authentication headers, where CR/LF would start a new header; remove them",
            "auth_realm",
        ),
    ),
    ok("LKSIN007", "tab_and_unicode_in_credentials", trunk(auth_username="\u00fcser\tx")),
    fail(
        "LKSIN007",
        "duration_below_a_nanosecond",
        trunk(ringing_timeout=1e-10, max_call_duration=5e-10),
        Finding(
            "must be 0 or at least 1 nanosecond (1e-09 seconds), the smallest duration the "
            "protocol holds: 1e-10 seconds would be stored as 0, which the server reads as not "
            "set (its default)",
            "ringing_timeout",
        ),
        Finding(
            "must be 0 or at least 1 nanosecond (1e-09 seconds), the smallest duration the "
            "protocol holds: 5e-10 seconds would be stored as 0, which the server reads as not "
            "set (its default)",
            "max_call_duration",
        ),
    ),
    ok("LKSIN007", "one_nanosecond", trunk(ringing_timeout=1e-9, max_call_duration=6e-10)),
    ok(
        "LKSIN007",
        "enum_names",
        trunk(include_headers="SIP_ALL_HEADERS", media={"encryption": "SIP_MEDIA_ENCRYPT_REQUIRE"}),
    ),
    # LKSIN009 ringing_timeout leaves time for an agent to join
    ok("LKSIN009", "baseline_30s", INBOUND),
    ok("LKSIN009", "unset", trunk(ringing_timeout=None)),
    ok("LKSIN009", "zero_is_the_default", trunk(ringing_timeout=0.0)),
    ok("LKSIN009", "unknown", trunk(ringing_timeout=UNKNOWN)),
    ok("LKSIN009", "ten_seconds", trunk(ringing_timeout=10.0)),
    fail(
        "LKSIN009",
        "three_seconds",
        trunk(ringing_timeout=3.0),
        Finding(
            "is 3 seconds: a call whose agent has not joined by then is ended (under 10 s an "
            "agent rarely has)",
            "ringing_timeout",
        ),
    ),
    # LKSIN010 max_call_duration leaves a conversation
    ok("LKSIN010", "baseline_unset", INBOUND),
    ok("LKSIN010", "thirty_minutes", trunk(max_call_duration=1800.0)),
    ok("LKSIN010", "unknown", trunk(max_call_duration=UNKNOWN)),
    ok("LKSIN010", "zero_is_the_default", trunk(max_call_duration=0)),
    fail(
        "LKSIN010",
        "minutes_given_as_seconds",
        trunk(max_call_duration=30.0),
        Finding(
            "is 30 seconds: every call through the trunk is cut off after 30 s (was 30 "
            "minutes meant, i.e. 1800?)",
            "max_call_duration",
        ),
    ),
    # LKSIN011 allowed_addresses include a provider's (public) address
    ok("LKSIN011", "baseline_documentation_range", INBOUND),
    ok("LKSIN011", "public_and_private", trunk(allowed_addresses=["10.0.0.0/8", "54.172.60.0/30"])),
    ok("LKSIN011", "none", trunk(allowed_addresses=[])),
    ok("LKSIN011", "zoned_is_lksin008", trunk(allowed_addresses=["fe80::1%eth0"])),
    ok("LKSIN011", "unknown", trunk(allowed_addresses=[UNKNOWN])),
    ok("LKSIN011", "unreadable_is_lksin003", trunk(allowed_addresses=["10.0.0.0/8", "pbx"])),
    ok("LKSIN011", "wider_than_private", trunk(allowed_addresses=["172.0.0.0/8"])),
    fail(
        "LKSIN011",
        "office_network_only",
        trunk(allowed_addresses=["192.168.1.0/24", "10.1.2.3", "fd00::/8"]),
        Finding(
            "admits only private, loopback or link-local addresses ('192.168.1.0/24', "
            "'10.1.2.3', 'fd00::/8'): calls from a provider's public addresses are all refused",
            "allowed_addresses",
        ),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_rule_table(case: Case) -> None:
    assert run(case) == list(case.expected)


@pytest.mark.parametrize(
    "rule",
    [r for r in REGISTRY if INBOUND_TRUNK in getattr(r, "resource_types", ())],
    ids=lambda r: r.id,
)
def test_baseline_passes(rule) -> None:
    assert list(rule.check(INBOUND, {})) == []


@pytest.mark.parametrize(
    ("numbers", "expected"),
    [
        (["+1 (510) 555-0100"], ["+15105550100"]),
        (["+15105550100", "+44 20 7946 0958"], ["+15105550100", "+442079460958"]),
    ],
)
def test_numbers_remediation_fixes_formatting(numbers, expected) -> None:
    fixed = REGISTRY.get("LKSIN001").remediate(trunk(numbers=numbers), {})
    assert fixed is not None and fixed["numbers"] == expected


@pytest.mark.parametrize("numbers", [["5105550100"], ["+15105550100"], ["+1234"], UNKNOWN])
def test_numbers_remediation_never_guesses(numbers) -> None:
    assert REGISTRY.get("LKSIN001").remediate(trunk(numbers=numbers), {}) is None
