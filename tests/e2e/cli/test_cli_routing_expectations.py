"""Routing expectations through the CLI, as examples/routing-expectations/README.md says: the
preview with the wrong expectation fails on LKSSTK011 naming the rule that takes the call, the
one with the right expectations passes; nothing is created either way."""

from __future__ import annotations

import pytest

from tests.e2e.cli.conftest import configure_livekit
from tests.e2e.cli.pulumi_cli import ROOT, CliStack

pytestmark = pytest.mark.e2e

EXAMPLE = ROOT / "examples" / "routing-expectations"
PACK = "../../policies"


def test_routing_expectations_fail_and_pass_at_preview(cli, clean_livekit):
    stack = CliStack(cli, EXAMPLE).init()
    try:
        configure_livekit(stack, clean_livekit)
        wrong = stack.run(
            "preview", "--policy-pack", PACK, "--policy-pack-config", "policy-config-fail.json"
        )
        assert wrong.returncode != 0, wrong
        mandatory = [line for line in wrong.stdout.splitlines() if "[mandatory]" in line]
        assert len(mandatory) == 1, wrong
        assert "LKSSTK011" in mandatory[0] and ": vip-calls)" in mandatory[0], wrong
        assert "the VIP caller" in wrong.stdout, wrong

        right = stack.run(
            "preview", "--policy-pack", PACK, "--policy-pack-config", "policy-config-pass.json"
        )
        assert right.returncode == 0, right
        assert "[mandatory]" not in right.stdout, right
    finally:
        stack.remove()
    assert clean_livekit.inbound_trunks() == []
    assert clean_livekit.dispatch_rules() == []
