"""The provider plugin's schema against the specs: one list of fields, two spellings.

The schema is generated from the specs; these tests hold the generated schema to them (every
spec field is a property, camelCase, typed as its protobuf field, and nothing else), and the
name conversion to the protocol (the pack reads plugin resources through it).
"""

from __future__ import annotations

from typing import Any

import pytest
from google.protobuf.descriptor import FieldDescriptor
from livekit_sip_core import PASSWORD_FIELD, PLUGIN_TYPES
from livekit_sip_core.names import MAP_FIELDS, camel_case, protocol_names, schema_names, snake_case
from livekit_sip_pulumi.messages import MessageSpec, nested_spec
from livekit_sip_pulumi.plugin.schema import LINE_TYPE, PROVIDERS, package_schema, type_name

from tests.components.test_descriptors import TOP, modelled

SCHEMA = package_schema("1.2.3")


def _resolve(prop: dict[str, Any]) -> dict[str, Any]:
    ref = prop.get("$ref")
    return SCHEMA["types"][ref.removeprefix("#/types/")] if ref else prop


def _expected_type(spec: type[MessageSpec], name: str) -> str:
    field = spec.proto.DESCRIPTOR.fields_by_name[name]
    if field.message_type is not None and field.message_type.GetOptions().map_entry:
        return "object"
    if field.label == FieldDescriptor.LABEL_REPEATED:
        return "array"
    if field.message_type is not None:
        return "number" if field.message_type.full_name == "google.protobuf.Duration" else "object"
    if field.enum_type is not None or field.type == FieldDescriptor.TYPE_STRING:
        return "string"
    return {FieldDescriptor.TYPE_BOOL: "boolean"}.get(field.type, "integer")


def test_every_resource_type_of_the_table_is_in_the_schema() -> None:
    custom = {k for k, v in SCHEMA["resources"].items() if not v.get("isComponent")}
    assert custom == set(PLUGIN_TYPES) == set(PROVIDERS)
    assert set(SCHEMA["resources"]) - custom == {LINE_TYPE}
    assert SCHEMA["name"] == "livekit-sip" and SCHEMA["version"] == "1.2.3"


@pytest.mark.parametrize("token", sorted(PROVIDERS))
def test_resource_properties_are_the_spec_fields(token: str) -> None:
    provider = PROVIDERS[token]
    spec = provider.spec_class
    resource = SCHEMA["resources"][token]
    fields = {camel_case(name) for name in spec.model_fields}
    assert set(resource["inputProperties"]) == fields | {"adoptId", "adoptOnlyIfMatching"}
    id_output = camel_case(provider.object_api.id_field)
    assert set(resource["properties"]) == set(resource["inputProperties"]) | {id_output}
    assert resource["required"] == [id_output]


@pytest.mark.parametrize("spec", modelled(TOP), ids=lambda s: s.__name__)
def test_each_spec_field_is_typed_as_its_protobuf_field(spec: type[MessageSpec]) -> None:
    if spec in TOP:
        token = next(t for t, p in PROVIDERS.items() if p.spec_class is spec)
        properties = SCHEMA["resources"][token]["inputProperties"]
    else:
        properties = SCHEMA["types"][type_name(spec)]["properties"]
        required = SCHEMA["types"][type_name(spec)].get("required", [])
        assert required == [camel_case(n) for n, f in spec.model_fields.items() if f.is_required()]
    for name in spec.model_fields:
        prop = properties[camel_case(name)]
        assert _resolve(prop)["type"] == _expected_type(spec, name), name
        nested = nested_spec(spec, name)
        if nested is not None:
            target = prop["items"] if prop.get("type") == "array" else prop
            assert target == {"$ref": f"#/types/{type_name(nested)}"}
    if spec in TOP:
        assert set(properties) - {"adoptId", "adoptOnlyIfMatching"} == {
            camel_case(n) for n in spec.model_fields
        }
    else:
        assert set(properties) == {camel_case(n) for n in spec.model_fields}


def test_passwords_and_the_api_secret_are_secret() -> None:
    for token in (t for t in PROVIDERS if PASSWORD_FIELD in PROVIDERS[t].spec_class.model_fields):
        resource = SCHEMA["resources"][token]
        assert resource["inputProperties"]["authPassword"]["secret"] is True
        assert resource["properties"]["authPassword"]["secret"] is True
    assert SCHEMA["config"]["variables"]["apiSecret"]["secret"] is True
    assert SCHEMA["provider"]["inputProperties"]["apiSecret"]["secret"] is True
    assert set(SCHEMA["config"]["variables"]) == {"url", "apiKey", "apiSecret", "timeoutSeconds"}


def test_enums_list_the_protocol_values() -> None:
    transport = SCHEMA["types"]["livekit-sip:index:SIPTransport"]
    assert {"value": "SIP_TRANSPORT_TCP"} in transport["enum"]


@pytest.mark.parametrize("spec", modelled(TOP), ids=lambda s: s.__name__)
def test_names_convert_both_ways(spec: type[MessageSpec]) -> None:
    for name in spec.model_fields:
        assert snake_case(camel_case(name)) == name


def test_map_fields_are_the_protocol_maps() -> None:
    maps = {
        name
        for spec in modelled(TOP)
        for name in spec.model_fields
        if (kind := spec.proto.DESCRIPTOR.fields_by_name[name].message_type) is not None
        and kind.GetOptions().map_entry
    }
    assert maps == MAP_FIELDS


def test_conversion_keeps_user_keys_and_hidden_keys() -> None:
    props = {
        "trunk_ids": ["ST_a"],
        "rule": {"dispatch_rule_individual": {"room_prefix": "call-"}},
        "room_config": {"agents": [{"agent_name": "a", "attributes": {"my_attr": "1"}}]},
        "headers": {"X-Custom_Header": "v"},
        "__autoname": "line-0123456",
    }
    camel = schema_names(props)
    assert camel == {
        "trunkIds": ["ST_a"],
        "rule": {"dispatchRuleIndividual": {"roomPrefix": "call-"}},
        "roomConfig": {"agents": [{"agentName": "a", "attributes": {"my_attr": "1"}}]},
        "headers": {"X-Custom_Header": "v"},
        "__autoname": "line-0123456",
    }
    assert protocol_names(camel) == props


def test_agent_phone_line_inputs_are_the_python_components() -> None:
    """The component's inputs are AgentPhoneLineArgs' fields in camelCase, required as there;
    the fields a spec has are typed as the spec's; the presets are one object per provider,
    their fields the preset classes'; the outputs are the component's."""
    import dataclasses

    from livekit_sip_pulumi.plugin.component import LINE_OUTPUTS, PRESETS
    from livekit_sip_pulumi.presets import AgentPhoneLine, AgentPhoneLineArgs
    line = SCHEMA["resources"][LINE_TYPE]
    assert line["isComponent"] is True
    fields = dataclasses.fields(AgentPhoneLineArgs)
    assert list(line["inputProperties"]) == [camel_case(f.name) for f in fields]
    assert line["requiredInputs"] == ["numbers", "agentName"]
    inputs = line["inputProperties"]
    assert inputs["authPassword"]["secret"] is True
    assert {k: v for k, v in inputs["numbers"].items() if k != "description"} == (
        SCHEMA["resources"]["livekit-sip:index:SipInboundTrunk"]["inputProperties"]["numbers"]
    )
    assert inputs["rule"] == (
        SCHEMA["resources"]["livekit-sip:index:SipDispatchRule"]["inputProperties"]["rule"]
    )
    assert "livekit-sip:sipSubdomain" in inputs["sipSubdomain"]["description"]
    presets = _resolve(inputs["outbound"])["properties"]
    assert set(presets) == set(PRESETS)
    for key, preset in PRESETS.items():
        props = _resolve(presets[key])["properties"]
        assert list(props) == [camel_case(f.name) for f in dataclasses.fields(preset)]
        assert props["authPassword"]["secret"] is True
    assert set(line["properties"]) == {camel_case(n) for n in LINE_OUTPUTS}
    # The outputs the Python component registers (its annotations) are the plugin's.
    children = {"inbound_trunk", "dispatch_rule", "outbound_trunk"}
    annotated = {n for n in AgentPhoneLine.__annotations__ if not n.startswith("_")}
    assert set(LINE_OUTPUTS) == annotated - children
