from __future__ import annotations

import pytest
from livekit_sip_policies import UNKNOWN, Finding
from livekit_sip_policies.catalogue import REGISTRY
from livekit_sip_policies.rule import OUTBOUND_TRUNK

from .helpers import OUTBOUND, SECRET, Case, changed, fail, ok, run


def trunk(**changes):
    return changed(OUTBOUND, changes)


NO_AUTH = {"auth_username": "", "auth_password": ""}
TELNYX_SHAPE = "Telnyx expects 'sip.telnyx.com' (US) or 'sip-eu.telnyx.com' (EU), never a subdomain"
INDIA = "+919876543210"

CASES = [
    # LKSOUT001 bare host
    ok("LKSOUT001", "baseline", OUTBOUND),
    ok("LKSOUT001", "with_port", trunk(address="sip.telnyx.com:5061")),
    ok("LKSOUT001", "ip", trunk(address="198.51.100.20")),
    ok("LKSOUT001", "unknown", trunk(address=UNKNOWN, from_host=UNKNOWN)),
    ok("LKSOUT001", "from_host_bare", trunk(from_host="pbx.example.com")),
    fail(
        "LKSOUT001",
        "sip_uri",
        trunk(address="sip:sip.telnyx.com"),
        Finding(
            "'sip:sip.telnyx.com' is a SIP URI; LiveKit wants a bare host name or IP address: "
            "write 'sip.telnyx.com' (set the transport with the transport field)",
            "address",
        ),
    ),
    fail(
        "LKSOUT001",
        "user_part",
        trunk(address="user@sip.telnyx.com"),
        Finding(
            "'user@sip.telnyx.com' contains a user part ('@'); write only the host (e.g. "
            "'sip.telnyx.com') and put the user name in auth_username",
            "address",
        ),
    ),
    fail(
        "LKSOUT001",
        "transport_param",
        trunk(address="sip.telnyx.com;transport=tcp"),
        Finding(
            "'sip.telnyx.com;transport=tcp' contains URI parameters (';' or 'transport='); "
            "write only the host and set the transport with the transport field",
            "address",
        ),
    ),
    fail(
        "LKSOUT001",
        "uri_param",
        trunk(address="sip.telnyx.com;lr"),
        Finding(
            "'sip.telnyx.com;lr' contains URI parameters (';' or 'transport='); write only the "
            "host and set the transport with the transport field",
            "address",
        ),
    ),
    fail(
        "LKSOUT001",
        "empty",
        trunk(address=""),
        Finding("is empty: the trunk has no provider to send calls to", "address"),
    ),
    fail(
        "LKSOUT001",
        "missing",
        trunk(address=None),
        Finding("is empty: the trunk has no provider to send calls to", "address"),
    ),
    fail(
        "LKSOUT001",
        "from_host_uri",
        trunk(from_host="sips:pbx.example.com"),
        Finding(
            "'sips:pbx.example.com' is a SIP URI; LiveKit wants a bare host name or IP address: "
            "write 'pbx.example.com' (set the transport with the transport field)",
            "from_host",
        ),
    ),
    # Regressions: the pack used '\d' and '$' and did not parse the port; it now uses the
    # components' parser (livekit_sip_core.sip_host_problem).
    ok("LKSOUT001", "ipv6_with_port", trunk(address="[2001:db8::1]:5060")),
    ok("LKSOUT001", "trailing_dot", trunk(address="sip.telnyx.com.")),
    fail(
        "LKSOUT001",
        "non_ascii_port_digits",
        trunk(address="sip.telnyx.com:\u0665\u0660\u0666\u0660"),
        Finding(
            "'sip.telnyx.com:\u0665\u0660\u0666\u0660' has an invalid port "
            "'\u0665\u0660\u0666\u0660': write the host alone, or ':' and a port from 1 to "
            "65535 (e.g. 'sip.telnyx.com:5060')",
            "address",
        ),
    ),
    fail(
        "LKSOUT001",
        "trailing_newline",
        trunk(address="sip.telnyx.com\n"),
        Finding(
            "'sip.telnyx.com\\n' is not a host name or IP address (ASCII letters, digits, '-' "
            "and '.', e.g. 'sip.telnyx.com')",
            "address",
        ),
    ),
    fail(
        "LKSOUT001",
        "unclosed_ipv6_bracket",
        trunk(address="[2001:db8::1"),
        Finding(
            "'[2001:db8::1' opens '[' but never closes it: write an IPv6 address as "
            "'[2001:db8::1]' or '[2001:db8::1]:5060'",
            "address",
        ),
    ),
    fail(
        "LKSOUT001",
        "empty_port",
        trunk(address="sip.telnyx.com:"),
        Finding(
            "'sip.telnyx.com:' has an empty port after ':': write the host alone, or ':' and a "
            "port from 1 to 65535 (e.g. 'sip.telnyx.com:5060')",
            "address",
        ),
    ),
    fail(
        "LKSOUT001",
        "port_out_of_range",
        trunk(from_host="pbx.example.com:65536"),
        Finding(
            "'pbx.example.com:65536' has an invalid port '65536': write the host alone, or ':' "
            "and a port from 1 to 65535 (e.g. 'sip.telnyx.com:5060')",
            "from_host",
        ),
    ),
    fail(
        "LKSOUT001",
        "unicode_letters",
        trunk(address="sip.t\u00e9lnyx.com"),
        Finding(
            "'sip.t\u00e9lnyx.com' is not a host name or IP address (ASCII letters, digits, "
            "'-' and '.', e.g. 'sip.telnyx.com')",
            "address",
        ),
    ),
    # LKSOUT002 provider shapes
    ok("LKSOUT002", "baseline", OUTBOUND),
    ok("LKSOUT002", "telnyx_eu_port", trunk(address="sip-eu.telnyx.com:5061")),
    ok("LKSOUT002", "twilio", trunk(address="acme.pstn.twilio.com")),
    ok("LKSOUT002", "twilio_edge", trunk(address="acme.pstn.ashburn.twilio.com")),
    ok("LKSOUT002", "plivo_upper_case", trunk(address="ABC123.zt.plivo.com")),
    ok("LKSOUT002", "wavix", trunk(address="us.wavix.net")),
    ok("LKSOUT002", "unknown_provider", trunk(address="sip.example.com")),
    ok("LKSOUT002", "unknown", trunk(address=UNKNOWN)),
    fail(
        "LKSOUT002",
        "telnyx_subdomain",
        trunk(address="acme.sip.telnyx.com"),
        # the presets' reason now reaches the pack too (one Provider.host_problem)
        Finding(
            f"'acme.sip.telnyx.com' is not a Telnyx SIP host; {TELNYX_SHAPE} (Telnyx answers "
            "503 to a subdomain; the credentials select the connection)",
            "address",
        ),
    ),
    fail(
        "LKSOUT002",
        "twilio_programmable_voice_domain",
        trunk(address="acme.sip.twilio.com"),
        Finding(
            "'acme.sip.twilio.com' is not a Twilio SIP host; Twilio expects "
            "'<trunk>.pstn.twilio.com' or '<trunk>.pstn.<edge>.twilio.com' "
            "('<name>.sip.twilio.com' is a Programmable Voice SIP domain, not an Elastic SIP "
            "trunk: use the trunk's Termination SIP URI)",
            "address",
        ),
    ),
    fail(
        "LKSOUT002",
        "twilio_without_pstn",
        trunk(address="acme.twilio.com"),
        Finding(
            "'acme.twilio.com' is not a Twilio SIP host; Twilio expects "
            "'<trunk>.pstn.twilio.com' or '<trunk>.pstn.<edge>.twilio.com'",
            "address",
        ),
    ),
    fail(
        "LKSOUT002",
        "plivo_without_id",
        trunk(address="zt.plivo.com"),
        Finding(
            "'zt.plivo.com' is not a Plivo SIP host; Plivo expects '<trunk id>.zt.plivo.com'",
            "address",
        ),
    ),
    fail(
        "LKSOUT002",
        "wavix_three_letters",
        trunk(address="usa.wavix.net"),
        Finding(
            "'usa.wavix.net' is not a Wavix SIP host; Wavix expects '<country code>.wavix.net', "
            "e.g. 'us.wavix.net'",
            "address",
        ),
    ),
    # LKSOUT003 numbers
    ok("LKSOUT003", "baseline", OUTBOUND),
    ok("LKSOUT003", "wildcard", trunk(numbers=["*"])),
    ok("LKSOUT003", "unknown_list", trunk(numbers=UNKNOWN)),
    ok("LKSOUT003", "unknown_entry", trunk(numbers=[UNKNOWN])),
    fail(
        "LKSOUT003",
        "empty",
        trunk(numbers=[]),
        Finding("is empty: the trunk has no number to call from", "numbers"),
    ),
    fail(
        "LKSOUT003",
        "missing",
        trunk(numbers=None),
        Finding("is empty: the trunk has no number to call from", "numbers"),
    ),
    fail(
        "LKSOUT003",
        "national_format",
        trunk(numbers=["*", "5105550100"]),
        Finding(
            "'5105550100' is not an E.164 number: it must start with '+' and the country code "
            "(did you mean '+5105550100'?)",
            "numbers[1]",
        ),
    ),
    # LKSOUT004 auth pair
    ok("LKSOUT004", "baseline", OUTBOUND),
    ok("LKSOUT004", "neither", trunk(**NO_AUTH)),
    ok("LKSOUT004", "unknown_password", trunk(auth_password=UNKNOWN)),
    fail(
        "LKSOUT004",
        "username_only",
        trunk(auth_password=""),
        Finding("is empty while auth_username is set", "auth_password"),
    ),
    fail(
        "LKSOUT004",
        "password_only",
        trunk(auth_username=None),
        Finding("is empty while auth_password is set", "auth_username"),
    ),
    # LKSOUT005 digest providers
    ok("LKSOUT005", "baseline", OUTBOUND),
    ok("LKSOUT005", "twilio_ip_auth", trunk(address="acme.pstn.twilio.com", **NO_AUTH)),
    ok("LKSOUT005", "unknown_password", trunk(auth_username="", auth_password=UNKNOWN)),
    ok("LKSOUT005", "unknown_address", trunk(address=UNKNOWN, **NO_AUTH)),
    fail(
        "LKSOUT005",
        "telnyx_without_credentials",
        trunk(**NO_AUTH),
        Finding(
            "is empty: Telnyx needs digest credentials for outbound calls (403 without them)",
            "auth_username",
        ),
    ),
    fail(
        "LKSOUT005",
        "plivo_without_credentials",
        trunk(address="abc123.zt.plivo.com", auth_username=None, auth_password=None),
        Finding(
            "is empty: Plivo needs digest credentials for outbound calls (403 without them)",
            "auth_username",
        ),
    ),
    # LKSOUT006 destination_country
    ok("LKSOUT006", "baseline", OUTBOUND),
    ok("LKSOUT006", "not_set", trunk(destination_country="")),
    ok("LKSOUT006", "missing", trunk(destination_country=None)),
    ok("LKSOUT006", "unknown", trunk(destination_country=UNKNOWN)),
    fail(
        "LKSOUT006",
        "uk",
        trunk(destination_country="uk"),
        Finding(
            "'uk' is not a supported region code, so calls are not pinned; write 'gb'",
            "destination_country",
        ),
    ),
    fail(
        "LKSOUT006",
        "upper_case",
        trunk(destination_country="US"),
        Finding(
            "'US' is not a supported region code, so calls are not pinned; write 'us'",
            "destination_country",
        ),
    ),
    fail(
        "LKSOUT006",
        "unsupported",
        trunk(destination_country="nl"),
        Finding(
            "'nl' is not a supported region code, so calls are not pinned (destination_country "
            "takes one of ae, au, br, ca, de, fr, gb, il, in, jp, sa, sg, us, za)",
            "destination_country",
        ),
    ),
    # Regression: the components took any two lowercase letters; both sides now take the
    # supported list (livekit_sip_core.country_problem).
    fail(
        "LKSOUT006",
        "full_width_letters",
        trunk(destination_country="\uff55\uff53"),
        Finding(
            "'\uff55\uff53' is not a supported region code, so calls are not pinned "
            "(destination_country takes a two-letter lowercase code, one of ae, au, br, ca, de, "
            "fr, gb, il, in, jp, sa, sg, us, za)",
            "destination_country",
        ),
    ),
    # LKSOUT007 India pinning
    ok("LKSOUT007", "baseline", OUTBOUND),
    ok("LKSOUT007", "pinned", trunk(numbers=[INDIA], destination_country="in")),
    ok("LKSOUT007", "unknown_country", trunk(numbers=[INDIA], destination_country=UNKNOWN)),
    ok("LKSOUT007", "unknown_numbers", trunk(numbers=UNKNOWN, destination_country="")),
    fail(
        "LKSOUT007",
        "pinned_elsewhere",
        trunk(numbers=[INDIA]),
        Finding(
            f"is 'us' but the trunk calls from +91 number '{INDIA}'; India requires 'in' (403 "
            "Domestic Anchored Terms Not Met)",
            "destination_country",
        ),
    ),
    fail(
        "LKSOUT007",
        "not_pinned_partly_unknown",
        trunk(numbers=[UNKNOWN, INDIA], destination_country=None),
        Finding(
            f"is not set but the trunk calls from +91 number '{INDIA}'; India requires 'in' "
            "(403 Domestic Anchored Terms Not Met)",
            "destination_country",
        ),
    ),
    # LKSOUT008 headers (new: the pack had no header checks; the components refused these)
    ok("LKSOUT008", "baseline", OUTBOUND),
    ok(
        "LKSOUT008",
        "custom_headers_and_mappings",
        trunk(
            headers={"X-Telnyx-Username": "acme", "X-Note": "caf\u00e9\tok"},
            headers_to_attributes={"X-Customer-Id": "customer.id"},
            attributes_to_headers={"agent.id": "X-Agent-Id"},
        ),
    ),
    ok("LKSOUT008", "unknown", trunk(headers=UNKNOWN, headers_to_attributes={"X-A": UNKNOWN})),
    fail(
        "LKSOUT008",
        "reserved_header",
        trunk(headers={"From": "sip:alice@example.com"}),
        Finding("header 'From' is managed by LiveKit and cannot be set", "headers"),
    ),
    fail(
        "LKSOUT008",
        "header_value_line_break",
        trunk(headers={"X-Note": "a\r\nVia: evil"}),
        Finding(
            "the value of header 'X-Note' contains control characters ('\\n', '\\r'); a header "
            "value is one line of printable text (CR/LF would start a new header)",
            "headers",
        ),
    ),
    fail(
        "LKSOUT008",
        "mapped_header_not_a_token",
        trunk(attributes_to_headers={"agent.id": "X Agent"}),
        Finding(
            "header name 'X Agent' is not a SIP token: 1 to 255 ASCII letters, digits and "
            "-.!%*_+`'~ (no spaces, ':' or line breaks)",
            "attributes_to_headers",
        ),
    ),
    # LKSOUT009 values the server takes
    ok("LKSOUT009", "baseline", OUTBOUND),
    fail(
        "LKSOUT009",
        "line_breaks_in_digest_credentials",
        trunk(auth_username="livekit-user\n", auth_password=SECRET + "\r\n"),
        Finding(
            "'livekit-user\\n' contains control characters ('\\n'): auth_username goes into the "
            "SIP Digest authentication headers, where CR/LF would start a new header; remove "
            "them",
            "auth_username",
        ),
        Finding(
            "the value contains control characters, such as a line break copied from a file "
            "(value not shown): the provider's password has none, so every digest answer would "
            "be wrong; remove them",
            "auth_password",
        ),
    ),
    ok(
        "LKSOUT009",
        "media",
        trunk(media={"codecs": [{"name": "PCMA", "rate": 8000.0}], "media_timeout": 30.0}),
    ),
    ok("LKSOUT009", "unknown", trunk(metadata=UNKNOWN, media=UNKNOWN)),
    fail(
        "LKSOUT009",
        "nul_in_metadata_and_password",
        trunk(auth_password=SECRET + "\x00", metadata="\x00"),
        Finding(
            "the value contains a NUL or lone surrogate character; remove it (value not shown)",
            "auth_password",
        ),
        Finding("'\\x00' contains a NUL character ('\\x00'); remove it", "metadata"),
    ),
    fail(
        "LKSOUT009",
        "media",
        trunk(media={"codecs": [{"name": "PCMA/8000", "rate": -8000.0}], "media_timeout": -1}),
        Finding("must be greater than or equal to 0 seconds, got -1", "media.media_timeout"),
        Finding(
            "codec name 'PCMA/8000' must not contain '/': give the clock rate in rate instead",
            "media.codecs[0].name",
        ),
        Finding("must be greater than or equal to 0, got -8000", "media.codecs[0].rate"),
    ),
    fail(
        "LKSOUT009",
        "one_finding_per_field",
        # The address and numbers are judged whole by LKSOUT001/LKSOUT003.
        trunk(address="sip.telnyx.com\x00", numbers=["+1\x00"], name="\x00"),
        Finding("'\\x00' contains a NUL character ('\\x00'); remove it", "name"),
    ),
    fail(
        "LKSOUT009",
        "transport_name",
        trunk(transport="tls"),
        Finding(
            "Input should be 'SIP_TRANSPORT_AUTO', 'SIP_TRANSPORT_UDP', 'SIP_TRANSPORT_TCP' or "
            "'SIP_TRANSPORT_TLS'",
            "transport",
        ),
    ),
    ok("LKSOUT009", "transport_not_set", trunk(transport=None, include_headers=UNKNOWN)),
    # LKSOUT010 transport and port agree
    ok("LKSOUT010", "baseline_tls_no_port", OUTBOUND),
    ok("LKSOUT010", "tls_5061", trunk(address="sip.telnyx.com:5061")),
    ok(
        "LKSOUT010", "udp_5060", trunk(address="sip.telnyx.com:5060", transport="SIP_TRANSPORT_UDP")
    ),
    ok(
        "LKSOUT010",
        "auto_5061",
        trunk(address="sip.telnyx.com:5061", transport="SIP_TRANSPORT_AUTO"),
    ),
    ok("LKSOUT010", "other_port", trunk(address="sip.telnyx.com:5080")),
    ok("LKSOUT010", "unknown_address", trunk(address=UNKNOWN)),
    fail(
        "LKSOUT010",
        "tls_to_5060",
        trunk(address="sip.telnyx.com:5060"),
        Finding(
            "is SIP_TRANSPORT_TLS but address 'sip.telnyx.com:5060' names port 5060, where "
            "providers take plain SIP (TLS is on 5061)",
            "transport",
        ),
    ),
    fail(
        "LKSOUT010",
        "tcp_to_5061",
        trunk(address="[2001:db8::1]:5061", transport="SIP_TRANSPORT_TCP"),
        Finding(
            "is SIP_TRANSPORT_TCP but address '[2001:db8::1]:5061' names port 5061, where "
            "providers take SIP over TLS (plain SIP is on 5060)",
            "transport",
        ),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_rule_table(case: Case) -> None:
    assert run(case) == list(case.expected)


@pytest.mark.parametrize(
    "rule",
    [r for r in REGISTRY if OUTBOUND_TRUNK in getattr(r, "resource_types", ())],
    ids=lambda r: r.id,
)
def test_baseline_passes(rule) -> None:
    assert list(rule.check(OUTBOUND, {})) == []


@pytest.mark.parametrize(
    ("given", "expected"), [("uk", "gb"), ("UK", "gb"), ("US", "us"), (" de ", "de")]
)
def test_country_remediation(given: str, expected: str) -> None:
    fixed = REGISTRY.get("LKSOUT006").remediate(trunk(destination_country=given), {})
    assert fixed is not None and fixed["destination_country"] == expected
    assert fixed["auth_password"] == SECRET  # the rest is untouched


@pytest.mark.parametrize("given", ["nl", "", "us", UNKNOWN, None])
def test_country_remediation_never_guesses(given) -> None:
    assert REGISTRY.get("LKSOUT006").remediate(trunk(destination_country=given), {}) is None


def test_numbers_remediation() -> None:
    rule = REGISTRY.get("LKSOUT003")
    fixed = rule.remediate(trunk(numbers=["+1 510 555 0100", "*", "5105550100"]), {})
    assert fixed is not None and fixed["numbers"] == ["+15105550100", "*", "5105550100"]
    assert rule.remediate(OUTBOUND, {}) is None


def test_region_pinning_follows_the_cores_pins(monkeypatch: pytest.MonkeyPatch) -> None:
    # LKSOUT007 iterates the core's required pins: one more pin is one more check, worded from
    # the pin (no India special case in the rule).
    import livekit_sip_core
    from livekit_sip_core import RegionPin

    monkeypatch.setitem(
        livekit_sip_core.REQUIRED_REGION_PINS,
        "AE",
        RegionPin("dubai", "ae", "the UAE", "403 Forbidden by regulation"),
    )
    found = list(REGISTRY.get("LKSOUT007").check(trunk(numbers=["+971501234567", INDIA]), {}))
    assert found == [
        Finding(
            "is 'us' but the trunk calls from +971 number '+971501234567'; the UAE requires "
            "'ae' (403 Forbidden by regulation)",
            "destination_country",
        ),
        Finding(
            f"is 'us' but the trunk calls from +91 number '{INDIA}'; India requires 'in' (403 "
            "Domestic Anchored Terms Not Met)",
            "destination_country",
        ),
    ]
