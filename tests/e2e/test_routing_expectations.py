"""LKSSTK011 at `pulumi preview`: examples/routing-expectations with a right and a wrong
expectation, in a new stack (every ID unknown: references resolved through dependencies)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from localstack import POLICY_PACK, ROOT, LocalStack, program_from_dir

pytestmark = pytest.mark.e2e

EXAMPLE = ROOT / "examples" / "routing-expectations"


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
    assert "dispatch rule 'vip-calls' (<vip-calls>) selected (priority 1101" in message
    assert "Fix: " in message and "https://docs.livekit.io/" in message
    assert clean_livekit.inbound_trunks() == [] and clean_livekit.dispatch_rules() == []
