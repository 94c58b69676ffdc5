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
    assert outs["room_config"]["agents"] == [{"agent_name": "support-agent", "metadata": ""}]
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
