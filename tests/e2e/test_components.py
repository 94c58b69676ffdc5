"""Outbound trunks, dispatch rules and the higher-level components through the real engine
and a real livekit-server: create, no-op, update in place, drift, refresh, adopt, delete."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
import pytest
from livekit import api
from livekit_sip_pulumi import (
    AgentPhoneLine,
    AgentPhoneLineArgs,
    SipDispatchRule,
    SipInboundTrunk,
    SipOutboundTrunk,
    TelnyxOutbound,
)
from localstack import POLICY_PACK, LocalStack

pytestmark = pytest.mark.e2e

PASSWORD = "carrier-pw-91d2c7aa-not-in-state"


def stack_for(
    tmp_path: Path, livekit: Any, program: Callable[[], None], **config: str
) -> LocalStack:
    return LocalStack(
        "components-e2e",
        program,
        tmp_path / "state",
        config={**livekit.config(), **config},
        secret_config=livekit.secret_config(),
    )


def test_outbound_trunk_lifecycle_and_drift(tmp_path, clean_livekit):
    spec: dict[str, Any] = {
        "address": "sip.telnyx.com",
        "numbers": ["+15105550100"],
        "auth_username": "acme",
        "auth_password": PASSWORD,
        "transport": "SIP_TRANSPORT_TLS",
        "destination_country": "us",
    }

    def program() -> None:
        trunk = SipOutboundTrunk("carrier", **spec)
        pulumi.export("trunk_id", trunk.sip_trunk_id)

    stack = stack_for(tmp_path, clean_livekit, program)
    up = stack.up(policy_packs=[POLICY_PACK])
    assert up.ok, up.error
    trunk_id = up.outputs["trunk_id"]
    [trunk] = clean_livekit.outbound_trunks()
    assert (trunk.sip_trunk_id, trunk.address, list(trunk.numbers)) == (
        trunk_id,
        "sip.telnyx.com",
        ["+15105550100"],
    )
    assert trunk.transport == api.SIPTransport.SIP_TRANSPORT_TLS
    assert trunk.destination_country == "us"

    assert stack.up().change_summary.get("same") == 2  # no-op

    spec["numbers"] = ["+15105550100", "+15105550101"]
    updated = stack.up()
    assert updated.ok, updated.error
    assert updated.change_summary.get("update") == 1
    [trunk] = clean_livekit.outbound_trunks()
    assert (trunk.sip_trunk_id, list(trunk.numbers)) == (trunk_id, spec["numbers"])

    # Drift: someone changes the address in the console. Refresh records it, up reverts it.
    changed = api.SIPOutboundTrunkInfo()
    changed.CopyFrom(trunk)
    changed.address = "sip-eu.telnyx.com"
    clean_livekit.call(lambda lk: lk.sip.update_outbound_trunk(trunk_id, changed))
    refreshed = stack.refresh()
    assert refreshed.ok, refreshed.error
    assert refreshed.change_summary.get("update") == 1
    reverted = stack.up()
    assert reverted.ok, reverted.error
    assert reverted.change_summary.get("update") == 1
    [trunk] = clean_livekit.outbound_trunks()
    assert (trunk.sip_trunk_id, trunk.address) == (trunk_id, "sip.telnyx.com")

    assert PASSWORD not in stack.export_text()
    assert PASSWORD not in stack.state_files_text()
    assert stack.destroy().ok
    assert clean_livekit.outbound_trunks() == []


def test_dispatch_rule_lifecycle_follows_replaced_trunk(tmp_path, clean_livekit):
    spec: dict[str, Any] = {"numbers": ["+15105550100"], "agent": "support-agent"}

    def program() -> None:
        trunk = SipInboundTrunk(
            "line",
            numbers=spec["numbers"],
            krisp_enabled=True,
            opts=pulumi.ResourceOptions(delete_before_replace=spec.get("delete_before_replace")),
        )
        rule = SipDispatchRule(
            "line-dispatch",
            trunk_ids=[trunk.sip_trunk_id],
            rule={"dispatch_rule_individual": {"room_prefix": "call-"}},
            room_config={"agents": [{"agent_name": spec["agent"]}]},
            hide_phone_number=True,
        )
        pulumi.export("trunk_id", trunk.sip_trunk_id)
        pulumi.export("rule_id", rule.sip_dispatch_rule_id)

    stack = stack_for(tmp_path, clean_livekit, program)
    up = stack.up(policy_packs=[POLICY_PACK])
    assert up.ok, up.error
    [rule] = clean_livekit.dispatch_rules()
    assert rule.sip_dispatch_rule_id == up.outputs["rule_id"]
    assert list(rule.trunk_ids) == [up.outputs["trunk_id"]]
    assert [a.agent_name for a in rule.room_config.agents] == ["support-agent"]
    assert rule.rule.dispatch_rule_individual.room_prefix == "call-"

    assert stack.up().change_summary.get("same") == 3

    spec["agent"] = "support-agent-v2"
    updated = stack.up()
    assert updated.ok, updated.error
    assert updated.change_summary.get("update") == 1
    [rule] = clean_livekit.dispatch_rules()
    assert rule.sip_dispatch_rule_id == up.outputs["rule_id"]
    assert [a.agent_name for a in rule.room_config.agents] == ["support-agent-v2"]

    # Replace the trunk (`pulumi up --replace`; delete before create, as the numbers would
    # conflict): the rule follows the new trunk ID in place.
    old_trunk = up.outputs["trunk_id"]
    trunk_urn = next(
        r["urn"]
        for r in stack.export_decrypted()["resources"]
        if r["type"].endswith(":SipInboundTrunk")
    )
    spec["delete_before_replace"] = True
    replaced = stack.up(replace=[trunk_urn])
    assert replaced.ok, replaced.error
    [trunk] = clean_livekit.inbound_trunks()
    assert replaced.change_summary.get("replace") == 1
    assert trunk.sip_trunk_id != old_trunk
    [rule_after] = clean_livekit.dispatch_rules()
    assert rule_after.sip_dispatch_rule_id == rule.sip_dispatch_rule_id
    assert list(rule_after.trunk_ids) == [trunk.sip_trunk_id]

    # Deleted out of band: refresh drops it; destroy of the rest succeeds.
    clean_livekit.call(
        lambda lk: lk.sip.delete_dispatch_rule(
            api.DeleteSIPDispatchRuleRequest(sip_dispatch_rule_id=rule.sip_dispatch_rule_id)
        )
    )
    assert stack.refresh().change_summary.get("delete") == 1
    assert stack.destroy().ok
    assert clean_livekit.inbound_trunks() == []


def test_adopt_outbound_trunk_and_dispatch_rule(tmp_path, clean_livekit):
    outbound = clean_livekit.call(
        lambda lk: lk.sip.create_outbound_trunk(
            api.CreateSIPOutboundTrunkRequest(
                trunk=api.SIPOutboundTrunkInfo(
                    name="hand-made", address="sip.telnyx.com", numbers=["+15105550100"]
                )
            )
        )
    )
    rule = clean_livekit.call(
        lambda lk: lk.sip.create_dispatch_rule(
            api.CreateSIPDispatchRuleRequest(
                dispatch_rule=api.SIPDispatchRuleInfo(
                    name="hand-made",
                    rule=api.SIPDispatchRule(
                        dispatch_rule_direct=api.SIPDispatchRuleDirect(
                            room_name="lobby", pin="1234"
                        )
                    ),
                )
            )
        )
    )

    def program() -> None:
        SipOutboundTrunk(
            "carrier",
            address="sip.telnyx.com",
            numbers=["+15105550100"],
            auth_username="acme",
            auth_password=PASSWORD,
            adopt_id=outbound.sip_trunk_id,
            opts=pulumi.ResourceOptions(retain_on_delete=True),
        )
        SipDispatchRule(
            "lobby",
            rule={"dispatch_rule_direct": {"room_name": "lobby", "pin": "4321"}},
            room_config={"agents": [{"agent_name": "receptionist"}]},
            adopt_id=rule.sip_dispatch_rule_id,
            opts=pulumi.ResourceOptions(retain_on_delete=True),
        )

    stack = stack_for(tmp_path, clean_livekit, program)
    up = stack.up()
    assert up.ok, up.error
    [trunk] = clean_livekit.outbound_trunks()
    assert (trunk.sip_trunk_id, trunk.name, trunk.auth_username) == (
        outbound.sip_trunk_id,
        "hand-made",  # no name declared: an adopted object keeps its own
        "acme",
    )
    [adopted] = clean_livekit.dispatch_rules()
    assert adopted.sip_dispatch_rule_id == rule.sip_dispatch_rule_id
    assert adopted.rule.dispatch_rule_direct.pin == "4321"
    assert stack.destroy().ok
    assert len(clean_livekit.outbound_trunks()) == 1 and len(clean_livekit.dispatch_rules()) == 1


def test_agent_phone_line_with_outbound_and_region_pinning(tmp_path, clean_livekit):
    spec = {"numbers": ["+15105550100"]}

    def program() -> None:
        line = AgentPhoneLine(
            "support",
            AgentPhoneLineArgs(
                numbers=spec["numbers"],
                agent_name="support-agent",
                hide_phone_number=True,
                outbound=TelnyxOutbound(auth_username="acme", auth_password=PASSWORD),
            ),
        )
        pulumi.export("inbound", line.inbound_trunk_id)
        pulumi.export("outbound", line.outbound_trunk_id)
        pulumi.export("rule", line.dispatch_rule_id)
        pulumi.export("sip_uri", line.sip_uri)

    stack = stack_for(tmp_path, clean_livekit, program, **{"livekit:sipSubdomain": "abc123xyz"})
    up = stack.up(policy_packs=[POLICY_PACK])
    assert up.ok, up.error
    assert up.outputs["sip_uri"] == "abc123xyz.sip.livekit.cloud"
    [inbound] = clean_livekit.inbound_trunks()
    [outbound] = clean_livekit.outbound_trunks()
    [rule] = clean_livekit.dispatch_rules()
    assert inbound.krisp_enabled and rule.krisp_enabled
    assert list(rule.trunk_ids) == [inbound.sip_trunk_id]
    assert outbound.address == "sip.telnyx.com" and outbound.destination_country == ""

    # An Indian number: region pinning follows, every object keeps its ID.
    spec["numbers"] = ["+919876543210"]
    pinned = stack.up(policy_packs=[POLICY_PACK])
    assert pinned.ok, pinned.error
    assert pinned.outputs["sip_uri"] == "abc123xyz.india.sip.livekit.cloud"
    assert (pinned.outputs["inbound"], pinned.outputs["outbound"], pinned.outputs["rule"]) == (
        up.outputs["inbound"],
        up.outputs["outbound"],
        up.outputs["rule"],
    )
    [outbound] = clean_livekit.outbound_trunks()
    assert outbound.destination_country == "in"
    assert list(outbound.numbers) == ["+919876543210"]
    assert stack.destroy().ok
    assert clean_livekit.inbound_trunks() == clean_livekit.outbound_trunks() == []


def test_parallel_up_of_many_resources(tmp_path, clean_livekit):
    count = 25

    def program() -> None:
        for i in range(count):
            trunk = SipInboundTrunk(f"trunk-{i}", numbers=[f"+1510555{i:04d}"], krisp_enabled=True)
            SipDispatchRule(
                f"rule-{i}",
                trunk_ids=[trunk.sip_trunk_id],
                rule={"dispatch_rule_individual": {"room_prefix": f"call-{i}-"}},
                room_config={"agents": [{"agent_name": "support-agent"}]},
                hide_phone_number=True,
            )

    stack = stack_for(tmp_path, clean_livekit, program)
    up = stack.up(policy_packs=[POLICY_PACK])
    assert up.ok, up.error
    assert up.change_summary.get("create") == 2 * count + 1
    trunks = clean_livekit.inbound_trunks()
    rules = clean_livekit.dispatch_rules()
    # Autonames: "<resource name>-<7 hex>".
    assert sorted(t.name.rsplit("-", 1)[0] for t in trunks) == sorted(
        f"trunk-{i}" for i in range(count)
    )
    by_id = {t.sip_trunk_id: t.name for t in trunks}
    assert sorted(by_id[r.trunk_ids[0]].split("-")[1] for r in rules) == sorted(
        r.name.split("-")[1] for r in rules
    )
    assert stack.destroy().ok
    assert clean_livekit.inbound_trunks() == clean_livekit.dispatch_rules() == []


BAD_INPUTS = [
    # (resource kind, arguments, text the error must contain)
    ("inbound", {"numbers": ["5105550100"]}, "numbers[0]: '5105550100' is not an E.164 number"),
    ("inbound", {"allowed_addresses": ["10.0.0.300"]}, "allowed_addresses[0]"),
    ("inbound", {"numbers": ["+15105550100"], "headers": {"Via": "x"}}, "headers"),
    ("outbound", {"address": "sip:sip.telnyx.com", "numbers": ["+15105550100"]}, "address"),
    ("outbound", {"address": "sip.telnyx.com", "numbers": []}, "numbers"),
    (
        "outbound",
        {
            "address": "sip.telnyx.com",
            "numbers": ["+15105550100"],
            "transport": "SIP_TRANSPORT_CARRIER_PIGEON",
        },
        "transport",
    ),
    ("dispatch", {"rule": {}}, "rule"),
    (
        "dispatch",
        {
            "rule": {
                "dispatch_rule_direct": {"room_name": "a"},
                "dispatch_rule_callee": {"room_prefix": "b"},
            }
        },
        "rule",
    ),
    ("dispatch", {"rule": {"dispatch_rule_direct": {"room_name": "a", "pin": "12ab"}}}, "pin"),
    ("dispatch", {"rule": {"dispatch_rule_individual": {}}, "trunk_ids": ["TK123"]}, "trunk_ids"),
]


@pytest.mark.parametrize(("kind", "args", "expected"), BAD_INPUTS)
def test_bad_input_fails_preview_and_creates_nothing(tmp_path, clean_livekit, kind, args, expected):
    resource = {
        "inbound": SipInboundTrunk,
        "outbound": SipOutboundTrunk,
        "dispatch": SipDispatchRule,
    }

    def program() -> None:
        resource[kind]("bad-one", **args)

    stack = stack_for(tmp_path, clean_livekit, program)
    preview = stack.preview()
    assert not preview.ok
    assert expected in preview.error
    assert "bad-one" in preview.error
    assert "https://docs.livekit.io/" in preview.error
    up = stack.up()
    assert not up.ok
    assert clean_livekit.inbound_trunks() == []
    assert clean_livekit.outbound_trunks() == []
    assert clean_livekit.dispatch_rules() == []
