"""Known-good baselines, a one-field mutator and the case tables the meta-tests inspect."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from livekit_sip_policies import (
    DISPATCH_RULE,
    INBOUND_TRUNK,
    OUTBOUND_TRUNK,
    REGISTRY,
    Finding,
    ResourceRule,
    StackResource,
    StackRule,
)

#: Marks a key to delete in :func:`changed`.
DELETE = object()

SECRET = "s3cr3t-Pa55word"

INBOUND: dict[str, Any] = {
    "name": "support-line",
    "sip_trunk_id": "ST_support",
    "numbers": ["+15105550100"],
    "allowed_addresses": ["203.0.113.0/24"],
    "allowed_numbers": [],
    "auth_username": "",
    "auth_password": "",
    "krisp_enabled": True,
    "media_encryption": "SIP_MEDIA_ENCRYPT_ALLOW",
    "ringing_timeout": 30.0,
}

OUTBOUND: dict[str, Any] = {
    "name": "telnyx-out",
    "sip_trunk_id": "ST_out",
    "address": "sip.telnyx.com",
    "transport": "SIP_TRANSPORT_TLS",
    "numbers": ["+15105550100"],
    "auth_username": "livekit-user",
    "auth_password": SECRET,
    "destination_country": "us",
    "media_encryption": "SIP_MEDIA_ENCRYPT_REQUIRE",
}

DISPATCH: dict[str, Any] = {
    "name": "support-calls",
    "rule": {"dispatch_rule_individual": {"room_prefix": "call-", "pin": ""}},
    "trunk_ids": ["ST_support"],
    "inbound_numbers": [],
    "numbers": [],
    "hide_phone_number": True,
    "krisp_enabled": True,
    "room_config": {"agents": [{"agent_name": "support-agent", "metadata": ""}]},
}

BASELINES = {INBOUND_TRUNK: INBOUND, OUTBOUND_TRUNK: OUTBOUND, DISPATCH_RULE: DISPATCH}


def changed(base: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """A deep copy of ``base`` with dotted paths set (or removed with :data:`DELETE`)."""
    result = copy.deepcopy(dict(base))
    for path, value in changes.items():
        *parents, last = path.split(".")
        target = result
        for key in parents:
            target = target.setdefault(key, {})
        if value is DELETE:
            target.pop(last, None)
        else:
            target[last] = value
    return result


@dataclass(frozen=True)
class Case:
    """One row of a rule's table: its input and the exact findings expected."""

    rule_id: str
    name: str
    data: Any
    expected: Sequence[Finding] = ()
    config: Mapping[str, Any] = field(default_factory=dict)

    @property
    def failing(self) -> bool:
        return bool(self.expected)

    def __str__(self) -> str:
        return f"{self.rule_id}-{self.name}"


def run(case: Case) -> list[Finding]:
    rule = REGISTRY.get(case.rule_id)
    if isinstance(rule, ResourceRule):
        return list(rule.check(case.data, case.config))
    assert isinstance(rule, StackRule)
    return list(rule.check(case.data, case.config))


def fail(rule_id: str, name: str, data: Any, *expected: Finding, **config: Any) -> Case:
    return Case(rule_id, f"fail_{name}", data, expected, config)


def ok(rule_id: str, name: str, data: Any, **config: Any) -> Case:
    return Case(rule_id, f"pass_{name}", data, (), config)


def urn(type_: str, name: str) -> str:
    return f"urn:pulumi:dev::demo::{type_}::{name}"


def resource(
    type_: str, name: str, props: Any, deps: Mapping[str, Sequence[str]] | None = None
) -> StackResource:
    return StackResource(urn(type_, name), name, type_, props, dict(deps or {}))


def inbound(name: str, deps: Mapping[str, Sequence[str]] | None = None, **props: Any):
    return resource(INBOUND_TRUNK, name, changed(INBOUND, {"name": name, **props}), deps)


def outbound(name: str, **props: Any) -> StackResource:
    return resource(OUTBOUND_TRUNK, name, changed(OUTBOUND, {"name": name, **props}))


def dispatch(name: str, deps: Mapping[str, Sequence[str]] | None = None, **props: Any):
    return resource(DISPATCH_RULE, name, changed(DISPATCH, {"name": name, **props}), deps)
