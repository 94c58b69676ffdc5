"""The examples deployed for real: quickstart and Telnyx up/destroy, adoption of hand-made
objects with the adopt-existing example."""

from __future__ import annotations

from pathlib import Path

import pytest
from localstack import POLICY_PACK, ROOT, LocalStack, program_from_dir

pytestmark = pytest.mark.e2e


def example_stack(tmp_path: Path, livekit, name: str, project: str, **config: str) -> LocalStack:
    return LocalStack(
        project,
        program_from_dir(ROOT / "examples" / name),
        tmp_path / "state",
        config={**livekit.config(), "livekit:sipSubdomain": "abc123xyz", **config},
        secret_config=livekit.secret_config(),
    )


def test_quickstart_up_and_destroy(tmp_path, clean_livekit):
    stack = example_stack(tmp_path, clean_livekit, "quickstart", "livekit-sip-demo")
    up = stack.up(policy_packs=[POLICY_PACK])
    assert up.ok, up.error
    [trunk] = clean_livekit.inbound_trunks()
    [rule] = clean_livekit.dispatch_rules()
    assert up.outputs["inbound_trunk_id"] == trunk.sip_trunk_id
    assert list(rule.trunk_ids) == [trunk.sip_trunk_id]
    assert up.outputs["sip_uri"] == "abc123xyz.sip.livekit.cloud"
    assert stack.destroy().ok
    assert clean_livekit.inbound_trunks() == clean_livekit.dispatch_rules() == []


def test_telnyx_example_up_and_destroy(tmp_path, clean_livekit):
    stack = example_stack(tmp_path, clean_livekit, "telnyx-agent", "telnyx-agent")
    up = stack.up(
        policy_packs=[POLICY_PACK],
        policy_config=ROOT / "examples" / "telnyx-agent" / "policy-config.json",
    )
    assert up.ok, up.error
    [outbound] = clean_livekit.outbound_trunks()
    assert outbound.address == "sip.telnyx.com"
    assert outbound.sip_trunk_id == up.outputs["outbound_trunk_id"]
    assert len(clean_livekit.inbound_trunks()) == len(clean_livekit.dispatch_rules()) == 1
    assert stack.destroy().ok
    assert clean_livekit.outbound_trunks() == clean_livekit.inbound_trunks() == []


def test_adopt_existing_example(tmp_path, clean_livekit):
    trunk_id, rule_id = clean_livekit.make_by_hand("by hand", "+15105550100", "c-")
    stack = example_stack(
        tmp_path,
        clean_livekit,
        "adopt-existing",
        "adopt-existing",
        inboundTrunkId=trunk_id,
        dispatchRuleId=rule_id,
    )
    up = stack.up(policy_packs=[POLICY_PACK])
    assert up.ok, up.error
    assert (up.outputs["inbound_trunk_id"], up.outputs["dispatch_rule_id"]) == (trunk_id, rule_id)
    [adopted_trunk] = clean_livekit.inbound_trunks()
    [adopted_rule] = clean_livekit.dispatch_rules()
    # No name declared: an adopted object keeps its own.
    assert adopted_trunk.name == "by hand" and adopted_trunk.krisp_enabled
    assert [a.agent_name for a in adopted_rule.room_config.agents] == ["support-agent"]
    assert adopted_rule.hide_phone_number
    # retain_on_delete: destroy leaves both in LiveKit.
    assert stack.destroy().ok
    assert [t.sip_trunk_id for t in clean_livekit.inbound_trunks()] == [trunk_id]
    assert [r.sip_dispatch_rule_id for r in clean_livekit.dispatch_rules()] == [rule_id]


def test_twilio_example_up_and_destroy(tmp_path, clean_livekit):
    stack = example_stack(tmp_path, clean_livekit, "twilio", "twilio")
    up = stack.up(policy_packs=[POLICY_PACK])
    assert up.ok, up.error
    [inbound] = clean_livekit.inbound_trunks()
    [outbound] = clean_livekit.outbound_trunks()
    [rule] = clean_livekit.dispatch_rules()
    assert list(inbound.allowed_addresses) == ["54.172.60.0/30"]
    assert outbound.address.endswith(".pstn.twilio.com")
    assert list(rule.trunk_ids) == [inbound.sip_trunk_id]
    assert stack.up().change_summary.get("update", 0) == 0  # converged: nothing to change
    assert stack.destroy().ok
    assert clean_livekit.inbound_trunks() == clean_livekit.outbound_trunks() == []
    assert clean_livekit.dispatch_rules() == []
