"""An example folder copied out of the repository runs as its README's "In a project of your
own" says: the copy's Pulumi.yaml names a virtualenv that has livekit-sip-pulumi installed from
the checkout (here the session's, shared by the tests), the pack is given by its path, and
`pulumi up` deploys it."""

from __future__ import annotations

import json
import re
import shutil

import pytest

from tests.e2e.cli.conftest import configure_livekit
from tests.e2e.cli.pulumi_cli import ROOT, CliStack

pytestmark = pytest.mark.e2e


def copy_example(name: str, target, venv) -> None:
    shutil.copytree(ROOT / "examples" / name, target, ignore=shutil.ignore_patterns("Pulumi.*.*"))
    project = target / "Pulumi.yaml"
    text, count = re.subn(r"virtualenv: .*", f"virtualenv: {venv}", project.read_text())
    assert count == 1
    project.write_text(text)


@pytest.mark.parametrize("example", ["twilio", "telnyx-agent"])
def test_copied_example_deploys(cli, package_venv, clean_livekit, tmp_path, example):
    folder = tmp_path / f"my-{example}"
    copy_example(example, folder, package_venv)
    pack_args = ["--policy-pack", str(ROOT / "policies")]
    if (folder / "policy-config.json").exists():
        pack_args += ["--policy-pack-config", "policy-config.json"]
    stack = CliStack(cli, folder).init()
    try:
        configure_livekit(stack, clean_livekit)
        stack.config("numbers[0]", "+15105550142", path=True)
        up = stack.ok("up", "--yes", *pack_args)
        assert "livekit-sip@v0.2.0" in up.stdout, up
        outputs = json.loads(stack.ok("stack", "output", "--json").stdout)
        [inbound] = clean_livekit.inbound_trunks()
        [outbound] = clean_livekit.outbound_trunks()
        [rule] = clean_livekit.dispatch_rules()
        assert outputs["inbound_trunk_id"] == inbound.sip_trunk_id
        assert outputs["outbound_trunk_id"] == outbound.sip_trunk_id
        assert outputs["dispatch_rule_id"] == rule.sip_dispatch_rule_id
        assert list(rule.trunk_ids) == [inbound.sip_trunk_id]
        assert list(inbound.numbers) == list(outbound.numbers) == ["+15105550142"]
        stack.ok("destroy", "--yes")
        assert clean_livekit.inbound_trunks() == clean_livekit.outbound_trunks() == []
        assert clean_livekit.dispatch_rules() == []
    finally:
        stack.remove()
