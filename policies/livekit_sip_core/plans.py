"""Number plans (``SipNumberPlan``): what each line's LiveKit objects are.

Defined once here, for the provider (which creates the objects) and for the pack and the doctor
(which check them as they check the single resources): a line's inbound trunk takes the line's
numbers and its ``inbound`` fields; its dispatch rule, unless ``dispatch`` gives a ``rule``,
gives each caller a room of its own (``room_prefix`` + caller) with ``agent_name`` dispatched;
its outbound trunk, when ``outbound`` is given, takes the line's numbers and those fields."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .ids import (
    DISPATCH_RULE_TYPE,
    DYNAMIC_MODULE,
    INBOUND_TRUNK_TYPE,
    OUTBOUND_TRUNK_TYPE,
    RULE_INDIVIDUAL,
    TRUNK_ID_PREFIX,
)

__all__ = [
    "PLAN_LINE_MARK",
    "PLAN_TYPE",
    "PlanLineObject",
    "line_object_props",
    "plan_line_objects",
    "plan_urn_of",
]

#: The number plan's type token.
PLAN_TYPE = f"pulumi-python:dynamic/{DYNAMIC_MODULE}:SipNumberPlan"
#: What tells a line's object (as the pack's stack rules see it) from the plan: its URN is the
#: plan's URN, this mark, the line's key and the object's kind.
PLAN_LINE_MARK = "#line="
#: The kinds of a line's objects and their types, in the order they are created.
LINE_KINDS = {
    "inbound": INBOUND_TRUNK_TYPE,
    "dispatch": DISPATCH_RULE_TYPE,
    "outbound": OUTBOUND_TRUNK_TYPE,
}
DEFAULT_ROOM_PREFIX = "call-"
_ID_FIELDS = {
    "inbound": "inbound_trunk_id",
    "dispatch": "dispatch_rule_id",
    "outbound": "outbound_trunk_id",
}


def line_object_props(line: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The declared fields of a line's objects, by kind (no outbound trunk unless declared);
    names and trunk IDs are the plan's to set."""
    numbers = list(line.get("numbers") or [])
    objects: dict[str, dict[str, Any]] = {
        "inbound": {**dict(line.get("inbound") or {}), "numbers": numbers}
    }
    dispatch = dict(line.get("dispatch") or {})
    room_prefix = line.get("room_prefix")
    dispatch.setdefault(
        "rule",
        {
            RULE_INDIVIDUAL: {
                "room_prefix": DEFAULT_ROOM_PREFIX if room_prefix is None else room_prefix
            }
        },
    )
    agent = line.get("agent_name") or ""
    if agent and "room_config" not in dispatch:
        dispatch["room_config"] = {"agents": [{"agent_name": agent}]}
    objects["dispatch"] = dispatch
    outbound = line.get("outbound")
    if isinstance(outbound, Mapping):
        objects["outbound"] = {**dict(outbound), "numbers": numbers}
    return objects


class PlanLineObject:
    """One object of one line, shaped as the single resource of its kind: for the pack."""

    __slots__ = ("key", "kind", "name", "props", "type", "urn")

    def __init__(self, key: str, kind: str, urn: str, name: str, props: dict[str, Any]) -> None:
        self.key, self.kind, self.urn, self.name, self.props = key, kind, urn, name, props
        self.type = LINE_KINDS[kind]


def _placeholder_id(plan_name: str, key: str) -> str:
    """A trunk ID standing for a line's trunk before LiveKit gives one (preview)."""
    return TRUNK_ID_PREFIX + re.sub(r"[^A-Za-z0-9]", "_", f"plan_{plan_name}_{key}")


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def plan_line_objects(plan_urn: str, plan_name: str, props: Any) -> list[PlanLineObject]:
    """Every line's objects, with the IDs the plan's outputs record (``objects``) or, before
    they exist, placeholders that tie a line's rule to its trunk."""
    if not isinstance(props, Mapping) or not isinstance(props.get("lines"), Mapping):
        return []
    recorded: Mapping[str, Any] = _mapping(props.get("objects"))
    found = []
    for key, line in props["lines"].items():
        if not isinstance(line, Mapping):
            continue
        ids = _mapping(recorded.get(key))
        names = _mapping(ids.get("names"))
        trunk_id = ids.get("inbound_trunk_id") or _placeholder_id(plan_name, str(key))
        for kind, object_props in line_object_props(line).items():
            object_props = dict(object_props)
            object_props["name"] = names.get(kind) or f"{plan_name}-{key}-{kind}"
            if kind == "dispatch":
                object_props["trunk_ids"] = [trunk_id]
                if ids.get("dispatch_rule_id"):
                    object_props["sip_dispatch_rule_id"] = ids["dispatch_rule_id"]
            elif kind == "inbound":
                object_props["sip_trunk_id"] = trunk_id
            elif ids.get("outbound_trunk_id"):
                object_props["sip_trunk_id"] = ids["outbound_trunk_id"]
            found.append(
                PlanLineObject(
                    str(key),
                    kind,
                    f"{plan_urn}{PLAN_LINE_MARK}{key}#{kind}",
                    f"{plan_name}/{key}",
                    object_props,
                )
            )
    return found


def plan_urn_of(urn: str) -> tuple[str, str | None]:
    """(the plan's URN, the line's key) of a line object's URN; (urn, None) for any other."""
    if PLAN_LINE_MARK not in urn:
        return urn, None
    plan, rest = urn.split(PLAN_LINE_MARK, 1)
    return plan, rest.rsplit("#", 1)[0]
