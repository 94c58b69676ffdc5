"""``livekit-sip:index:AgentPhoneLine`` in the provider plugin: the Python component, declared
by the plugin's ``construct`` for programs in every language.

The line is :class:`livekit_sip_pulumi.AgentPhoneLine` itself (pinning, checks, ``sip_uri``,
the presets' validation); only its children change door: they are the plugin's own resource
types (``livekit-sip:index:SipInboundTrunk`` ...), handled by the same ``livekit-sip`` provider
as a program's own trunks, so the pack, refresh and import see plugin resources. Inputs and
outputs are the Python component's, in the schema's camelCase (:mod:`.schema`,
:data:`LINE_OUTPUTS`); a provider preset is one property per provider under ``outbound``
(``outbound: {telnyx: {authUsername: ..., authPassword: ...}}``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, ClassVar

import pulumi
from livekit_sip_core import (
    PASSWORD_FIELD,
    PLUGIN_DISPATCH_RULE_TYPE,
    PLUGIN_INBOUND_TRUNK_TYPE,
    PLUGIN_OUTBOUND_TRUNK_TYPE,
    PLUGIN_PACKAGE,
)
from livekit_sip_core.links import OUTBOUND_TRUNK_DOC
from livekit_sip_core.names import camel_case, protocol_names, schema_names, snake_case
from pulumi.output import Unknown
from pulumi.provider.experimental.property_value import PropertyValue
from pulumi.resource import DependencyResource

from ..errors import InputError
from ..presets import (
    AgentPhoneLine,
    AgentPhoneLineArgs,
    OutboundPreset,
    PlivoOutbound,
    TelnyxOutbound,
    TwilioOutbound,
    WavixOutbound,
)
from ..resources import to_plain
from ..specs import SipTransport

__all__ = [
    "LINE_OUTPUTS",
    "LINE_TYPE",
    "PRESETS",
    "PluginAgentPhoneLine",
    "line_args",
]

LINE_TYPE = f"{PLUGIN_PACKAGE}:index:AgentPhoneLine"  # as the Python component's

#: The outputs of an AgentPhoneLine (its attributes, registered as its outputs).
LINE_OUTPUTS = (
    "inbound_trunk_id",
    "dispatch_rule_id",
    "outbound_trunk_id",
    "region",
    "destination_country",
    "sip_uri",
)

#: ``outbound.<key>`` -> the preset it declares.
PRESETS: dict[str, type[OutboundPreset]] = {
    "telnyx": TelnyxOutbound,
    "twilio": TwilioOutbound,
    "plivo": PlivoOutbound,
    "wavix": WavixOutbound,
}


class _PluginObject(pulumi.CustomResource):
    """One of the line's objects as a plugin resource: the args dataclass the component builds,
    as the schema's properties; the password secret, in and out."""

    _plugin_type: ClassVar[str]
    _id_output: ClassVar[str]

    def __init__(
        self, resource_name: str, args: Any, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        values = {
            f.name: to_plain(getattr(args, f.name))
            for f in dataclasses.fields(args)
            if getattr(args, f.name) is not None
        }
        if values.get(PASSWORD_FIELD) is not None:
            values[PASSWORD_FIELD] = pulumi.Output.secret(values[PASSWORD_FIELD])
        props = schema_names(values)
        props[camel_case(self._id_output)] = None
        secret = pulumi.ResourceOptions(additional_secret_outputs=[camel_case(PASSWORD_FIELD)])
        super().__init__(
            self._plugin_type, resource_name, props, pulumi.ResourceOptions.merge(opts, secret)
        )


class _InboundTrunk(_PluginObject):
    _plugin_type = PLUGIN_INBOUND_TRUNK_TYPE
    _id_output = "sip_trunk_id"

    @property
    def sip_trunk_id(self) -> pulumi.Output[str]:
        return getattr(self, "sipTrunkId")  # noqa: B009 - set by the engine's registration


class _OutboundTrunk(_InboundTrunk):
    _plugin_type = PLUGIN_OUTBOUND_TRUNK_TYPE


class _DispatchRule(_PluginObject):
    _plugin_type = PLUGIN_DISPATCH_RULE_TYPE
    _id_output = "sip_dispatch_rule_id"

    @property
    def sip_dispatch_rule_id(self) -> pulumi.Output[str]:
        return getattr(self, "sipDispatchRuleId")  # noqa: B009


class PluginAgentPhoneLine(AgentPhoneLine):
    """The AgentPhoneLine whose objects are the plugin's resources."""

    _inbound_trunk_class = _InboundTrunk
    _dispatch_rule_class = _DispatchRule
    _outbound_trunk_class = _OutboundTrunk
    _config_namespace = PLUGIN_PACKAGE


# --- inputs -----------------------------------------------------------------------------------


def _output(value: PropertyValue, inherited: frozenset[str] = frozenset()) -> Any:
    """A construct input as the component takes it: plain values, objects and lists as dicts
    and lists, and an Output in place of each value that is secret, unknown (preview) or
    depends on other resources (the dependencies of an object or list go to its values)."""
    from .provider import _plain  # the plugin's one conversion of PropertyValues

    deps = inherited | value.dependencies
    inner = value.value
    if not value.is_secret and isinstance(inner, Mapping):
        return {k: _output(v, deps) for k, v in inner.items()}
    if not value.is_secret and isinstance(inner, tuple):
        return [_output(v, deps) for v in inner]
    plain = _plain(value)
    unknown = _contains_unknown(plain)
    if not (value.contains_secret() or unknown or deps):
        return plain
    return pulumi.Output(
        {DependencyResource(urn) for urn in deps},
        _resolved(None if unknown else plain),
        _resolved(not unknown),
        _resolved(value.contains_secret()),
    )


def _resolved(value: Any) -> Any:
    import asyncio

    future: asyncio.Future[Any] = asyncio.get_event_loop().create_future()
    future.set_result(value)
    return future


def _contains_unknown(value: Any) -> bool:
    if isinstance(value, Unknown):
        return True
    if isinstance(value, Mapping):
        return any(_contains_unknown(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_contains_unknown(v) for v in value)
    return False


def _fail(name: str, field: str, message: str) -> InputError:
    return InputError(
        f"AgentPhoneLine '{name}'",
        "agent phone line",
        [(field, f"{message}. See {OUTBOUND_TRUNK_DOC}", "preset")],
    )


def _preset(name: str, value: Any) -> OutboundPreset | None:
    """``outbound: {telnyx: {...}}`` -> TelnyxOutbound(...): exactly one provider."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise _fail(name, "outbound", "must be an object with one provider: telnyx, twilio, ...")
    chosen = {k: v for k, v in value.items() if v is not None}
    if len(chosen) != 1 or next(iter(chosen)) not in PRESETS:
        raise _fail(
            name,
            "outbound",
            f"set exactly one of {', '.join(PRESETS)} (got {', '.join(sorted(chosen)) or 'none'})",
        )
    [(provider, settings)] = chosen.items()
    preset = PRESETS[provider]
    known = {f.name for f in dataclasses.fields(preset)}  # type: ignore[arg-type]
    kwargs = {}
    for key, item in dict(settings or {}).items():
        field = snake_case(key)
        if field not in known:
            raise _fail(name, f"outbound.{provider}.{key}", f"{preset.__name__} has no such field")
        kwargs[field] = (
            SipTransport(item) if field == "transport" and isinstance(item, str) else item
        )
    try:
        return preset(**kwargs)
    except TypeError as exc:  # a required field missing
        raise _fail(name, f"outbound.{provider}", str(exc).split(") ", 1)[-1]) from None


def line_args(name: str, inputs: Mapping[str, PropertyValue]) -> AgentPhoneLineArgs:
    """The construct's inputs (camelCase PropertyValues) as AgentPhoneLineArgs."""
    values = {snake_case(k): _output(v) for k, v in inputs.items()}
    known = {f.name for f in dataclasses.fields(AgentPhoneLineArgs)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise _fail(name, camel_case(unknown[0]), "AgentPhoneLine has no such input")
    if isinstance(values.get("rule"), Mapping):
        values["rule"] = protocol_names(values["rule"])
    values["outbound"] = _preset(name, values.get("outbound"))
    for required in ("numbers", "agent_name"):
        if values.get(required) is None:
            raise _fail(name, camel_case(required), "is required")
    return AgentPhoneLineArgs(**{k: v for k, v in values.items() if v is not None})
