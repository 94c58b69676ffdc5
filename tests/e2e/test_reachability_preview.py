"""LKSSTK013-015 at the first `pulumi preview` of a new stack (every trunk ID an unknown
Output), through the real engine and pack: the PIN rule that shadows the open rule beside it,
and the rule without trunk_ids that takes two lines. Advisory: the preview succeeds and
creates nothing."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from livekit_sip_pulumi import SipDispatchRule, SipInboundTrunk
from localstack import POLICY_PACK, LocalStack

pytestmark = pytest.mark.e2e

AGENT = {"agents": [{"agent_name": "support-agent"}]}


def program() -> None:
    line = SipInboundTrunk(
        "line", numbers=["+15105550100"], allowed_addresses=["203.0.113.0/24"], krisp_enabled=True
    )
    SipDispatchRule(
        "open",
        trunk_ids=[line.sip_trunk_id],
        rule={"dispatch_rule_individual": {"room_prefix": "call-"}},
        room_config=AGENT,
        hide_phone_number=True,
    )
    SipDispatchRule(
        "staff",
        trunk_ids=[line.sip_trunk_id],
        rule={"dispatch_rule_individual": {"room_prefix": "staff-", "pin": "4321"}},
        room_config=AGENT,
        hide_phone_number=True,
    )
    # Two more lines served by one rule without trunk_ids.
    SipInboundTrunk("sales", numbers=["+15105550111"], krisp_enabled=True)
    SipInboundTrunk("billing", numbers=["+15105550122"], krisp_enabled=True)
    SipDispatchRule(
        "catch-all",
        rule={"dispatch_rule_individual": {"room_prefix": "any-"}},
        room_config=AGENT,
        hide_phone_number=True,
        krisp_enabled=True,
    )


def test_rules_over_every_call_report_at_the_first_preview(
    tmp_path: Path, clean_livekit: Any
) -> None:
    stack = LocalStack(
        "reachability-e2e",
        program,
        tmp_path / "state",
        config=clean_livekit.config(),
        secret_config=clean_livekit.secret_config(),
    )
    result = stack.preview(policy_packs=[POLICY_PACK])
    assert result.ok, result.error
    events = {(e.policy, e.resource_name): e for e in result.policy_events}
    assert set(events) == {
        ("LKSSTK013", "open"),
        ("LKSSTK014", "line"),
        ("LKSSTK015", "catch-all"),
    }, [(e.policy, e.resource_name, e.message) for e in result.policy_events]
    assert all(e.enforcement == "advisory" for e in events.values())
    assert "but rule 'staff' takes it" in events[("LKSSTK013", "open")].message
    assert "is asked for the PIN of rule 'staff'" in events[("LKSSTK014", "line")].message
    # The trunks in the order the engine registered them (in parallel: either order).
    captured = events[("LKSSTK015", "catch-all")].message
    assert re.search(r"takes the calls of 2 trunks: '(sales|billing)', '(sales|billing)'", captured)
    assert "'sales'" in captured and "'billing'" in captured
    assert clean_livekit.inbound_trunks() == [] and clean_livekit.dispatch_rules() == []
