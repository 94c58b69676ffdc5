"""`make demo`'s script (scripts/demo.py) against the test session's server: the CLI commands
it prints run, LiveKit holds what the stack created, and nothing is left afterwards."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.e2e.cli.pulumi_cli import ROOT

pytestmark = pytest.mark.e2e


def test_demo_runs_the_cli_end_to_end(clean_livekit, tmp_path):
    env = {
        **os.environ,
        "LIVEKIT_URL": clean_livekit.url,
        "LIVEKIT_API_KEY": clean_livekit.api_key,
        "LIVEKIT_API_SECRET": clean_livekit.api_secret,
        # The demo's own defaults are .pulumi-demo/ and ~/.pulumi: keep the test's apart.
        "PULUMI_BACKEND_URL": f"file://{tmp_path / 'state'}",
        "PULUMI_HOME": str(tmp_path / "pulumi-home"),
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
    }
    (tmp_path / "state").mkdir()
    demo = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "demo.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    out = demo.stdout
    assert demo.returncode == 0, out + demo.stderr
    for command in (
        "$ pulumi stack select --create demo",
        "$ pulumi config set --secret livekit:apiSecret < (secret value)",
        "$ pulumi preview --policy-pack policies",
        "$ pulumi up --yes --policy-pack policies",
        "$ pulumi refresh --yes",
        "$ pulumi destroy --yes",
        "$ pulumi stack rm --yes demo",
    ):
        assert command in out, out
    assert "livekit-sip@v0.2.0 (local: policies)" in out
    assert "+ 4 created" in out and "- 4 deleted" in out, out
    assert "left in LiveKit: 0 inbound trunks, 0 dispatch rules" in out
    assert clean_livekit.api_secret not in out + demo.stderr
    assert not (ROOT / "Pulumi.demo.yaml").exists()
