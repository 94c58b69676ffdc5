"""Autonaming: deterministic, unique per project, stack, type and resource; existing objects
keep the name their state records (Pulumi's autoname semantics, in the provider's check())."""

from __future__ import annotations

import re

import pytest
from livekit_sip_pulumi.providers import (
    AUTONAME,
    SipInboundTrunkProvider,
    autoname,
)
from pulumi.dynamic import ConfigureRequest
from pulumi.dynamic.config import Config

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

