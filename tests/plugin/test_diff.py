"""The plugin's diff: the engine's changed fields, in the schema's spelling, with how each
changed (what `pulumi preview --diff` shows for a program in another language)."""

from __future__ import annotations

import asyncio
from typing import Any

from livekit_sip_core import PLUGIN_DISPATCH_RULE_TYPE, PLUGIN_INBOUND_TRUNK_TYPE
from livekit_sip_pulumi.plugin.provider import LiveKitSipProvider, to_property_values
from livekit_sip_pulumi.specs import SipDispatchRuleSpec, SipInboundTrunkSpec, validate_spec
from pulumi.provider.experimental.property_value import PropertyValue
from pulumi.provider.experimental.provider import DiffRequest, DiffResponse, PropertyDiffKind
from pulumi.runtime import rpc

INBOUND = {"name": "line-1234567", "numbers": ["+15105550100"], "krisp_enabled": True}
DISPATCH = {
    "name": "rule-1234567",
    "trunk_ids": ["ST_abc123"],
    "rule": {"dispatch_rule_individual": {"room_prefix": "call-"}},
    "room_config": {"agents": [{"agent_name": "support-agent"}]},
}


def _diff(type_: str, spec: Any, declared: dict[str, Any], news: dict[str, Any]) -> DiffResponse:
    outs = {**declared, **validate_spec(spec, declared).outputs()}
    outs["sip_trunk_id" if spec is SipInboundTrunkSpec else "sip_dispatch_rule_id"] = "X_1"
    request = DiffRequest(
        f"urn:pulumi:dev::proj::{type_}::r", "X_1", to_property_values(outs),
        to_property_values(news), [],
    )  # fmt: skip
    return asyncio.run(LiveKitSipProvider("0.0.1").diff(request))


def test_an_unchanged_declaration_has_no_diff() -> None:
    response = _diff(PLUGIN_INBOUND_TRUNK_TYPE, SipInboundTrunkSpec, INBOUND, dict(INBOUND))
    assert response.changes is False
    assert response.diffs == [] and response.detailed_diff == {} and response.replaces == []


def test_the_changed_fields_are_named_in_camel_case_with_their_kind() -> None:
    news = {**INBOUND, "krisp_enabled": False, "metadata": "sales"}
    response = _diff(PLUGIN_INBOUND_TRUNK_TYPE, SipInboundTrunkSpec, INBOUND, news)
    assert response.changes is True
    assert response.diffs == ["krispEnabled", "metadata"]
    kinds = {key: (diff.kind, diff.input_diff) for key, diff in response.detailed_diff.items()}
    # Old outputs against new inputs: not an input diff.
    assert kinds == {
        "krispEnabled": (PropertyDiffKind.UPDATE, False),
        "metadata": (PropertyDiffKind.ADD, False),
    }
    assert response.replaces == []


def test_a_nested_change_names_its_top_level_field() -> None:
    news = {**DISPATCH, "rule": {"dispatch_rule_individual": {"room_prefix": "desk-"}}}
    response = _diff(PLUGIN_DISPATCH_RULE_TYPE, SipDispatchRuleSpec, DISPATCH, news)
    assert response.diffs == ["rule"]
    assert response.detailed_diff["rule"].kind is PropertyDiffKind.UPDATE


def test_an_unknown_field_at_preview_is_a_change() -> None:
    news: dict[str, PropertyValue] = to_property_values(DISPATCH)
    news["trunkIds"] = PropertyValue([PropertyValue(rpc.UNKNOWN)])
    outs = {**DISPATCH, **validate_spec(SipDispatchRuleSpec, DISPATCH).outputs()}
    request = DiffRequest(
        f"urn:pulumi:dev::proj::{PLUGIN_DISPATCH_RULE_TYPE}::r", "SDR_1",
        to_property_values(outs), news, [],
    )  # fmt: skip
    response = asyncio.run(LiveKitSipProvider("0.0.1").diff(request))
    assert response.diffs == ["trunkIds"]
