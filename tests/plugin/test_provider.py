"""The plugin's requests, run through the provider class without an engine: names, unknowns,
secrets and check failures in the schema's spelling."""

from __future__ import annotations

import asyncio
from typing import Any

from livekit_sip_core import PLUGIN_DISPATCH_RULE_TYPE, PLUGIN_INBOUND_TRUNK_TYPE
from livekit_sip_pulumi.plugin.provider import LiveKitSipProvider, to_property_values
from pulumi.provider.experimental.property_value import PropertyValue
from pulumi.provider.experimental.provider import CheckRequest
from pulumi.runtime import rpc

PASSWORD = "plugin-unit-pw-0b7e"


def _urn(type_: str, name: str) -> str:
    return f"urn:pulumi:dev::proj::{type_}::{name}"


def _check(type_: str, name: str, news: dict[str, PropertyValue]) -> Any:
    provider = LiveKitSipProvider("0.0.1")
    request = CheckRequest(_urn(type_, name), {}, news, b"")
    return asyncio.run(provider.check(request))


def test_check_autonames_and_keeps_the_password_secret_and_sealed() -> None:
    news = to_property_values(
        {"numbers": ["+15105550100"], "auth_username": "u", "auth_password": PASSWORD}
    )
    assert news["authPassword"].is_secret
    response = _check(PLUGIN_INBOUND_TRUNK_TYPE, "line", news)
    assert response.failures == []
    inputs = response.inputs
    assert inputs["numbers"].value[0].value == "+15105550100"
    assert inputs["name"].value.startswith("line-") and inputs["__autoname"] == inputs["name"]
    password = inputs["authPassword"]
    assert password.is_secret and password.value != PASSWORD  # a reference, never the value
    assert PASSWORD not in str({k: v.marshal() for k, v in inputs.items()})


def test_check_failures_name_the_schema_property() -> None:
    news = to_property_values({"numbers": ["4155550100"]})
    [failure] = _check(PLUGIN_INBOUND_TRUNK_TYPE, "line", news).failures
    assert failure.property == "numbers"
    assert failure.reason.startswith("numbers[0]: ")
    rule = to_property_values(
        {
            "trunk_ids": ["TK123"],
            "rule": {"dispatch_rule_individual": {"room_prefix": "call-"}},
        }
    )
    [failure] = _check(PLUGIN_DISPATCH_RULE_TYPE, "rule", rule).failures
    assert failure.property == "trunkIds" and failure.reason.startswith("trunkIds[0]: ")


def test_unknowns_at_preview_are_not_reported() -> None:
    news = {
        "trunkIds": PropertyValue([PropertyValue(rpc.UNKNOWN)]),
        "rule": to_property_values({"r": {"dispatch_rule_individual": {}}})["r"],
        "roomConfig": to_property_values({"r": {"agents": [{"agent_name": "a"}]}})["r"],
    }
    response = _check(PLUGIN_DISPATCH_RULE_TYPE, "rule", news)
    assert response.failures == []
    assert response.inputs["trunkIds"].value[0].value == rpc.UNKNOWN
    assert response.inputs["roomConfig"].value["agents"].value[0].value["agentName"].value == "a"
