"""examples/number-plan through the `pulumi` CLI: lines from a CSV file, one row edited, one
removed, one bad; against the real server."""

from __future__ import annotations

import json
import re
import shutil

import pytest

from tests.e2e.cli.conftest import configure_livekit
from tests.e2e.cli.pulumi_cli import ROOT, CliStack

pytestmark = pytest.mark.e2e


def test_number_plan_from_a_csv_file(cli, tmp_path, clean_livekit):
    folder = tmp_path / "number-plan"
    shutil.copytree(ROOT / "examples" / "number-plan", folder)
    project = folder / "Pulumi.yaml"
    project.write_text(
        project.read_text().replace("virtualenv: ../../.venv", f"virtualenv: {ROOT / '.venv'}")
    )
    csv = folder / "lines.csv"
    stack = CliStack(cli, folder).init()
    try:
        configure_livekit(stack, clean_livekit)
        up = stack.ok("up", "--yes", "--policy-pack", str(ROOT / "policies"))
        assert "+ 2 created" in up.stdout, up  # the stack and the plan
        objects = json.loads(stack.ok("stack", "output", "objects", "--json").stdout)
        assert sorted(objects) == ["billing", "callback", "sales", "support"]
        assert all(o["complete"] for o in objects.values())
        assert objects["callback"]["outbound_trunk_id"].startswith("ST_")
        assert objects["sales"]["outbound_trunk_id"] == ""
        assert len(clean_livekit.inbound_trunks()) == 4
        assert len(clean_livekit.outbound_trunks()) == 1

        # One row edited: the preview shows that line, and the field.
        csv.write_text(csv.read_text().replace("billing-agent", "accounts-agent"))
        preview = stack.ok("preview", "--diff")
        assert "~ billing" in preview.stdout, preview
        assert re.search(r'~ agent_name\s*: "billing-agent" => "accounts-agent"', preview.stdout)
        assert "~ sales" not in preview.stdout
        stack.ok("up", "--yes")
        [rule] = [
            r
            for r in clean_livekit.dispatch_rules()
            if r.sip_dispatch_rule_id == objects["billing"]["dispatch_rule_id"]
        ]
        assert rule.room_config.agents[0].agent_name == "accounts-agent"

        # One row removed: its objects go, the others stay.
        rows = csv.read_text().splitlines()
        csv.write_text("\n".join(row for row in rows if "callback" not in row))
        stack.ok("up", "--yes")
        assert clean_livekit.outbound_trunks() == []
        assert len(clean_livekit.inbound_trunks()) == 3

        # A bad row: the preview fails naming the line and the field; nothing changes.
        csv.write_text(csv.read_text().replace("+16282001003", "6282001003"))
        bad = stack.run("preview")
        assert bad.returncode != 0
        assert "lines.billing.numbers[0]" in bad.output, bad
        assert "E.164" in bad.output
        assert len(clean_livekit.inbound_trunks()) == 3
        csv.write_text(csv.read_text().replace("6282001003", "+16282001003"))
        stack.ok("destroy", "--yes")
        assert clean_livekit.inbound_trunks() == []
    finally:
        stack.remove()
