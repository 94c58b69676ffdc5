"""One program with a provider preset and an AgentPhoneLine, deployed as two stacks of one
LiveKit project, through the real engine: every object of the components gets a name of its
own stack (or the `name` given), the stacks never touch each other's objects, and a stack
made when presets named their trunk after the resource keeps that name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi
import pytest
from livekit_sip_pulumi import (
    AgentPhoneLine,
    AgentPhoneLineArgs,
    ProviderOutboundTrunk,
    TelnyxOutbound,
)
from localstack import LocalStack

pytestmark = pytest.mark.e2e

PROJECT = "component-stacks"
PASSWORD = "stacks-pw-5c1e0d7b-not-in-state"


def telnyx() -> TelnyxOutbound:
    return TelnyxOutbound(auth_username="acme", auth_password=PASSWORD)


def program() -> None:
    """The same program for every stack; only the line's number comes from the stack config
    (the server refuses two inbound trunks for one number)."""
    config = pulumi.Config()
    trunk = ProviderOutboundTrunk("telnyx", telnyx(), numbers=["+15105550100"])
    named = ProviderOutboundTrunk(
        "sales", telnyx(), numbers=["+15105550100"], name=f"sales-{pulumi.get_stack()}"
    )
    line = AgentPhoneLine(
        "support",
        AgentPhoneLineArgs(
            numbers=[config.require("number")],
            agent_name="support-agent",
            outbound=telnyx(),
            sip_subdomain="abc123",
            name=config.get("lineName"),
        ),
    )
    pulumi.export("telnyx", trunk.sip_trunk_id)
    pulumi.export("sales", named.sip_trunk_id)
    pulumi.export("inbound", line.inbound_trunk_id)
    pulumi.export("dispatch", line.dispatch_rule_id)
    pulumi.export("outbound", line.outbound_trunk_id)


def make_stack(tmp_path: Path, livekit: Any, stack: str, **config: str) -> LocalStack:
    return LocalStack(
        PROJECT,
        program,
        tmp_path / "state",
        stack=stack,
        config={**livekit.config(), **config},
        secret_config=livekit.secret_config(),
    )


def names(livekit: Any) -> dict[str, str]:
    """ID -> name of every SIP object of the project."""
    found = {o.sip_trunk_id: o.name for o in livekit.inbound_trunks() + livekit.outbound_trunks()}
    found.update({r.sip_dispatch_rule_id: r.name for r in livekit.dispatch_rules()})
    return found


def serialized(livekit: Any) -> dict[str, bytes]:
    found = {
        o.sip_trunk_id: o.SerializeToString(deterministic=True)
        for o in livekit.inbound_trunks() + livekit.outbound_trunks()
    }
    for rule in livekit.dispatch_rules():
        found[rule.sip_dispatch_rule_id] = rule.SerializeToString(deterministic=True)
    return found


def test_components_of_one_program_in_two_stacks(tmp_path: Path, clean_livekit: Any) -> None:
    livekit = clean_livekit
    dev = make_stack(tmp_path, livekit, "dev", number="+15105550111")
    dev_up = dev.up()
    assert dev_up.ok, dev_up.error
    dev_ids = dev_up.outputs
    dev_objects = serialized(livekit)
    assert sorted(dev_objects) == sorted(dev_ids.values())

    prod = make_stack(tmp_path, livekit, "prod", number="+15105550122", lineName="prod-line")
    prod_up = prod.up()
    assert prod_up.ok, prod_up.error
    prod_ids = prod_up.outputs
    assert set(prod_ids.values()).isdisjoint(dev_ids.values())
    assert {k: v for k, v in serialized(livekit).items() if k in dev_objects} == dev_objects

    by_id = names(livekit)
    assert len(by_id) == 10
    # Without `name`, each stack's objects bear names of their own, made from the resource
    # names; `name` is passed through.
    for stack_ids in (dev_ids, prod_ids):
        assert by_id[stack_ids["telnyx"]].startswith("telnyx-")
    assert by_id[dev_ids["telnyx"]] != by_id[prod_ids["telnyx"]]
    assert (by_id[dev_ids["sales"]], by_id[prod_ids["sales"]]) == ("sales-dev", "sales-prod")
    for part, child in (("inbound", "inbound"), ("dispatch", "dispatch"), ("outbound", "outbound")):
        assert by_id[dev_ids[part]].startswith(f"support-{child}-")
        assert by_id[prod_ids[part]] == "prod-line"

    # Destroying prod leaves dev's objects as they were.
    assert prod.destroy().ok
    assert serialized(livekit) == dev_objects
    assert dev.destroy().ok
    assert names(livekit) == {}


def test_preset_trunk_named_after_its_resource_keeps_its_name(
    tmp_path: Path, clean_livekit: Any
) -> None:
    """Earlier releases named a preset's trunk after the resource (an explicit name, as if
    `name="telnyx"`). The program without `name` keeps the recorded name: no rename, no
    replacement, not even an update."""
    livekit = clean_livekit
    explicit = {"name": "telnyx"}

    def trunk_program() -> None:
        trunk = ProviderOutboundTrunk("telnyx", telnyx(), numbers=["+15105550100"], **explicit)
        pulumi.export("telnyx", trunk.sip_trunk_id)

    stack = LocalStack(
        PROJECT,
        trunk_program,
        tmp_path / "state",
        config=livekit.config(),
        secret_config=livekit.secret_config(),
    )
    first = stack.up()
    assert first.ok, first.error
    before = serialized(livekit)
    assert list(names(livekit).values()) == ["telnyx"]

    explicit.clear()  # the new release's program: no name
    preview = stack.preview()
    assert preview.ok, preview.error
    assert set(preview.change_summary) == {"same"}
    again = stack.up()
    assert again.ok, again.error
    assert again.outputs == first.outputs
    assert serialized(livekit) == before
    assert stack.destroy().ok
    assert names(livekit) == {}
