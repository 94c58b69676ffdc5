"""The ``livekit-sip`` resource provider plugin: LiveKit SIP objects for programs in every
Pulumi language (YAML, TypeScript, Go, C#...), and ``pulumi import``.

The only module of the plugin that knows ``pulumi.provider.experimental``. Each request is
translated and handed to the engine of the same object (:mod:`..engine`, the engine class of
the dynamic provider :data:`.schema.PROVIDERS` names): check, diff, create, read, update and
delete run the same code as for Python programs (adoption, idempotent creates, autonaming,
password digests, deadlines and retries). What the translation does:

- property names: the schema's camelCase (``trunkIds``) <-> the protocol's (``trunk_ids``),
  :mod:`livekit_sip_core.names`;
- values: ``PropertyValue`` <-> plain Python values; unknowns (preview) become
  ``pulumi.output.Unknown``, and the keys holding one the requests' ``unknown``;
- diffs: the engine's changed fields, and how each changed, as the response's ``diffs`` and
  ``detailed_diff`` (old outputs against new inputs);
- secrets: ``authPassword`` (inputs, and the digest the outputs keep) and every value that came
  in secret go out secret, so the engine encrypts them in state and masks them in its logs;
  the dynamic door's sealed password references are not needed here and never leave check;
- configuration: ``livekit-sip:url``, ``livekit-sip:apiKey``, ``livekit-sip:apiSecret``,
  ``livekit-sip:timeoutSeconds``, falling back to LiveKit's environment variables.
"""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import Mapping
from typing import Any

from livekit_sip_core import PASSWORD_FIELD, PLUGIN_PACKAGE
from livekit_sip_core.names import (
    camel_case,
    password_config_key,
    protocol_names,
    schema_names,
    snake_case,
)
from pulumi import Output
from pulumi.output import Unknown, contains_unknowns
from pulumi.provider.experimental.property_value import Computed, PropertyValue
from pulumi.provider.experimental.provider import (
    CheckFailure,
    CheckRequest,
    CheckResponse,
    ConfigureRequest,
    ConfigureResponse,
    ConstructRequest,
    ConstructResponse,
    CreateRequest,
    CreateResponse,
    DeleteRequest,
    DiffRequest,
    DiffResponse,
    GetSchemaRequest,
    GetSchemaResponse,
    PropertyDiff,
    PropertyDiffKind,
    Provider,
    ReadRequest,
    ReadResponse,
    UpdateRequest,
    UpdateResponse,
)
from pulumi.runtime import rpc

from .. import engine
from ..client import settings_from_config
from ..engine import AUTONAME, DiffKind, SipEngine, autoname, unknown_keys
from ..errors import LiveKitSipError
from .schema import CONFIG, LINE_TYPE, PROVIDERS, SECRET_FIELDS, schema_json

__all__ = ["LiveKitSipProvider", "from_property_values", "to_property_values"]


# --- values ---------------------------------------------------------------------------------


def _plain(value: PropertyValue) -> Any:
    inner = value.value
    if isinstance(inner, Computed) or inner == rpc.UNKNOWN:  # an unknown output: the sentinel
        return Unknown()
    if isinstance(inner, Mapping):
        return {k: _plain(v) for k, v in inner.items()}
    if isinstance(inner, tuple):
        return [_plain(v) for v in inner]
    return inner


def from_property_values(values: Mapping[str, PropertyValue]) -> dict[str, Any]:
    """Plain values with the protocol's names (what the engine takes)."""
    return dict(protocol_names({k: _plain(v) for k, v in values.items()}))


def _property_value(value: Any) -> PropertyValue:
    if isinstance(value, Unknown):
        # The wire form of an unknown: PropertyValue.marshal (pulumi 3.259) cannot send a
        # Computed, so the sentinel string the engine reads as one is sent instead.
        return PropertyValue(rpc.UNKNOWN)
    if isinstance(value, Mapping):
        return PropertyValue({str(k): _property_value(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return PropertyValue([_property_value(v) for v in value])
    if isinstance(value, int) and not isinstance(value, bool):
        return PropertyValue(float(value))
    return PropertyValue(value)


def to_property_values(
    values: Mapping[str, Any], secret: frozenset[str] = frozenset()
) -> dict[str, PropertyValue]:
    """``values`` (protocol names) as the schema's properties; the top-level keys in
    ``secret``, and the password, marked secret."""
    secrets = secret | SECRET_FIELDS
    converted = schema_names(dict(values))
    result = {}
    for key in values:
        name = camel_case(key)
        value = _property_value(converted[name])
        result[name] = value.with_secret(True) if key in secrets else value
    return result


def _secret_keys(*maps: Mapping[str, PropertyValue]) -> frozenset[str]:
    """The top-level keys (protocol names) that hold a secret in any of ``maps``."""
    return frozenset(
        snake_case(key)
        for values in maps
        for key, value in values.items()
        if value.contains_secret()
    )


# --- the provider ---------------------------------------------------------------------------


def _urn_parts(urn: str) -> tuple[str, str, str, str]:
    """(stack, project, type, name) of ``urn:pulumi:<stack>::<project>::<types>::<name>``."""
    head, project, types, name = urn.split("::", 3)
    return head.removeprefix("urn:pulumi:"), project, types.rsplit("$", 1)[-1], name


class LiveKitSipProvider(Provider):
    """One provider for the three kinds of object; an engine per kind does the work."""

    def __init__(self, version: str, engine_address: str | None = None) -> None:
        self.version = version
        #: The engine's address (the plugin's first argument): warnings go to its log, shown
        #: with the resource they are about.
        self.engine_address = engine_address
        self._kinds: dict[str, SipEngine] = {
            token: provider_class.engine_class() for token, provider_class in PROVIDERS.items()
        }

    def _provider(self, type_token: str) -> SipEngine:
        # A request's type is read from its URN, which names the parents' types too
        # (``livekit-sip:index:AgentPhoneLine$livekit-sip:index:SipInboundTrunk``).
        type_token = type_token.rsplit("$", 1)[-1]
        try:
            return self._kinds[type_token]
        except KeyError:
            raise LiveKitSipError(
                f"unknown resource type {type_token!r}: the livekit-sip provider has "
                f"{', '.join(sorted(self._kinds))}"
            ) from None

    async def get_schema(self, request: GetSchemaRequest) -> GetSchemaResponse:
        return GetSchemaResponse(schema=schema_json(self.version))

    async def configure(self, request: ConfigureRequest) -> ConfigureResponse:
        # The engine sends the provider's config as args (``url``...) and as variables
        # (``livekit-sip:config:url``); unset keys fall back to LiveKit's environment variables
        # (settings_from_config), as for the dynamic providers.
        values: dict[str, Any] = {}
        for name, (key, _text, _secret) in CONFIG.items():
            value = _plain(request.args[name]) if name in request.args else None
            if value is None:
                value = request.variables.get(f"{PLUGIN_PACKAGE}:config:{name}")
            if value is not None and not isinstance(value, Unknown):
                values[key] = value
        for kind in self._kinds.values():
            kind.configure(settings_from_config(values.get))
        # accept_secrets=True: the engine refuses Construct (AgentPhoneLine) from a plugin that
        # does not accept secrets ("plugins that can construct components must support
        # secrets", pulumi 3.259 provider_plugin.go). The cost, measured: at -v=9 the engine's
        # own log then also shows the inputs it sends to Check (`Marshaling property for
        # RPC[Provider[..].Check(..).news]`), the same value its record of the program's
        # registration already shows at that level. Check returns the password as the dynamic
        # door's sealed reference (create and update in this process resolve it), so no
        # provider response and no later request carries it; the engine keeps the outputs of
        # secret inputs secret.
        return ConfigureResponse(
            accept_secrets=True,
            supports_preview=True,
            accept_outputs=False,
            accept_resources=False,
        )

    async def check(self, request: CheckRequest) -> CheckResponse:
        provider = self._provider(request.type)
        olds = from_property_values(request.old_inputs)
        news = from_property_values(request.new_inputs)
        secret = _secret_keys(request.new_inputs)
        if not olds:
            stack, project, type_token, name = _urn_parts(request.urn)
            news[AUTONAME] = autoname(project, stack, type_token, name)
        result = await asyncio.to_thread(
            provider.check, engine.CheckRequest(olds, news, _unknown(news))
        )
        inputs = dict(result.inputs)
        failures = [
            CheckFailure(camel_case(f.field) if f.field else "", _schema_reason(f.reason))
            for f in result.failures
        ]
        return CheckResponse(inputs=to_property_values(inputs, secret), failures=failures)

    async def diff(self, request: DiffRequest) -> DiffResponse:
        provider = self._provider(request.type)
        olds = from_property_values(request.old_state)
        news = from_property_values(request.new_inputs)
        result = await asyncio.to_thread(
            provider.diff, engine.DiffRequest(request.resource_id, olds, news, _unknown(news))
        )
        replaces = set(result.replaces)
        return DiffResponse(
            changes=result.changes,
            replaces=[camel_case(field) for field in result.replaces],
            delete_before_replace=result.delete_before_replace,
            diffs=[camel_case(field) for field in result.changed],
            # The engine compares the recorded outputs with the new inputs.
            detailed_diff={
                camel_case(field): PropertyDiff(_DIFF_KINDS[kind, field in replaces], False)
                for field, kind in result.detailed.items()
            },
        )

    async def create(self, request: CreateRequest) -> CreateResponse:
        provider = self._provider(request.type)
        props = from_property_values(request.properties)
        secret = _secret_keys(request.properties)
        id_field = provider.object_api.id_field
        if request.preview:
            return CreateResponse(
                resource_id="",
                properties=to_property_values({**props, id_field: Unknown()}, secret),
            )
        result = await asyncio.to_thread(provider.create, engine.CreateRequest(props))
        return CreateResponse(
            resource_id=result.id, properties=to_property_values(result.outs, secret)
        )

    async def read(self, request: ReadRequest) -> ReadResponse:
        provider = self._provider(request.type)
        props = from_property_values(request.properties)
        secret = _secret_keys(request.properties, request.inputs)
        result = await asyncio.to_thread(
            provider.read, engine.ReadRequest(request.resource_id, props)
        )
        if not result.id:
            return ReadResponse(resource_id=None, properties={}, inputs={})
        outs = dict(result.outs)
        if request.inputs:
            inputs = dict(request.inputs)
        else:  # `pulumi import`: the declaration of the live object, its defaults left out
            declared = _declared(provider, outs)
            inputs = to_property_values(declared, secret)
            await self._warn_password_not_imported(provider, request, outs, declared)
        return ReadResponse(
            resource_id=result.id, properties=to_property_values(outs, secret), inputs=inputs
        )

    async def _warn_password_not_imported(
        self,
        provider: SipEngine,
        request: ReadRequest,
        outs: Mapping[str, Any],
        declared: Mapping[str, Any],
    ) -> None:
        """An imported trunk with a password: its declaration lacks the password (never read
        into code), so the code `pulumi import` writes does not match the trunk (its check
        refuses a username without a password). Say so, naming the field and the fix; the value
        is never part of the message."""
        if PASSWORD_FIELD not in provider.spec_class.model_fields:
            return
        # The declaration differs from the live object only in its password: when the diff
        # sees a change, the live trunk has one.
        without = await asyncio.to_thread(
            provider.diff,
            engine.DiffRequest(request.resource_id, dict(outs), dict(declared), frozenset()),
        )
        if not without.changes:
            return
        name = _urn_parts(request.urn)[3]
        field = camel_case(PASSWORD_FIELD)
        key = password_config_key(name)
        await self._log_warning(
            request.urn,
            f"{request.resource_id} has a password in LiveKit; {field} is not imported (its "
            f"value is never written into code or state), and the code written for it does not "
            f"match the trunk until {field} is declared from a secret: `pulumi config set "
            f"--secret {key}`, then {field}: ${{{key}}} (YAML; config {key}: {{type: string, "
            f'secret: true}}) or config.requireSecret("{key}") in the program.',
        )

    async def _log_warning(self, urn: str, message: str) -> None:
        """``message`` in the engine's output, as a warning on ``urn`` (stderr without an
        engine to talk to)."""
        if not self.engine_address:
            print(f"warning: {message}", file=sys.stderr, flush=True)
            return
        import grpc
        from pulumi.runtime.proto import engine_pb2, engine_pb2_grpc

        async with grpc.aio.insecure_channel(self.engine_address) as channel:
            engine = engine_pb2_grpc.EngineStub(channel)
            await engine.Log(
                engine_pb2.LogRequest(severity=engine_pb2.WARNING, message=message, urn=urn)
            )

    async def construct(self, request: ConstructRequest) -> ConstructResponse:
        """``livekit-sip:index:AgentPhoneLine``: the Python component, its objects the plugin's
        resources (:mod:`.component`); its outputs as the component's state."""
        if request.resource_type != LINE_TYPE:
            raise LiveKitSipError(
                f"unknown component type {request.resource_type!r}: the livekit-sip provider "
                f"has {LINE_TYPE}"
            )
        from .component import LINE_OUTPUTS, PluginAgentPhoneLine, line_args

        line = PluginAgentPhoneLine(
            request.name, line_args(request.name, request.inputs), request.options
        )
        urn = await line.urn.future()
        assert urn is not None
        state = {camel_case(name): await _state_value(getattr(line, name)) for name in LINE_OUTPUTS}
        return ConstructResponse(urn=urn, state=state, state_dependencies={})

    async def update(self, request: UpdateRequest) -> UpdateResponse:
        provider = self._provider(request.type)
        olds = from_property_values(request.olds)
        news = from_property_values(request.news)
        secret = _secret_keys(request.news, request.olds)
        if request.preview:
            id_field = provider.object_api.id_field
            return UpdateResponse(
                properties=to_property_values({**news, id_field: olds.get(id_field)}, secret)
            )
        result = await asyncio.to_thread(
            provider.update, engine.UpdateRequest(request.resource_id, olds, news)
        )
        return UpdateResponse(properties=to_property_values(result.outs, secret))

    async def delete(self, request: DeleteRequest) -> None:
        provider = self._provider(request.type)
        props = from_property_values(request.properties)
        await asyncio.to_thread(provider.delete, engine.DeleteRequest(request.resource_id, props))


#: (the engine's kind of change, whether the field forces a replacement) -> the protocol's.
_DIFF_KINDS = {
    (DiffKind.ADD, False): PropertyDiffKind.ADD,
    (DiffKind.ADD, True): PropertyDiffKind.ADD_REPLACE,
    (DiffKind.DELETE, False): PropertyDiffKind.DELETE,
    (DiffKind.DELETE, True): PropertyDiffKind.DELETE_REPLACE,
    (DiffKind.UPDATE, False): PropertyDiffKind.UPDATE,
    (DiffKind.UPDATE, True): PropertyDiffKind.UPDATE_REPLACE,
}


def _unknown(values: Mapping[str, Any]) -> frozenset[str]:
    """The keys holding an unknown (:func:`_plain` made it a ``pulumi.output.Unknown``)."""
    return unknown_keys(values, contains_unknowns)


async def _state_value(value: Any) -> PropertyValue:
    """A component output (a plain value or an Output) as a PropertyValue: unknown in preview,
    secret when the Output is, with the resources it depends on."""
    if not isinstance(value, Output):
        return _property_value(value)
    known, secret = await value.is_known(), await value.is_secret()
    plain = await value.future(with_unknowns=True) if known else Unknown()
    urns = {urn for r in await value.resources() if (urn := await r.urn.future())}
    converted = _property_value(plain)
    return PropertyValue(converted.value, is_secret=secret, dependencies=urns)


_FIELD_PATH = re.compile(r"[a-z][a-z0-9_]*(?:\[\d+\])*(?:\.[a-z][a-z0-9_]*(?:\[\d+\])*)*")


def _schema_reason(reason: str) -> str:
    """A check failure's reason, its leading field path (``trunk_ids[0]: ...``) in the schema's
    spelling (``trunkIds[0]: ...``)."""
    path, sep, rest = reason.partition(": ")
    if not sep or not _FIELD_PATH.fullmatch(path):
        return reason
    return ".".join(camel_case(part) for part in path.split(".")) + sep + rest


def _declared(provider: SipEngine, outs: Mapping[str, Any]) -> dict[str, Any]:
    """The inputs that declare an object read from LiveKit: its spec fields that differ from
    their defaults (the password digest is not an input: an imported trunk's password must be
    declared again)."""
    spec = provider.spec_class
    defaults = spec.with_defaults({})
    return {
        name: _without_zero_values(outs[name])
        for name in spec.model_fields
        if name in outs
        and name != PASSWORD_FIELD
        and outs[name] is not None
        and outs[name] != defaults.get(name)
    }


def _without_zero_values(value: Any) -> Any:
    """``value`` with the fields of nested messages at their zero value left out (unset and
    zero are one in proto3), so the generated code declares only what the object holds:
    ``roomConfig: {agents: [{agentName: a}]}`` rather than every timeout at 0."""
    if isinstance(value, Mapping):
        kept = {k: _without_zero_values(v) for k, v in value.items()}
        return {k: v for k, v in kept.items() if v not in (None, "", 0, False, {}, [])}
    if isinstance(value, list):
        return [_without_zero_values(v) for v in value]
    return value
