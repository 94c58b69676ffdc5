"""LiveKit's protocol against our specs: every user-settable field is exposed or deliberately
omitted.

The test walks the protobuf descriptors of the installed livekit-protocol from the three
objects (``SIPInboundTrunkInfo``, ``SIPOutboundTrunkInfo``, ``SIPDispatchRuleInfo``) down
through every nested message a spec models (``SIPMediaConfig``, ``SIPDispatchRule``,
``RoomConfiguration``...). When LiveKit adds a field, it fails and names it: expose it (a field
of the spec, with its Args field) or list it in the spec's ``omitted`` with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping

import livekit_sip_core
import pytest
from livekit.protocol import sip as sip_pb
from livekit_sip_pulumi import specs
from livekit_sip_pulumi.messages import SERVER_ASSIGNED, MessageSpec, nested_spec
from livekit_sip_pulumi.specs import (
    RoomConfigurationSpec,
    SipDispatchRuleSpec,
    SipInboundTrunkSpec,
    SipOutboundTrunkSpec,
)

TOP = (SipInboundTrunkSpec, SipOutboundTrunkSpec, SipDispatchRuleSpec)
DURATION = "google.protobuf.Duration"


def modelled(tops: tuple[type[MessageSpec], ...] = TOP) -> list[type[MessageSpec]]:
    """Every spec reachable from ``tops`` through nested message fields, each once."""
    seen: list[type[MessageSpec]] = []
    todo = list(tops)
    while todo:
        spec = todo.pop(0)
        if spec in seen:
            continue
        seen.append(spec)
        todo.extend(n for name in spec.model_fields if (n := nested_spec(spec, name)))
    return seen


def descriptor_problems(
    spec: type[MessageSpec], omitted: Mapping[str, str] | None = None
) -> list[str]:
    """What is wrong between ``spec`` and its message's descriptor (``omitted`` defaults to
    the spec's own list)."""
    omitted = spec.omitted if omitted is None else omitted
    message = spec.proto.DESCRIPTOR
    where = f"{spec.__name__} ({message.full_name})"
    exposed = set(spec.model_fields)
    problems = []
    for field in message.fields:
        if field.name not in exposed and field.name not in omitted:
            problems.append(
                f"{where}: LiveKit's field {field.name!r} (number {field.number}) is neither "
                f"exposed nor omitted: add it to {spec.__name__} (and its Args class), or list "
                f"it in {spec.__name__}.omitted with the reason"
            )
    for name in sorted(exposed - set(message.fields_by_name)):
        problems.append(f"{where}: {name!r} is not a field of {message.full_name}")
    for name in sorted(set(omitted) - set(message.fields_by_name)):
        problems.append(f"{where}: omitted lists {name!r}, which {message.full_name} lacks")
    for name in sorted(exposed & set(omitted)):
        problems.append(f"{where}: {name!r} is both exposed and listed in omitted")
    for name in sorted(exposed & set(message.fields_by_name)):
        field = message.fields_by_name[name]
        kind = field.message_type
        if kind is None or kind.GetOptions().map_entry or kind.full_name == DURATION:
            continue
        nested = nested_spec(spec, name)
        if nested is None or nested.proto.DESCRIPTOR is not kind:
            problems.append(f"{where}: {name!r} needs a nested spec of {kind.full_name}")
    return problems


def test_the_walk_reaches_every_message_spec_we_export() -> None:
    exported = {
        value
        for name in specs.__all__
        if isinstance(value := getattr(specs, name), type)
        and issubclass(value, MessageSpec)
        and "proto" in vars(value)
    }
    assert exported <= set(modelled())
    assert {spec.proto.DESCRIPTOR.full_name for spec in modelled()} >= {
        "livekit.SIPInboundTrunkInfo",
        "livekit.SIPOutboundTrunkInfo",
        "livekit.SIPDispatchRuleInfo",
        "livekit.SIPDispatchRule",
        "livekit.SIPDispatchRuleDirect",
        "livekit.SIPDispatchRuleIndividual",
        "livekit.SIPDispatchRuleCallee",
        "livekit.SIPMediaConfig",
        "livekit.SIPCodec",
        "livekit.RoomConfiguration",
        "livekit.RoomAgentDispatch",
    }


@pytest.mark.parametrize("spec", modelled(), ids=lambda spec: spec.__name__)
def test_every_protocol_field_is_exposed_or_omitted(spec: type[MessageSpec]) -> None:
    assert descriptor_problems(spec) == []


@pytest.mark.parametrize("spec", modelled(), ids=lambda spec: spec.__name__)
def test_every_omission_says_why(spec: type[MessageSpec]) -> None:
    assert all(reason.strip() for reason in spec.omitted.values())


def test_ids_and_timestamps_are_listed_as_server_assigned() -> None:
    for spec in TOP:
        assigned = {name for name, reason in spec.omitted.items() if reason == SERVER_ASSIGNED}
        id_field = next(f.name for f in spec.proto.DESCRIPTOR.fields if f.number == 1)
        assert assigned == {id_field, "created_at", "updated_at"}


# --- the test can fail ----------------------------------------------------------------------


def test_a_field_livekit_added_fails_and_is_named() -> None:
    # As if livekit-protocol had added RoomConfiguration.egress after we wrote `omitted`.
    without = {k: v for k, v in RoomConfigurationSpec.omitted.items() if k != "egress"}
    assert descriptor_problems(RoomConfigurationSpec, without) == [
        "RoomConfigurationSpec (livekit.RoomConfiguration): LiveKit's field 'egress' (number 5) "
        "is neither exposed nor omitted: add it to RoomConfigurationSpec (and its Args class), "
        "or list it in RoomConfigurationSpec.omitted with the reason"
    ]


def test_no_omitted_list_flags_exactly_the_server_assigned_fields() -> None:
    found = descriptor_problems(SipOutboundTrunkSpec, {})
    assert [p.split("field ")[1].split(" ")[0] for p in found] == [
        "'sip_trunk_id'",
        "'created_at'",
        "'updated_at'",
    ]


def test_a_stale_or_contradicting_omission_fails() -> None:
    stale = dict(SipOutboundTrunkSpec.omitted, allowed_addresses="gone", name="twice")
    assert descriptor_problems(SipOutboundTrunkSpec, stale) == [
        "SipOutboundTrunkSpec (livekit.SIPOutboundTrunkInfo): omitted lists 'allowed_addresses', "
        "which livekit.SIPOutboundTrunkInfo lacks",
        "SipOutboundTrunkSpec (livekit.SIPOutboundTrunkInfo): 'name' is both exposed and listed "
        "in omitted",
    ]


@pytest.mark.parametrize(
    ("enum", "names", "proto_enum"),
    [
        (specs.SipMediaEncryption, "MEDIA_ENCRYPTIONS", "SIPMediaEncryption"),
        (specs.SipTransport, "TRANSPORTS", "SIPTransport"),
        (specs.SipHeaderOptions, "HEADER_OPTIONS", "SIPHeaderOptions"),
    ],
)
def test_enums_are_the_cores_and_the_protocols(enum: type, names: str, proto_enum: str) -> None:
    # The components' enums, the core's names (which the pack checks) and the protocol's enum
    # are the same list: a value one of them refuses, they all refuse.
    core = getattr(livekit_sip_core, names)
    assert [member.value for member in enum] == list(core)
    assert list(sip_pb.DESCRIPTOR.enum_types_by_name[proto_enum].values_by_name) == list(core)
