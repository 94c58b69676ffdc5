"""The analysis over every call on a live project, without a server: the doctor's LKSSTK013-015
findings and `livekit-sip route --all` (the e2e tests in tests/e2e/cli/ run the commands
against a real one)."""

from __future__ import annotations

import importlib
import json

import pytest
from livekit import api
from livekit_sip_pulumi.cli import app
from livekit_sip_pulumi.cli.analysis import analyze, rule_settings
from livekit_sip_pulumi.cli.live import DISPATCH, INBOUND, LiveObject, LiveProject, props_of
from typer.testing import CliRunner

LINE = "+15105550100"
AGENTS = api.RoomConfiguration(agents=[api.RoomAgentDispatch(agent_name="support-agent")])


def live(kind, message) -> LiveObject:
    return LiveObject(kind, message, props_of(kind, message))


def pin_shadowing_project() -> list[LiveObject]:
    """One line, an open rule with the agent and a PIN rule beside it: every caller is asked
    for the PIN, the open rule is never reached."""
    trunk = api.SIPInboundTrunkInfo(
        sip_trunk_id="ST_line", name="line", numbers=[LINE], allowed_addresses=["203.0.113.0/24"]
    )
    open_rule = api.SIPDispatchRuleInfo(
        sip_dispatch_rule_id="SDR_open",
        name="open",
        trunk_ids=["ST_line"],
        rule=api.SIPDispatchRule(
            dispatch_rule_individual=api.SIPDispatchRuleIndividual(room_prefix="call-")
        ),
        room_config=AGENTS,
    )
    pin_rule = api.SIPDispatchRuleInfo(
        sip_dispatch_rule_id="SDR_staff",
        name="staff\x1b[31m",
        trunk_ids=["ST_line"],
        rule=api.SIPDispatchRule(
            dispatch_rule_direct=api.SIPDispatchRuleDirect(room_name="staff", pin="4321")
        ),
        room_config=AGENTS,
    )
    return [live(INBOUND, trunk), live(DISPATCH, open_rule), live(DISPATCH, pin_rule)]


def test_doctor_reports_the_rules_over_every_call() -> None:
    report = analyze(pin_shadowing_project(), rule_settings({}))
    found = {
        (object_id, r.rule.id): r.finding.message
        for object_id, reported in report.findings.items()
        for r in reported
    }
    assert set(found) >= {("SDR_open", "LKSSTK013"), ("ST_line", "LKSSTK014")}
    assert "but rule 'staff\\x1b[31m' (SDR_staff) takes it" in found[("SDR_open", "LKSSTK013")]
    assert (
        "is asked for the PIN of rule 'staff\\x1b[31m' (SDR_staff)"
        in found[("ST_line", "LKSSTK014")]
    )
    assert all("\x1b" not in message for message in found.values())
    listed = analyze(pin_shadowing_project(), rule_settings({"LKSSTK014": {"pinNumbers": [LINE]}}))
    assert "LKSSTK014" not in [r.rule.id for r in listed.findings.get("ST_line", [])]


@pytest.fixture
def project(monkeypatch: pytest.MonkeyPatch) -> None:
    objects = pin_shadowing_project()
    listed = LiveProject(
        "http://127.0.0.1:1",
        {"inbound_trunk": objects[:1], "outbound_trunk": [], "dispatch_rule": objects[1:]},
    )
    route_module = importlib.import_module("livekit_sip_pulumi.cli.route")
    monkeypatch.setattr(route_module, "fetch", lambda *args, **kwargs: listed)


CREDENTIALS = ["--url", "http://127.0.0.1:1", "--api-key", "k", "--api-secret", "s" * 32, "-q"]


def test_route_all_lists_every_call_class_and_its_outcome(project: None) -> None:
    result = CliRunner().invoke(app, ["route", "--all", "--json", *CREDENTIALS])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["schema"] == "livekit-sip-route-all/v1" and document["complete"]
    outcomes = {
        (c["to"], c["source_ip"], c["pin"]): (c["result"], c["rule_id"]) for c in document["calls"]
    }
    assert outcomes[(LINE, "203.0.113.1", "")] == ("request_pin", "SDR_staff")
    assert outcomes[(LINE, "203.0.113.1", "4321")] == ("accept", "SDR_staff")
    assert len(document["calls"]) == 7 and document["called_numbers"] == 2
    table = CliRunner().invoke(app, ["route", "--all", *CREDENTIALS])
    assert table.exit_code == 0, table.output
    assert "7 call classes over 2 called numbers" in table.stdout
    assert "PIN prompt" in table.stdout and "\x1b" not in table.stdout


def test_route_without_a_call_or_all_cannot_run(project: None) -> None:
    result = CliRunner().invoke(app, ["route", *CREDENTIALS])
    assert result.exit_code == 2


@pytest.fixture
def mapped(monkeypatch: pytest.MonkeyPatch) -> None:
    objects = pin_shadowing_project()
    listed = LiveProject(
        "http://127.0.0.1:1",
        {"inbound_trunk": objects[:1], "outbound_trunk": [], "dispatch_rule": objects[1:]},
    )
    map_module = importlib.import_module("livekit_sip_pulumi.cli.map")
    monkeypatch.setattr(map_module, "fetch", lambda *args, **kwargs: listed)


def _dot_lines(text: str, *needles: str) -> list[str]:
    return [line for line in text.splitlines() if all(n in line for n in needles)]


def test_map_reach_colours_what_no_call_reaches(mapped: None) -> None:
    plain = CliRunner().invoke(app, ["map", "--format", "dot", *CREDENTIALS])
    assert plain.exit_code == 0, plain.output
    assert "#f4c7c3" not in plain.stdout and "cluster_legend" not in plain.stdout
    result = CliRunner().invoke(app, ["map", "--format", "dot", "--reach", *CREDENTIALS])
    assert result.exit_code == 0, result.output
    dot = result.stdout
    # The open rule no call reaches (the PIN rule beside it takes every call) and the line's
    # number (its ordinary caller is asked for a PIN) are red; the PIN rule is not.
    [open_rule] = _dot_lines(dot, 'label="rule open\\n')
    assert 'fillcolor="#f4c7c3", color="#c5221f", penwidth=2' in open_rule
    [number] = _dot_lines(dot, f'label="{LINE}"')
    assert 'fillcolor="#f4c7c3"' in number
    [staff] = _dot_lines(dot, 'label="rule staff')
    assert "#f4c7c3" not in staff and 'fillcolor="#e6f4ea"' in staff
    number_id = number.split()[0]
    [line_edge] = _dot_lines(dot, f"{number_id} -> ")
    assert 'color="#c5221f"' in line_edge
    # A legend says what the red means; names stay escaped as without --reach.
    assert "subgraph cluster_legend" in dot
    assert "dispatch rule no call reaches (LKSSTK013)" in dot
    assert "number whose ordinary caller reaches no agent (LKSSTK014)" in dot
    assert "\x1b" not in dot and "staff\\\\x1b[31m" in dot
    mermaid = CliRunner().invoke(app, ["map", "--reach", *CREDENTIALS])
    assert mermaid.exit_code == 0, mermaid.output
    assert "classDef unreachable fill:#f4c7c3" in mermaid.stdout
    assert "\x1b" not in mermaid.stdout
