"""`livekit-sip:index:AgentPhoneLine` in a Pulumi YAML program (examples/yaml-phone-line): the
Python component declared by the plugin's construct, its objects the plugin's own resources.
Preview with the policy pack, up, refresh with no changes, destroy, against the real
livekit-server; the Telnyx preset's checks reach a YAML program as a clear error at preview.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from livekit_sip_core import TELNYX_HOSTS

from tests.e2e.cli.conftest import report
from tests.e2e.cli.pulumi_cli import ROOT, CliStack
from tests.e2e.cli.test_cli_yaml_program import PACK, _configure, yaml_cli  # noqa: F401
from tests.e2e.test_faults import leaks

pytestmark = pytest.mark.e2e

EXAMPLE = ROOT / "examples" / "yaml-phone-line"
PASSWORD = "telnyx-line-Pa55word-91d3"
SUBDOMAIN = "abc123xyz"


def _project(tmp_path: Path, edit: Any = None) -> Path:
    program = yaml.safe_load((EXAMPLE / "Pulumi.yaml").read_text())
    assert program["packages"] == {"livekit-sip": "../../provider"}
    program["packages"]["livekit-sip"] = str(ROOT / "provider")
    if edit:
        edit(program)
    folder = tmp_path / "phone-line"
    folder.mkdir()
    (folder / "Pulumi.yaml").write_text(yaml.safe_dump(program, sort_keys=False))
    return folder


def _stack(yaml_cli: Any, folder: Path, livekit: Any) -> CliStack:  # noqa: F811
    stack = CliStack(yaml_cli, folder).init()
    _configure(stack, livekit)
    stack.config("livekit-sip:sipSubdomain", SUBDOMAIN)
    stack.config("telnyxUsername", "acme")
    stack.config("telnyxPassword", PASSWORD, secret=True)
    return stack


def test_agent_phone_line_in_yaml_preview_up_refresh_destroy(
    request,
    yaml_cli,  # noqa: F811
    clean_livekit,
    tmp_path,
) -> None:
    stack = _stack(yaml_cli, _project(tmp_path), clean_livekit)
    times: dict[str, float] = {}

    def step(name: str, *args: str) -> str:
        started = time.monotonic()
        result = stack.ok(*args)
        times[name] = time.monotonic() - started
        return result.output

    try:
        preview = step("preview --policy-pack", "preview", "--policy-pack", PACK)
        for line in (
            "livekit-sip:index:AgentPhoneLine support create",
            "livekit-sip:index:SipInboundTrunk support-inbound create",
            "livekit-sip:index:SipDispatchRule support-dispatch create",
            "livekit-sip:index:SipOutboundTrunk support-outbound create",
        ):
            assert line in preview, preview
        # The pack sees the line's objects as a Python program's: the Telnyx trunk's advisory
        # (transfers need SIP REFER on the connection, attested in the pack's config).
        assert "[mandatory]" not in preview, preview
        advisories = [line.strip() for line in preview.splitlines() if "[advisory]" in line]
        assert advisories == [
            "- [advisory] [severity: medium]  LKSSTK007  "
            "(livekit-sip:index:SipOutboundTrunk: support-outbound)"
        ], preview
        assert clean_livekit.inbound_trunks() == []

        up = step("up", "up", "--yes", "--skip-preview", "--policy-pack", PACK)
        assert leaks(up, PASSWORD) == []
        [inbound] = clean_livekit.inbound_trunks()
        [outbound] = clean_livekit.outbound_trunks()
        [rule] = clean_livekit.dispatch_rules()
        assert list(inbound.numbers) == ["+15105550100"] and inbound.krisp_enabled
        assert list(rule.trunk_ids) == [inbound.sip_trunk_id] and rule.hide_phone_number
        assert rule.rule.dispatch_rule_individual.room_prefix == "call-"
        assert [a.agent_name for a in rule.room_config.agents] == ["support-agent"]
        # The Telnyx preset: its host, the credentials, the username header.
        assert outbound.address == TELNYX_HOSTS["us"]
        assert outbound.auth_username == "acme" and outbound.auth_password == PASSWORD
        assert dict(outbound.headers) == {"X-Telnyx-Username": "acme"}
        assert list(outbound.numbers) == ["+15105550100"]

        outputs = json.loads(stack.ok("stack", "output", "--json").stdout)
        assert outputs["inboundTrunkId"] == inbound.sip_trunk_id
        assert outputs["dispatchRuleId"] == rule.sip_dispatch_rule_id
        assert outputs["outboundTrunkId"] == outbound.sip_trunk_id
        assert outputs["sipUri"] == f"{SUBDOMAIN}.sip.livekit.cloud"
        state = stack.ok("stack", "export").stdout
        assert PASSWORD not in state
        types = {r["type"] for r in json.loads(state)["deployment"]["resources"]}
        assert "livekit-sip:index:AgentPhoneLine" in types
        assert not any(t.startswith("pulumi-python:dynamic") for t in types), types

        refresh = step("refresh", "refresh", "--yes", "--skip-preview")
        assert "5 unchanged" in refresh, refresh  # the stack, the line and its 3 objects
        step("preview --expect-no-changes", "preview", "--expect-no-changes", "--policy-pack", PACK)
        step("destroy", "destroy", "--yes", "--skip-preview")
        assert clean_livekit.inbound_trunks() == [] and clean_livekit.outbound_trunks() == []
        assert clean_livekit.dispatch_rules() == []
    finally:
        stack.run("destroy", "--yes", "--skip-preview")
        stack.remove()
    report(request, "YAML AgentPhoneLine: " + ", ".join(f"{k} {v:.1f}s" for k, v in times.items()))


def _telnyx_subdomain(program: dict[str, Any]) -> None:
    program["resources"]["support"]["properties"]["outbound"]["telnyx"]["host"] = (
        "acme.sip.telnyx.com"
    )


def test_agent_phone_line_preset_refuses_a_telnyx_subdomain_at_preview(
    yaml_cli,  # noqa: F811
    clean_livekit,
    tmp_path,
) -> None:
    stack = _stack(yaml_cli, _project(tmp_path, _telnyx_subdomain), clean_livekit)
    try:
        result = stack.run("preview")
        assert result.returncode != 0, result
        text = " ".join(result.output.split())
        assert "AgentPhoneLine 'support'" in text or "TelnyxOutbound" in text, result
        assert "host" in text and "acme.sip.telnyx.com" in text, result
        assert "https://" in text, result  # the doc link
        assert PASSWORD not in result.output
        assert clean_livekit.outbound_trunks() == [] and clean_livekit.inbound_trunks() == []
    finally:
        stack.remove()
