"""LKSSTK011 at `pulumi preview`: examples/routing-expectations with a right and a wrong
expectation, in a new stack (every ID unknown: references resolved through dependencies); and
the routing map of the example once deployed, from `pulumi stack export`."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from livekit_sip_policies.routing_map import build_map, objects_from_stack_export, render, to_dot
from localstack import POLICY_PACK, ROOT, LocalStack, program_from_dir

pytestmark = pytest.mark.e2e

EXAMPLE = ROOT / "examples" / "routing-expectations"


def _resource_name(autoname: str) -> str:
    """The resource name in an object's autoname (``vip-calls-f837e3f`` -> ``vip-calls``)."""
    match = re.fullmatch(r"(.+)-[0-9a-f]{7}", autoname)
    assert match, autoname
    return match.group(1)


def preview(tmp_path: Path, livekit: Any, config: str) -> Any:
    stack = LocalStack(
        "routing-expectations",
        program_from_dir(EXAMPLE),
        tmp_path / "state",
        config=livekit.config(),
        secret_config=livekit.secret_config(),
    )
    return stack.preview(policy_packs=[POLICY_PACK], policy_config=EXAMPLE / config)


def test_right_expectations_pass(tmp_path: Path, clean_livekit: Any) -> None:
    result = preview(tmp_path, clean_livekit, "policy-config-pass.json")
    assert result.ok, result.error
    assert [(e.policy, e.resource_name, e.message) for e in result.policy_events] == []
    assert clean_livekit.inbound_trunks() == [] and clean_livekit.dispatch_rules() == []


def test_wrong_expectation_fails_with_the_prediction(tmp_path: Path, clean_livekit: Any) -> None:
    result = preview(tmp_path, clean_livekit, "policy-config-fail.json")
    assert not result.ok
    [event] = result.policy_events
    assert (event.policy, event.enforcement, event.resource_name) == (
        "LKSSTK011",
        "mandatory",
        "vip-calls",
    )
    message = event.message
    assert "calls[1]: the VIP caller from '+14155550199' at 203.0.113.7 to '+15105550100'" in (
        message
    )
    assert "expected agent 'support-agent'" in message
    assert "accepted into room 'vip-_+14155550199_{random}' (agents ['vip-agent'])" in message
    # The rule's LiveKit name is its autoname: the resource name and a per-stack suffix.
    assert re.search(
        r"dispatch rule 'vip-calls-[0-9a-f]{7}' \(<vip-calls>\) selected \(priority 1101", message
    ), message
    assert "Fix: " in message and "https://docs.livekit.io/" in message
    assert clean_livekit.inbound_trunks() == [] and clean_livekit.dispatch_rules() == []


def test_routing_map_of_the_deployed_example(tmp_path: Path, clean_livekit: Any) -> None:
    """`pulumi up` the example, then draw its routing from `pulumi stack export`."""

    stack = LocalStack(
        "routing-expectations",
        program_from_dir(EXAMPLE),
        tmp_path / "state",
        config=clean_livekit.config(),
        secret_config=clean_livekit.secret_config(),
    )
    try:
        assert stack.up().ok
        trunks, rules = objects_from_stack_export(json.loads(stack.export_text()))
        ids = {_resource_name(t["name"]): t["sip_trunk_id"] for t in trunks}
        assert set(ids) == {"support-line", "staff-line"}
        assert all(i.startswith("ST_") for i in ids.values())
        routing_map = build_map(trunks, rules)
        edges = {(e.source, e.target) for e in routing_map.edges}
        rule_ids = {_resource_name(r["name"]): r["sip_dispatch_rule_id"] for r in rules}
        assert (f"trunk:{ids['support-line']}", f"rule:{rule_ids['vip-calls']}") in edges
        assert (f"trunk:{ids['staff-line']}", f"rule:{rule_ids['staff-calls']}") in edges
        assert (f"trunk:{ids['staff-line']}", f"rule:{rule_ids['vip-calls']}") not in edges
        png = render(to_dot(routing_map), tmp_path / "routing.png", "png")
        assert png.read_bytes().startswith(b"\x89PNG")
    finally:
        assert stack.destroy().ok
    assert clean_livekit.inbound_trunks() == [] and clean_livekit.dispatch_rules() == []
