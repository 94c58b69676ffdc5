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


def make_stack(
    tmp_path: Path, livekit: Any, plan: dict, *, stack: str = "dev", url: str = ""
) -> LocalStack:
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
    return {v for line in objects.values() for k, v in line.items() if k.endswith("_id") and v}


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
    assert (
        objects_of(stack)["line003"]["dispatch_rule_id"] == objects["line003"]["dispatch_rule_id"]
    )

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


def counts(livekit: Any) -> tuple[int, int, int]:
    return (
        len(livekit.inbound_trunks()),
        len(livekit.dispatch_rules()),
        len(livekit.outbound_trunks()),
    )


def test_a_line_that_fails_is_named_the_others_stay_recorded_and_the_next_up_finishes(
    tmp_path, clean_livekit, proxy
):
    plan = lines(8)
    stack = make_stack(tmp_path, clean_livekit, plan, url=proxy.url)
    # One dispatch rule is refused (a 400 is never retried): its line fails, the others not.
    proxy.answer("CreateSIPDispatchRule", 400, "invalid_argument", times=1)
    failed = stack.up()
    assert not failed.ok
    objects = objects_of(stack)
    broken = sorted(k for k, v in objects.items() if not v["complete"])
    assert len(broken) == 1, objects
    [line] = broken
    assert f"line '{line}'" in failed.error
    assert "1 of the plan's lines failed" in failed.error
    assert "run `pulumi up` again" in failed.error
    # What was applied is recorded: every line with its IDs, the failed one with its trunk.
    assert sorted(objects) == sorted(plan)
    assert objects[line]["inbound_trunk_id"].startswith("ST_")
    assert objects[line]["dispatch_rule_id"] == ""
    assert recorded_ids(objects) == live_ids(clean_livekit)
    assert counts(clean_livekit) == (8, 7, 0)
    assert PASSWORD not in stack.state_files_text()

    # The next up finishes the line: one rule created, nothing twice.
    proxy.log.clear()
    finished = stack.up()
    assert finished.ok, finished.error
    creates = [p for _t, p, _w in proxy.log if "/Create" in p]
    assert creates == ["/twirp/livekit.SIP/CreateSIPDispatchRule"], creates
    objects = objects_of(stack)
    assert all(v["complete"] for v in objects.values())
    assert counts(clean_livekit) == (8, 8, 0)
    assert recorded_ids(objects) == live_ids(clean_livekit)
    assert stack.preview().change_summary.get("update", 0) == 0

    # An update that fails on one of three changed lines keeps the two that were applied.
    changed = {
        k: ({**v, "agent_name": "night-agent"} if k in ("line001", "line002", "line003") else v)
        for k, v in plan.items()
    }
    set_plan(stack, changed)
    proxy.answer("UpdateSIPDispatchRule", 400, "invalid_argument", times=1)
    failed = stack.up()
    assert not failed.ok
    assert "1 of the plan's lines failed" in failed.error
    agents = {
        r.sip_dispatch_rule_id: r.room_config.agents[0].agent_name
        for r in clean_livekit.dispatch_rules()
    }
    after = objects_of(stack)
    night = sorted(k for k in after if agents[after[k]["dispatch_rule_id"]] == "night-agent")
    assert len(night) == 2
    proxy.log.clear()
    finished = stack.up()
    assert finished.ok, finished.error
    updates = [p for _t, p, _w in proxy.log if "/Update" in p]
    assert updates == ["/twirp/livekit.SIP/UpdateSIPDispatchRule"], updates
    assert stack.destroy().ok
    assert live_ids(clean_livekit) == set()


def test_refresh_finds_drift_and_the_next_up_puts_it_back(tmp_path, clean_livekit):
    from livekit import api

    plan = lines(4)
    stack = make_stack(tmp_path, clean_livekit, plan)
    assert stack.up().ok
    objects = objects_of(stack)
    # Outside Pulumi: one trunk's metadata is changed, one line's rule is deleted.
    trunk_id = objects["line001"]["inbound_trunk_id"]
    [trunk] = [t for t in clean_livekit.inbound_trunks() if t.sip_trunk_id == trunk_id]
    trunk.metadata = "edited by hand"
    clean_livekit.call(lambda lk: lk.sip.update_inbound_trunk(trunk_id, trunk))
    gone = objects["line002"]["dispatch_rule_id"]
    clean_livekit.call(
        lambda lk: lk.sip.delete_dispatch_rule(
            api.DeleteSIPDispatchRuleRequest(sip_dispatch_rule_id=gone)
        )
    )
    refreshed = stack.refresh()
    assert refreshed.ok, refreshed.error
    after = objects_of(stack)
    assert after["line002"]["dispatch_rule_id"] == ""
    assert not after["line002"]["complete"]
    assert (
        after["line001"]["fingerprints"]["inbound"] != objects["line001"]["fingerprints"]["inbound"]
    )
    assert after["line000"] == objects["line000"]
    preview = stack.preview()
    assert preview.change_summary.get("update") == 1
    assert stack.up().ok
    [trunk] = [t for t in clean_livekit.inbound_trunks() if t.sip_trunk_id == trunk_id]
    assert trunk.metadata == ""
    final = objects_of(stack)
    assert final["line002"]["complete"] and final["line002"]["dispatch_rule_id"] != gone
    assert final["line001"] == objects["line001"]
    assert len(clean_livekit.dispatch_rules()) == 4
    assert stack.preview().change_summary.get("update", 0) == 0
    assert stack.destroy().ok


def test_a_line_adopts_objects_made_by_hand(tmp_path, clean_livekit):
    trunk_id, rule_id = clean_livekit.make_by_hand("front desk", "+16282009000", "desk-")
    plan = lines(2)
    plan["desk"] = {
        "numbers": ["+16282009000"],
        "agent_name": "desk-agent",
        "adopt": {"inbound": trunk_id, "dispatch": rule_id},
    }
    stack = make_stack(tmp_path, clean_livekit, plan)
    up = stack.up()
    assert up.ok, up.error
    desk = objects_of(stack)["desk"]
    assert (desk["inbound_trunk_id"], desk["dispatch_rule_id"]) == (trunk_id, rule_id)
    assert counts(clean_livekit) == (3, 3, 0)
    [rule] = [r for r in clean_livekit.dispatch_rules() if r.sip_dispatch_rule_id == rule_id]
    assert rule.room_config.agents[0].agent_name == "desk-agent"
    # Adopted objects keep their own names.
    assert rule.name == "front desk"
    assert [t.name for t in clean_livekit.inbound_trunks() if t.sip_trunk_id == trunk_id] == [
        "front desk"
    ]
    assert rule.rule.dispatch_rule_individual.room_prefix == "call-"
    assert stack.preview().change_summary.get("update", 0) == 0
    assert stack.destroy().ok
    assert live_ids(clean_livekit) == set()

    # Adopting an object that does not exist fails that line, naming it and the ID.
    plan["desk"] = {**plan["desk"], "adopt": {"inbound": "ST_doesnotexist"}}
    set_plan(stack, plan)
    failed = stack.up()
    assert not failed.ok
    assert "line 'desk': cannot adopt SIP inbound trunk ST_doesnotexist" in failed.error
    assert stack.destroy().ok


def test_two_stacks_of_one_project_own_their_lines(tmp_path, clean_livekit):
    dev = make_stack(tmp_path, clean_livekit, lines(3))
    prod_plan = {
        k.replace("line", "prod"): {
            **v,
            "numbers": [v["numbers"][0].replace("+1628200", "+1628300")],
        }
        for k, v in lines(3).items()
    }
    prod = make_stack(tmp_path, clean_livekit, prod_plan, stack="prod")
    assert dev.up().ok
    dev_ids = recorded_ids(objects_of(dev))
    assert prod.up().ok
    prod_ids = recorded_ids(objects_of(prod))
    assert dev_ids.isdisjoint(prod_ids)
    assert live_ids(clean_livekit) == dev_ids | prod_ids
    # prod declares dev's line keys too: names differ by stack, nothing of dev's is taken.
    set_plan(
        prod, {**prod_plan, **{"line000": {**lines(1)["line000"], "numbers": ["+16283009999"]}}}
    )
    assert prod.up().ok
    assert dev_ids <= live_ids(clean_livekit)
    assert recorded_ids(objects_of(dev)) == dev_ids
    assert prod.destroy().ok
    assert live_ids(clean_livekit) == dev_ids
    assert dev.refresh().ok
    assert dev.preview().change_summary.get("update", 0) == 0
    assert dev.destroy().ok


def test_lost_answers_and_objects_left_behind_are_never_duplicated(tmp_path, clean_livekit, proxy):
    plan = lines(5)
    stack = make_stack(tmp_path, clean_livekit, plan, url=proxy.url)
    # LiveKit creates a trunk and a rule but their answers are lost: each is found by its
    # autoname, not created again.
    proxy.lose_answer("CreateSIPInboundTrunk", times=1)
    proxy.lose_answer("CreateSIPDispatchRule", times=1, how="reset")
    up = stack.up()
    assert up.ok, up.error
    assert counts(clean_livekit) == (5, 5, 0)
    ids = recorded_ids(objects_of(stack))
    assert ids == live_ids(clean_livekit)

    # A stack whose state was lost (an `up` killed before it recorded anything) finds the
    # objects bearing its autonames and takes them over: no second copy.
    again = LocalStack(
        PROJECT,
        plan_program(plan),
        tmp_path / "other-state",
        stack="dev",
        config=clean_livekit.config(),
        secret_config=clean_livekit.secret_config(),
    )
    taken = again.up()
    assert taken.ok, taken.error
    assert recorded_ids(objects_of(again)) == ids
    assert counts(clean_livekit) == (5, 5, 0)
    assert again.destroy().ok
    assert live_ids(clean_livekit) == set()


def test_the_pack_checks_every_line_and_the_stack_rules_see_them(tmp_path, clean_livekit):
    from localstack import POLICY_PACK

    plan = lines(3)
    plan["open"] = {
        "numbers": ["+16282008888"],
        "agent_name": "support-agent",
        "inbound": {"allowed_addresses": ["0.0.0.0/0"]},
    }
    plan["twin"] = {**plan["line001"]}  # the same number as line001: the server refuses it
    stack = make_stack(tmp_path, clean_livekit, plan)
    preview = stack.preview(policy_packs=[POLICY_PACK])
    open_world = preview.violations("LKSIN004")
    assert [v.resource_name for v in open_world] == ["plan"], preview.policy_events
    assert "line 'open': " in open_world[0].message
    conflicts = preview.violations("LKSSTK002")
    assert conflicts, preview.policy_events
    assert all(v.resource_name == "plan" for v in conflicts)
    text = " ".join(v.message for v in conflicts)
    assert "line 'line001': numbers: conflicts with inbound trunk 'plan/twin'" in text
    # A line these rules find nothing wrong with is not named by them.
    assert not any("line000" in e.message for e in open_world + conflicts)
    # Stack rules follow a line's rule to its trunk (krisp is off on both: LKSSTK006).
    krisp = [e.message for e in preview.violations("LKSSTK006")]
    assert any(
        "line 'line000': krisp_enabled: is off on the trunk and on its dispatch" in m for m in krisp
    )
    assert live_ids(clean_livekit) == set()


def test_verbose_engine_logs_never_show_a_line_password(tmp_path, clean_livekit):
    from tests.e2e.test_faults import leaks

    plan = lines(2)
    plan["line001"] = {
        **plan["line001"],
        "outbound": {
            "address": "sip.example.net",
            "auth_username": "acme",
            "auth_password": PASSWORD,
        },
    }
    stack = make_stack(tmp_path, clean_livekit, plan)
    verbose = {"color": "never", "log_verbosity": 9, "log_to_std_err": True, "debug": True}
    created = stack.stack.up(**verbose)
    log = created.stdout + created.stderr
    assert "Check(urn:pulumi:dev::numberplan::" in log
    assert leaks(log, PASSWORD) == []
    refreshed = stack.stack.refresh(**verbose)
    assert leaks(refreshed.stdout + refreshed.stderr, PASSWORD) == []
    assert PASSWORD not in stack.export_text() + stack.state_files_text()
    assert stack.preview().change_summary.get("update", 0) == 0
    # A password changed outside Pulumi: refresh sees its line drift (by the keyed digest), and
    # the next up puts the declared one back.
    trunk_id = objects_of(stack)["line000"]["inbound_trunk_id"]
    [trunk] = [t for t in clean_livekit.inbound_trunks() if t.sip_trunk_id == trunk_id]
    trunk.auth_password = "changed-by-hand"
    clean_livekit.call(lambda lk: lk.sip.update_inbound_trunk(trunk_id, trunk))
    assert stack.refresh().ok
    assert stack.preview().change_summary.get("update") == 1
    assert stack.up().ok
    [trunk] = [t for t in clean_livekit.inbound_trunks() if t.sip_trunk_id == trunk_id]
    assert trunk.auth_password == PASSWORD
    assert stack.destroy().ok


def test_a_renamed_line_keeps_its_number_free_for_its_new_name(tmp_path, clean_livekit):
    plan = lines(3)
    stack = make_stack(tmp_path, clean_livekit, plan)
    assert stack.up().ok
    renamed = {("front-desk" if k == "line001" else k): v for k, v in plan.items()}
    set_plan(stack, renamed)
    up = stack.up()
    assert up.ok, up.error
    objects = objects_of(stack)
    assert sorted(objects) == ["front-desk", "line000", "line002"]
    assert counts(clean_livekit) == (3, 3, 0)
    assert stack.destroy().ok
