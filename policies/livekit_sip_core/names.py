"""Property names in the two spellings: the protocol's (``trunk_ids``, what the specs, the
dynamic resources and the rules use) and Pulumi's schema convention (``trunkIds``, what the
provider plugin's resources take in every language).

The conversion is mechanical, except inside the fields whose values are maps of the user's own
keys (SIP header names, participant attribute names): those keys are kept as written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = [
    "MAP_FIELDS",
    "camel_case",
    "password_config_key",
    "protocol_names",
    "schema_names",
    "snake_case",
]

#: Fields whose values map the user's keys (header or attribute names) to values; a test holds
#: this set to the map fields of the protocol messages the specs expose.
MAP_FIELDS = frozenset({"headers", "headers_to_attributes", "attributes_to_headers", "attributes"})

_UPPER = re.compile(r"(?<!^)([A-Z])")


def camel_case(name: str) -> str:
    """``trunk_ids`` -> ``trunkIds``; hidden keys (``__autoname``) are left alone."""
    if name.startswith("__"):
        return name
    first, *rest = name.split("_")
    return first + "".join(part[:1].upper() + part[1:] for part in rest)


def snake_case(name: str) -> str:
    """``trunkIds`` -> ``trunk_ids``; hidden keys (``__autoname``) are left alone."""
    if name.startswith("__"):
        return name
    return _UPPER.sub(r"_\1", name).lower()


def _convert(value: Any, rename: Any, protocol_key: Any) -> Any:
    if isinstance(value, Mapping):
        converted = {}
        for key, item in value.items():
            new_key = rename(key) if isinstance(key, str) else key
            name = protocol_key(key, new_key)
            keep = name in MAP_FIELDS  # the user's own keys
            converted[new_key] = item if keep else _convert(item, rename, protocol_key)
        return converted
    if isinstance(value, (list, tuple)):
        return [_convert(item, rename, protocol_key) for item in value]
    return value


def protocol_names(props: Any) -> Any:
    """``props`` of a plugin resource with the protocol's names (nested objects too)."""
    return _convert(props, snake_case, lambda _old, new: new)


def schema_names(props: Any) -> Any:
    """``props`` with the schema's camelCase names (nested objects too)."""
    return _convert(props, camel_case, lambda old, _new: old)


def password_config_key(resource_name: str) -> str:
    """The stack config key that holds a trunk's password, for a program written from a live
    project (``livekit-sip export``, ``pulumi import``): ``secured-line`` ->
    ``securedLineAuthPassword``."""
    parts = [p for p in re.split(r"[^0-9a-zA-Z]+", resource_name) if p]
    stem = parts[0].lower() + "".join(p.capitalize() for p in parts[1:]) if parts else "trunk"
    return f"{stem}AuthPassword"
