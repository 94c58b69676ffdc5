"""LKSSTK013-015 at the first `pulumi preview` of a new stack (every trunk ID an unknown
Output), through the real engine and pack: the PIN rule that shadows the open rule beside it,
and the rule without trunk_ids that takes two lines. Advisory: the preview succeeds and
creates nothing. Then `up` and a second preview, with every ID known, report the same
findings: what a new stack is told at its first preview is what it is told once it exists."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from livekit_sip_pulumi import SipDispatchRule, SipInboundTrunk
from localstack import POLICY_PACK, ROOT, LocalStack, program_from_dir

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


def _findings(events: Any) -> set[tuple[str, str, str]]:
    """(rule, resource, message) of the reachability findings; LKSSTK015's trunks in sorted
    order (the engine registers resources in parallel); an object's ID, which a message may
    quote beside its name, written '<ID>' (a new stack's placeholder '<line>' before `up`,
    LiveKit's 'ST_...' after)."""
    found = set()
    for e in events:
        if e.policy not in ("LKSSTK013", "LKSSTK014", "LKSSTK015"):
            continue
        message = e.message
        if e.policy == "LKSSTK015":
            names = sorted(re.findall(r"'(sales|billing)'", message))
            message = re.sub(r"'(sales|billing)', '(sales|billing)'", ", ".join(names), message)
        message = re.sub(r"\((<[\w-]+>|ST_\w+|SDR_\w+)\)", "(<ID>)", message)
        found.add((e.policy, e.resource_name, message))
    return found


TRUNK_TAKES_NO_CALL = ROOT / "examples" / "failures" / "trunk-takes-no-call"


@pytest.mark.parametrize("case", ["shadowed-and-captured", "trunk-takes-no-call"])
def test_a_new_stack_is_told_at_preview_what_it_is_told_after_up(
    tmp_path: Path, clean_livekit: Any, case: str
) -> None:
    source = program if case == "shadowed-and-captured" else program_from_dir(TRUNK_TAKES_NO_CALL)
    stack = LocalStack(
        "reachability-up-e2e",
        source,
        tmp_path / "state",
        config=clean_livekit.config(),
        secret_config=clean_livekit.secret_config(),
    )
    first = stack.preview(policy_packs=[POLICY_PACK])
    assert first.ok, first.error
    before = _findings(first.policy_events)
    assert before, [(e.policy, e.resource_name, e.message) for e in first.policy_events]
    up = stack.up(policy_packs=[POLICY_PACK])
    assert up.ok, up.error
    assert clean_livekit.dispatch_rules() != []  # the trunk IDs are real ones now
    again = stack.preview(policy_packs=[POLICY_PACK])
    assert again.ok, again.error
    assert _findings(up.policy_events) == before
    assert _findings(again.policy_events) == before
    if case == "trunk-takes-no-call":
        [(_, name, message)] = [f for f in before if f[0] == "LKSSTK013"]
        assert name == "line-dispatch"
        assert "no call reaches it: its trunks 'line' take no call" in message
        assert "is not in allowed_addresses ['fe80::1%eth0']" in message
    assert stack.destroy().ok
