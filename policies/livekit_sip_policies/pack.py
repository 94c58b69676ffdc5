"""The one adapter between the pure rules and ``pulumi_policy``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from livekit_sip_core import PLAN_TYPE, PLUGIN_TYPES, plan_line_objects, plan_urn_of
from livekit_sip_core.names import protocol_names, schema_names, snake_case
from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import (
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_ASSET_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
)

from .catalogue import REGISTRY
from .rule import (
    EXEMPT_KEY,
    UNKNOWN,
    Registry,
    ResourceRule,
    Rule,
    StackResource,
    StackRule,
    config_properties,
    is_exempt,
)

__all__ = ["EXEMPT_KEY", "as_dynamic", "build_policies", "is_exempt", "name_of_urn", "plain"]

PACK_NAME = "livekit-sip"

_STACK_TYPE = "pulumi:pulumi:Stack"


def name_of_urn(urn: str) -> str | None:
    """The resource name in ``urn`` (``urn:pulumi:<stack>::<project>::<types>::<name>``), or
    None for the stack itself and for what is not a URN."""
    parts = urn.split("::", 3)
    if len(parts) != 4 or parts[2].rsplit("$", 1)[-1] == _STACK_TYPE:
        return None
    return parts[3]


def _parent_names(args: ResourceValidationArgs) -> list[str]:
    """The name of the component ``args``' resource belongs to (the engine gives the parent's
    URN only), if any."""
    opts = getattr(args, "opts", None)
    parent = getattr(opts, "parent", None)
    name = name_of_urn(parent) if isinstance(parent, str) else None
    return [name] if name else []


def _exempt(args: ResourceValidationArgs, config: Mapping[str, Any]) -> bool:
    patterns = config.get(EXEMPT_KEY) or ()
    return bool(patterns) and is_exempt(args.name, _parent_names(args), patterns)


def _ancestor_names(resource: PolicyResource) -> list[str]:
    names = []
    parent = resource.parent
    while parent is not None:
        name = name_of_urn(parent.urn)
        if name:
            names.append(name)
        parent = parent.parent
    return names

_UNKNOWN_SENTINELS = frozenset(
    {
        UNKNOWN_ARRAY_VALUE,
        UNKNOWN_ASSET_VALUE,
        UNKNOWN_BOOLEAN_VALUE,
        UNKNOWN_NUMBER_VALUE,
        UNKNOWN_OBJECT_VALUE,
        UNKNOWN_STRING_VALUE,
    }
)


def plain(value: Any) -> Any:
    """Unwrap pulumi_policy's unknown-checking proxies into plain values, unknowns as UNKNOWN.

    Reading an unknown through the proxy raises; rules must see it as a value instead.
    """
    # Every resource is unwrapped once per policy, so this runs about a million times for a
    # stack of 500: scalars return at once, and the Mapping/Sequence ABC checks (slow) are
    # made once per type (_kind).
    kind = _kind(type(value))
    if kind is _SCALAR:
        return value
    target = _target(value, kind)
    if isinstance(target, str):
        return UNKNOWN if target in _UNKNOWN_SENTINELS else target
    kind = _kind(type(target))
    if kind is _MAPPING:
        return {k: plain(_raw_item(target, k)) for k in target}
    if kind is _SEQUENCE:
        return [plain(_raw_item(target, i)) for i in range(len(target))]
    return target


_SCALAR, _STRING, _MAPPING, _SEQUENCE, _OTHER = "scalar", "str", "mapping", "sequence", "other"
_KINDS: dict[type, str] = {
    bool: _SCALAR,
    int: _SCALAR,
    float: _SCALAR,
    type(None): _SCALAR,
}


def _kind(cls: type) -> str:
    kind = _KINDS.get(cls)
    if kind is None:
        if issubclass(cls, str):
            kind = _STRING
        elif issubclass(cls, Mapping):
            kind = _MAPPING
        elif issubclass(cls, Sequence):
            kind = _SEQUENCE
        else:
            kind = _OTHER
        _KINDS[cls] = kind
    return kind


def _target(value: Any, kind: str) -> Any:
    """The container a proxy wraps (its ``__target``), or ``value`` itself."""
    if kind is _MAPPING or kind is _SEQUENCE:
        try:
            return cast(Any, value)["__target"]
        except (KeyError, IndexError, TypeError):
            return value
    return value


def _raw_item(container: Any, key: Any) -> Any:
    return container[key]


def as_dynamic(resource_type: str, props: Any) -> tuple[str, Any]:
    """A resource of the provider plugin (``livekit-sip:index:SipInboundTrunk``, camelCase
    properties) as the rules know it: the dynamic type of the same object and the protocol's
    property names (``livekit_sip_core.PLUGIN_TYPES``). Other resources are returned as they are."""
    dynamic = PLUGIN_TYPES.get(resource_type)
    if dynamic is None:
        return resource_type, props
    return dynamic, protocol_names(props)


def _enforcement(rule: Rule) -> EnforcementLevel:
    return EnforcementLevel(rule.enforcement.value)


def _schema(rule: Rule) -> PolicyConfigSchema:
    return PolicyConfigSchema(properties=config_properties(rule))


def _common(rule: Rule) -> dict[str, Any]:
    return {
        "name": rule.id,
        "description": f"{rule.title}. {rule.description}",
        "enforcement_level": _enforcement(rule),
        "config_schema": _schema(rule),
        "display_name": rule.title,
        "severity": Severity(rule.severity.value),
        "remediation_steps": rule.remediation,
        "url": rule.url,
    }


def _resource_policy(rule: ResourceRule) -> Policy:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.resource_type == PLAN_TYPE:  # a number plan: the rule runs on each line
            config = args.get_config()
            if _exempt(args, config):
                return
            for line in plan_line_objects(args.urn, args.name, plain(args.props)):
                if line.type in rule.resource_types:
                    for finding in rule.check(line.props, config):
                        report_violation(f"line '{line.key}': {rule.format(finding)}", None)
            return
        if PLUGIN_TYPES.get(args.resource_type, args.resource_type) not in rule.resource_types:
            return
        config = args.get_config()
        if _exempt(args, config):
            return
        _type, props = as_dynamic(args.resource_type, plain(args.props))
        for finding in rule.check(props, config):
            report_violation(rule.format(finding), None)

    def remediate(args: ResourceValidationArgs) -> Mapping[str, Any] | None:
        if PLUGIN_TYPES.get(args.resource_type, args.resource_type) not in rule.resource_types:
            return None
        config = args.get_config()
        if _exempt(args, config):
            return None
        _type, props = as_dynamic(args.resource_type, plain(args.props))
        fixed = rule.remediate(props, config)
        if fixed is None:
            return None
        if args.resource_type in PLUGIN_TYPES:  # back to the plugin's camelCase names
            fixed = schema_names(fixed)
        # Mutate in place: a copy would drop the secretness of the other values. Compare with
        # the unwrapped props: reading an unknown value through the proxy raises.
        current = plain(args.props)
        for key, value in fixed.items():
            if current.get(key) != value:
                args.props[key] = value  # type: ignore[index]
        return args.props

    has_remediation = type(rule).remediate is not ResourceRule.remediate
    # pulumi_policy accepts a plain (non-awaitable) result; its annotation only names Awaitable.
    return ResourceValidationPolicy(
        validate=validate,
        remediate=cast(Any, remediate) if has_remediation else None,
        **_common(rule),
    )


def _stack_resources(
    args: StackValidationArgs, exempt: Sequence[Any] = ()
) -> list[StackResource]:
    resources: list[StackResource] = []
    for r in args.resources:
        if exempt and is_exempt(r.name, _ancestor_names(r), exempt):
            continue
        if r.resource_type == PLAN_TYPE:  # a number plan: each line's objects
            resources.extend(
                StackResource(urn=line.urn, name=line.name, type=line.type, props=line.props)
                for line in plan_line_objects(r.urn, r.name, plain(r.props))
            )
            continue
        resource_type, props = as_dynamic(r.resource_type, plain(r.props))
        rename = snake_case if r.resource_type in PLUGIN_TYPES else str
        resources.append(
            StackResource(
                urn=r.urn,
                name=r.name,
                type=resource_type,
                props=props,
                property_dependencies={
                    rename(key): [dep.urn for dep in deps]
                    for key, deps in r.property_dependencies.items()
                },
            )
        )
    return resources


def _stack_policy(rule: StackRule) -> Policy:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        config = args.get_config()
        resources = _stack_resources(args, config.get(EXEMPT_KEY, ()))
        for finding in rule.check(resources, config):
            urn, line = plan_urn_of(finding.urn) if finding.urn else (None, None)
            message = rule.format(finding)
            if line is not None and f"/{line}" not in message:
                message = f"line '{line}': {message}"
            report_violation(message, urn)

    return StackValidationPolicy(validate=validate, **_common(rule))


def build_policies(registry: Registry = REGISTRY) -> list[Policy]:
    policies: list[Policy] = []
    for rule in registry:
        if isinstance(rule, ResourceRule):
            policies.append(_resource_policy(rule))
        elif isinstance(rule, StackRule):
            policies.append(_stack_policy(rule))
        else:  # pragma: no cover - the registry only holds these two kinds
            raise TypeError(f"{rule.id}: not a ResourceRule or StackRule")
    return policies
