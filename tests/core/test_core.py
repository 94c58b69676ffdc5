"""The core package: its place at the bottom, and the facts both halves read from it."""

from __future__ import annotations

import subprocess
import sys

import livekit_sip_core as core
import pytest
from livekit_sip_core import ErrorType, Invalid
from livekit_sip_policies import rule
from livekit_sip_pulumi import (
    PlivoOutbound,
    SipDispatchRule,
    SipInboundTrunk,
    SipOutboundTrunk,
    TelnyxOutbound,
    TwilioOutbound,
    WavixOutbound,
    presets,
    specs,
)


def test_core_imports_neither_pulumi_nor_pydantic() -> None:
    probe = (
        "import sys, livekit_sip_core\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & "
        "{'pulumi', 'pulumi_policy', 'pydantic', 'pydantic_core', 'livekit', "
        "'livekit_sip_pulumi', 'livekit_sip_policies'})\n"
        "print(heavy)\n"
    )
    ran = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert ran.stdout.strip() == "[]"


def test_type_tokens_are_the_resources_own() -> None:
    tokens = {
        f"pulumi-python:{cls._resource_type_name}"
        for cls in (SipInboundTrunk, SipOutboundTrunk, SipDispatchRule)
    }
    assert tokens == {core.INBOUND_TRUNK_TYPE, core.OUTBOUND_TRUNK_TYPE, core.DISPATCH_RULE_TYPE}
    assert rule.RESOURCE_TYPES == (
        core.INBOUND_TRUNK_TYPE,
        core.OUTBOUND_TRUNK_TYPE,
        core.DISPATCH_RULE_TYPE,
    )
    assert f"{presets.COMPONENT_PACKAGE}:" == rule.COMPONENT_TYPE_PREFIX


def test_one_definition_each() -> None:
    # The components re-export the core's objects; they do not hold copies.
    assert specs.ErrorType is ErrorType
    assert specs.canonical_e164 is core.canonical_e164
    assert specs.is_livekit_id is core.is_livekit_id
    assert specs.TRUNK_ID_PREFIX is core.TRUNK_ID_PREFIX
    assert presets.REQUIRED_REGION_PINS is core.REQUIRED_REGION_PINS
    assert TelnyxOutbound.HOSTS is core.TELNYX_HOSTS
    docs = {p.name: p.docs_url for p in core.PROVIDERS}
    for preset in (TelnyxOutbound, TwilioOutbound, PlivoOutbound, WavixOutbound):
        assert preset.docs_url == docs[preset.provider]


@pytest.mark.parametrize(
    ("address", "host"),
    [
        ("sip.telnyx.com", "sip.telnyx.com"),
        ("SIP.Telnyx.com.:5061", "sip.telnyx.com"),
        ("[2001:DB8::1]:5060", "2001:db8::1"),
        # not a port: '\d' would take the Arabic-Indic digits, the core does not
        ("sip.telnyx.com:\u0665\u0660\u0666\u0660", "sip.telnyx.com:\u0665\u0660\u0666\u0660"),
        ("[2001:db8::1", "[2001:db8::1"),
    ],
)
def test_host_of(address: str, host: str) -> None:
    assert core.host_of(address) == host


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("+15105550100", None),
        ("15105550100", ErrorType.E164_PLUS),
        ("+1234", ErrorType.E164_IMPOSSIBLE),
        ("+1 510 555 0100", ErrorType.E164_NOT_STRICT),
        ("\uff0b15105550100", ErrorType.E164_PLUS),
        ("+15105550100\n", ErrorType.E164_NOT_STRICT),
    ],
)
def test_e164_problem_codes(value: str, code: str | None) -> None:
    problem = core.e164_problem(value)
    assert (problem.code if problem else None) == code


NANP = "+1 (US, AG, AI and 22 more)"
UK = "+44 (GB, GG, IM, JE)"


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("+15105550100", None),  # NANP 555 numbers outside 555-01xx are assigned normally
        ("+442071838750", None),
        ("+919876543210", None),
        ("15105550100", None),  # not E.164-shaped: e164_problem's business
        ("*", None),
        ("+19995550100", f"in no assigned range of {NANP} numbers"),
        ("+447700900123", f"in no assigned range of {UK} numbers"),  # Ofcom's drama range
        ("+4420794600", f"too short for a {UK} number (that length is dialled only inside"),
        ("+1510555", f"too short for a {NANP} number: a digit is probably missing"),
        ("+151055501000", f"too long for a {NANP} number: a digit too many"),
        ("+800123", "too short for a +800 (non-geographic) number"),
        ("+99912345", "no country has the calling code it starts with"),
    ],
)
def test_nonexistent_number_problem_says_why(value: str, why: str | None) -> None:
    problem = core.nonexistent_number_problem(value)
    if why is None:
        assert problem is None
        return
    assert problem is not None and problem.code == ErrorType.NUMBER_CANNOT_EXIST
    assert problem.message.startswith(f"'{value}' ") and why in problem.message


def test_numbers_strict_e164_rules_accept_can_still_not_exist() -> None:
    # What LKSSTK016 adds to the E.164 rules: shapes they accept that no country assigns.
    for value in ("+19995550100", "+447700900123", "+4420794600"):
        assert core.e164_problem(value) is None
        assert core.nonexistent_number_problem(value) is not None


def test_problems_are_plain() -> None:
    problem = core.pin_problem("12a")
    assert isinstance(problem, Invalid) and problem.code == ErrorType.PIN_DIGITS
    assert core.pin_problem("") is None and core.pin_problem("0042") is None


@pytest.mark.parametrize(
    ("value", "fix"), [("uk", "gb"), (" US ", "us"), ("us", "us"), ("nl", None), ("", None)]
)
def test_country_fix(value: str, fix: str | None) -> None:
    assert core.country_fix(value) == fix


def test_region_pin_prefix() -> None:
    assert core.REQUIRED_REGION_PINS["IN"].calling_code == "+91"
    assert core.region_pin_of("+919876543210") is core.REQUIRED_REGION_PINS["IN"]
    assert core.region_pin_of("919876543210") is None


def test_enums_and_rule_kinds_are_defined_once() -> None:
    # The components' enums are the core's; the names the pack checks are derived from them.
    assert specs.SipMediaEncryption is core.SipMediaEncryption
    assert specs.SipTransport is core.SipTransport
    assert specs.SipHeaderOptions is core.SipHeaderOptions
    assert tuple(core.SipTransport.__members__) == core.TRANSPORTS
    # The dispatch rule's kinds: the components, the pack and the simulator read one tuple.
    from livekit_sip_policies import dispatch, routing
    from livekit_sip_pulumi import resources

    assert dispatch.RULE_KINDS is core.DISPATCH_RULE_KINDS
    assert routing._KINDS is core.DISPATCH_RULE_KINDS
    assert specs._RULE_KINDS is core.DISPATCH_RULE_KINDS
    assert [
        resources.SipDispatchRuleDirectArgs.rule_key,
        resources.SipDispatchRuleIndividualArgs.rule_key,
        resources.SipDispatchRuleCalleeArgs.rule_key,
    ] == list(core.DISPATCH_RULE_KINDS)


def test_the_password_field_is_named_once() -> None:
    from livekit_sip_policies import server_values

    assert core.PASSWORD_FIELD in specs.SipInboundTrunkSpec.model_fields
    assert core.PASSWORD_FIELD in specs.SipOutboundTrunkSpec.model_fields
    assert frozenset({core.PASSWORD_FIELD}) == server_values.SECRET_FIELDS


# --- values the server reads differently ---------------------------------------------------------

# (entry, what Go's netip makes of it: "addr" / "prefix" / None) from net/netip (Go 1.26):
# ParseAddr refuses leading zeros in IPv4 fields; ParsePrefix refuses a zone, a sign, a leading
# zero in the length and a netmask; an IPv4-mapped address stays IPv6.
GO_NETIP = [
    ("1.2.3.4", "addr"), ("01.2.3.4", None), ("1.2.3.04", None), ("::ffff:1.2.3.4", "addr"),
    ("fe80::1%eth0", "addr"), ("fe80::1%", None), ("1.2.3.4%eth0", None),
    ("1.2.3.4/8", "prefix"), ("1.2.3.4/0", "prefix"), ("1.2.3.4/08", None), ("1.2.3.4/00", None),
    ("1.2.3.4/+8", None), ("1.2.3.4/255.0.0.0", None), ("1.2.3.4/33", None),
    ("2001:db8::/32", "prefix"), ("2001:db8::/032", None), ("fe80::1%eth0/64", None),
    ("\u0661.2.3.4", None), ("1.2.3.4/\u0668", None), ("1.2.3.4/", None),
]  # fmt: skip


@pytest.mark.parametrize(("entry", "reading"), GO_NETIP)
def test_addresses_are_parsed_as_go_parses_them(entry: str, reading: str | None) -> None:
    got = core.parse_prefix(entry) if "/" in entry else core.parse_addr(entry)
    assert (got is not None) == (reading is not None)
    assert core.is_ip_or_cidr(entry) == (reading is not None)


@pytest.mark.parametrize(
    ("entry", "code", "fix"),
    [
        ("1.2.3.4/08", ErrorType.IP_OR_CIDR_FORM, "write '1.2.3.4/8'"),
        ("1.2.3.4/255.0.0.0", ErrorType.IP_OR_CIDR_FORM, "write '1.2.3.4/8'"),
        ("::ffff:1.2.3.4", ErrorType.IP_OR_CIDR_FORM, "write '1.2.3.4'"),
        ("::ffff:1.2.3.0/120", ErrorType.IP_OR_CIDR_FORM, "write '1.2.3.0/24'"),
        ("fe80::1%eth0/64", ErrorType.IP_OR_CIDR_FORM, "write 'fe80::/64'"),
        ("fe80::1%eth0/", ErrorType.IP_OR_CIDR, ""),
        ("1.2.3.4/x", ErrorType.IP_OR_CIDR, ""),
        ("sip.telnyx.com", ErrorType.IP_OR_CIDR, ""),
    ],
)
def test_entries_the_server_reads_differently_are_refused_with_their_fix(
    entry: str, code: str, fix: str
) -> None:
    problem = core.ip_or_cidr_problem(entry)
    assert problem is not None and problem.code == code
    assert fix in problem.message


def test_a_zoned_address_is_an_address_but_flagged() -> None:
    assert core.ip_or_cidr_problem("fe80::1%eth0") is None
    problem = core.address_zone_problem("fe80::1%eth0")
    assert problem is not None and problem.code == ErrorType.IP_OR_CIDR_ZONE
    assert core.address_zone_problem("fe80::1") is None
    assert core.address_zone_problem("fe80::1%eth0/64") is None  # refused as a range instead


def test_zones_and_families_match_as_the_server_compares_them() -> None:
    ip = core.parse_addr
    v4, mapped, zoned = ip("1.2.3.4"), ip("::ffff:1.2.3.4"), ip("fe80::1%eth0")
    assert v4 is not None and mapped is not None and zoned is not None
    assert core.match_addr_mask(v4, "1.2.3.0/24")
    assert not core.match_addr_mask(v4, "::ffff:1.2.3.4")
    assert not core.match_addr_mask(mapped, "1.2.3.0/24")
    assert core.match_addr_mask(zoned, "fe80::1%eth0")
    assert not core.match_addr_mask(zoned, "fe80::1")
    assert not core.match_addr_mask(zoned, "fe80::/10")  # Contains is false for a zoned ip


@pytest.mark.parametrize(
    ("seconds", "refused"),
    [(1e-10, True), (5e-10, True), (5e-324, True), (6e-10, False), (1e-9, False), (0, False),
     (0.0, False), (30, False)],
)  # fmt: skip
def test_a_positive_duration_stored_as_zero_is_refused(seconds: float, refused: bool) -> None:
    problem = core.seconds_problem(seconds)
    assert (problem is not None) == refused
    assert core.duration_nanoseconds(seconds) > 0 or seconds == 0 or refused
    if problem:
        assert problem.code == ErrorType.DURATION_TOO_SHORT
        assert "1 nanosecond (1e-09 seconds)" in problem.message


@pytest.mark.parametrize(
    ("name", "refused"),
    [("support-agent", False), ("support agent", False), ("caf\u00e9", False), ("agent\n", True),
     ("\u200b", True), ("\u200bagent", True), ("agent\u00ad", True), ("agent ", True),
     (" agent", True), ("a\u2028b", True), ("\ufeffagent", True), ("", True), ("\u3000", True)],
)  # fmt: skip
def test_agent_names_a_worker_never_registers(name: str, refused: bool) -> None:
    assert (core.agent_name_problem(name) is not None) == refused


@pytest.mark.parametrize("value", ["u\r\n", "u\n", "\rX", "a\x1bb", "a\x7f"])
def test_digest_credentials_are_one_line(value: str) -> None:
    username = core.digest_text_problem("auth_username", value)
    password = core.digest_secret_problem("secret-" + value)
    assert username is not None and username.code == ErrorType.DIGEST_TEXT
    assert password is not None and "secret-" not in password.message
    assert core.digest_text_problem("auth_username", "user\tname") is None


def test_repeated_entries_of_a_dispatch_rule() -> None:
    [(index, problem)] = core.repeated_entries("trunk_ids", ["ST_a", "ST_b", "ST_a"])
    assert index == 2 and "repeats trunk_ids[0]" in problem.message
    assert core.repeated_entries("trunk_ids", ["ST_a", "st_a", 5, 5]) == []
    [(index, _)] = core.repeated_entries("numbers", ["+15105550100", "+15105550100"])
    assert index == 1


@pytest.mark.parametrize(("region", "refused"), [("eu", False), ("india", False), ("mars", True),
                                                 ("EU", True), ("", True)])  # fmt: skip
def test_sip_regions(region: str, refused: bool) -> None:
    assert (core.sip_region_problem(region) is not None) == refused


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("support-line", "support-line"),
        ("\x1b[2J\x1b[31mEVIL\nFAKE LINE", r"\x1b[2J\x1b[31mEVIL\nFAKE LINE"),
        ("bell\x07 cr\r tab\t del\x7f", r"bell\x07 cr\r tab\t del\x7f"),
        ("a\u2028b\u202ec\x85", r"a\u2028b\u202ec\x85"),
        ("lone \ud800", r"lone \ud800"),
        ("[bold red]markup[/bold red] 'quoted' café", "[bold red]markup[/bold red] 'quoted' café"),
    ],
)
def test_printable_escapes_what_a_terminal_would_obey(text: str, shown: str) -> None:
    assert core.printable(text) == shown
    assert core.quote(text, limit=200) == f"'{shown}'"  # one escaping for both
