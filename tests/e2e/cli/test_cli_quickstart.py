"""The demo project (Pulumi.yaml at the repository root, the quickstart program) through the
`pulumi` CLI, as the README tells a new user: stack init, config set, preview with the policy
pack, up, refresh, destroy. No virtualenv is activated: Pulumi.yaml and PulumiPolicy.yaml
name the repository's."""

from __future__ import annotations

import json

import pytest

from tests.e2e.cli.conftest import configure_livekit
from tests.e2e.cli.pulumi_cli import ROOT, CliStack

pytestmark = pytest.mark.e2e


def test_quickstart_preview_up_refresh_destroy(cli, clean_livekit):
    stack = CliStack(cli, ROOT).init()
    try:
        configure_livekit(stack, clean_livekit)
        stack.config("livekit:sipSubdomain", "abc123xyz")
        stack.config("trunkPassword", "quickstart-pw-4a1f", secret=True)

        preview = stack.ok("preview", "--policy-pack", "policies")
        assert "livekit-sip@v0.2.0 (local: policies)" in preview.stdout, preview
        assert "+ 4 to create" in preview.stdout, preview
        assert clean_livekit.inbound_trunks() == []

        up = stack.ok("up", "--yes", "--policy-pack", "policies")
        assert "4 created" in up.stdout, up
        outputs = json.loads(stack.ok("stack", "output", "--json").stdout)
        [trunk] = clean_livekit.inbound_trunks()
        [rule] = clean_livekit.dispatch_rules()
        assert outputs["inbound_trunk_id"] == trunk.sip_trunk_id
        assert outputs["dispatch_rule_id"] == rule.sip_dispatch_rule_id
        assert list(rule.trunk_ids) == [trunk.sip_trunk_id]
        assert outputs["sip_uri"] == "abc123xyz.sip.livekit.cloud"
        assert trunk.auth_username == "support"
        exported = stack.ok("stack", "export").stdout
        assert "quickstart-pw-4a1f" not in exported
        assert clean_livekit.api_secret not in exported

        refresh = stack.ok("refresh", "--yes")
        assert "4 unchanged" in refresh.stdout, refresh

        destroy = stack.ok("destroy", "--yes")
        assert "4 deleted" in destroy.stdout, destroy
        assert clean_livekit.inbound_trunks() == clean_livekit.dispatch_rules() == []
    finally:
        stack.remove()
