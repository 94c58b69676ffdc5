"""The Pulumi package schema of the ``livekit-sip`` provider plugin, generated from the specs.

No second list of fields: each resource's properties are its spec's fields (the protocol's
names in camelCase, :func:`livekit_sip_core.names.camel_case`), typed from the protobuf
descriptor of the field (strings, booleans, integers, numbers of seconds for durations, enums by
name, maps of strings, nested messages as object types named after their spec). A test fails
when the schema and the specs differ.
"""

from __future__ import annotations

import json
from typing import Any

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

__all__ = ["CONFIG", "PROVIDERS", "SECRET_FIELDS", "package_schema", "schema_json", "type_name"]

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


def package_schema(version: str) -> dict[str, Any]:
    """The package schema (a dict), version ``version``."""
    builder = _Builder()
    resources = {token: _resource(builder, provider) for token, provider in PROVIDERS.items()}
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
