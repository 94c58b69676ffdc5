"""Resources and components under Pulumi's mocks: the props each resource registers."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pulumi
import pytest
from livekit_sip_pulumi import (
    AgentPhoneLine,
    AgentPhoneLineArgs,
    InputError,
    ProviderOutboundTrunk,
    RoomAgentDispatchArgs,
    RoomConfigurationArgs,
    SipDispatchRule,
    SipDispatchRuleArgs,
    SipDispatchRuleDirectArgs,
    SipDispatchRuleIndividualArgs,
    SipInboundTrunk,
    SipOutboundTrunk,
    SipOutboundTrunkArgs,
    SipTransport,
    TelnyxOutbound,
    TwilioOutbound,
)
from livekit_sip_pulumi.providers import autoname
from livekit_sip_pulumi.specs import SipDispatchRuleSpec, SipOutboundTrunkSpec

SECRET_SIG = "4dabf18193072939515e22adb298388d"


class Mocks(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.resources: list[pulumi.runtime.MockResourceArgs] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.resources.append(args)
        outs = dict(args.inputs)
        if args.typ.endswith("SipDispatchRule"):
            outs["sip_dispatch_rule_id"] = f"SDR_{args.name}"
        elif "dynamic/livekit:" in args.typ:
            outs["sip_trunk_id"] = f"ST_{args.name}"
        return f"{args.name}-id", outs

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        return {}

    def by_name(self, name: str, dynamic: bool = True) -> pulumi.runtime.MockResourceArgs:
        return next(
            r for r in self.resources if r.name == name and ("dynamic/" in r.typ) == dynamic
        )


@pytest.fixture
def mocks() -> Iterator[Mocks]:
    m = Mocks()
    pulumi.runtime.set_mocks(m, preview=False)
    yield m


def inputs(resource: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
    return {k: v for k, v in resource.inputs.items() if k != "__provider"}


@pulumi.runtime.test
def test_outbound_trunk_props(mocks: Mocks) -> Any:
    trunk = SipOutboundTrunk(
        "telnyx-out",
        SipOutboundTrunkArgs(
            address="sip.telnyx.com",
            numbers=["+15105550100"],
            transport=SipTransport.SIP_TRANSPORT_TLS,
        ),
        auth_username="acme",
        auth_password="Pa55-word!",
    )

    def check(_: Any) -> None:
        registered = mocks.by_name("telnyx-out")
        assert registered.typ == "pulumi-python:dynamic/livekit:SipOutboundTrunk"
        props = inputs(registered)
        # No name given: the provider's check() names it; the program passes the autoname,
        # unique to project, stack, type and resource (the mocks' project and stack).
        assert props.get("name") is None
        assert props["__autoname"] == autoname(
            pulumi.get_project(), pulumi.get_stack(), registered.typ, "telnyx-out"
        )
        assert props["__autoname"].startswith("telnyx-out-")
        assert props["transport"] == "SIP_TRANSPORT_TLS"
        assert props["auth_password"][SECRET_SIG]  # registered as a secret
        # Pickled by reference: a tiny blob naming the library module, not the class body.
        provider = registered.inputs["__provider"]
        blob = base64.b64decode(provider["value"] if isinstance(provider, dict) else provider)
        assert b"livekit_sip_pulumi.providers" in blob and len(blob) < 1000

    assert set(SipOutboundTrunkSpec.model_fields) <= set(vars(trunk))
    return trunk.sip_trunk_id.apply(check)


def test_outbound_trunk_refuses_unknown_kwargs(mocks: Mocks) -> None:
    # An InputError (a pulumi.RunError: shown without a traceback), no longer a TypeError.
    with pytest.raises(InputError, match="adress") as info:
        SipOutboundTrunk("x", adress="sip.telnyx.com")
    assert isinstance(info.value, pulumi.RunError)
    assert "did you mean address?" in str(info.value)


@pulumi.runtime.test
def test_dispatch_rule_typed_args_serialize_to_protocol_dicts(mocks: Mocks) -> Any:
    rule = SipDispatchRule(
        "support",
        SipDispatchRuleArgs(
            rule=SipDispatchRuleIndividualArgs(room_prefix="call-"),
            trunk_ids=["ST_abc"],
            room_config=RoomConfigurationArgs(
                agents=[RoomAgentDispatchArgs(agent_name="support-agent")], empty_timeout=30
            ),
        ),
    )
    plain = SipDispatchRule(
        "support-plain",
        rule={"dispatch_rule_direct": {"room_name": "lobby", "pin": "1234"}},
        room_config={"agents": [{"agent_name": "support-agent"}]},
    )

    def check(_: Any) -> None:
        registered = mocks.by_name("support")
        assert registered.typ == "pulumi-python:dynamic/livekit:SipDispatchRule"
        props = inputs(registered)
        assert props["rule"] == {"dispatch_rule_individual": {"room_prefix": "call-"}}
        assert props["room_config"] == {
            "agents": [{"agent_name": "support-agent"}],
            "empty_timeout": 30,
        }
        assert inputs(mocks.by_name("support-plain"))["rule"] == {
            "dispatch_rule_direct": {"room_name": "lobby", "pin": "1234"}
        }

    assert set(SipDispatchRuleSpec.model_fields) <= set(vars(rule))
    return pulumi.Output.all(rule.sip_dispatch_rule_id, plain.sip_dispatch_rule_id).apply(check)


@pulumi.runtime.test
def test_agent_phone_line_wires_trunk_rule_and_outbound(mocks: Mocks) -> Any:
    line = AgentPhoneLine(
        "support",
        AgentPhoneLineArgs(
            numbers=["+919876543210"],
            agent_name="support-agent",
            hide_phone_number=True,
            outbound=TelnyxOutbound(auth_username="acme", auth_password="Pa55-word!"),
            sip_subdomain="1x2y3z4abc",
        ),
    )
    assert line.region == "india" and line.destination_country == "in"

    def check(values: list[Any]) -> None:
        sip_uri, rule_id, outbound_id = values
        assert sip_uri == "1x2y3z4abc.india.sip.livekit.cloud"
        assert rule_id == "SDR_support-dispatch"
        assert outbound_id == "ST_support-outbound"
        inbound = inputs(mocks.by_name("support-inbound"))
        assert inbound["numbers"] == ["+919876543210"] and inbound["krisp_enabled"] is True
        rule = inputs(mocks.by_name("support-dispatch"))
        assert rule["trunk_ids"] == ["ST_support-inbound"]
        assert rule["rule"] == {"dispatch_rule_individual": {"room_prefix": "call-"}}
        assert rule["room_config"] == {"agents": [{"agent_name": "support-agent"}]}
        assert rule["hide_phone_number"] is True and rule["krisp_enabled"] is True
        outbound = inputs(mocks.by_name("support-outbound"))
        assert outbound["address"] == "sip.telnyx.com"
        assert outbound["destination_country"] == "in"
        assert outbound["numbers"] == ["+919876543210"]
        parent = mocks.by_name("support", dynamic=False)
        assert parent.typ == "livekit-sip:index:AgentPhoneLine"

    assert line.sip_uri is not None and line.outbound_trunk_id is not None
    return pulumi.Output.all(line.sip_uri, line.dispatch_rule_id, line.outbound_trunk_id).apply(
        check
    )


@pulumi.runtime.test
def test_agent_phone_line_minimal(mocks: Mocks) -> Any:
    pulumi.runtime.set_config("livekit:sipSubdomain", "abc123")
    line = AgentPhoneLine(
        "sales",
        AgentPhoneLineArgs(
            numbers=["+15105550100"],
            agent_name="sales-agent",
            krisp_enabled=False,
            rule=SipDispatchRuleDirectArgs(room_name="sales", pin="4321"),
        ),
    )
    assert line.outbound_trunk is None and line.region is None

    def check(values: list[Any]) -> None:
        sip_uri, _rule_id = values
        assert sip_uri == "abc123.sip.livekit.cloud"
        rule = inputs(mocks.by_name("sales-dispatch"))
        assert rule["rule"] == {"dispatch_rule_direct": {"room_name": "sales", "pin": "4321"}}
        assert rule["krisp_enabled"] is False
        assert not [r for r in mocks.resources if r.name == "sales-outbound"]

    assert line.sip_uri is not None
    return pulumi.Output.all(line.sip_uri, line.dispatch_rule_id).apply(check)


@pulumi.runtime.test
def test_provider_outbound_trunk_component(mocks: Mocks) -> Any:
    component = ProviderOutboundTrunk(
        "twilio",
        TwilioOutbound("acme.pstn.twilio.com", "acme", "Pa55-word!"),
        numbers=["+15105550100"],
    )

    def check(trunk_id: str) -> None:
        assert trunk_id == "ST_twilio"
        props = inputs(mocks.by_name("twilio"))
        assert props["address"] == "acme.pstn.twilio.com"

    return component.sip_trunk_id.apply(check)


def test_inbound_trunk_still_registers(mocks: Mocks) -> None:
    SipInboundTrunk("in", numbers=["+15105550100"])


@pulumi.runtime.test
def test_a_thousand_resources_in_one_program(mocks: Mocks) -> Any:
    # Regression: Pulumi's provider serialization nested one more wrapper around pickle's
    # _batch_setitems per dynamic resource; around the thousandth resource, pickling the
    # provider failed with RecursionError.
    trunks = [SipInboundTrunk(f"trunk-{i}", numbers=[f"+1510555{i:04d}"]) for i in range(1200)]

    def check(_: Any) -> None:
        registered = [r for r in mocks.resources if r.typ.endswith(":SipInboundTrunk")]
        assert len(registered) == 1200

    return pulumi.Output.all(*[t.sip_trunk_id for t in trunks]).apply(check)
