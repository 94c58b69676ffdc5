"""Autonaming: deterministic, unique per project, stack, type and resource; existing objects
keep the name their state records (Pulumi's autoname semantics, in the provider's check())."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pulumi
import pytest
from livekit_sip_pulumi import (
    AgentPhoneLine,
    AgentPhoneLineArgs,
    ProviderOutboundTrunk,
    SipOutboundTrunk,
    TwilioOutbound,
)
from livekit_sip_pulumi.providers import (
    AUTONAME,
    SipInboundTrunkProvider,
    autoname,
)
from pulumi.dynamic import ConfigureRequest
from pulumi.dynamic.config import Config

from .test_resources import Mocks

INBOUND = "pulumi-python:dynamic/livekit:SipInboundTrunk"
OUTBOUND = "pulumi-python:dynamic/livekit:SipOutboundTrunk"


def test_autoname_is_deterministic_and_readable():
    name = autoname("shop", "dev", INBOUND, "support-line")
    assert name == autoname("shop", "dev", INBOUND, "support-line")
    assert re.fullmatch(r"support-line-[0-9a-f]{7}", name)


@pytest.mark.parametrize(
    "other",
    [
        ("shop", "prod", INBOUND, "support-line"),
        ("shop2", "dev", INBOUND, "support-line"),
        ("shop", "dev", OUTBOUND, "support-line"),
        ("shop", "dev", INBOUND, "support-line2"),
    ],
    ids=["stack", "project", "type", "resource"],
)
def test_autoname_differs_per_stack_project_type_and_resource(other):
    assert autoname(*other) != autoname("shop", "dev", INBOUND, "support-line")


def provider() -> SipInboundTrunkProvider:
    p = SipInboundTrunkProvider()
    p.configure(ConfigureRequest(Config({}, "autoname")))
    return p


NEWS = {"numbers": ["+15105550100"], "name": None, AUTONAME: "line-1234abc", "adopt_id": None}


def test_new_resource_without_name_gets_its_autoname():
    result = provider().check({}, dict(NEWS))
    assert result.failures == []
    assert result.inputs["name"] == "line-1234abc"
    assert result.inputs[AUTONAME] == "line-1234abc"  # marks a create


def test_existing_resource_keeps_the_recorded_name():
    # A stack made before autonaming recorded name = resource name: it is never renamed.
    olds = {"numbers": ["+15105550100"], "name": "line"}
    result = provider().check(olds, dict(NEWS))
    assert result.inputs["name"] == "line"
    assert AUTONAME not in result.inputs  # not a create: no takeover on a replacement


def test_explicit_name_is_used_verbatim():
    result = provider().check({"name": "old"}, {**NEWS, "name": "sales"})
    assert result.inputs["name"] == "sales"


def test_adopted_object_without_name_keeps_its_own():
    result = provider().check({}, {**NEWS, "adopt_id": "ST_abc"})
    assert result.inputs.get("name") is None



# --- components: children autoname like plain resources, and take a name ---------------------


@pytest.fixture
def mocks() -> Iterator[Mocks]:
    m = Mocks()
    pulumi.runtime.set_mocks(m, preview=False)
    yield m


def _registered(mocks: Mocks, name: str) -> dict[str, Any]:
    return {k: v for k, v in mocks.by_name(name).inputs.items() if k != "__provider"}


PRESET = TwilioOutbound("acme.pstn.twilio.com", "acme", "Pa55-word!")


@pulumi.runtime.test
def test_preset_trunk_gets_an_autoname_not_the_resource_name(mocks: Mocks) -> Any:
    component = ProviderOutboundTrunk("twilio", PRESET, numbers=["+15105550100"])
    top_level = SipOutboundTrunk("twilio", address="sip.telnyx.com", numbers=["+15105550100"])

    def check(_: Any) -> None:
        trunks = [r for r in mocks.resources if r.name == "twilio" and "dynamic/" in r.typ]
        assert [r.inputs.get("name") for r in trunks] == [None, None]  # named by check()
        assert all(re.fullmatch(r"twilio-[0-9a-f]{7}", r.inputs[AUTONAME]) for r in trunks)
        # Pulumi allows a component's child and a top-level resource of one type and name
        # (their URNs differ): their autonames differ too.
        top = autoname(pulumi.get_project(), pulumi.get_stack(), OUTBOUND, "twilio")
        assert sorted(r.inputs[AUTONAME] == top for r in trunks) == [False, True]

    # Both registrations done before the check (each is registered on its own task).
    return pulumi.Output.all(component.sip_trunk_id, top_level.sip_trunk_id).apply(check)


@pulumi.runtime.test
def test_preset_trunk_takes_a_name(mocks: Mocks) -> Any:
    component = ProviderOutboundTrunk("twilio", PRESET, numbers=["+15105550100"], name="sales")
    return component.sip_trunk_id.apply(
        lambda _: _assert_equal(_registered(mocks, "twilio")["name"], "sales")
    )


def _assert_equal(got: Any, expected: Any) -> None:
    assert got == expected


@pulumi.runtime.test
def test_phone_line_children_autoname_per_line(mocks: Mocks) -> Any:
    def line(resource_name: str, **kwargs: Any) -> AgentPhoneLine:
        return AgentPhoneLine(
            resource_name,
            AgentPhoneLineArgs(
                numbers=["+15105550100"], agent_name="a", outbound=PRESET, sip_subdomain="abc",
                **kwargs,
            ),
        )

    plain, named = line("support"), line("sales", name="sales-line")

    def check(_: Any) -> None:
        for child in ("support-inbound", "support-dispatch", "support-outbound"):
            props = _registered(mocks, child)
            assert props.get("name") is None
            assert re.fullmatch(rf"{child}-[0-9a-f]{{7}}", props[AUTONAME])
        for child in ("sales-inbound", "sales-dispatch", "sales-outbound"):
            assert _registered(mocks, child)["name"] == "sales-line"

    # Every child registered before the check (each is registered on its own task).
    ids = [
        line_id
        for line in (plain, named)
        for line_id in (line.inbound_trunk_id, line.dispatch_rule_id, line.outbound_trunk_id)
        if line_id is not None
    ]
    return pulumi.Output.all(*ids).apply(check)


def test_a_childs_autoname_leaves_no_coroutine_unawaited_when_the_program_ends_first() -> None:
    """A program (or a mock test) can end before a child's autoname is awaited: cancelling the
    pending work then leaves no ``coroutine ... was never awaited`` warning behind."""
    import asyncio
    import gc
    import warnings
    from types import SimpleNamespace

    from livekit_sip_pulumi.resources import _autoname
    from pulumi.runtime.settings import SETTINGS

    loop = asyncio.get_event_loop()
    urn: asyncio.Future[str] = loop.create_future()
    parent = SimpleNamespace(urn=SimpleNamespace(future=lambda: urn))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        name = _autoname("livekit:sip:SipInboundTrunk", "line", parent)  # type: ignore[arg-type]
        pending = asyncio.all_tasks(loop)
        for task in pending:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        del name, pending, task
        SETTINGS.outputs.clear()  # what the mocks do between programs: the last references go
        gc.collect()
    assert [str(w.message) for w in caught if "never awaited" in str(w.message)] == []
