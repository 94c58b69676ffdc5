"""The Pulumi package schema of the ``livekit-sip`` provider plugin, generated from the specs.

No second list of fields: each resource's properties are its spec's fields (the protocol's
names in camelCase, :func:`livekit_sip_core.names.camel_case`), typed from the protobuf
descriptor of the field (strings, booleans, integers, numbers of seconds for durations, enums by
name, maps of strings, nested messages as object types named after their spec). A test fails
when the schema and the specs differ.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import json
import re
import sys
from collections.abc import Sequence
from types import UnionType
from typing import Any, Union, get_args, get_origin, get_type_hints

from google.protobuf.descriptor import FieldDescriptor
from livekit_sip_core import (
    PASSWORD_FIELD,
    PLUGIN_DISPATCH_RULE_TYPE,
    PLUGIN_INBOUND_TRUNK_TYPE,
    PLUGIN_OUTBOUND_TRUNK_TYPE,
    PLUGIN_PACKAGE,
)
from livekit_sip_core.names import camel_case
from pydantic import SecretStr

from ..inputs import ADOPT_ID, ADOPT_ONLY_IF_MATCHING
from ..messages import MessageSpec, nested_spec
from ..providers import (
    SipDispatchRuleProvider,
    SipInboundTrunkProvider,
    SipOutboundTrunkProvider,
    SipProviderBase,
)
from ..specs import SipDispatchRuleSpec, SipInboundTrunkSpec, SipOutboundTrunkSpec

#: The component's type token (construct).
LINE_TYPE = f"{PLUGIN_PACKAGE}:index:AgentPhoneLine"

__all__ = [
    "CONFIG",
    "LINE_TYPE",
    "PROVIDERS",
    "SECRET_FIELDS",
    "package_schema",
    "schema_json",
    "type_name",
]

#: Plugin resource type -> the dynamic provider whose methods it runs.
PROVIDERS: dict[str, type[SipProviderBase]] = {
    PLUGIN_INBOUND_TRUNK_TYPE: SipInboundTrunkProvider,
    PLUGIN_OUTBOUND_TRUNK_TYPE: SipOutboundTrunkProvider,
    PLUGIN_DISPATCH_RULE_TYPE: SipDispatchRuleProvider,
}

#: Top-level fields the plugin always marks secret (inputs and outputs).
SECRET_FIELDS = frozenset({PASSWORD_FIELD})

#: The provider's configuration (``livekit-sip:url`` ...): schema name -> (the dynamic
#: providers' stack config key it stands for, description, secret).
CONFIG: dict[str, tuple[str, str, bool]] = {
    "url": ("livekit:url", "The LiveKit server's URL (or LIVEKIT_URL).", False),
    "apiKey": ("livekit:apiKey", "The LiveKit API key (or LIVEKIT_API_KEY).", False),
    "apiSecret": ("livekit:apiSecret", "The LiveKit API secret (or LIVEKIT_API_SECRET).", True),
    "timeoutSeconds": (
        "livekit:timeoutSeconds",
        "Bound on one LiveKit call, retries included, in seconds (or LIVEKIT_TIMEOUT_SECONDS; "
        "default 30).",
        False,
    ),
}

_DURATION = "google.protobuf.Duration"
_SCALARS = {
    FieldDescriptor.TYPE_STRING: "string",
    FieldDescriptor.TYPE_BOOL: "boolean",
    FieldDescriptor.TYPE_UINT32: "integer",
    FieldDescriptor.TYPE_INT32: "integer",
    FieldDescriptor.TYPE_UINT64: "integer",
    FieldDescriptor.TYPE_INT64: "integer",
    FieldDescriptor.TYPE_FLOAT: "number",
    FieldDescriptor.TYPE_DOUBLE: "number",
}


def type_name(spec: type[MessageSpec]) -> str:
    """The schema token of a nested spec's object type: ``livekit-sip:index:SipMediaConfig``."""
    return f"{PLUGIN_PACKAGE}:index:{spec.__name__.removesuffix('Spec')}"


def _enum_token(enum: Any) -> str:
    return f"{PLUGIN_PACKAGE}:index:{enum.name}"


class _Builder:
    def __init__(self) -> None:
        self.types: dict[str, Any] = {}

    def field_type(self, spec: type[MessageSpec], name: str) -> dict[str, Any]:
        field: Any = spec.proto.DESCRIPTOR.fields_by_name[name]
        kind = field.message_type
        if kind is not None and kind.GetOptions().map_entry:
            return {"type": "object", "additionalProperties": {"type": "string"}}
        item = self._item_type(spec, name, field)
        if field.label == FieldDescriptor.LABEL_REPEATED:
            return {"type": "array", "items": item}
        return item

    def _item_type(self, spec: type[MessageSpec], name: str, field: Any) -> dict[str, Any]:
        kind = field.message_type
        if kind is not None:
            if kind.full_name == _DURATION:
                return {"type": "number"}
            nested = nested_spec(spec, name)
            assert nested is not None, f"{spec.__name__}.{name} needs a nested spec"
            token = type_name(nested)
            if token not in self.types:
                self.types[token] = {}  # placeholder: recursive specs terminate
                self.types[token] = {"type": "object", **self.properties(nested)}
            return {"$ref": f"#/types/{token}"}
        if field.enum_type is not None:
            token = _enum_token(field.enum_type)
            if token not in self.types:
                self.types[token] = {
                    "type": "string",
                    "enum": [{"value": value.name} for value in field.enum_type.values],
                }
            return {"$ref": f"#/types/{token}"}
        return {"type": _SCALARS[field.type]}

    def properties(self, spec: type[MessageSpec]) -> dict[str, Any]:
        properties: dict[str, Any] = {}
        required: list[str] = []
        for name, info in spec.model_fields.items():
            prop = self.field_type(spec, name)
            if info.annotation is SecretStr or name in SECRET_FIELDS:
                prop["secret"] = True
            properties[camel_case(name)] = prop
            if info.is_required():
                required.append(camel_case(name))
        result: dict[str, Any] = {"properties": properties}
        if required:
            result["required"] = required
        return result


def _resource(builder: _Builder, provider: type[SipProviderBase]) -> dict[str, Any]:
    spec = provider.spec_class
    inputs = builder.properties(spec)
    input_properties = dict(inputs["properties"])
    input_properties[camel_case(ADOPT_ID)] = {
        "type": "string",
        "description": f"An existing {spec.kind} to take over instead of creating one "
        f"({spec.id_prefix}...).",
    }
    input_properties[camel_case(ADOPT_ONLY_IF_MATCHING)] = {
        "type": "boolean",
        "description": "Refuse the adoption when the live object differs from the declaration.",
    }
    id_output = camel_case(provider.object_api.id_field)
    outputs = {**input_properties, id_output: {"type": "string"}}
    return {
        "description": (spec.__doc__ or spec.kind).strip().splitlines()[0],
        "inputProperties": input_properties,
        "properties": outputs,
        "required": [id_output],
        **({"requiredInputs": inputs["required"]} if "required" in inputs else {}),
    }


# --- the AgentPhoneLine component ------------------------------------------------------------

#: Where a component input's type comes from: the spec field of the same meaning (so the line's
#: ``numbers`` is typed as the inbound trunk's); fields of no spec are typed from their hints.
_LINE_FIELDS_FROM: dict[str, tuple[type[MessageSpec], str]] = {
    "numbers": (SipInboundTrunkSpec, "numbers"),
    "allowed_addresses": (SipInboundTrunkSpec, "allowed_addresses"),
    "auth_username": (SipInboundTrunkSpec, "auth_username"),
    "auth_password": (SipInboundTrunkSpec, PASSWORD_FIELD),
    "krisp_enabled": (SipInboundTrunkSpec, "krisp_enabled"),
    "name": (SipInboundTrunkSpec, "name"),
    "hide_phone_number": (SipDispatchRuleSpec, "hide_phone_number"),
    "rule": (SipDispatchRuleSpec, "rule"),
    "transport": (SipOutboundTrunkSpec, "transport"),
}
_HINTS = {str: "string", bool: "boolean", int: "integer", float: "number"}


def _hint_type(hint: Any) -> dict[str, Any]:
    """A schema type from a Python type hint: ``Input[str] | None`` -> string (the first member
    of a union that has a schema type), sequences -> arrays."""
    origin = get_origin(hint)
    if origin in (Union, UnionType):
        for member in get_args(hint):
            try:
                return _hint_type(member)
            except TypeError:
                continue
    if origin in (list, Sequence, collections.abc.Sequence):
        return {"type": "array", "items": _hint_type(get_args(hint)[0])}
    if hint in _HINTS:
        return {"type": _HINTS[hint]}
    raise TypeError(f"no schema type for {hint!r}")


def _field_docs(cls: type) -> dict[str, str]:
    """``- ``field``: text`` items of a dataclass's docstring, by field (one line each)."""
    docs: dict[str, str] = {}
    for item in re.split(r"\n\s*- ", cls.__doc__ or "")[1:]:  # [0]: the summary
        names = re.findall(r"``([a-z_]+)``", item.split(":", 1)[0])
        text = " ".join(item.split(":", 1)[-1].split()).replace("``", "`")
        # The plugin's config namespace is the package's (the Python component's: livekit).
        text = text.replace("`livekit:", f"`{PLUGIN_PACKAGE}:")
        for name in names:
            docs.setdefault(name, text[:1].upper() + text[1:])
    return docs


def _dataclass_properties(builder: _Builder, cls: type) -> dict[str, Any]:
    # pulumi.Input is Union[T, Awaitable[T], "Output[T]"]: its forward reference needs a T.
    hints = get_type_hints(cls, vars(sys.modules[cls.__module__]), {"T": Any})
    docs = _field_docs(cls)
    properties: dict[str, Any] = {}
    required: list[str] = []
    for field in dataclasses.fields(cls):
        if field.name == "outbound":
            prop: dict[str, Any] = {"$ref": f"#/types/{_PRESETS_TYPE}"}
        elif field.name in _LINE_FIELDS_FROM:
            prop = dict(builder.field_type(*_LINE_FIELDS_FROM[field.name]))
        else:
            prop = _hint_type(hints[field.name])
        if field.name in SECRET_FIELDS:
            prop["secret"] = True
        if docs.get(field.name):
            prop["description"] = docs[field.name]
        properties[camel_case(field.name)] = prop
        no_default = field.default is dataclasses.MISSING
        if no_default and field.default_factory is dataclasses.MISSING:
            required.append(camel_case(field.name))
    return {"properties": properties, **({"required": required} if required else {})}


_PRESETS_TYPE = f"{PLUGIN_PACKAGE}:index:OutboundPresets"


def _line_resource(builder: _Builder) -> dict[str, Any]:
    from .component import LINE_OUTPUTS, PRESETS, AgentPhoneLine, AgentPhoneLineArgs

    presets: dict[str, Any] = {}
    for key, preset in PRESETS.items():
        token = f"{PLUGIN_PACKAGE}:index:{preset.__name__}"
        builder.types[token] = {
            "type": "object",
            "description": " ".join((preset.__doc__ or "").split()).replace("``", "`"),
            **_dataclass_properties(builder, preset),
        }
        presets[key] = {"$ref": f"#/types/{token}"}
    builder.types[_PRESETS_TYPE] = {
        "type": "object",
        "description": "A phone provider's outbound trunk for the line's numbers: set one.",
        "properties": presets,
    }
    inputs = _dataclass_properties(builder, AgentPhoneLineArgs)
    outputs = {camel_case(name): {"type": "string"} for name in LINE_OUTPUTS}
    return {
        "isComponent": True,
        "description": " ".join((AgentPhoneLine.__doc__ or "").split("\n\n")[0].split()),
        "inputProperties": inputs["properties"],
        "requiredInputs": inputs.get("required", []),
        "properties": outputs,
        "required": [camel_case(n) for n in ("inbound_trunk_id", "dispatch_rule_id")],
    }


def package_schema(version: str) -> dict[str, Any]:
    """The package schema (a dict), version ``version``."""
    builder = _Builder()
    resources = {token: _resource(builder, provider) for token, provider in PROVIDERS.items()}
    resources[LINE_TYPE] = _line_resource(builder)
    config_vars = {
        name: {"type": "string", "description": text, **({"secret": True} if secret else {})}
        for name, (_key, text, secret) in CONFIG.items()
    }
    return {
        "name": PLUGIN_PACKAGE,
        "displayName": "LiveKit SIP",
        "version": version,
        "description": "LiveKit SIP trunks and dispatch rules, checked before they are created.",
        "homepage": "https://docs.livekit.io/sip/",
        "config": {"variables": config_vars},
        "provider": {"inputProperties": config_vars},
        "resources": resources,
        "types": dict(sorted(builder.types.items())),
    }


def schema_json(version: str) -> str:
    return json.dumps(package_schema(version), indent=2, sort_keys=False)
