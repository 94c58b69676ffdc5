"""Spec tables: a known-good baseline per object, mutated one field per failing case."""

from __future__ import annotations

from typing import Any

import pytest
from livekit.protocol import sip as sip_pb
from livekit_sip_pulumi import (
    RoomAgentDispatchSpec,
    RoomConfigurationSpec,
    SipDispatchRuleIndividualSpec,
    SipDispatchRuleKindSpec,
    SipDispatchRuleSpec,
    SipInboundTrunkSpec,
    SipOutboundTrunkSpec,
    SpecError,
)
from livekit_sip_pulumi.specs import validate_spec

SECRET = "s3cret-Pa55word!"

OUTBOUND_OK: dict[str, Any] = {
    "name": "telnyx-out",
    "address": "sip.telnyx.com",
    "numbers": ["+15105550100"],
    "auth_username": "acme",
    "auth_password": SECRET,
    "destination_country": "us",
    "transport": "SIP_TRANSPORT_TLS",
}

DISPATCH_OK: dict[str, Any] = {
    "name": "support",
    "rule": {"dispatch_rule_individual": {"room_prefix": "call-"}},
    "trunk_ids": ["ST_abc123"],
    "room_config": {"agents": [{"agent_name": "support-agent"}]},
    "krisp_enabled": True,
}


def with_(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    values = dict(base)
    for key, value in changes.items():
        if value is ...:
            values.pop(key, None)
        else:
            values[key] = value
    return values


def problems(
    spec_class: Any, values: dict[str, Any], unknown: frozenset[str] = frozenset()
) -> list[tuple[str, str]]:
    with pytest.raises(SpecError) as info:
        validate_spec(spec_class, values, unknown)
    assert SECRET not in str(info.value)
    return info.value.problems


# --- outbound trunk -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "changes", "field", "fragment"),
    [
        ("fail_no_numbers", {"numbers": []}, "numbers", "at least one number"),
        ("fail_numbers_missing", {"numbers": ...}, "numbers", "at least one number"),
        ("fail_number_not_e164", {"numbers": ["15105550100"]}, "numbers[0]", "+15105550100"),
        ("fail_number_spaces", {"numbers": ["+1 510 555 0100"]}, "numbers[0]", "strict E.164"),
        ("fail_no_address", {"address": ""}, "address", "SIP host"),
        ("fail_address_missing", {"address": ...}, "address", "SIP host"),
        ("fail_address_sip_uri", {"address": "sip:sip.telnyx.com"}, "address", "SIP URI"),
        ("fail_address_sips_uri", {"address": "sips:sip.telnyx.com"}, "address", "SIP URI"),
        ("fail_address_user", {"address": "acme@sip.telnyx.com"}, "address", "'@'"),
        (
            "fail_address_params",
            {"address": "sip.telnyx.com;transport=tcp"},
            "address",
            "transport",
        ),
        ("fail_address_transport", {"address": "transport=tcp"}, "address", "transport"),
        ("fail_address_spaces", {"address": "sip telnyx com"}, "address", "host name"),
        ("fail_address_bad_port", {"address": "sip.telnyx.com:99999"}, "address", "port"),
        ("fail_from_host_uri", {"from_host": "sip:example.com"}, "from_host", "SIP URI"),
        ("fail_from_host_user", {"from_host": "a@example.com"}, "from_host", "'@'"),
        ("fail_country_uk", {"destination_country": "uk"}, "destination_country", "'gb'"),
        ("fail_country_upper", {"destination_country": "US"}, "destination_country", "'us'"),
        ("fail_country_long", {"destination_country": "usa"}, "destination_country", "two-letter"),
        ("fail_transport", {"transport": "TLS"}, "transport", "SIP_TRANSPORT_TLS"),
        ("fail_password_without_user", {"auth_username": ""}, "(resource)", "auth_username"),
        ("fail_user_without_password", {"auth_password": ""}, "(resource)", "auth_password"),
        ("fail_header_via", {"headers": {"Via": "x"}}, "headers", "managed by LiveKit"),
        ("fail_include_headers", {"include_headers": "ALL"}, "include_headers", "SIP_"),
        ("fail_media_encryption", {"media_encryption": "yes"}, "media_encryption", "SIP_MEDIA"),
        ("fail_unknown_field", {"adress": "x"}, "adress", "not a field"),
        (
            "fail_media_not_supported",
            {"allowed_addresses": ["1.2.3.4"]},
            "allowed_addresses",
            "not a field",
        ),
    ],
)
def test_outbound_rejects(case: str, changes: dict[str, Any], field: str, fragment: str) -> None:
    found = problems(SipOutboundTrunkSpec, with_(OUTBOUND_OK, **changes))
    assert any(f == field and fragment in m for f, m in found), (case, found)


@pytest.mark.parametrize(
    ("case", "changes"),
    [
        ("pass_baseline", {}),
        ("pass_wildcard_number", {"numbers": ["*"]}),
        ("pass_ip_address", {"address": "203.0.113.10"}),
        ("pass_host_port", {"address": "sip.telnyx.com:5061"}),
        ("pass_ipv6_port", {"address": "[2001:db8::1]:5060"}),
        ("pass_no_auth", {"auth_username": "", "auth_password": ""}),
        ("pass_from_host", {"from_host": "pbx.example.com"}),
        ("pass_no_country", {"destination_country": ...}),
        ("pass_headers", {"headers": {"X-Telnyx-Username": "acme"}}),
    ],
)
def test_outbound_accepts(case: str, changes: dict[str, Any]) -> None:
    validate_spec(SipOutboundTrunkSpec, with_(OUTBOUND_OK, **changes))


def test_outbound_unknown_fields_skip_required_checks() -> None:
    values = with_(OUTBOUND_OK, numbers=..., address=..., auth_password=...)
    validate_spec(SipOutboundTrunkSpec, values, frozenset({"numbers", "address", "auth_password"}))


def test_outbound_round_trip_through_proto() -> None:
    spec = validate_spec(SipOutboundTrunkSpec, OUTBOUND_OK)
    message = spec.to_proto()
    assert isinstance(message, sip_pb.SIPOutboundTrunkInfo)
    assert message.transport == sip_pb.SIP_TRANSPORT_TLS
    outs = SipOutboundTrunkSpec.outputs_from_proto(message)
    assert outs["transport"] == "SIP_TRANSPORT_TLS"
    assert outs["auth_password"] == SECRET
    assert set(outs) == set(SipOutboundTrunkSpec.model_fields)
    # The outputs validate back into the same spec (refresh, diff).
    assert validate_spec(SipOutboundTrunkSpec, outs).outputs() == outs


def test_outbound_repr_hides_password() -> None:
    spec = validate_spec(SipOutboundTrunkSpec, OUTBOUND_OK)
    assert SECRET not in repr(spec)
    assert SECRET not in str(spec)


# --- dispatch rule --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "changes", "field", "fragment"),
    [
        ("fail_no_rule", {"rule": ...}, "rule", "needs a rule"),
        ("fail_rule_none", {"rule": None}, "rule", "needs a rule"),
        ("fail_rule_empty", {"rule": {}}, "rule", "exactly one"),
        (
            "fail_rule_two_kinds",
            {"rule": {"dispatch_rule_individual": {}, "dispatch_rule_callee": {}}},
            "rule",
            "exactly one",
        ),
        (
            "fail_rule_unknown_kind",
            {"rule": {"dispatch_rule_random": {}}},
            "rule.dispatch_rule_random",
            "not a field",
        ),
        (
            "fail_rule_at_top_level",
            {"rule": ..., "dispatch_rule_individual": {}},
            "dispatch_rule_individual",
            "rule.dispatch_rule_individual",
        ),
        (
            "fail_direct_without_room",
            {"rule": {"dispatch_rule_direct": {"room_name": ""}}},
            "rule.dispatch_rule_direct.room_name",
            "room",
        ),
        (
            "fail_direct_room_missing",
            {"rule": {"dispatch_rule_direct": {"pin": "1234"}}},
            "rule.dispatch_rule_direct.room_name",
            "required",
        ),
        (
            "fail_pin_letters",
            {"rule": {"dispatch_rule_direct": {"room_name": "r", "pin": "12a"}}},
            "rule.dispatch_rule_direct.pin",
            "digits only",
        ),
        (
            "fail_pin_individual",
            {"rule": {"dispatch_rule_individual": {"pin": "#12"}}},
            "rule.dispatch_rule_individual.pin",
            "digits only",
        ),
        (
            "fail_pin_callee",
            {"rule": {"dispatch_rule_callee": {"pin": "one"}}},
            "rule.dispatch_rule_callee.pin",
            "digits only",
        ),
        ("fail_trunk_id_twilio_sid", {"trunk_ids": ["TK0123456789abcdef"]}, "trunk_ids[0]", "ST_"),
        (
            "fail_inbound_numbers",
            {"inbound_numbers": ["5105550100"]},
            "inbound_numbers[0]",
            "E.164",
        ),
        ("fail_numbers", {"numbers": ["+1 (510) 555-0100"]}, "numbers[0]", "+15105550100"),
        (
            "fail_agent_name_empty",
            {"room_config": {"agents": [{"agent_name": ""}]}},
            "room_config.agents[0].agent_name",
            "agent_name",
        ),
        (
            "fail_agent_name_missing",
            {"room_config": {"agents": [{"metadata": "x"}]}},
            "room_config.agents[0].agent_name",
            "required",
        ),
        (
            "fail_agents_at_top_level",
            {"agents": [{"agent_name": "a"}]},
            "agents",
            "room_config.agents",
        ),
        (
            "fail_agent_name_in_room_config",
            {"room_config": {"agent_name": "a"}},
            "room_config.agent_name",
            "room_config.agents[].agent_name",
        ),
        (
            "fail_negative_timeout",
            {"room_config": {"empty_timeout": -1}},
            "room_config.empty_timeout",
            "greater than or equal",
        ),
        (
            "fail_max_participants_text",
            {"room_config": {"max_participants": "many"}},
            "room_config.max_participants",
            "integer",
        ),
        ("fail_media_encryption", {"media_encryption": "on"}, "media_encryption", "SIP_MEDIA"),
        (
            "fail_direct_room_whitespace",
            {"rule": {"dispatch_rule_direct": {"room_name": " \t"}}},
            "rule.dispatch_rule_direct.room_name",
            "only whitespace",
        ),
        (
            "fail_direct_room_full_width_space",
            {"rule": {"dispatch_rule_direct": {"room_name": "\u3000"}}},
            "rule.dispatch_rule_direct.room_name",
            "only whitespace",
        ),
        (
            "fail_max_participants_over_uint32",
            {"room_config": {"max_participants": 2**32}},
            "room_config.max_participants",
            "4294967295",
        ),
        ("fail_room_config_nul", {"room_config": {"name": "r\x00"}}, "room_config.name", "NUL"),
        ("fail_room_preset_surrogate", {"room_preset": "\ud800"}, "room_preset", "surrogate"),
        (
            "fail_attribute_key_nul",
            {"attributes": {"k\x00": "v"}},
            "attributes.'k\\x00'.'[key]'",
            "NUL",
        ),
        ("fail_attributes_not_strings", {"attributes": {"a": ["b"]}}, "attributes.a", "string"),
    ],
)
def test_dispatch_rejects(case: str, changes: dict[str, Any], field: str, fragment: str) -> None:
    found = problems(SipDispatchRuleSpec, with_(DISPATCH_OK, **changes))
    assert any(f == field and fragment in m for f, m in found), (case, found)


@pytest.mark.parametrize(
    ("case", "changes"),
    [
        ("pass_baseline", {}),
        (
            "pass_direct_with_pin",
            {"rule": {"dispatch_rule_direct": {"room_name": "lobby", "pin": "1234"}}},
        ),
        (
            "pass_callee_randomize",
            {"rule": {"dispatch_rule_callee": {"room_prefix": "c-", "randomize": True}}},
        ),
        ("pass_individual_empty", {"rule": {"dispatch_rule_individual": {}}}),
        ("pass_wildcard_trunks", {"trunk_ids": []}),
        ("pass_no_room_config", {"room_config": ...}),
        (
            "pass_room_config_full",
            {
                "room_config": {
                    "name": "tmpl",
                    "empty_timeout": 30.0,
                    "departure_timeout": 20,
                    "max_participants": 3,
                    "metadata": "{}",
                    "agents": [{"agent_name": "a", "metadata": '{"k":1}'}],
                }
            },
        ),
        ("pass_numbers", {"numbers": ["+15105550100"], "inbound_numbers": ["+442071838750"]}),
        ("pass_hide_phone_number", {"hide_phone_number": True}),
        ("pass_room_preset", {"room_preset": "preset"}),
    ],
)
def test_dispatch_accepts(case: str, changes: dict[str, Any]) -> None:
    validate_spec(SipDispatchRuleSpec, with_(DISPATCH_OK, **changes))


def test_dispatch_accepts_typed_nested_models() -> None:
    spec = validate_spec(
        SipDispatchRuleSpec,
        {
            "rule": SipDispatchRuleKindSpec(
                dispatch_rule_individual=SipDispatchRuleIndividualSpec(room_prefix="call-")
            ),
            "room_config": RoomConfigurationSpec(
                agents=[RoomAgentDispatchSpec(agent_name="support-agent")]
            ),
        },
    )
    assert (
        spec.outputs()
        == validate_spec(
            SipDispatchRuleSpec, with_(DISPATCH_OK, name="", trunk_ids=[], krisp_enabled=False)
        ).outputs()
    )


def test_dispatch_unknown_rule_is_tolerated_at_preview() -> None:
    validate_spec(SipDispatchRuleSpec, with_(DISPATCH_OK, rule=...), frozenset({"rule"}))


def test_dispatch_outputs_are_plain_protocol_shapes() -> None:
    outs = validate_spec(SipDispatchRuleSpec, DISPATCH_OK).outputs()
    assert outs["rule"] == {
        "dispatch_rule_individual": {"room_prefix": "call-", "pin": "", "no_randomness": False}
    }
    assert outs["room_config"]["agents"] == [
        {"agent_name": "support-agent", "metadata": "", "attributes": {}}
    ]
    assert outs["media_encryption"] == "SIP_MEDIA_ENCRYPT_DISABLE"
    assert set(outs) == set(SipDispatchRuleSpec.model_fields)
    assert validate_spec(SipDispatchRuleSpec, outs).outputs() == outs


def test_dispatch_empty_room_config_is_no_room_config() -> None:
    outs = validate_spec(SipDispatchRuleSpec, with_(DISPATCH_OK, room_config={})).outputs()
    assert outs["room_config"] is None


def test_dispatch_to_proto_sets_the_oneof() -> None:
    message = validate_spec(
        SipDispatchRuleSpec,
        with_(DISPATCH_OK, rule={"dispatch_rule_callee": {"room_prefix": "c", "randomize": True}}),
    ).to_proto()
    assert message.rule.WhichOneof("rule") == "dispatch_rule_callee"
    assert message.rule.dispatch_rule_callee.randomize is True
    assert message.room_config.agents[0].agent_name == "support-agent"


# --- media (all three objects) ----------------------------------------------------------------

MEDIA_SPECS = [
    (SipOutboundTrunkSpec, OUTBOUND_OK),
    (SipDispatchRuleSpec, DISPATCH_OK),
    (SipInboundTrunkSpec, {"numbers": ["+15105550100"]}),
]


@pytest.mark.parametrize(("spec_class", "base"), MEDIA_SPECS)
@pytest.mark.parametrize(
    ("case", "media", "field", "fragment"),
    [
        ("fail_codec_no_name", {"codecs": [{"name": ""}]}, "media.codecs[0].name", "needs a name"),
        ("fail_codec_space", {"codecs": [{"name": "G 722"}]}, "media.codecs[0].name", "whitespace"),
        ("fail_codec_slash", {"codecs": [{"name": "PCMU/8000"}]}, "media.codecs[0].name", "rate"),
        ("fail_timeout_too_long", {"media_timeout": 601}, "media.media_timeout", "600"),
        ("fail_timeout_negative", {"media_timeout": -1}, "media.media_timeout", "0"),
        ("fail_timeout_nan", {"media_timeout": float("nan")}, "media.media_timeout", "finite"),
        ("fail_timeout_text", {"media_timeout": "30"}, "media.media_timeout", "not str"),
        (
            "fail_codec_rate_fraction",
            {"codecs": [{"name": "G722", "rate": 1.5}]},
            "media.codecs[0].rate",
            "whole number",
        ),
        (
            "fail_codec_rate_negative",
            {"codecs": [{"name": "G722", "rate": -8000}]},
            "media.codecs[0].rate",
            "greater than or equal to 0",
        ),
        ("fail_codec_name_nul", {"codecs": [{"name": "G722\x00"}]}, "media.codecs[0].name", "NUL"),
        ("fail_encryption", {"encryption": "on"}, "media.encryption", "SIP_MEDIA"),
        ("fail_unknown_key", {"codec": ["PCMU"]}, "media.codec", "not a field"),
    ],
)
def test_media_rejects(
    spec_class: Any,
    base: dict[str, Any],
    case: str,
    media: dict[str, Any],
    field: str,
    fragment: str,
) -> None:
    found = problems(spec_class, with_(base, media=media))
    assert any(f == field and fragment in m for f, m in found), (case, found)


@pytest.mark.parametrize(("spec_class", "base"), MEDIA_SPECS)
def test_media_outputs(spec_class: Any, base: dict[str, Any]) -> None:
    media = {
        "codecs": [{"name": "PCMU"}, {"name": "opus", "rate": 48000}],
        "only_listed_codecs": True,
        "media_timeout": 30.0,
    }
    outs = validate_spec(spec_class, with_(base, media=media)).outputs()
    assert outs["media"] == {
        "only_listed_codecs": True,
        "codecs": [{"name": "PCMU", "rate": 0}, {"name": "opus", "rate": 48000}],
        "encryption": None,
        "media_timeout": 30.0,
    }
    assert validate_spec(spec_class, outs).outputs() == outs


@pytest.mark.parametrize(("spec_class", "base"), MEDIA_SPECS)
def test_media_empty_is_no_media(spec_class: Any, base: dict[str, Any]) -> None:
    assert validate_spec(spec_class, with_(base, media={})).outputs()["media"] is None
    assert validate_spec(spec_class, base).outputs()["media"] is None


@pytest.mark.parametrize(("spec_class", "base"), MEDIA_SPECS)
def test_media_encryption_folds_into_media(spec_class: Any, base: dict[str, Any]) -> None:
    # The server copies media_encryption into an unset media.encryption (dispatch rules on
    # create): both forms must give the same outputs, or every refresh would show a diff.
    declared = validate_spec(
        spec_class, with_(base, media_encryption="SIP_MEDIA_ENCRYPT_REQUIRE")
    ).outputs()
    assert declared["media"] == {
        "only_listed_codecs": False,
        "codecs": [],
        "encryption": "SIP_MEDIA_ENCRYPT_REQUIRE",
        "media_timeout": None,
    }
    server = validate_spec(
        spec_class,
        with_(
            base,
            media_encryption="SIP_MEDIA_ENCRYPT_REQUIRE",
            media={"encryption": "SIP_MEDIA_ENCRYPT_REQUIRE"},
        ),
    ).outputs()
    assert server == declared
    explicit = validate_spec(
        spec_class,
        with_(
            base,
            media_encryption="SIP_MEDIA_ENCRYPT_REQUIRE",
            media={"encryption": "SIP_MEDIA_ENCRYPT_ALLOW"},
        ),
    ).outputs()
    assert explicit["media"]["encryption"] == "SIP_MEDIA_ENCRYPT_ALLOW"


# --- strict input: regression rows, matched on the error type ----------------------------------

INBOUND_OK: dict[str, Any] = {"numbers": ["+15105550100"]}
FULL_WIDTH = "\uff0b\uff11\uff15\uff11\uff10\uff15\uff15\uff15\uff10\uff11\uff10\uff10"  # +1510...
ARABIC_INDIC = "\u0661\u0662\u0663\u0664"  # 1234


def codes(
    spec_class: Any, values: dict[str, Any], unknown: frozenset[str] = frozenset()
) -> list[tuple[str, str]]:
    with pytest.raises(SpecError) as info:
        validate_spec(spec_class, values, unknown)
    assert SECRET not in str(info.value)
    return [(p.field, p.code) for p in info.value.details]


STRICT_REJECTS = [
    # (case, spec class, base, changes, field, error type)
    ("header_value_crlf", SipOutboundTrunkSpec, OUTBOUND_OK,
     {"headers": {"X-A": "a\r\nVia: evil"}}, "headers", "header_value"),
    ("header_value_nul_byte", SipInboundTrunkSpec, INBOUND_OK,
     {"headers": {"X-A": "a\x00b"}}, "headers.X-A", "string_nul"),
    ("header_value_del", SipInboundTrunkSpec, INBOUND_OK,
     {"headers": {"X-A": "a\x7fb"}}, "headers", "header_value"),
    ("header_value_1025_bytes", SipInboundTrunkSpec, INBOUND_OK,
     {"headers": {"X-A": "a" * 1025}}, "headers", "header_value_length"),
    ("header_value_utf8_bytes", SipInboundTrunkSpec, INBOUND_OK,
     {"headers": {"X-A": "\u00e9" * 513}}, "headers", "header_value_length"),
    ("header_name_hash", SipInboundTrunkSpec, INBOUND_OK,
     {"headers": {"X#A": "a"}}, "headers", "header_name"),
    ("header_name_trailing_newline", SipInboundTrunkSpec, INBOUND_OK,
     {"headers": {"X-A\n": "a"}}, "headers", "header_name"),
    ("header_reserved_contact", SipInboundTrunkSpec, INBOUND_OK,
     {"headers": {"Contact": "a"}}, "headers", "header_reserved"),
    ("header_reserved_short_form", SipInboundTrunkSpec, INBOUND_OK,
     {"headers": {"v": "a"}}, "headers", "header_reserved"),
    ("h2a_key_crlf", SipOutboundTrunkSpec, OUTBOUND_OK,
     {"headers_to_attributes": {"X-A\r\n": "a"}}, "headers_to_attributes", "header_name"),
    ("h2a_value_empty", SipInboundTrunkSpec, INBOUND_OK,
     {"headers_to_attributes": {"X-A": ""}}, "headers_to_attributes", "attribute_name"),
    ("a2h_value_space", SipInboundTrunkSpec, INBOUND_OK,
     {"attributes_to_headers": {"a": "X A"}}, "attributes_to_headers", "header_name"),
    ("address_unclosed_ipv6", SipOutboundTrunkSpec, OUTBOUND_OK,
     {"address": "[2001:db8::1"}, "address", "sip_host_bracket"),
    ("address_ipv4_in_brackets", SipOutboundTrunkSpec, OUTBOUND_OK,
     {"address": "[10.0.0.1]"}, "address", "sip_host_bracket"),
    ("address_text_after_bracket", SipOutboundTrunkSpec, OUTBOUND_OK,
     {"address": "[2001:db8::1]x"}, "address", "sip_host_bracket"),
    ("address_empty_port", SipOutboundTrunkSpec, OUTBOUND_OK,
     {"address": "sip.telnyx.com:"}, "address", "sip_host_port"),
    ("address_ipv6_empty_port", SipOutboundTrunkSpec, OUTBOUND_OK,
     {"address": "[2001:db8::1]:"}, "address", "sip_host_port"),
    ("address_port_zero", SipOutboundTrunkSpec, OUTBOUND_OK,
     {"address": "sip.telnyx.com:0"}, "address", "sip_host_port"),
    ("address_port_full_width", SipOutboundTrunkSpec, OUTBOUND_OK,
     {"address": "sip.telnyx.com:\uff15\uff10\uff16\uff10"}, "address", "sip_host_port"),
    ("address_trailing_newline", SipOutboundTrunkSpec, OUTBOUND_OK,
     {"address": "sip.telnyx.com\n"}, "address", "sip_host_name"),
    ("pin_superscript", SipDispatchRuleSpec, DISPATCH_OK,
     {"rule": {"dispatch_rule_direct": {"room_name": "r", "pin": "\u00b2\u00b3"}}},
     "rule.dispatch_rule_direct.pin", "pin_digits"),
    ("pin_arabic_indic", SipDispatchRuleSpec, DISPATCH_OK,
     {"rule": {"dispatch_rule_individual": {"pin": ARABIC_INDIC}}},
     "rule.dispatch_rule_individual.pin", "pin_digits"),
    ("pin_trailing_newline", SipDispatchRuleSpec, DISPATCH_OK,
     {"rule": {"dispatch_rule_callee": {"pin": "1234\n"}}},
     "rule.dispatch_rule_callee.pin", "pin_digits"),
    ("krisp_yes", SipInboundTrunkSpec, INBOUND_OK, {"krisp_enabled": "yes"}, "krisp_enabled",
     "bool_type"),
    ("krisp_one", SipDispatchRuleSpec, DISPATCH_OK, {"krisp_enabled": 1}, "krisp_enabled",
     "bool_type"),
    ("ringing_timeout_true", SipInboundTrunkSpec, INBOUND_OK, {"ringing_timeout": True},
     "ringing_timeout", "number_type"),
    ("ringing_timeout_text", SipInboundTrunkSpec, INBOUND_OK, {"ringing_timeout": "30"},
     "ringing_timeout", "float_type"),
    ("ringing_timeout_nan", SipInboundTrunkSpec, INBOUND_OK, {"ringing_timeout": float("nan")},
     "ringing_timeout", "finite_number"),
    ("max_call_duration_huge", SipInboundTrunkSpec, INBOUND_OK, {"max_call_duration": 1e12},
     "max_call_duration", "less_than_equal"),
    ("empty_timeout_true", SipDispatchRuleSpec, DISPATCH_OK,
     {"room_config": {"empty_timeout": True}}, "room_config.empty_timeout", "number_type"),
    ("ringing_timeout_negative", SipInboundTrunkSpec, INBOUND_OK, {"ringing_timeout": -1},
     "ringing_timeout", "greater_than_equal"),
    ("ringing_timeout_infinite", SipInboundTrunkSpec, INBOUND_OK,
     {"ringing_timeout": float("inf")}, "ringing_timeout", "finite_number"),
    ("max_call_duration_bool", SipInboundTrunkSpec, INBOUND_OK, {"max_call_duration": False},
     "max_call_duration", "number_type"),
    ("empty_timeout_fraction", SipDispatchRuleSpec, DISPATCH_OK,
     {"room_config": {"empty_timeout": 1.5}}, "room_config.empty_timeout", "int_type"),
    ("numbers_string", SipInboundTrunkSpec, INBOUND_OK, {"numbers": "+15105550100"}, "numbers",
     "list_type"),
    ("numbers_set", SipInboundTrunkSpec, INBOUND_OK, {"numbers": {"+15105550100"}}, "numbers",
     "list_type"),
    ("number_full_width", SipInboundTrunkSpec, INBOUND_OK, {"numbers": [FULL_WIDTH]},
     "numbers[0]", "e164_plus"),
    ("number_arabic_indic", SipInboundTrunkSpec, INBOUND_OK,
     {"numbers": ["+1\u0665\u0661\u0660\u0665\u0665\u0665\u0660\u0661\u0660\u0660"]},
     "numbers[0]", "e164_not_strict"),
    ("number_integer", SipInboundTrunkSpec, INBOUND_OK, {"numbers": [15105550100]}, "numbers[0]",
     "string_type"),
    ("metadata_lone_surrogate", SipInboundTrunkSpec, INBOUND_OK, {"metadata": "a\udc80"},
     "metadata", "string_unencodable"),
    ("name_nul", SipOutboundTrunkSpec, OUTBOUND_OK, {"name": "a\x00"}, "name", "string_nul"),
    ("name_number", SipOutboundTrunkSpec, OUTBOUND_OK, {"name": 5}, "name", "string_type"),
    ("password_nul", SipOutboundTrunkSpec, OUTBOUND_OK, {"auth_password": SECRET + "\x00"},
     "auth_password", "string_unencodable"),
    ("country_trailing_newline", SipOutboundTrunkSpec, OUTBOUND_OK,
     {"destination_country": "us\n"}, "destination_country", "country_code"),
    # Regressions (agreement with LKSOUT006): only the codes LiveKit pins calls to, one table.
    ("country_unsupported", SipOutboundTrunkSpec, OUTBOUND_OK,
     {"destination_country": "nl"}, "destination_country", "country_code"),
    ("country_not_a_code", SipOutboundTrunkSpec, OUTBOUND_OK,
     {"destination_country": "xx"}, "destination_country", "country_code"),
    ("country_full_width", SipOutboundTrunkSpec, OUTBOUND_OK,
     {"destination_country": "\uff55\uff53"}, "destination_country", "country_code"),
    ("pin_full_width", SipDispatchRuleSpec, DISPATCH_OK,
     {"rule": {"dispatch_rule_direct": {"room_name": "r", "pin": "\uff11\uff12"}}},
     "rule.dispatch_rule_direct.pin", "pin_digits"),
    ("address_port_arabic_indic", SipOutboundTrunkSpec, OUTBOUND_OK,
     {"address": "sip.telnyx.com:\u0665\u0660\u0666\u0660"}, "address", "sip_host_port"),
    ("attribute_name_blank", SipInboundTrunkSpec, INBOUND_OK,
     {"headers_to_attributes": {"X-Customer-Id": " "}}, "headers_to_attributes",
     "attribute_name"),
    ("trunk_id_prefix_only", SipDispatchRuleSpec, DISPATCH_OK, {"trunk_ids": ["ST_"]},
     "trunk_ids[0]", "trunk_id"),
    ("trunk_id_newline", SipDispatchRuleSpec, DISPATCH_OK, {"trunk_ids": ["ST_abc\n"]},
     "trunk_ids[0]", "trunk_id"),
    ("attributes_value_number", SipDispatchRuleSpec, DISPATCH_OK, {"attributes": {"a": 1}},
     "attributes.a", "string_type"),
    ("room_config_string", SipDispatchRuleSpec, DISPATCH_OK, {"room_config": "big"},
     "room_config", "model_type"),
    ("media_timeout_true", SipInboundTrunkSpec, INBOUND_OK, {"media": {"media_timeout": True}},
     "media.media_timeout", "number_type"),
    ("two_rule_kinds", SipDispatchRuleSpec, DISPATCH_OK,
     {"rule": {"dispatch_rule_individual": {}, "dispatch_rule_callee": {}}}, "rule", "rule_kind"),
    ("open_inbound_trunk", SipInboundTrunkSpec, {}, {"name": "x"}, "(resource)", "inbound_open"),
    ("user_without_password", SipOutboundTrunkSpec, OUTBOUND_OK, {"auth_password": ""},
     "(resource)", "auth_pair"),
    # values the server reads differently from what they seem to say
    ("address_leading_zero_prefix", SipInboundTrunkSpec, INBOUND_OK,
     {"allowed_addresses": ["1.2.3.4/08"]}, "allowed_addresses[0]", "ip_or_cidr_form"),
    ("address_netmask", SipInboundTrunkSpec, INBOUND_OK,
     {"allowed_addresses": ["1.2.3.4/255.0.0.0"]}, "allowed_addresses[0]", "ip_or_cidr_form"),
    ("address_ipv4_mapped", SipInboundTrunkSpec, INBOUND_OK,
     {"allowed_addresses": ["::ffff:1.2.3.4"]}, "allowed_addresses[0]", "ip_or_cidr_form"),
    ("address_zoned_range", SipInboundTrunkSpec, INBOUND_OK,
     {"allowed_addresses": ["fe80::1%eth0/64"]}, "allowed_addresses[0]", "ip_or_cidr_form"),
    ("trunk_ids_twice", SipDispatchRuleSpec, DISPATCH_OK, {"trunk_ids": ["ST_a", "ST_b", "ST_a"]},
     "trunk_ids", "repeated_entry"),
    ("numbers_twice", SipDispatchRuleSpec, DISPATCH_OK,
     {"numbers": ["+15105550100", "+15105550100"]}, "numbers", "repeated_entry"),
    ("inbound_numbers_twice", SipDispatchRuleSpec, DISPATCH_OK,
     {"inbound_numbers": ["+15105550100", "+15105550100"]}, "inbound_numbers", "repeated_entry"),
    ("ringing_timeout_below_a_nanosecond", SipInboundTrunkSpec, INBOUND_OK,
     {"ringing_timeout": 1e-10}, "ringing_timeout", "duration_too_short"),
    ("media_timeout_below_a_nanosecond", SipOutboundTrunkSpec, OUTBOUND_OK,
     {"media": {"media_timeout": 4e-10}}, "media.media_timeout", "duration_too_short"),
    # CR/LF and invisible characters where SIP puts them in headers
    ("username_crlf", SipInboundTrunkSpec, INBOUND_OK,
     {"auth_username": "u\r\nX: 1", "auth_password": SECRET}, "auth_username", "digest_text"),
    ("realm_lf", SipInboundTrunkSpec, INBOUND_OK, {"auth_realm": "realm\n"}, "auth_realm",
     "digest_text"),
    ("password_newline", SipOutboundTrunkSpec, OUTBOUND_OK, {"auth_password": SECRET + "\n"},
     "auth_password", "digest_text"),
    ("agent_name_newline", SipDispatchRuleSpec, DISPATCH_OK,
     {"room_config": {"agents": [{"agent_name": "agent\n"}]}},
     "room_config.agents[0].agent_name", "agent_name"),
    ("agent_name_zero_width_space", SipDispatchRuleSpec, DISPATCH_OK,
     {"room_config": {"agents": [{"agent_name": "\u200b"}]}},
     "room_config.agents[0].agent_name", "agent_name"),
    ("agent_name_trailing_space", SipDispatchRuleSpec, DISPATCH_OK,
     {"room_config": {"agents": [{"agent_name": "agent "}]}},
     "room_config.agents[0].agent_name", "agent_name"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "spec_class", "base", "changes", "field", "code"),
    STRICT_REJECTS,
    ids=[row[0] for row in STRICT_REJECTS],
)
def test_strict_rejects(
    case: str, spec_class: Any, base: dict[str, Any], changes: dict[str, Any], field: str, code: str
) -> None:
    assert (field, code) in codes(spec_class, with_(base, **changes)), case


@pytest.mark.parametrize(
    ("spec_class", "base", "changes"),
    [
        (SipOutboundTrunkSpec, OUTBOUND_OK, {"headers": {"X-A": "caf\u00e9\tau lait"}}),
        (SipOutboundTrunkSpec, OUTBOUND_OK, {"headers": {"X-A": "a" * 1024}}),
        (SipOutboundTrunkSpec, OUTBOUND_OK, {"headers": {"P-Asserted-Identity": "<sip:a@b>"}}),
        (SipOutboundTrunkSpec, OUTBOUND_OK, {"headers": {"X-A": ""}}),
        # restricted names apply to headers only (ValidateHeaderName(name, false) for the maps)
        (SipInboundTrunkSpec, INBOUND_OK, {"headers_to_attributes": {"Contact": "contact"}}),
        (SipInboundTrunkSpec, INBOUND_OK, {"attributes_to_headers": {"a.b": "X-A"}}),
        (SipOutboundTrunkSpec, OUTBOUND_OK, {"address": "[2001:db8::1]"}),
        (SipOutboundTrunkSpec, OUTBOUND_OK, {"address": "2001:db8::1"}),
        (SipOutboundTrunkSpec, OUTBOUND_OK, {"address": "sip.telnyx.com.:65535"}),
        (SipInboundTrunkSpec, INBOUND_OK, {"ringing_timeout": 30}),
        (SipInboundTrunkSpec, INBOUND_OK, {"metadata": '{"a": "\u00e9\n"}'}),
        (SipDispatchRuleSpec, DISPATCH_OK, {"room_config": {"empty_timeout": 30.0}}),
        (SipDispatchRuleSpec, DISPATCH_OK, {"rule": {"dispatch_rule_individual": {"pin": "0"}}}),
    ],
)
def test_strict_accepts(spec_class: Any, base: dict[str, Any], changes: dict[str, Any]) -> None:
    validate_spec(spec_class, with_(base, **changes))


def test_full_width_number_hint_is_ascii() -> None:
    with pytest.raises(SpecError) as info:
        validate_spec(SipInboundTrunkSpec, {"numbers": [FULL_WIDTH]})
    assert "did you mean '+15105550100'?" in info.value.problems[0][1]


def test_arabic_indic_number_hint_is_ascii() -> None:
    with pytest.raises(SpecError) as info:
        validate_spec(SipInboundTrunkSpec, {"numbers": ["\u0661" * 3 + "5105550100"]})
    assert "did you mean '+1115105550100'?" in info.value.problems[0][1]


def test_long_values_are_quoted_cut_and_escaped() -> None:
    bad = "x\r\n" * 10_000
    with pytest.raises(SpecError) as info:
        validate_spec(SipOutboundTrunkSpec, with_(OUTBOUND_OK, address=bad))
    message = info.value.problems[0][1]
    assert len(message) < 400
    assert "\\r\\n" in message and "\r" not in message and "(cut)" in message


def test_header_map_reports_only_a_few_bad_entries() -> None:
    headers = {f"X-H{i}": "bad\n" for i in range(1000)}
    with pytest.raises(SpecError) as info:
        validate_spec(SipInboundTrunkSpec, with_(INBOUND_OK, headers=headers))
    [(field, message)] = info.value.problems
    assert field == "headers" and "and 995 more" in message and len(message) < 1500


def test_type_errors_name_the_type_never_the_value() -> None:
    found = problems(SipOutboundTrunkSpec, with_(OUTBOUND_OK, auth_password=12345678))
    assert ("auth_password", "Input should be a valid string") not in found
    assert "12345678" not in str(found)


def test_list_type_hint_for_a_single_string() -> None:
    [(field, message)] = problems(SipInboundTrunkSpec, {"numbers": "+15105550100"})
    assert field == "numbers" and "not a list of one" in message


# --- ringing_timeout_status (livekit-server v1.13.11's protocol, livekit-protocol's too) -----

INBOUND_OK: dict[str, Any] = {"numbers": ["+15105550100"], "allowed_addresses": ["203.0.113.7"]}


@pytest.mark.parametrize(
    "status",
    ["SIP_STATUS_BUSY_HERE", "SIP_STATUS_TEMPORARILY_UNAVAILABLE", "SIP_STATUS_GLOBAL_DECLINE"],
)
def test_ringing_timeout_status_takes_a_final_failure_status(status: str) -> None:
    spec = validate_spec(SipInboundTrunkSpec, {**INBOUND_OK, "ringing_timeout_status": status})
    assert spec.to_proto().ringing_timeout_status == sip_pb.SIPStatusCode.Value(status)
    assert spec.outputs()["ringing_timeout_status"] == status


def test_ringing_timeout_status_defaults_to_the_servers_choice() -> None:
    spec = validate_spec(SipInboundTrunkSpec, INBOUND_OK)
    assert spec.ringing_timeout_status == "SIP_STATUS_UNKNOWN"
    assert spec.to_proto().ringing_timeout_status == 0


@pytest.mark.parametrize("status", ["SIP_STATUS_OK", "SIP_STATUS_RINGING", "BUSY", "486"])
def test_ringing_timeout_status_refuses_what_the_server_refuses(status: str) -> None:
    # protocol v1.53 SIPInboundTrunkInfo.ValidateResult: "ringing timeout status must be
    # 4xx-6xx"; a name outside the enum cannot be sent at all.
    with pytest.raises(SpecError) as caught:
        validate_spec(SipInboundTrunkSpec, {**INBOUND_OK, "ringing_timeout_status": status})
    text = str(caught.value)
    assert "ringing_timeout_status" in text and "4xx-6xx" in text and "SIP_STATUS_BUSY_HERE" in text
