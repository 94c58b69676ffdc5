"""The example programs build their resources (under Pulumi's mocks, with default config)."""

from __future__ import annotations

import runpy
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml

from .test_resources import Mocks

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.parametrize(
    ("example", "expected"),
    [
        (
            "telnyx-agent",
            {
                "pulumi-python:dynamic/livekit:SipInboundTrunk",
                "pulumi-python:dynamic/livekit:SipDispatchRule",
                "pulumi-python:dynamic/livekit:SipOutboundTrunk",
                "livekit-sip:index:AgentPhoneLine",
            },
        ),
        (
            "twilio",
            {
                "pulumi-python:dynamic/livekit:SipInboundTrunk",
                "pulumi-python:dynamic/livekit:SipDispatchRule",
                "pulumi-python:dynamic/livekit:SipOutboundTrunk",
                "livekit-sip:index:ProviderOutboundTrunk",
            },
        ),
    ],
)
def test_example_program_builds(example: str, expected: set[str]) -> None:
    program = EXAMPLES / example / "__main__.py"
    project = yaml.safe_load((EXAMPLES / example / "Pulumi.yaml").read_text())
    assert project["runtime"]["name"] == "python"
    mocks = Mocks()
    pulumi.runtime.set_mocks(mocks, preview=True)

    @pulumi.runtime.test
    def run() -> Any:
        runpy.run_path(str(program), run_name="__main__")
        return pulumi.Output.from_input(None)

    run()
    assert {r.typ for r in mocks.resources} == expected
