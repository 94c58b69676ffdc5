"""The components and the policy pack agree on what is valid, over generated inputs.

For each generated value of a field, the component side (``validate_spec`` of the field's spec)
and the pack side (every mandatory resource rule's ``check`` on the same props) must agree:
the component refuses the value <=> the pack has a mandatory finding on that field. Inputs
include what people paste and what Python's own Unicode-aware helpers get wrong: Arabic-Indic
and full-width digits, the full-width plus, trailing newlines, whitespace, non-ASCII letters.

Only the public entry points of both halves are used (``validate_spec``, the registry), so the
test says whether the two agree whatever they share underneath.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from livekit_sip_policies import REGISTRY, Enforcement, ResourceRule
from livekit_sip_policies.rule import DISPATCH_RULE, INBOUND_TRUNK, OUTBOUND_TRUNK
from livekit_sip_pulumi.errors import SpecError
from livekit_sip_pulumi.specs import (
    SipDispatchRuleSpec,
    SipInboundTrunkSpec,
    SipOutboundTrunkSpec,
    SipSpec,
    validate_spec,
)

#: Deterministic (CI gives the same verdict every run) and fast (the whole file in seconds).
AGREEMENT = settings(
    max_examples=150,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

#: Mandatory rules that judge beyond what is valid, on purpose: a Telnyx subdomain is a fine
#: host name that the server stores, but Telnyx answers 503 to it. The components cannot tell
#: a provider's account from a typo; the pack flags it, and AgentPhoneLine's presets refuse it.
JUDGEMENT_RULES = frozenset({"LKSOUT002"})

INBOUND: dict[str, Any] = {
    "name": "support",
    "numbers": ["+15105550100"],
    "allowed_addresses": ["203.0.113.0/24"],
}
OUTBOUND: dict[str, Any] = {
    "name": "out",
    "address": "sip.example.com",
    "numbers": ["+15105550100"],
    "destination_country": "us",
}
DISPATCH: dict[str, Any] = {
    "name": "calls",
    "rule": {"dispatch_rule_individual": {"room_prefix": "call-", "pin": ""}},
    "trunk_ids": ["ST_support"],
    "room_config": {"agents": [{"agent_name": "support-agent"}]},
    "hide_phone_number": True,
}
KINDS: dict[str, tuple[type[SipSpec], str, dict[str, Any]]] = {
    "inbound": (SipInboundTrunkSpec, INBOUND_TRUNK, INBOUND),
    "outbound": (SipOutboundTrunkSpec, OUTBOUND_TRUNK, OUTBOUND),
    "dispatch": (SipDispatchRuleSpec, DISPATCH_RULE, DISPATCH),
}


def _on(field: str, where: str | None) -> bool:
    """Whether a problem reported at ``where`` is about ``field`` (or an entry of it)."""
    return where is not None and (where == field or where.startswith((f"{field}[", f"{field}.")))


def component_refuses(kind: str, field: str, props: Mapping[str, Any]) -> bool:
    spec_class, _type, _base = KINDS[kind]
    try:
        validate_spec(spec_class, props)
    except SpecError as exc:
        return any(_on(field, problem.field) for problem in exc.details)
    return False


def pack_refuses(kind: str, field: str, props: Mapping[str, Any]) -> bool:
    _spec, resource_type, _base = KINDS[kind]
    for rule in REGISTRY:
        if (
            not isinstance(rule, ResourceRule)
            or resource_type not in rule.resource_types
            or rule.enforcement is not Enforcement.MANDATORY
            or rule.id in JUDGEMENT_RULES
        ):
            continue
        if any(_on(field, finding.field) for finding in rule.check(props, {})):
            return True
    return False


def assert_agree(kind: str, field: str, changes: Mapping[str, Any]) -> None:
    props = {**KINDS[kind][2], **changes}
    component = component_refuses(kind, field, props)
    pack = pack_refuses(kind, field, props)
    shown = repr(dict(changes))
    shown = shown if len(shown) <= 160 else shown[:160] + "... (cut)"
    assert component == pack, (
        f"{kind} {field}={shown}: the components "
        f"{'refuse' if component else 'accept'} it, the pack "
        f"{'refuses' if pack else 'accepts'} it"
    )


# --- generated inputs ---------------------------------------------------------------------------

ASCII_DIGITS = "0123456789"
ARABIC_INDIC_DIGITS = "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669"
FULL_WIDTH_DIGITS = "\uff10\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff19"
FULL_WIDTH_PLUS = "\uff0b"
UNICODE_LETTERS = "\u00e9\u00df\u00dc\u0430\u4e2d"  # e acute, sharp s, U umlaut, Cyrillic a, CJK
TRAILERS = ["", "", "", "\n", " ", "\t", "\r\n"]

# Mostly ASCII digits so that valid numbers come up too; the rest is what people paste.
number_digit = st.one_of(
    st.sampled_from(ASCII_DIGITS),
    st.sampled_from(ASCII_DIGITS),
    st.sampled_from(ASCII_DIGITS),
    st.sampled_from(ARABIC_INDIC_DIGITS + FULL_WIDTH_DIGITS),
    st.sampled_from(" -()." + UNICODE_LETTERS),
)


@st.composite
def phone_numbers(draw: st.DrawFn) -> str:
    if draw(st.integers(0, 4)) == 0:
        return draw(
            st.sampled_from(
                [
                    "+15105550100",
                    "+919876543210",
                    "+442071838750",
                    "+1 510 555 0100",
                    "15105550100",
                    "+1234",
                    "*",
                    "",
                    "+",
                    "+\u0661\u0665\u0661\u0660\u0665\u0665\u0665\u0660\u0661\u0660\u0660",
                    FULL_WIDTH_PLUS + "15105550100",
                    "+15105550100\n",
                ]
            )
        )
    prefix = draw(st.sampled_from(["+", "+", "+", "", FULL_WIDTH_PLUS, "00", " +"]))
    country = draw(st.sampled_from(["1", "44", "91", "49", "33", "81", "7", "86"]))
    rest = draw(st.lists(number_digit, min_size=4, max_size=13).map("".join))
    return prefix + country + rest + draw(st.sampled_from(TRAILERS))


pins = st.one_of(
    st.text(alphabet=ASCII_DIGITS, max_size=8),
    st.text(
        alphabet=ASCII_DIGITS + ARABIC_INDIC_DIGITS + FULL_WIDTH_DIGITS + "#* \nab\u00b2",
        max_size=8,
    ),
    st.builds(
        lambda digits, trailer: digits + trailer,
        st.text(alphabet=ASCII_DIGITS, min_size=1, max_size=6),
        st.sampled_from(TRAILERS),
    ),
)

label = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=10)
odd_label = st.text(
    alphabet="abcxyz019-_" + UNICODE_LETTERS + FULL_WIDTH_DIGITS + " ", min_size=0, max_size=6
)
PORTS = [
    "", "", "", ":5060", ":5061", ":1", ":65535", ":0", ":65536", ":", ":50a",
    ":\u0665\u0660\u0666\u0660", ":\uff15\uff10\uff16\uff10", ":5060\n", ":-1",
]  # fmt: skip
FIXED_HOSTS = [
    "sip.telnyx.com", "198.51.100.20", "[2001:db8::1]", "[2001:db8::1]:5060", "[2001:db8::1",
    "[sip.telnyx.com]", "[2001:db8::1]x", "2001:db8::1", "sip:sip.telnyx.com",
    "sips:pbx.example.com", "user@sip.telnyx.com", "sip.telnyx.com;transport=tcp",
    "sip.telnyx.com;lr", "", " ",
    "sip.telnyx.com.", "-bad.example.com", "a..b", "pbx.example.com/path", "x" * 64 + ".com",
]  # fmt: skip


@st.composite
def sip_hosts(draw: st.DrawFn) -> str:
    if draw(st.integers(0, 3)) == 0:
        return draw(st.sampled_from(FIXED_HOSTS))
    labels = draw(st.lists(st.one_of(label, label, label, odd_label), min_size=1, max_size=4))
    prefix = draw(st.sampled_from(["", "", "", "", "sip:", "user@", " "]))
    port, trailer = draw(st.sampled_from(PORTS)), draw(st.sampled_from(TRAILERS))
    return prefix + ".".join(labels) + port + trailer


SUPPORTED = ["ae", "au", "br", "ca", "de", "fr", "gb", "il", "in", "jp", "sa", "sg", "us", "za"]
countries = st.one_of(
    st.sampled_from(
        [*SUPPORTED, "", "uk", "UK", "US", "usa", "nl", "xx", " us", "us\n", "\uff55\uff53", "u"]
    ),
    st.text(alphabet="abginsuzUS\uff55\uff53\u00e9 \n", max_size=3),
)

TOKEN = "abcXYZ019-.!%*_+`'~"
header_names = st.one_of(
    st.sampled_from(
        ["X-Customer-Id", "From", "via", "To", "Contact", "X-A", "x", "", "X Agent", "X-\u00dcser",
         "X-Id:", "X-Id\n", "Call-ID", "CSeq", "X-" + "a" * 254]
    ),
    st.text(alphabet=TOKEN + " :\n\t\u00e9\u00dc\u0430", min_size=0, max_size=10),
)  # fmt: skip
header_values = st.one_of(
    st.text(alphabet="abc 019\t\u00e9\u4e2d", max_size=12),
    st.text(alphabet="ab\r\n\x7f\x01\t", max_size=6),
    st.just("x" * 1025),
    st.just("\u4e2d" * 342),  # 1026 bytes in 342 characters
)
attribute_names = st.one_of(
    st.sampled_from(["customer.id", "", " ", "\t", "lk.id"]),
    st.text(alphabet="ab. \n\u00e9", max_size=4),
)
addresses_or_cidrs = st.one_of(
    st.sampled_from(
        ["203.0.113.10", "203.0.113.0/24", "2001:db8::/32", "fe80::1%eth0", "203.0.113.0/33",
         "203.0.113.010", "sip.telnyx.com", "203.0.113.10 ", "203.0.113.10\n", "0.0.0.0/0",
         "\u0662\u0660\u0663.0.113.10", "203.0.113.10-20", "",
         # what Go's netip reads differently from Python's ipaddress
         "1.2.3.4/08", "1.2.3.4/008", "2001:db8::/032", "1.2.3.4/255.0.0.0", "1.2.3.4/0.0.0.255",
         "fe80::1%eth0/64", "::ffff:1.2.3.4", "::ffff:1.2.3.0/120", "::FFFF:1.2.3.4/128",
         "::ffff:0:0/64", "::1.2.3.4", "1.2.3.4/0", "1.2.3.4/00", "fe80::1%", "1.2.3.4%eth0"]
    ),
    st.text(alphabet="0123./:ab\uff10 ", max_size=14),
    st.builds(
        lambda addr, bits: f"{addr}/{bits}",
        st.sampled_from(["1.2.3.4", "::ffff:1.2.3.4", "2001:db8::", "fe80::1%eth0", "::"]),
        st.text(alphabet="0123489.+-", min_size=0, max_size=4),
    ),
)  # fmt: skip


# --- the agreement ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "field"),
    [
        ("inbound", "numbers"),
        ("inbound", "allowed_numbers"),
        ("dispatch", "inbound_numbers"),
        ("dispatch", "numbers"),
    ],
)
@AGREEMENT
@given(numbers=st.lists(phone_numbers(), min_size=1, max_size=3))
def test_numbers_agree(kind: str, field: str, numbers: list[str]) -> None:
    assert_agree(kind, field, {field: numbers})


@AGREEMENT
@given(numbers=st.lists(phone_numbers(), min_size=0, max_size=3))
def test_outbound_numbers_agree(numbers: list[str]) -> None:
    assert_agree("outbound", "numbers", {"numbers": numbers})


@pytest.mark.parametrize(
    ("rule_kind", "body"),
    [
        ("dispatch_rule_direct", {"room_name": "lobby"}),
        ("dispatch_rule_individual", {"room_prefix": "call-"}),
        ("dispatch_rule_callee", {"room_prefix": "c-", "randomize": True}),
    ],
)
@AGREEMENT
@given(pin=pins)
def test_pins_agree(rule_kind: str, body: dict[str, Any], pin: str) -> None:
    assert_agree("dispatch", f"rule.{rule_kind}.pin", {"rule": {rule_kind: {**body, "pin": pin}}})


@pytest.mark.parametrize("field", ["address", "from_host"])
@AGREEMENT
@given(host=sip_hosts())
def test_provider_addresses_agree(field: str, host: str) -> None:
    assert_agree("outbound", field, {field: host})


@AGREEMENT
@given(country=countries)
def test_country_codes_agree(country: str) -> None:
    assert_agree("outbound", "destination_country", {"destination_country": country})


@pytest.mark.parametrize("kind", ["inbound", "outbound"])
@AGREEMENT
@given(name=header_names, value=header_values)
def test_headers_agree(kind: str, name: str, value: str) -> None:
    assert_agree(kind, "headers", {"headers": {name: value}})


@pytest.mark.parametrize("kind", ["inbound", "outbound"])
@AGREEMENT
@given(name=header_names, attribute=attribute_names)
def test_header_mappings_agree(kind: str, name: str, attribute: str) -> None:
    assert_agree(kind, "headers_to_attributes", {"headers_to_attributes": {name: attribute}})
    assert_agree(kind, "attributes_to_headers", {"attributes_to_headers": {attribute: name}})


@AGREEMENT
@given(entries=st.lists(addresses_or_cidrs, min_size=1, max_size=3))
def test_allowed_addresses_agree(entries: list[str]) -> None:
    assert_agree("inbound", "allowed_addresses", {"allowed_addresses": entries})


agent_names = st.one_of(
    st.sampled_from(["support-agent", "", " ", "\t", "\u3000", "\x85", "a\x00b", "\ud800"]),
    st.sampled_from(
        ["agent\n", "\u200b", "agent ", " agent", "\u200bagent", "agent\u00ad", "a\u2028b",
         "a\u202eb", "\ufeffagent", "support agent", "agent\r", "agent\x7f", "caf\u00e9"]
    ),
    st.text(alphabet="ab- \t\n\u00e9\u3000\u200b\u200d\u2060\x00\ud800\x85", max_size=6),
)  # fmt: skip


@AGREEMENT
@given(name=agent_names)
def test_agent_names_agree(name: str) -> None:
    field = "room_config.agents[0].agent_name"
    assert_agree("dispatch", field, {"room_config": {"agents": [{"agent_name": name}]}})


def test_the_agreement_can_fail() -> None:
    # The oracle itself: a value both refuse, one both accept, and a judgement rule left out.
    assert component_refuses("dispatch", "rule.dispatch_rule_direct.pin", _pin("12a"))
    assert pack_refuses("dispatch", "rule.dispatch_rule_direct.pin", _pin("12a"))
    assert not component_refuses("dispatch", "rule.dispatch_rule_direct.pin", _pin("1234"))
    assert not pack_refuses("dispatch", "rule.dispatch_rule_direct.pin", _pin("1234"))
    telnyx_subdomain = {**OUTBOUND, "address": "acme.sip.telnyx.com"}
    assert not component_refuses("outbound", "address", telnyx_subdomain)
    assert not pack_refuses("outbound", "address", telnyx_subdomain)
    assert list(REGISTRY.get("LKSOUT002").check(telnyx_subdomain, {}))


def _pin(pin: str) -> dict[str, Any]:
    return {**DISPATCH, "rule": {"dispatch_rule_direct": {"room_name": "lobby", "pin": pin}}}


# --- values the server refuses: durations, counters, codecs, room names, free text -------------

FULL_WIDTH_LETTERS = "\uff41\uff42\uff3a"  # full-width a, b, Z
#: Free text as people paste it (non-ASCII, full-width) and what cannot travel: NUL, a lone
#: surrogate.
free_text = st.one_of(
    st.sampled_from(["", "support", " ", "\u3000", "a\x00b", "\ud800", "caf\u00e9", "\x00"]),
    st.text(
        alphabet="ab -\n\t\u00e9\u4e2d\u3000\x00\ud800" + FULL_WIDTH_LETTERS + FULL_WIDTH_DIGITS,
        max_size=6,
    ),
)
#: Numbers as the engine sends them (floats), as programs write them (ints, strings, booleans)
#: and what no server takes (negative, huge, NaN, infinite).
NUMBER_EDGES: list[Any] = [
    0, 0.0, -0.0, 1, 1.5, 30, 600, 600.0, 600.5, 601, -1, -0.5, 86400 * 7, 86400 * 7 + 1,
    2**32 - 1, float(2**32 - 1), 2**32, 2**63, -(2**63), True, False, "30", "\uff13\uff10",
    float("nan"), float("inf"), float("-inf"), 1e300,
    # below a nanosecond (stored as 0, "not set"), and just enough
    1e-10, 4e-10, 5e-10, 5.000001e-10, 6e-10, 1e-9, 5e-324, -1e-10,
]  # fmt: skip
numbers_in = st.one_of(
    st.sampled_from(NUMBER_EDGES),
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-10, max_value=700),
)
codec_names = st.one_of(
    st.sampled_from(["PCMU", "opus", "G722", "", " ", "PCMU/8000", "G 722", "\uff30CMU", "a\x00"]),
    st.text(alphabet="PCMUopus/ \t\n\u00e9\uff30\x00\ud800", max_size=6),
)


def _kinds_with_media() -> list[str]:
    return ["inbound", "outbound", "dispatch"]


room_names = st.one_of(
    st.sampled_from(["lobby", "", " ", "\t", "\u3000", "\n", "\x85", "r\x00", "\ud800"]),
    st.text(alphabet="ab -\t\n\u3000\u200b\u00e9\uff41\x00\ud800", max_size=5),
)


@AGREEMENT
@given(room=room_names)
def test_direct_room_names_agree(room: str) -> None:
    field = "rule.dispatch_rule_direct.room_name"
    assert_agree("dispatch", field, {"rule": {"dispatch_rule_direct": {"room_name": room}}})


@pytest.mark.parametrize("kind", _kinds_with_media())
@AGREEMENT
@given(name=codec_names, rate=numbers_in)
def test_codecs_agree(kind: str, name: str, rate: Any) -> None:
    assert_agree(kind, "media.codecs[0].name", {"media": {"codecs": [{"name": name}]}})
    codec = {"name": "G722", "rate": rate}
    assert_agree(kind, "media.codecs[0].rate", {"media": {"codecs": [codec]}})


@pytest.mark.parametrize("kind", _kinds_with_media())
@AGREEMENT
@given(timeout=numbers_in)
def test_media_timeouts_agree(kind: str, timeout: Any) -> None:
    assert_agree(kind, "media.media_timeout", {"media": {"media_timeout": timeout}})


@pytest.mark.parametrize("field", ["ringing_timeout", "max_call_duration"])
@AGREEMENT
@given(seconds=numbers_in)
def test_call_durations_agree(field: str, seconds: Any) -> None:
    assert_agree("inbound", field, {field: seconds})


ROOM_COUNTERS = [
    "empty_timeout", "departure_timeout", "max_participants", "min_playout_delay",
    "max_playout_delay",
]  # fmt: skip


@pytest.mark.parametrize("field", ROOM_COUNTERS)
@AGREEMENT
@given(value=numbers_in)
def test_room_counters_agree(field: str, value: Any) -> None:
    room_config = {**DISPATCH["room_config"], field: value}
    assert_agree("dispatch", f"room_config.{field}", {"room_config": room_config})


#: Every free-text field of each kind (dotted paths, built into the props by :func:`_nested`).
FREE_TEXT_FIELDS = [
    ("inbound", "name"), ("inbound", "metadata"), ("inbound", "auth_realm"),
    ("outbound", "name"), ("outbound", "metadata"),
    ("dispatch", "name"), ("dispatch", "metadata"), ("dispatch", "room_preset"),
    ("dispatch", "rule.dispatch_rule_individual.room_prefix"),
    ("dispatch", "room_config.name"), ("dispatch", "room_config.metadata"),
    ("dispatch", "room_config.agents[0].metadata"),
]  # fmt: skip


def _nested(kind: str, field: str, value: Any) -> dict[str, Any]:
    """The changes that set ``field`` (a dotted path, ``agents[0]`` for the first agent)."""
    base = KINDS[kind][2]
    if field == "rule.dispatch_rule_individual.room_prefix":
        return {"rule": {"dispatch_rule_individual": {"room_prefix": value}}}
    if field.startswith("room_config.agents[0]."):
        agent = {"agent_name": "support-agent", field.rsplit(".", 1)[1]: value}
        return {"room_config": {**base["room_config"], "agents": [agent]}}
    if field.startswith("room_config."):
        return {"room_config": {**base["room_config"], field.split(".", 1)[1]: value}}
    return {field: value}


@pytest.mark.parametrize(("kind", "field"), FREE_TEXT_FIELDS)
@AGREEMENT
@given(value=free_text)
def test_free_text_agrees(kind: str, field: str, value: str) -> None:
    assert_agree(kind, field, _nested(kind, field, value))


#: Text where SIP puts it in a header line: CR/LF, other controls, DEL, tab (allowed).
header_line_text = st.one_of(
    free_text,
    st.sampled_from(["\r\nX-Evil: 1", "\n", "\r", "\x1b[31m", "\x7f", "\t", "\x0b", "\x85"]),
    st.text(alphabet="ab \t\r\n\x01\x7f\u00e9", max_size=5),
)  # fmt: skip


@pytest.mark.parametrize("kind", ["inbound", "outbound"])
@AGREEMENT
@given(username=header_line_text, password=header_line_text)
def test_credentials_text_agrees(kind: str, username: str, password: str) -> None:
    # Both or neither (LKSIN005/LKSOUT004), so the pair is always set or always empty.
    user, secret = ("u" + username, "p" + password)
    assert_agree(kind, "auth_username", {"auth_username": user, "auth_password": secret})
    assert_agree(kind, "auth_password", {"auth_username": user, "auth_password": secret})


@AGREEMENT
@given(realm=header_line_text)
def test_auth_realm_agrees(realm: str) -> None:
    assert_agree("inbound", "auth_realm", {"auth_realm": realm})


@pytest.mark.parametrize(
    ("field", "where"),
    [
        ("attributes", "attributes"),
        ("room_config.agents[0].attributes", "room_config.agents[0].attributes"),
    ],
)
@AGREEMENT
@given(key=free_text, value=free_text)
def test_attribute_maps_agree(field: str, where: str, key: str, value: str) -> None:
    assert_agree("dispatch", where, _nested("dispatch", field, {key: value}))


enum_names = st.one_of(
    st.sampled_from(
        ["SIP_MEDIA_ENCRYPT_ALLOW", "SIP_TRANSPORT_TLS", "SIP_X_HEADERS", "sip_transport_tls",
         "SIP_TRANSPORT_TLS ", "", "on", "\uff33IP_X_HEADERS", "SIP_ALL_HEADERS\x00", 1, 0.0]
    ),
    st.text(alphabet="SIP_TLSX\u00e9 ", max_size=5),
)  # fmt: skip
ENUM_FIELDS = [
    ("inbound", "media_encryption"), ("inbound", "include_headers"),
    ("outbound", "media_encryption"), ("outbound", "include_headers"), ("outbound", "transport"),
    ("dispatch", "media_encryption"),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "field"), ENUM_FIELDS)
@AGREEMENT
@given(name=enum_names)
def test_enum_names_agree(kind: str, field: str, name: Any) -> None:
    assert_agree(kind, field, {field: name})


@pytest.mark.parametrize("kind", ["inbound", "outbound", "dispatch"])
@AGREEMENT
@given(name=enum_names)
def test_media_encryption_names_agree(kind: str, name: Any) -> None:
    assert_agree(kind, "media.encryption", {"media": {"encryption": name}})


trunk_ids = st.one_of(
    st.sampled_from(
        ["ST_support", "ST_replace_me", "TK0123456789abcdef", "ST_", "st_abc", "ST_a b", "ST_a-b",
         "ST_abc\n", "ST_\u00e9", "ST_\uff41", "ST_\u0661", "ST_a\x00", "\ud800", ""]
    ),
    st.builds(lambda body: "ST_" + body, st.text(alphabet="aZ09_-. \u00e9\uff10", max_size=5)),
)  # fmt: skip


@AGREEMENT
@given(ids=st.lists(trunk_ids, min_size=1, max_size=3))
def test_trunk_ids_agree(ids: list[str]) -> None:
    assert_agree("dispatch", "trunk_ids", {"trunk_ids": ids})


def _repeated(entries: list[str], at: int) -> list[str]:
    """``entries`` with one of them listed again (the server's rule conflicts with itself)."""
    return [*entries, entries[at % len(entries)]]


@AGREEMENT
@given(ids=st.lists(trunk_ids, min_size=1, max_size=3), at=st.integers(0, 2))
def test_repeated_trunk_ids_agree(ids: list[str], at: int) -> None:
    assert_agree("dispatch", "trunk_ids", {"trunk_ids": _repeated(ids, at)})


@pytest.mark.parametrize("field", ["inbound_numbers", "numbers"])
@AGREEMENT
@given(numbers=st.lists(phone_numbers(), min_size=1, max_size=3), at=st.integers(0, 2))
def test_repeated_dispatch_numbers_agree(field: str, numbers: list[str], at: int) -> None:
    assert_agree("dispatch", field, {field: _repeated(numbers, at)})
