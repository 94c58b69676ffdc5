"""``SipNumberPlan``: the Pulumi resource of a number plan, and its dynamic provider.

The logic is :mod:`.numberplan`'s; this module only adapts it to ``pulumi.dynamic`` (check,
diff, create, update, read, delete) and declares the resource. The provider class's module
path is persisted in each stack's state (Pulumi pickles it by reference): do not move it.

Why one resource: the engine records every resource step (the file backend rewrites the whole
state each time), so a plan of a thousand lines as three thousand resources costs minutes of
engine time for a second of LiveKit calls. One resource is one step; its lines are applied ten
at a time.

Partial failure: when some lines fail, the lines done must stay recorded. The Python dynamic
provider has no way to say so (its ``create``/``update`` return outputs or raise), while the
engine has: a gRPC error carrying ``pulumirpc.ErrorResourceInitFailed`` with the resource's
ID and outputs, which it records as a resource that failed to initialise (and updates at the
next ``up``). :func:`_fail_keeping` sends that error through the request's gRPC context.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pulumi
from livekit_sip_core import PASSWORD_FIELD
from pulumi import Output, ResourceOptions, dynamic
from pulumi.output import contains_unknowns

from . import lifeline
from .client import LiveKitSettings, settings_from_config
from .engine import digest_key
from .errors import LiveKitSipError
from .numberplan import (
    DEFAULT_CONCURRENCY,
    PLAN_TYPE,
    LineState,
    PlanContext,
    SipLine,
    apply_plan,
    check_plan,
    declared_lines,
    delete_plan,
    digest_for,
    line_outputs,
    load_plan,
    plan_changes,
    read_plan,
    recorded_lines,
)

__all__ = ["SipNumberPlan", "SipNumberPlanProvider"]

log = logging.getLogger(__name__)

#: Hidden input: who owns the plan's objects, [project, stack, resource name].
PLAN_OWNER = "__plan"
_SEAL_PREFIX = "sealed:"
# Passwords check() has seen, by what it put in their place (a digest, or a seal when there is
# no API secret to key the digest with). The engine calls diff, create and update in the
# provider process that checked their inputs.
_PASSWORDS: dict[str, str] = {}
_PASSWORDS_LOCK = threading.Lock()
_PASSWORD_KINDS = ("inbound", "outbound")


def _fail_keeping(resource_id: str, outs: dict[str, Any], message: str) -> None:
    """Fail the engine's Create/Update call, handing it ``outs`` as the resource's state.

    Finds the gRPC context of the call this thread serves (the frame of
    ``DynamicResourceProviderServicer.Create``/``Update`` in ``pulumi.dynamic.__main__``) and
    aborts it with an ``ErrorResourceInitFailed`` detail. Raises ``LiveKitSipError`` (the
    outputs are then lost, as without this) when there is no such frame."""
    frame = sys._getframe(1)
    context = props = None
    while frame is not None:
        if frame.f_code.co_name in ("Create", "Update") and "context" in frame.f_locals:
            context = frame.f_locals["context"]
            props = frame.f_locals.get("props") or frame.f_locals.get("news")
            break
        frame = frame.f_back  # type: ignore[assignment]
    if context is None or not isinstance(props, Mapping):
        raise LiveKitSipError(message)
    import grpc
    from google.protobuf import any_pb2
    from google.rpc import status_pb2
    from pulumi.runtime import rpc
    from pulumi.runtime.proto import provider_pb2

    outs = {**outs, "__provider": props.get("__provider")}
    loop = asyncio.new_event_loop()
    try:
        properties = loop.run_until_complete(rpc.serialize_properties(outs, {}))
    finally:
        loop.close()
    detail = any_pb2.Any()
    detail.Pack(
        provider_pb2.ErrorResourceInitFailed(
            id=resource_id, properties=properties, reasons=[message]
        )
    )
    status = status_pb2.Status(code=grpc.StatusCode.UNKNOWN.value[0], message=message)
    status.details.append(detail)

    class _Status(grpc.Status):  # type: ignore[misc]
        code = grpc.StatusCode.UNKNOWN
        details = message
        trailing_metadata = (("grpc-status-details-bin", status.SerializeToString()),)

    context.abort_with_status(_Status())


class SipNumberPlanProvider(dynamic.ResourceProvider):
    """check/diff/create/update/read/delete of a number plan (see :mod:`.numberplan`)."""

    serialize_as_secret_always = False
    _settings: LiveKitSettings | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        pass

    def configure(self, req: dynamic.ConfigureRequest) -> None:
        self._settings = settings_from_config(req.config.get)
        lifeline.watch_engine()

    @property
    def settings(self) -> LiveKitSettings:
        return self._settings if self._settings is not None else LiveKitSettings()

    def _key(self) -> bytes | None:
        return digest_key(self.settings.api_secret.get_secret_value())

    # -- check ---------------------------------------------------------------------------------

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.CheckResult:
        lines = news.get("lines")
        failures: list[dynamic.CheckFailure] = []
        if contains_unknowns(lines) and not isinstance(lines, Mapping):
            return dynamic.CheckResult(news, [])
        if not isinstance(lines, Mapping):
            reason = "lines: give the plan's lines, a mapping of line keys to lines"
            return dynamic.CheckResult(news, [dynamic.CheckFailure("", reason)])
        known = {k: v for k, v in lines.items() if not contains_unknowns(v)}
        _, problems = check_plan(known)
        for problem in problems[:20]:
            failures.append(dynamic.CheckFailure("", f"{problem.field}: {problem.message}"))
        if len(problems) > 20:
            failures.append(
                dynamic.CheckFailure(
                    "", f"and {len(problems) - 20} more problems; fix these and run again"
                )
            )
        old_lines = olds.get("lines") if isinstance(olds.get("lines"), Mapping) else {}
        news = dict(news)
        news["lines"] = {
            key: self._sealed(line, (old_lines or {}).get(key)) for key, line in lines.items()
        }
        return dynamic.CheckResult(news, failures)

    def _sealed(self, line: Any, old: Any) -> Any:
        """The line with its passwords replaced by their digests (or seals)."""
        if not isinstance(line, Mapping):
            return line
        line = dict(line)
        key = self._key()
        for kind in _PASSWORD_KINDS:
            part = line.get(kind)
            if not isinstance(part, Mapping) or not isinstance(part.get(PASSWORD_FIELD), str):
                continue
            password = part[PASSWORD_FIELD]
            if not password or password in _PASSWORDS or password.startswith(_SEAL_PREFIX):
                continue
            recorded = ""
            if isinstance(old, Mapping) and isinstance(old.get(kind), Mapping):
                recorded = str(old[kind].get(PASSWORD_FIELD) or "")
            if key is not None:
                token = digest_for(password, key, recorded)
            else:
                token = _SEAL_PREFIX + secrets.token_hex(16)
            with _PASSWORDS_LOCK:
                _PASSWORDS[token] = password
            line[kind] = {**part, PASSWORD_FIELD: token}
        return line

    # -- the plan as declared --------------------------------------------------------------------

    def _declared(
        self, props: Mapping[str, Any], recorded: Mapping[str, LineState], *, resolve: bool
    ) -> Any:
        owner = props.get(PLAN_OWNER) or ["", "", ""]
        context = PlanContext(str(owner[0]), str(owner[1]), str(owner[2]))
        raw = props.get("lines") or {}
        good, problems = check_plan(raw, objects=False)  # the objects: declared_lines
        if problems:
            first = problems[0]
            raise LiveKitSipError(f"{first.field}: {first.message}")

        def password_of(key: str, kind: str) -> tuple[str, str]:
            part = raw[key].get(kind) or {}
            token = str(part.get(PASSWORD_FIELD) or "")
            if not token:
                return "", ""
            with _PASSWORDS_LOCK:
                password = _PASSWORDS.get(token)
            if password is None and resolve:
                raise LiveKitSipError(
                    f"lines.{key}.{kind}.auth_password: the inputs were checked by another "
                    "provider process, so the password cannot be read back; run the command "
                    "again"
                )
            return (password if resolve and password else token), token

        return declared_lines(good, context, recorded, password_of)

    # -- diff ------------------------------------------------------------------------------------

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.DiffResult:
        if contains_unknowns(news.get("lines")):
            return dynamic.DiffResult(changes=True, replaces=[], delete_before_replace=False)
        recorded = recorded_lines(olds)
        try:
            declared = self._declared(news, recorded, resolve=False)
        except LiveKitSipError:
            return dynamic.DiffResult(changes=True, replaces=[], delete_before_replace=False)
        changes = plan_changes(declared, recorded)
        owner_changed = list(olds.get(PLAN_OWNER) or []) != list(news.get(PLAN_OWNER) or [])
        return dynamic.DiffResult(
            changes=bool(changes) or owner_changed, replaces=[], delete_before_replace=False
        )

    # -- create, update, delete, read -------------------------------------------------------------

    def _outs(self, props: Mapping[str, Any], states: Mapping[str, LineState]) -> dict[str, Any]:
        outs = {k: v for k, v in props.items() if k != "__provider"}
        outs.update(line_outputs(states))
        return outs

    def _concurrency(self, props: Mapping[str, Any]) -> int:
        value = props.get("concurrency")
        return int(value) if isinstance(value, (int, float)) and value >= 1 else DEFAULT_CONCURRENCY

    def _plan_id(self, props: Mapping[str, Any]) -> str:
        owner = props.get(PLAN_OWNER) or ["", "", "plan"]
        from .providers import autoname

        return autoname(str(owner[0]), str(owner[1]), PLAN_TYPE, str(owner[2]))

    def create(self, props: dict[str, Any]) -> dynamic.CreateResult:
        plan_id = self._plan_id(props)
        declared = self._declared(props, {}, resolve=True)
        outcome = apply_plan(self.settings, declared, {}, concurrency=self._concurrency(props))
        outs = self._outs(props, outcome.lines)
        if outcome.failures:
            message = f"SipNumberPlan {plan_id}: {outcome.summary()}"
            if any(state.ids for state in outcome.lines.values()):
                _fail_keeping(plan_id, outs, message)
            raise LiveKitSipError(message)
        return dynamic.CreateResult(plan_id, outs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.UpdateResult:
        recorded = recorded_lines(olds)
        declared = self._declared(news, recorded, resolve=True)
        outcome = apply_plan(self.settings, declared, recorded, concurrency=self._concurrency(news))
        outs = self._outs(news, outcome.lines)
        if outcome.failures:
            _fail_keeping(id_, outs, f"SipNumberPlan {id_}: {outcome.summary()}")
        return dynamic.UpdateResult(outs)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        outcome = delete_plan(
            self.settings, recorded_lines(props), concurrency=self._concurrency(props)
        )
        if outcome.failures:
            raise LiveKitSipError(f"SipNumberPlan {id_}: deleting: {outcome.summary()}")

    def read(self, id_: str, props: dict[str, Any]) -> dynamic.ReadResult:
        states, drift = read_plan(self.settings, recorded_lines(props), self._key())
        for key, what in sorted(drift.items())[:20]:
            log.warning("SipNumberPlan %s: line %r: %s outside Pulumi", id_, key, ", ".join(what))
        return dynamic.ReadResult(id_, self._outs(props, states))


def _plain_line(line: Any) -> Any:
    """A line for the inputs: a dict, its passwords wrapped as secrets."""
    if isinstance(line, SipLine):
        line = line.model_dump(exclude_defaults=True)
    if not isinstance(line, Mapping):
        return line
    line = dict(line)
    for kind in _PASSWORD_KINDS:
        part = line.get(kind)
        if isinstance(part, Mapping) and part.get(PASSWORD_FIELD):
            line[kind] = {**part, PASSWORD_FIELD: Output.secret(part[PASSWORD_FIELD])}
    return line


class SipNumberPlan(dynamic.Resource, module="livekit", name="SipNumberPlan"):
    """A number plan: many lines (numbers, inbound trunk, dispatch rule with its agent,
    optional outbound trunk) owned by one resource.

    ``lines`` maps each line's key to a :class:`~.numberplan.SipLine` (or a dict of its fields);
    ``source`` loads them from a CSV or YAML file instead (columns: :mod:`.numberplan`).

    Outputs: ``objects`` maps each line to its objects' IDs (``inbound_trunk_id``,
    ``dispatch_rule_id``, ``outbound_trunk_id``) and ``complete``; ``digests`` (secret) holds
    the keyed digests of the lines' passwords."""

    lines: Output[dict[str, Any]]
    objects: Output[dict[str, Any]]
    digests: Output[dict[str, Any]]

    def __init__(
        self,
        resource_name: str,
        lines: Mapping[str, Any] | None = None,
        *,
        source: str | Path | None = None,
        concurrency: int = DEFAULT_CONCURRENCY,
        opts: ResourceOptions | None = None,
    ) -> None:
        if (lines is None) == (source is None):
            raise LiveKitSipError(
                f"SipNumberPlan '{resource_name}': give either lines or source (a CSV or YAML "
                "file), not both"
            )
        raw = load_plan(source) if source is not None else dict(lines or {})
        props = {
            "lines": {str(k): _plain_line(v) for k, v in raw.items()},
            "concurrency": concurrency,
            PLAN_OWNER: [pulumi.get_project(), pulumi.get_stack(), resource_name],
            "objects": None,
            "digests": None,
        }
        super().__init__(
            SipNumberPlanProvider(),
            resource_name,
            props,
            ResourceOptions.merge(opts, ResourceOptions(additional_secret_outputs=["digests"])),
        )
