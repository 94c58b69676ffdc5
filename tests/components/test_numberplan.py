"""Number plans without a server: loading, checking, names, diffs."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from livekit_sip_core import plan_line_objects
from livekit_sip_pulumi.errors import LiveKitSipError
from livekit_sip_pulumi.numberplan import (
    CSV_COLUMNS,
    LineState,
    PlanContext,
    check_plan,
    declared_lines,
    line_object_name,
    load_plan,
    plan_changes,
)

ROOT = Path(__file__).resolve().parents[2]


def no_password(_key: str, _kind: str) -> tuple[str, str]:
    return "", ""


def test_the_plan_logic_imports_no_pulumi_module_itself():
    tree = ast.parse((ROOT / "components/livekit_sip_pulumi/numberplan.py").read_text())
    imported = [
        getattr(node, "module", None) or ""
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
    ] + [a.name for node in ast.walk(tree) if isinstance(node, ast.Import) for a in node.names]
    assert not any(name.startswith("pulumi") for name in imported), imported


def test_csv_columns_become_lines(tmp_path):
    path = tmp_path / "plan.csv"
    path.write_text(
        "line,numbers,agent_name,allowed_addresses,auth_username,auth_password,krisp_enabled,"
        "outbound_address,outbound_transport\n"
        "sales,+16282001000;+16282001001,sales-agent,192.0.2.0/24 198.51.100.7,u,p,yes,"
        "sip.example.net,SIP_TRANSPORT_TLS\n"
        "desk,+16282001002,,,,,,,\n"
    )
    lines = load_plan(path)
    assert lines["sales"] == {
        "numbers": ["+16282001000", "+16282001001"],
        "agent_name": "sales-agent",
        "inbound": {
            "allowed_addresses": ["192.0.2.0/24", "198.51.100.7"],
            "auth_username": "u",
            "auth_password": "p",
            "krisp_enabled": True,
        },
        "outbound": {"address": "sip.example.net", "transport": "SIP_TRANSPORT_TLS"},
    }
    assert lines["desk"] == {"numbers": ["+16282001002"]}
    good, problems = check_plan(lines)
    assert problems == [] and sorted(good) == ["desk", "sales"]


def test_csv_with_an_unknown_column_or_a_line_twice_is_refused(tmp_path):
    path = tmp_path / "plan.csv"
    path.write_text("line,numbers,agent\nsales,+16282001000,x\n")
    with pytest.raises(LiveKitSipError, match=r"plan.csv:2: unknown column\(s\) agent"):
        load_plan(path)
    path.write_text("line,numbers\nsales,+16282001000\nsales,+16282001001\n")
    with pytest.raises(LiveKitSipError, match=r"plan\.csv:3: line .sales. is given twice"):
        load_plan(path)
    assert "outbound_auth_password" in CSV_COLUMNS


def test_yaml_as_a_mapping_or_a_list(tmp_path):
    mapping = tmp_path / "plan.yaml"
    mapping.write_text(
        "lines:\n  sales:\n    numbers: ['+16282001000']\n    agent_name: sales-agent\n"
        "    dispatch: {krisp_enabled: true}\n"
    )
    listed = tmp_path / "plan.yml"
    listed.write_text(
        "lines:\n  - line: sales\n    numbers: ['+16282001000']\n    agent_name: sales-agent\n"
        "    dispatch: {krisp_enabled: true}\n"
    )
    assert load_plan(mapping) == load_plan(listed)
    assert load_plan(mapping)["sales"]["dispatch"] == {"krisp_enabled": True}


@pytest.mark.parametrize(
    ("line", "field", "words"),
    [
        ({"numbers": ["6282001000"]}, "lines.x.numbers[0]", "E.164"),
        ({"numbers": []}, "lines.x.numbers", "at least 1"),
        ({"numbers": ["+16282001000"], "color": "red"}, "lines.x.color", "Extra inputs"),
        (
            {"numbers": ["+16282001000"], "inbound": {"auth_username": "u"}},
            "lines.x.inbound",
            "auth_password",
        ),
        (
            {"numbers": ["+16282001000"], "inbound": {"name": "mine"}},
            "lines.x.inbound.name",
            "set by the plan",
        ),
        (
            {"numbers": ["+16282001000"], "outbound": {"address": ""}},
            "lines.x.outbound.address",
            "",
        ),
        (
            {"numbers": ["+16282001000"], "adopt": {"inbound": "SDR_abc"}},
            "lines.x.adopt.inbound",
            "ST_",
        ),
    ],
)
def test_a_bad_line_is_named_with_its_field(line, field, words):
    good, problems = check_plan({"x": line, "ok": {"numbers": ["+16282001009"]}})
    assert list(good) == ["ok"]
    assert any(p.field.startswith(field) and words in p.message for p in problems), problems


def test_a_bad_key_is_named():
    _, problems = check_plan({"two words": {"numbers": ["+16282001000"]}})
    assert [p.field for p in problems] == ["lines.two words"]


def test_a_password_never_reaches_a_problem():
    secret = "pw-\n-never-shown-8d1c"
    _, problems = check_plan(
        {"x": {"numbers": ["+16282001000"], "inbound": {"auth_password": secret}}}
    )
    assert problems and not any("never-shown" in p.message for p in problems)


def test_names_differ_by_stack_plan_line_and_kind():
    names = {
        line_object_name(project, stack, plan, line, kind)
        for project in ("p", "q")
        for stack in ("dev", "prod")
        for plan in ("plan", "other")
        for line in ("a", "b")
        for kind in ("inbound", "dispatch", "outbound")
    }
    assert len(names) == 48
    assert line_object_name("p", "dev", "plan", "a", "inbound").startswith("plan-a-in-")


def test_only_the_changed_line_is_a_change():
    lines = {f"l{i}": {"numbers": [f"+1628200100{i}"], "agent_name": "a"} for i in range(3)}
    context = PlanContext("p", "dev", "plan")
    good, _ = check_plan(lines)
    declared = declared_lines(good, context, {}, no_password)
    assert plan_changes(declared, {}) == {"l0": "add", "l1": "add", "l2": "add"}
    recorded = {
        key: LineState(
            ids={"inbound": f"ST_{key}", "dispatch": f"SDR_{key}"},
            names={k: o.spec.name for k, o in objects.items()},
            fingerprints={"inbound": objects["inbound"].fingerprint},
            complete=True,
        )
        for key, objects in declared.items()
    }
    # With the trunks' IDs recorded, the rules' fingerprints are known: record them.
    again = declared_lines(good, context, recorded, no_password)
    for key, objects in again.items():
        recorded[key].fingerprints["dispatch"] = objects["dispatch"].fingerprint
    assert plan_changes(again, recorded) == {}
    edited = {**lines, "l1": {**lines["l1"], "agent_name": "b"}}
    del edited["l2"]
    good, _ = check_plan(edited)
    assert plan_changes(declared_lines(good, context, recorded, no_password), recorded) == {
        "l1": "change",
        "l2": "remove",
    }


def test_the_pack_sees_each_line_as_the_single_resources():
    objects = plan_line_objects(
        "urn:plan",
        "plan",
        {
            "lines": {
                "sales": {
                    "numbers": ["+16282001000"],
                    "agent_name": "sales-agent",
                    "outbound": {"address": "sip.example.net"},
                }
            },
            "objects": {"sales": {"inbound_trunk_id": "ST_1", "dispatch_rule_id": "SDR_1"}},
        },
    )
    by_kind = {o.kind: o for o in objects}
    assert sorted(by_kind) == ["dispatch", "inbound", "outbound"]
    assert by_kind["inbound"].props["sip_trunk_id"] == "ST_1"
    assert by_kind["dispatch"].props["trunk_ids"] == ["ST_1"]
    assert by_kind["dispatch"].props["room_config"] == {"agents": [{"agent_name": "sales-agent"}]}
    assert by_kind["outbound"].props["numbers"] == ["+16282001000"]
    assert {o.urn for o in objects} == {
        "urn:plan#line=sales#inbound",
        "urn:plan#line=sales#dispatch",
        "urn:plan#line=sales#outbound",
    }
    # Before the trunk exists, a placeholder ties the rule to it.
    [trunk, rule] = plan_line_objects(
        "urn:plan", "plan", {"lines": {"a": {"numbers": ["+16282001000"]}}}
    )
    assert rule.props["trunk_ids"] == [trunk.props["sip_trunk_id"]]
