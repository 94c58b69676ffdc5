"""A protocol field through the real engine and a real livekit-server: declared, sent, read
back, refreshed without a diff; and a stack whose state predates the field shows no diff."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi
import pytest
from livekit_sip_pulumi import RoomAgentDispatchArgs, RoomConfigurationArgs, SipDispatchRule
from localstack import LocalStack

pytestmark = pytest.mark.e2e


def dispatch_stack(tmp_path: Path, livekit: Any, attributes: dict[str, str] | None) -> LocalStack:
    def program() -> None:
        rule = SipDispatchRule(
            "support-dispatch",
            rule={"dispatch_rule_individual": {"room_prefix": "call-"}},
            room_config=RoomConfigurationArgs(
                agents=[RoomAgentDispatchArgs(agent_name="support-agent", attributes=attributes)]
            ),
        )
        pulumi.export("room_config", rule.room_config)

    return LocalStack(
        "protocol-fields-e2e",
        program,
        tmp_path / "state",
        config=livekit.config(),
        secret_config=livekit.secret_config(),
    )


def test_agent_dispatch_attributes_round_trip(tmp_path, clean_livekit):
    stack = dispatch_stack(tmp_path, clean_livekit, {"tier": "gold", "queue": "billing"})
    up = stack.up()
    assert up.ok, up.error
    [rule] = clean_livekit.dispatch_rules()
    [agent] = rule.room_config.agents
    assert (agent.agent_name, dict(agent.attributes)) == (
        "support-agent",
        {"tier": "gold", "queue": "billing"},
    )
    assert up.outputs["room_config"]["agents"] == [
        {
            "agent_name": "support-agent",
            "metadata": "",
            "attributes": {"tier": "gold", "queue": "billing"},
        }
    ]

    refreshed = stack.refresh()
    assert refreshed.ok, refreshed.error
    assert refreshed.change_summary == {"same": 2}
    assert stack.up().change_summary == {"same": 2}

    # Changed in LiveKit behind the stack's back: refresh records it, up puts it back.
    changed = type(rule)()
    changed.CopyFrom(rule)
    changed.room_config.agents[0].attributes["tier"] = "silver"
    clean_livekit.call(
        lambda lk: lk.sip.update_dispatch_rule(rule.sip_dispatch_rule_id, changed)
    )
    assert stack.refresh().change_summary.get("update") == 1
    reverted = stack.up()
    assert reverted.ok, reverted.error
    assert reverted.change_summary.get("update") == 1
    [rule] = clean_livekit.dispatch_rules()
    assert dict(rule.room_config.agents[0].attributes)["tier"] == "gold"
    assert stack.destroy().ok


def test_state_written_before_the_field_existed_shows_no_diff(tmp_path, clean_livekit):
    stack = dispatch_stack(tmp_path, clean_livekit, None)
    up = stack.up()
    assert up.ok, up.error
    # The state as a version without RoomAgentDispatch.attributes wrote it.
    deployment = stack.stack.export_stack()
    [resource] = [
        r for r in deployment.deployment["resources"] if r["type"].endswith("SipDispatchRule")
    ]
    for agent in resource["outputs"]["room_config"]["agents"]:
        assert agent.pop("attributes") == {}
    stack.stack.import_stack(deployment)

    preview = stack.preview()
    assert preview.ok, preview.error
    assert preview.change_summary == {"same": 2}
    assert stack.up().change_summary == {"same": 2}
    refreshed = stack.refresh()
    assert refreshed.ok, refreshed.error
    assert refreshed.change_summary == {"same": 2}
    assert stack.destroy().ok


def inbound_stack(tmp_path: Path, server: Any, status: str | None) -> LocalStack:
    from livekit_sip_pulumi import SipInboundTrunk

    def program() -> None:
        trunk = SipInboundTrunk(
            "support-line", numbers=["+15105550100"], ringing_timeout_status=status
        )
        pulumi.export("status", trunk.ringing_timeout_status)

    return LocalStack(
        "protocol-fields-inbound-e2e",
        program,
        tmp_path / "state",
        config=server.config(),
        secret_config=server.secret_config(),
    )


def test_ringing_timeout_status_round_trips_on_each_release(tmp_path, clean_release_server):
    """Stored and read back by both releases: v1.13.11 knows the field; v1.13.5's protocol
    does not (ServerRelease.protocol_lacks), but keeps it as an unknown field of the stored
    trunk and returns it (it never answers it to the bridge)."""
    server = clean_release_server
    stack = inbound_stack(tmp_path, server, "SIP_STATUS_BUSY_HERE")
    up = stack.up()
    assert up.ok, up.error
    assert up.outputs["status"] == "SIP_STATUS_BUSY_HERE"
    [trunk] = server.inbound_trunks()
    assert trunk.ringing_timeout_status == 486  # SIP_STATUS_BUSY_HERE
    refreshed = stack.refresh()
    assert refreshed.ok, refreshed.error
    assert refreshed.change_summary == {"same": 2}
    assert stack.up().change_summary == {"same": 2}
    assert stack.destroy().ok


def test_inbound_state_written_before_ringing_timeout_status_shows_no_diff(
    tmp_path, clean_livekit
):
    stack = inbound_stack(tmp_path, clean_livekit, None)
    up = stack.up()
    assert up.ok, up.error
    deployment = stack.stack.export_stack()
    [resource] = [
        r for r in deployment.deployment["resources"] if r["type"].endswith("SipInboundTrunk")
    ]
    assert resource["outputs"].pop("ringing_timeout_status") == "SIP_STATUS_UNKNOWN"
    stack.stack.import_stack(deployment)
    preview = stack.preview()
    assert preview.ok, preview.error
    assert preview.change_summary == {"same": 2}
    refreshed = stack.refresh()
    assert refreshed.ok, refreshed.error
    assert refreshed.change_summary == {"same": 2}
    assert stack.destroy().ok
