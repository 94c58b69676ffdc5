"""The protocol fields: conversions to and from LiveKit's messages, held to a golden record.

``fields_golden.json`` records, for a set of declarations and of messages as the server returns
them, the message of ``to_proto`` and the outputs of ``outputs_from_proto``: the outputs are
the state of every existing stack, so a change there shows up as a diff on every ``pulumi up``.
Exposing a new protocol field adds its key here on purpose: regenerate the record with
``python -m tests.components.test_fields`` and review its diff.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import json_format
from livekit.protocol import sip as sip_pb
from livekit_sip_pulumi.specs import (
    SipDispatchRuleSpec,
    SipInboundTrunkSpec,
    SipOutboundTrunkSpec,
    SipSpec,
    validate_spec,
)

GOLDEN = Path(__file__).parent / "data" / "fields_golden.json"
SPECS: dict[str, type[SipSpec]] = {
    "inbound": SipInboundTrunkSpec,
    "outbound": SipOutboundTrunkSpec,
    "dispatch": SipDispatchRuleSpec,
}
MESSAGES = {
    "inbound": sip_pb.SIPInboundTrunkInfo,
    "outbound": sip_pb.SIPOutboundTrunkInfo,
    "dispatch": sip_pb.SIPDispatchRuleInfo,
}

MEDIA = {
    "only_listed_codecs": True,
    "codecs": [{"name": "PCMU"}, {"name": "opus", "rate": 48000}],
    "encryption": "SIP_MEDIA_ENCRYPT_ALLOW",
    "media_timeout": 12.25,
}
HEADERS = {
    "headers": {"X-Customer": "acme"},
    "headers_to_attributes": {"X-Account": "account"},
    "attributes_to_headers": {"ticket": "X-Ticket"},
    "include_headers": "SIP_X_HEADERS",
}

#: Declarations (spec inputs), by kind: each goes through to_proto and outputs().
DECLARED: dict[str, dict[str, dict[str, Any]]] = {
    "inbound": {
        "minimal": {"numbers": ["+15105550100"]},
        "everything": {
            "name": "in",
            "metadata": "m",
            "numbers": ["+15105550100", "+15105550101"],
            "allowed_addresses": ["203.0.113.0/24"],
            "allowed_numbers": ["+442071838750"],
            "auth_username": "user",
            "auth_password": "s3cret",
            "auth_realm": "realm",
            **HEADERS,
            "ringing_timeout": 1.5,
            "max_call_duration": 3600,
            "krisp_enabled": True,
            "media_encryption": "SIP_MEDIA_ENCRYPT_REQUIRE",
            "media": MEDIA,
        },
        "encryption_folded": {
            "numbers": ["+15105550100"],
            "media_encryption": "SIP_MEDIA_ENCRYPT_ALLOW",
        },
        "empty_media": {"numbers": ["+15105550100"], "media": {}},
        "zero_timeouts": {
            "numbers": ["+15105550100"],
            "ringing_timeout": 0,
            "max_call_duration": 0.000000001,
            "media": {"media_timeout": 0, "encryption": "SIP_MEDIA_ENCRYPT_DISABLE"},
        },
    },
    "outbound": {
        "minimal": {"address": "sip.example.com", "numbers": ["*"]},
        "everything": {
            "name": "out",
            "metadata": "m",
            "address": "sip.example.com:5061",
            "destination_country": "in",
            "transport": "SIP_TRANSPORT_TLS",
            "numbers": ["+15105550100"],
            "auth_username": "user",
            "auth_password": "s3cret",
            **HEADERS,
            "media_encryption": "SIP_MEDIA_ENCRYPT_ALLOW",
            "media": {"codecs": [{"name": "G722", "rate": 16000}]},
            "from_host": "pbx.example.com",
        },
    },
    "dispatch": {
        "individual": {"rule": {"dispatch_rule_individual": {"room_prefix": "call-"}}},
        "direct": {
            "rule": {"dispatch_rule_direct": {"room_name": "lobby", "pin": "1234"}},
            "trunk_ids": ["ST_abc", "ST_def"],
            "hide_phone_number": True,
            "inbound_numbers": ["+15105550100"],
            "numbers": ["+15105550101"],
            "name": "rule",
            "metadata": "m",
            "attributes": {"team": "support"},
            "room_preset": "preset",
            "room_config": {
                "name": "room",
                "empty_timeout": 30,
                "departure_timeout": 20,
                "max_participants": 3,
                "metadata": "rm",
                "min_playout_delay": 1,
                "max_playout_delay": 2,
                "sync_streams": True,
                "agents": [
                    {"agent_name": "a", "metadata": "x", "attributes": {"k": "v"}},
                    {"agent_name": "b"},
                ],
            },
            "krisp_enabled": True,
            "media_encryption": "SIP_MEDIA_ENCRYPT_REQUIRE",
            "media": MEDIA,
        },
        "callee": {
            "rule": {"dispatch_rule_callee": {"room_prefix": "c-", "randomize": True}},
            "room_config": {},
        },
        "individual_no_randomness": {
            "rule": {"dispatch_rule_individual": {"pin": "9", "no_randomness": True}},
            "media": {"only_listed_codecs": True},
        },
    },
}

#: Messages as the server may return them (shapes a declaration does not produce), in the
#: protocol's JSON form.
RETURNED: dict[str, dict[str, dict[str, Any]]] = {
    "inbound": {
        "server_fields": {
            "sip_trunk_id": "ST_x",
            "numbers": ["+1"],
            "created_at": "2026-01-01T00:00:00Z",
            "ringing_timeout_status": "SIP_STATUS_BUSY_HERE",
        },
        "media_encryption_and_empty_media": {
            "media_encryption": "SIP_MEDIA_ENCRYPT_REQUIRE",
            "media": {},
        },
        "both_encryptions": {
            "media_encryption": "SIP_MEDIA_ENCRYPT_REQUIRE",
            "media": {"encryption": "SIP_MEDIA_ENCRYPT_ALLOW"},
        },
    },
    "outbound": {
        "empty": {},
        "server_fields": {"sip_trunk_id": "ST_y", "updated_at": "2026-01-01T00:00:00Z"},
    },
    "dispatch": {
        "empty": {},
        "rule_without_kind": {"rule": {}},
        "nested_unmodelled": {
            "rule": {"dispatch_rule_direct": {"room_name": "r"}},
            "room_config": {
                "tags": {"a": "b"},
                "agents": [{"agent_name": "a", "deployment": "prod", "attributes": {"k": "v"}}],
            },
        },
        "only_unmodelled_room_config": {"room_config": {"egress": {"room": {}}}},
    },
}


def record() -> dict[str, Any]:
    """What the code does today, in the golden file's shape."""
    golden: dict[str, Any] = {}
    for kind, spec_class in SPECS.items():
        for case, values in DECLARED[kind].items():
            spec = validate_spec(spec_class, values)
            golden[f"{kind}/declared/{case}"] = {
                "proto": json_format.MessageToDict(
                    spec.to_proto(), preserving_proto_field_name=True
                ),
                "outputs": spec.outputs(),
            }
        for case, data in RETURNED[kind].items():
            message = json_format.ParseDict(data, MESSAGES[kind]())
            golden[f"{kind}/returned/{case}"] = {"outputs": spec_class.outputs_from_proto(message)}
    return golden


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, indent=1)


def test_golden_covers_every_case() -> None:
    assert sorted(json.loads(GOLDEN.read_text())) == CASES


CASES = sorted(
    [f"{kind}/declared/{case}" for kind in SPECS for case in DECLARED[kind]]
    + [f"{kind}/returned/{case}" for kind in SPECS for case in RETURNED[kind]]
)


@pytest.mark.parametrize("key", CASES)
def test_conversions_match_the_golden_record(key: str) -> None:
    # Key sets, value types (float vs int, None vs missing) and enum names are all compared:
    # json.dumps tells 1 from 1.0.
    expected = json.loads(GOLDEN.read_text())[key]
    assert canonical(record()[key]) == canonical(expected)


def messages() -> list[tuple[type[SipSpec], Any]]:
    """Every message of the record: declared (``to_proto``) and returned."""
    found = []
    for kind, spec_class in SPECS.items():
        found += [
            (spec_class, validate_spec(spec_class, values).to_proto())
            for values in DECLARED[kind].values()
        ]
        found += [
            (spec_class, json_format.ParseDict(data, MESSAGES[kind]()))
            for data in RETURNED[kind].values()
        ]
    return found


def test_plain_fields_read_as_json_format_reads_them() -> None:
    # Scalars, enums, lists and maps: the outputs are MessageToDict's values.
    checked = 0
    for spec_class, message in messages():
        outputs = spec_class.outputs_from_proto(message)
        data = json_format.MessageToDict(
            message, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
        )
        for field in message.DESCRIPTOR.fields:
            if field.name in outputs and not field.has_presence and field.message_type is None:
                assert outputs[field.name] == data[field.name], field.name
                checked += 1
    assert checked > 100


if __name__ == "__main__":
    GOLDEN.write_text(json.dumps(record(), sort_keys=True, indent=1) + "\n")
