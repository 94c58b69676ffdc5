"""SipNumberPlan against the real engine (Automation API) and the real livekit-server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pulumi
import pytest
from livekit_sip_pulumi.numberplan import line_object_name
from livekit_sip_pulumi.plan_resource import SipNumberPlan
from localstack import LocalStack

from tests.faults import FaultInjectingProxy

pytestmark = pytest.mark.e2e

PROJECT = "numberplan"
PASSWORD = "plan-suite-pw-3c9a1f77-never-printed"


def lines(count: int, *, agent: str = "support-agent", skip: tuple[int, ...] = ()) -> dict:
    return {
        f"line{i:03d}": {
            "numbers": [f"+1628200{i:04d}"],
            "agent_name": agent,
            "inbound": {"auth_username": f"user{i}", "auth_password": PASSWORD},
        }
        for i in range(count)
        if i not in skip
    }


def plan_program(plan: dict) -> Any:
    def program() -> None:
        made = SipNumberPlan("plan", plan)
        pulumi.export("objects", made.objects)

    return program


def make_stack(tmp_path: Path, livekit: Any, plan: dict, *, stack: str = "dev", url: str = "") -> LocalStack:
    return LocalStack(
        PROJECT,
        plan_program(plan),
        tmp_path / "state",
        stack=stack,
        config={**livekit.config(), **({"livekit:url": url} if url else {})},
        secret_config=livekit.secret_config(),
    )


def set_plan(stack: LocalStack, plan: dict) -> None:
    stack.stack.workspace.program = plan_program(plan)  # type: ignore[attr-defined]


def objects_of(stack: LocalStack) -> dict[str, Any]:
    for resource in stack.export_decrypted()["resources"]:
        if resource["type"] == "pulumi-python:dynamic/livekit:SipNumberPlan":
            return dict(resource["outputs"]["objects"])
    return {}


def live_ids(livekit: Any) -> set[str]:
    return (
        {t.sip_trunk_id for t in livekit.inbound_trunks()}
        | {t.sip_trunk_id for t in livekit.outbound_trunks()}
        | {r.sip_dispatch_rule_id for r in livekit.dispatch_rules()}
    )


def recorded_ids(objects: dict[str, Any]) -> set[str]:
    return {
        v
        for line in objects.values()
        for k, v in line.items()
        if k.endswith("_id") and v
    }


@pytest.fixture
def proxy(clean_livekit: Any) -> Iterator[FaultInjectingProxy]:
    front = FaultInjectingProxy(clean_livekit.url)
    yield front
    front.close()


def test_create_change_one_line_remove_one_line_destroy(tmp_path, clean_livekit, proxy):
    plan = lines(6)
    stack = make_stack(tmp_path, clean_livekit, plan, url=proxy.url)
    created = stack.up()
    assert created.ok, created.error
    objects = objects_of(stack)
    assert sorted(objects) == sorted(plan)
    assert all(line["complete"] for line in objects.values())
    assert recorded_ids(objects) == live_ids(clean_livekit)
    assert len(clean_livekit.inbound_trunks()) == 6
    trunk = {t.sip_trunk_id: t for t in clean_livekit.inbound_trunks()}
    first = trunk[objects["line000"]["inbound_trunk_id"]]
    assert first.name == line_object_name(PROJECT, "dev", "plan", "line000", "inbound")
    rules = {r.sip_dispatch_rule_id: r for r in clean_livekit.dispatch_rules()}
    rule = rules[objects["line000"]["dispatch_rule_id"]]
    assert list(rule.trunk_ids) == [first.sip_trunk_id]
    assert rule.room_config.agents[0].agent_name == "support-agent"
    # Secrets: neither the state on disk nor the decrypted export holds the password.
    assert PASSWORD not in stack.state_files_text()
    assert PASSWORD not in str(stack.export_decrypted())

    # Nothing declared changed: no update, no call that writes.
    proxy.log.clear()
    same = stack.preview()
    assert same.ok, same.error
    assert same.change_summary.get("update", 0) == 0
    assert stack.up().change_summary.get("same") == 2

    # One line changes: preview names it; up sends one update.
    changed = dict(plan)
    changed["line003"] = {**plan["line003"], "agent_name": "sales-agent"}
    set_plan(stack, changed)
    preview = stack.preview(diff=True)
    assert preview.ok, preview.error
    assert preview.change_summary.get("update") == 1
    # The engine shows the lines map's diff: the changed line, and the field that changes.
    assert "~ line003" in preview.stdout
    assert '~ agent_name: "support-agent" => "sales-agent"' in preview.stdout
    assert "~ line002" not in preview.stdout
    proxy.log.clear()
    up = stack.up()
    assert up.ok, up.error
    writes = [p for _t, p, _w in proxy.log if "List" not in p]
    assert writes == ["/twirp/livekit.SIP/UpdateSIPDispatchRule"], writes
    rule = {r.sip_dispatch_rule_id: r for r in clean_livekit.dispatch_rules()}[
        objects["line003"]["dispatch_rule_id"]
    ]
    assert rule.room_config.agents[0].agent_name == "sales-agent"
    assert objects_of(stack)["line003"]["dispatch_rule_id"] == objects["line003"]["dispatch_rule_id"]

    # One line is removed: its two objects are deleted, the others stay.
    fewer = {k: v for k, v in changed.items() if k != "line004"}
    set_plan(stack, fewer)
    proxy.log.clear()
    removed = stack.up()
    assert removed.ok, removed.error
    writes = sorted(p.rsplit("/", 1)[-1] for _t, p, _w in proxy.log if "List" not in p)
    assert writes == ["DeleteSIPDispatchRule", "DeleteSIPTrunk"], writes
    after = objects_of(stack)
    assert "line004" not in after
    assert recorded_ids(after) == live_ids(clean_livekit)

    destroyed = stack.destroy()
    assert destroyed.ok, destroyed.error
    assert live_ids(clean_livekit) == set()
