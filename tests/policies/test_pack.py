"""The adapter to pulumi_policy: policies built from the registry, proxies unwrapped."""

from __future__ import annotations

from typing import Any

import pytest
from livekit_sip_core import PLUGIN_PROVIDER_TYPE, PLUGIN_TYPES
from livekit_sip_core.links import TROUBLESHOOTING
from livekit_sip_core.names import schema_names
from livekit_sip_policies import DISPATCH_RULE, INBOUND_TRUNK, OUTBOUND_TRUNK, REGISTRY, UNKNOWN
from livekit_sip_policies.pack import (
    EXEMPT_KEY,
    PACK_NAME,
    as_dynamic,
    build_policies,
    is_exempt,
    name_of_urn,
    plain,
)
from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import (
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
    UnknownValueError,
    unknown_checking_proxy,
)

from .helpers import DISPATCH, INBOUND, OUTBOUND, SECRET, changed, urn

POLICIES = {p.name: p for p in build_policies()}


def test_one_policy_per_rule_in_order() -> None:
    assert PACK_NAME == "livekit-sip"
    assert [p.name for p in build_policies()] == [r.id for r in REGISTRY]


@pytest.mark.parametrize("rule", list(REGISTRY), ids=lambda r: r.id)
def test_policy_metadata(rule) -> None:
    policy = POLICIES[rule.id]
    kind = StackValidationPolicy if rule.id.startswith("LKSSTK") else ResourceValidationPolicy
    assert isinstance(policy, kind)
    assert policy.display_name == rule.title
    assert policy.description.startswith(rule.title)
    assert policy.enforcement_level == EnforcementLevel(rule.enforcement.value)
    assert policy.severity == Severity(rule.severity.value)
    assert policy.remediation_steps == rule.remediation
    assert policy.url == rule.url
    properties = policy.config_schema.properties
    assert properties[EXEMPT_KEY]["type"] == "array"
    assert set(properties) == {EXEMPT_KEY, *(rule.config_schema or {})}


def test_knobs_in_schemas() -> None:
    assert POLICIES["LKSDR002"].config_schema.properties["agentNames"]["items"] == {
        "type": "string"
    }
    assert "externalTrunkIds" in POLICIES["LKSSTK001"].config_schema.properties
    assert POLICIES["LKSSTK007"].config_schema.properties["telnyxReferEnabled"]["type"] == (
        "boolean"
    )


def test_enforcement_defaults() -> None:
    assert POLICIES["LKSIN002"].enforcement_level == EnforcementLevel.MANDATORY
    assert POLICIES["LKSDR004"].enforcement_level == EnforcementLevel.ADVISORY
    assert POLICIES["LKSDR005"].enforcement_level == EnforcementLevel.DISABLED


@pytest.mark.parametrize(
    "sentinel",
    [
        UNKNOWN_STRING_VALUE,
        UNKNOWN_ARRAY_VALUE,
        UNKNOWN_OBJECT_VALUE,
        UNKNOWN_BOOLEAN_VALUE,
        UNKNOWN_NUMBER_VALUE,
    ],
)
def test_plain_unwraps_unknown_sentinels(sentinel: str) -> None:
    props = unknown_checking_proxy(
        {
            "top": sentinel,
            "list": ["+15105550100", sentinel],
            "nested": {"agents": [{"agent_name": sentinel, "metadata": ""}]},
            "number": 30.0,
            "flag": True,
            "none": None,
        }
    )
    with pytest.raises(UnknownValueError):
        props["top"]
    assert plain(props) == {
        "top": UNKNOWN,
        "list": ["+15105550100", UNKNOWN],
        "nested": {"agents": [{"agent_name": UNKNOWN, "metadata": ""}]},
        "number": 30.0,
        "flag": True,
        "none": None,
    }


def test_plain_passes_plain_values_through() -> None:
    assert plain({"a": [1, "x"], "b": {"c": None}}) == {"a": [1, "x"], "b": {"c": None}}
    assert plain("text") == "text"


def _resource_args(
    type_: str, props: dict[str, Any], name: str = "r", config: dict[str, Any] | None = None
) -> ResourceValidationArgs:
    return ResourceValidationArgs(
        type_, unknown_checking_proxy(props), urn(type_, name), name, None, None, config or {}
    )


def _validate(rule_id: str, args: Any) -> list[str]:
    reports: list[str] = []
    POLICIES[rule_id].validate(args, lambda message, urn=None: reports.append(message))
    return reports


def test_resource_policy_reports_formatted_findings() -> None:
    args = _resource_args(OUTBOUND_TRUNK, changed(OUTBOUND, {"auth_username": ""}))
    [message] = _validate("LKSOUT004", args)
    assert message.startswith("auth_username: is empty while auth_password is set\nFix: ")
    assert message.endswith(f"See {TROUBLESHOOTING}")
    assert SECRET not in message


def test_resource_policy_ignores_other_types_and_exempt_names() -> None:
    bad = changed(OUTBOUND, {"auth_username": ""})
    assert _validate("LKSOUT004", _resource_args(INBOUND_TRUNK, bad)) == []
    exempt = _resource_args(OUTBOUND_TRUNK, bad, "legacy", {EXEMPT_KEY: ["legacy"]})
    assert _validate("LKSOUT004", exempt) == []


def test_resource_policy_with_unknowns_in_preview() -> None:
    props = changed(INBOUND, {"numbers": UNKNOWN_ARRAY_VALUE, "allowed_addresses": []})
    assert _validate("LKSIN002", _resource_args(INBOUND_TRUNK, props)) == []
    assert _validate("LKSIN001", _resource_args(INBOUND_TRUNK, props)) == []


def test_agent_names_knob_reaches_the_rule() -> None:
    args = _resource_args(DISPATCH_RULE, DISPATCH, config={"agentNames": ["other-agent"]})
    [message] = _validate("LKSDR002", args)
    assert "'support-agent' is not a deployed agent" in message


def test_remediation_mutates_props_in_place_around_unknowns() -> None:
    props = changed(
        OUTBOUND,
        {
            "destination_country": "UK",
            "headers": UNKNOWN_OBJECT_VALUE,
            "name": UNKNOWN_STRING_VALUE,
        },
    )
    args = _resource_args(OUTBOUND_TRUNK, props)
    fixed = POLICIES["LKSOUT006"].remediate(args)
    assert fixed is args.props
    assert plain(fixed)["destination_country"] == "gb"
    assert plain(fixed)["headers"] is UNKNOWN
    assert POLICIES["LKSOUT006"].remediate(_resource_args(OUTBOUND_TRUNK, OUTBOUND)) is None


def test_only_rules_with_a_safe_fix_remediate() -> None:
    fixers = {
        p.name
        for p in POLICIES.values()
        if isinstance(p, ResourceValidationPolicy) and p.has_remediation()
    }
    assert fixers == {"LKSIN001", "LKSOUT003", "LKSOUT006", "LKSDR007"}
    args = _resource_args(OUTBOUND_TRUNK, changed(OUTBOUND, {"auth_username": ""}))
    assert POLICIES["LKSOUT004"].remediate(args) is None


def _policy_resource(
    type_: str,
    name: str,
    props: dict[str, Any],
    deps: dict[str, list[PolicyResource]] | None = None,
) -> PolicyResource:
    return PolicyResource(
        type_,
        unknown_checking_proxy(props),
        urn(type_, name),
        name,
        None,  # type: ignore[arg-type]
        None,
        None,
        [r for rs in (deps or {}).values() for r in rs],
        deps or {},
    )


def _stack_report(rule_id: str, resources: list[PolicyResource], config=None) -> list[tuple]:
    reports: list[tuple] = []
    POLICIES[rule_id].validate(
        StackValidationArgs(resources, config or {}),
        lambda message, urn=None: reports.append((message, urn)),
    )
    return reports


def test_stack_policy_resolves_unknown_trunk_ids_through_dependencies() -> None:
    trunk = _policy_resource(
        INBOUND_TRUNK, "support", changed(INBOUND, {"sip_trunk_id": UNKNOWN_STRING_VALUE})
    )
    out = _policy_resource(
        OUTBOUND_TRUNK, "out", changed(OUTBOUND, {"sip_trunk_id": UNKNOWN_STRING_VALUE})
    )
    props = changed(DISPATCH, {"trunk_ids": [UNKNOWN_STRING_VALUE]})
    good = _policy_resource(DISPATCH_RULE, "good", props, {"trunk_ids": [trunk]})
    assert _stack_report("LKSSTK001", [trunk, out, good]) == []
    assert _stack_report("LKSSTK005", [trunk, out, good]) == []
    wrong = _policy_resource(DISPATCH_RULE, "wrong", props, {"trunk_ids": [out]})
    [(message, where)] = _stack_report("LKSSTK001", [trunk, out, wrong])
    assert message.startswith("trunk_ids: references outbound trunk 'out'")
    assert where == urn(DISPATCH_RULE, "wrong")


def test_stack_policy_exempt_resources() -> None:
    trunk = _policy_resource(INBOUND_TRUNK, "legacy", INBOUND)
    assert _stack_report("LKSSTK005", [trunk])
    assert _stack_report("LKSSTK005", [trunk], {EXEMPT_KEY: ["legacy"]}) == []


def test_numbers_that_cannot_exist_through_the_pack_with_its_knobs() -> None:
    made_up = "+19995550100"
    trunk = _policy_resource(INBOUND_TRUNK, "lab", changed(INBOUND, {"numbers": [made_up]}))
    [(message, where)] = _stack_report("LKSSTK016", [trunk])
    assert message.startswith(f"numbers[0]: '{made_up}' is in no assigned range of +1 (US,")
    assert "testNumbers" in message and "/telephony/troubleshooting/" in message
    assert where == urn(INBOUND_TRUNK, "lab")
    assert _stack_report("LKSSTK016", [trunk], {"testNumbers": ["+1999*"]}) == []
    assert _stack_report("LKSSTK016", [trunk], {EXEMPT_KEY: ["lab"]}) == []
    unknown = _policy_resource(
        INBOUND_TRUNK, "new", changed(INBOUND, {"numbers": [UNKNOWN_STRING_VALUE]})
    )
    assert _stack_report("LKSSTK016", [unknown]) == []


@pytest.mark.parametrize(
    ("name", "parents", "patterns", "exempt"),
    [
        ("legacy", [], ["legacy"], True),
        ("legacy-2", [], ["legacy"], False),
        ("support-inbound", [], ["support-*"], True),
        ("sales-inbound", [], ["support-*"], False),
        ("line-7", [], ["line-?"], True),
        ("Support-inbound", [], ["support-*"], False),  # Pulumi names are case-sensitive
        ("support-inbound", ["support"], ["support"], True),  # the component's name
        ("support-inbound", ["sales"], ["support"], False),
        ("x", [], [], False),
        ("x", [], [None, 3], False),  # malformed config entries never exempt
        ("x", [], ["*"], True),
    ],
)
def test_is_exempt(name: str, parents: list[str], patterns: list[Any], exempt: bool) -> None:
    assert is_exempt(name, parents, patterns) is exempt


def test_name_of_urn() -> None:
    assert name_of_urn(urn(OUTBOUND_TRUNK, "legacy")) == "legacy"
    line = "urn:pulumi:dev::demo::livekit-sip:index:AgentPhoneLine::support"
    assert name_of_urn(line) == "support"
    assert name_of_urn("urn:pulumi:dev::demo::pulumi:pulumi:Stack::demo-dev") is None
    assert name_of_urn("not a urn") is None


def test_resource_policy_exempts_by_pattern_and_by_component() -> None:
    bad = changed(OUTBOUND, {"auth_username": ""})
    by_pattern = _resource_args(OUTBOUND_TRUNK, bad, "support-outbound", {EXEMPT_KEY: ["sup*"]})
    assert _validate("LKSOUT004", by_pattern) == []
    line = "urn:pulumi:dev::demo::livekit-sip:index:AgentPhoneLine::support"
    child_urn = (
        "urn:pulumi:dev::demo::livekit-sip:index:AgentPhoneLine$"
        f"{OUTBOUND_TRUNK}::support-outbound"
    )

    def child(config: dict[str, Any]) -> ResourceValidationArgs:
        return ResourceValidationArgs(
            OUTBOUND_TRUNK,
            unknown_checking_proxy(bad),
            child_urn,
            "support-outbound",
            PolicyResourceOptions(False, [], False, [], None, [], line),
            None,
            config,
        )

    assert _validate("LKSOUT004", child({EXEMPT_KEY: ["support"]})) == []
    assert _validate("LKSOUT004", child({EXEMPT_KEY: ["sales"]}))
    # The stack is every resource's root parent: its name exempts nothing.
    stack_child = ResourceValidationArgs(
        OUTBOUND_TRUNK,
        unknown_checking_proxy(bad),
        urn(OUTBOUND_TRUNK, "out"),
        "out",
        PolicyResourceOptions(
            False, [], False, [], None, [], "urn:pulumi:dev::demo::pulumi:pulumi:Stack::demo-dev"
        ),
        None,
        {EXEMPT_KEY: ["demo-dev"]},
    )
    assert _validate("LKSOUT004", stack_child)


def test_stack_policy_exempts_a_component_and_its_children() -> None:
    line = PolicyResource(
        "livekit-sip:index:AgentPhoneLine",
        unknown_checking_proxy({}),
        "urn:pulumi:dev::demo::livekit-sip:index:AgentPhoneLine::support",
        "support",
        None,  # type: ignore[arg-type]
        None,
        None,
        [],
        {},
    )
    trunk = _policy_resource(INBOUND_TRUNK, "support-inbound", INBOUND)
    trunk.parent = line
    assert _stack_report("LKSSTK005", [line, trunk])
    assert _stack_report("LKSSTK005", [line, trunk], {EXEMPT_KEY: ["support"]}) == []
    assert _stack_report("LKSSTK005", [line, trunk], {EXEMPT_KEY: ["support-*"]}) == []
    assert _stack_report("LKSSTK005", [line, trunk], {EXEMPT_KEY: ["sales"]})


# --- resources of the provider plugin (other languages) -------------------------------------

PLUGIN = {dynamic: plugin for plugin, dynamic in PLUGIN_TYPES.items()}


def _as_plugin(props: dict[str, Any]) -> dict[str, Any]:
    return schema_names(props)


def test_one_table_maps_every_resource_type() -> None:
    assert set(PLUGIN) == {INBOUND_TRUNK, OUTBOUND_TRUNK, DISPATCH_RULE}
    assert sorted(PLUGIN.values()) == [
        "livekit-sip:index:SipDispatchRule",
        "livekit-sip:index:SipInboundTrunk",
        "livekit-sip:index:SipOutboundTrunk",
    ]


def test_plugin_props_are_read_with_the_protocol_names() -> None:
    props = _as_plugin(changed(INBOUND, {"headers": {"X-Customer-Id": "42"}}))
    assert "allowedAddresses" in props and props["headers"] == {"X-Customer-Id": "42"}
    assert as_dynamic(PLUGIN[INBOUND_TRUNK], props) == (
        INBOUND_TRUNK,
        changed(INBOUND, {"headers": {"X-Customer-Id": "42"}}),
    )
    other = {"bucketName": "x"}
    assert as_dynamic("aws:s3:Bucket", other) == ("aws:s3:Bucket", other)


@pytest.mark.parametrize(
    ("rule_id", "type_", "props"),
    [
        ("LKSDR002", DISPATCH_RULE, changed(DISPATCH, {"room_config": None})),
        ("LKSOUT004", OUTBOUND_TRUNK, changed(OUTBOUND, {"auth_username": ""})),
        ("LKSIN001", INBOUND_TRUNK, changed(INBOUND, {"numbers": ["4155550100"]})),
    ],
)
def test_rules_report_plugin_resources_as_dynamic_ones(rule_id: str, type_: str, props) -> None:
    dynamic = _validate(rule_id, _resource_args(type_, props))
    assert dynamic, f"{rule_id} should report the dynamic resource"
    assert _validate(rule_id, _resource_args(PLUGIN[type_], _as_plugin(props))) == dynamic


def test_stack_rules_see_plugin_resources() -> None:
    trunk = _policy_resource(
        PLUGIN[INBOUND_TRUNK],
        "support",
        _as_plugin(changed(INBOUND, {"sip_trunk_id": UNKNOWN_STRING_VALUE})),
    )
    out = _policy_resource(
        PLUGIN[OUTBOUND_TRUNK],
        "out",
        _as_plugin(changed(OUTBOUND, {"sip_trunk_id": UNKNOWN_STRING_VALUE})),
    )
    props = _as_plugin(changed(DISPATCH, {"trunk_ids": [UNKNOWN_STRING_VALUE]}))
    wrong = _policy_resource(PLUGIN[DISPATCH_RULE], "wrong", props, {"trunkIds": [out]})
    [(message, where)] = _stack_report("LKSSTK001", [trunk, out, wrong])
    assert message.startswith("trunk_ids: references outbound trunk 'out'")
    assert where == urn(PLUGIN[DISPATCH_RULE], "wrong")
    good = _policy_resource(PLUGIN[DISPATCH_RULE], "good", props, {"trunkIds": [trunk]})
    assert _stack_report("LKSSTK001", [trunk, out, good]) == []


def test_remediation_of_a_plugin_resource_writes_camel_case() -> None:
    props = _as_plugin(changed(OUTBOUND, {"destination_country": "UK"}))
    args = _resource_args(PLUGIN[OUTBOUND_TRUNK], props)
    fixed = POLICIES["LKSOUT006"].remediate(args)
    assert plain(fixed)["destinationCountry"] == "gb"
    assert "destination_country" not in plain(fixed)


def test_the_plugins_provider_resource_is_not_an_uninspectable_sip_object() -> None:
    provider = _policy_resource(
        PLUGIN_PROVIDER_TYPE, "default", {"url": "https://x.livekit.cloud", "apiKey": "k"}
    )
    assert _stack_report("LKSSTK008", [provider]) == []
    other = _policy_resource("acme:index:LivekitSipTrunk", "t", {"numbers": ["+15105550100"]})
    assert len(_stack_report("LKSSTK008", [provider, other])) == 1
