"""Dynamic providers for LiveKit SIP objects.

The module path and class names here are persisted in every stack's state (Pulumi pickles the
provider by reference): do not move or rename them without leaving an alias behind.

Providers are stateless: credentials are read in ``configure`` in the provider process and are
never pickled (``__getstate__`` returns nothing).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from livekit import api
from pulumi import dynamic
from pulumi.output import contains_unknowns

from .client import LiveKitSettings, call_livekit, settings_from_config
from .errors import LiveKitApiError, Problem, SpecError
from .specs import (
    SipDispatchRuleSpec,
    SipInboundTrunkSpec,
    SipOutboundTrunkSpec,
    SipSpec,
    adopt_id_problem,
    validate_spec,
)

__all__ = [
    "ADOPT_ID",
    "SipDispatchRuleProvider",
    "SipInboundTrunkProvider",
    "SipOutboundTrunkProvider",
    "SipProviderBase",
]

log = logging.getLogger(__name__)

#: Input naming an existing LiveKit object that ``create`` takes over instead of creating one.
ADOPT_ID = "adopt_id"


@dataclass(frozen=True)
class SipObjectApi:
    """How one kind of SIP object is created, replaced, listed by ID and deleted."""

    id_field: str
    create: Callable[[api.LiveKitAPI, Any], Awaitable[Any]]
    update: Callable[[api.LiveKitAPI, str, Any], Awaitable[Any]]
    list_by_ids: Callable[[api.LiveKitAPI, list[str]], Awaitable[Iterable[Any]]]
    delete: Callable[[api.LiveKitAPI, str], Awaitable[Any]]


async def _list_inbound(lk: api.LiveKitAPI, ids: list[str]) -> Iterable[Any]:
    response = await lk.sip.list_inbound_trunk(api.ListSIPInboundTrunkRequest(trunk_ids=ids))
    return response.items


INBOUND_API = SipObjectApi(
    id_field="sip_trunk_id",
    create=lambda lk, info: lk.sip.create_inbound_trunk(
        api.CreateSIPInboundTrunkRequest(trunk=info)
    ),
    update=lambda lk, object_id, info: lk.sip.update_inbound_trunk(object_id, info),
    list_by_ids=_list_inbound,
    delete=lambda lk, object_id: lk.sip.delete_trunk(
        api.DeleteSIPTrunkRequest(sip_trunk_id=object_id)
    ),
)


async def _list_outbound(lk: api.LiveKitAPI, ids: list[str]) -> Iterable[Any]:
    response = await lk.sip.list_outbound_trunk(api.ListSIPOutboundTrunkRequest(trunk_ids=ids))
    return response.items


OUTBOUND_API = SipObjectApi(
    id_field="sip_trunk_id",
    create=lambda lk, info: lk.sip.create_outbound_trunk(
        api.CreateSIPOutboundTrunkRequest(trunk=info)
    ),
    update=lambda lk, object_id, info: lk.sip.update_outbound_trunk(object_id, info),
    list_by_ids=_list_outbound,
    delete=lambda lk, object_id: lk.sip.delete_trunk(
        api.DeleteSIPTrunkRequest(sip_trunk_id=object_id)
    ),
)


async def _list_dispatch(lk: api.LiveKitAPI, ids: list[str]) -> Iterable[Any]:
    response = await lk.sip.list_dispatch_rule(
        api.ListSIPDispatchRuleRequest(dispatch_rule_ids=ids)
    )
    return response.items


DISPATCH_API = SipObjectApi(
    id_field="sip_dispatch_rule_id",
    create=lambda lk, info: lk.sip.create_dispatch_rule(
        api.CreateSIPDispatchRuleRequest(dispatch_rule=info)
    ),
    update=lambda lk, object_id, info: lk.sip.update_dispatch_rule(object_id, info),
    list_by_ids=_list_dispatch,
    # Deleting a missing rule answers not_found; SipProviderBase.delete treats that as done.
    delete=lambda lk, object_id: lk.sip.delete_dispatch_rule(
        api.DeleteSIPDispatchRuleRequest(sip_dispatch_rule_id=object_id)
    ),
)


def _spec_inputs(spec_class: type[SipSpec], props: Mapping[str, Any]) -> dict[str, Any]:
    """The spec's fields among ``props``; None means "not set" (the spec's default)."""
    return {k: v for k, v in props.items() if k in spec_class.model_fields and v is not None}


class SipProviderBase(dynamic.ResourceProvider):
    """CRUD, diff, refresh and adoption for one kind of LiveKit SIP object."""

    spec_class: ClassVar[type[SipSpec]]
    object_api: ClassVar[SipObjectApi]

    _settings: LiveKitSettings | None = None

    # Nothing of the instance is persisted in the `__provider` blob.
    def __getstate__(self) -> dict[str, Any]:
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        pass

    def configure(self, req: dynamic.ConfigureRequest) -> None:
        self._settings = settings_from_config(req.config.get)

    @property
    def settings(self) -> LiveKitSettings:
        return self._settings if self._settings is not None else LiveKitSettings()

    # -- validation --------------------------------------------------------------------------

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> dynamic.CheckResult:
        values = _spec_inputs(self.spec_class, news)
        unknown = frozenset(k for k, v in values.items() if contains_unknowns(v))
        known = {k: v for k, v in values.items() if k not in unknown}
        problems: list[Problem] = []
        try:
            validate_spec(self.spec_class, known, unknown)
        except SpecError as exc:
            problems.extend(
                Problem(p.field, f"{p.message}. See {self.spec_class.docs_url}", p.code)
                for p in exc.details
            )
        adopt = news.get(ADOPT_ID)
        if not contains_unknowns(adopt):
            adopt_problem = adopt_id_problem(self.spec_class, adopt)
            if adopt_problem is not None:
                problems.append(adopt_problem)
        return dynamic.CheckResult(news, _check_failures(problems, news))

    def _spec(self, props: Mapping[str, Any]) -> SipSpec:
        return validate_spec(self.spec_class, _spec_inputs(self.spec_class, props))

    # -- diff ------------------------------------------------------------------------------------

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.DiffResult:
        values = _spec_inputs(self.spec_class, news)
        unknown = {k for k, v in values.items() if contains_unknowns(v)}
        try:
            declared = validate_spec(
                self.spec_class,
                {k: v for k, v in values.items() if k not in unknown},
                frozenset(unknown),
            ).outputs()
        except SpecError:
            # check() already reported it; let the engine show a change.
            return dynamic.DiffResult(changes=True, replaces=[], delete_before_replace=False)
        changed = sorted(
            field
            for field in self.spec_class.model_fields
            if field in unknown or _normalize(olds.get(field)) != _normalize(declared.get(field))
        )
        # adopt_id only matters when the object is created: changing it later changes nothing.
        return dynamic.DiffResult(changes=bool(changed), replaces=[], delete_before_replace=False)

    # -- CRUD -------------------------------------------------------------------------------------

    def _outputs(self, props: Mapping[str, Any], message: Any) -> dict[str, Any]:
        outs = dict(props)
        outs.update(self.spec_class.outputs_from_proto(message))
        outs[self.object_api.id_field] = getattr(message, self.object_api.id_field)
        return outs

    def _what(self, verb: str, object_id: str | None = None) -> str:
        target = f" {object_id}" if object_id else ""
        return f"{verb} {self.spec_class.kind}{target}"

    def _find(self, object_id: str) -> Any | None:
        items = call_livekit(
            self.settings,
            self._what("read", object_id),
            lambda lk: self.object_api.list_by_ids(lk, [object_id]),
        )
        for item in items:
            if getattr(item, self.object_api.id_field) == object_id:
                return item
        return None

    def create(self, props: dict[str, Any]) -> dynamic.CreateResult:
        spec = self._spec(props)
        adopt = props.get(ADOPT_ID)
        if adopt:
            if self._find(adopt) is None:
                raise LiveKitApiError(
                    f"cannot adopt {self.spec_class.kind} {adopt}: it does not exist in this "
                    f"LiveKit project. Remove {ADOPT_ID} to create a new one, or check the ID.",
                    code="not_found",
                )
            message = call_livekit(
                self.settings,
                self._what("adopt", adopt),
                lambda lk: self.object_api.update(lk, adopt, spec.to_proto()),
            )
        else:
            message = self._interrupted_create(spec)
            if message is None:
                message = call_livekit(
                    self.settings,
                    self._what("create"),
                    lambda lk: self.object_api.create(lk, spec.to_proto()),
                )
        outs = self._outputs(props, message)
        return dynamic.CreateResult(outs[self.object_api.id_field], outs)

    def _interrupted_create(self, spec: SipSpec) -> Any | None:
        """The object an interrupted `pulumi up` created but never recorded, if there is one.

        An update interrupted after LiveKit created the object, but before the engine saved
        its ID, leaves an object that no state knows about; creating again would duplicate it.
        An existing object counts as that one only when its name and every declared field,
        secrets included, equal the declaration (and it has a name). Objects in a LiveKit project
        shared by several stacks therefore need names unique to each stack.
        """
        name = getattr(spec, "name", "")
        if not name:
            return None
        declared = _normalize(spec.outputs())
        items = call_livekit(
            self.settings,
            self._what("list"),
            lambda lk: self.object_api.list_by_ids(lk, []),
        )
        for item in items:
            if (
                item.name == name
                and _normalize(self.spec_class.outputs_from_proto(item)) == declared
            ):
                object_id = getattr(item, self.object_api.id_field)
                log.warning(
                    "%s '%s': taking over %s, left by an interrupted update",
                    self.spec_class.kind,
                    name,
                    object_id,
                )
                return item
        return None

    def read(self, id_: str, props: dict[str, Any]) -> dynamic.ReadResult:
        message = self._find(id_)
        if message is None:
            return dynamic.ReadResult(None, {})
        return dynamic.ReadResult(id_, self._outputs(props, message))

    def update(self, id_: str, _olds: dict[str, Any], news: dict[str, Any]) -> dynamic.UpdateResult:
        spec = self._spec(news)
        message = call_livekit(
            self.settings,
            self._what("update", id_),
            lambda lk: self.object_api.update(lk, id_, spec.to_proto()),
        )
        return dynamic.UpdateResult(self._outputs(news, message))

    def delete(self, id_: str, _props: dict[str, Any]) -> None:
        try:
            call_livekit(
                self.settings, self._what("delete", id_), lambda lk: self.object_api.delete(lk, id_)
            )
        except LiveKitApiError as exc:
            if exc.code != "not_found":
                raise


#: At most this many failures per resource; a long list with every entry wrong is summed up.
MAX_FAILURES = 20
#: A property whose value is larger than this (entries, or characters of its text form) is not
#: named in a failure: the engine prints the value of the property a failure names.
MAX_ECHOED_ENTRIES = 20
MAX_ECHOED_CHARS = 1024


def _check_failures(problems: list[Problem], news: Mapping[str, Any]) -> list[dynamic.CheckFailure]:
    """Check failures for ``problems``; each reason starts with the field path."""
    failures = [
        dynamic.CheckFailure(_reportable_field(p.field, news), f"{p.field}: {p.message}")
        for p in problems[:MAX_FAILURES]
    ]
    if len(problems) > MAX_FAILURES:
        fields = sorted({p.field.split("[")[0].split(".")[0] for p in problems[MAX_FAILURES:]})
        failures.append(
            dynamic.CheckFailure(
                "",
                f"and {len(problems) - MAX_FAILURES} more problems like these (in "
                f"{', '.join(fields)}); fix the ones above and run preview again",
            )
        )
    return failures


def _reportable_field(field: str, news: Mapping[str, Any]) -> str:
    """The top-level property a failure is reported on, or "" for the resource as a whole.

    The engine prints the value of the property it names (``property numbers value [...] has a
    problem``), so a failure about the password, about the object as a whole, about a large
    value (a list of 10,000 numbers) or one with control characters names none; the reason
    still starts with the field, and quotes only the bad entry, escaped."""
    top = field.split(".")[0].split("[")[0]
    if top in ("auth_password", "(resource)") or top not in news:
        return ""
    return "" if _large(news[top]) or _has_control_characters(news[top]) else top


def _large(value: Any) -> bool:
    if isinstance(value, (list, tuple, Mapping)) and len(value) > MAX_ECHOED_ENTRIES:
        return True
    return len(repr(value)) > MAX_ECHOED_CHARS


def _has_control_characters(value: Any) -> bool:
    """Whether the engine would print raw control characters (a CR/LF in a header value breaks
    the line it prints; escape sequences reach the terminal). Our reasons quote them escaped."""
    if isinstance(value, str):
        return any(c < " " or c == "\x7f" for c in value)
    if isinstance(value, Mapping):
        return any(
            _has_control_characters(k) or _has_control_characters(v) for k, v in value.items()
        )
    if isinstance(value, (list, tuple)):
        return any(_has_control_characters(v) for v in value)
    return False


def _normalize(value: Any) -> Any:
    """Plain, comparable values: floats that are whole numbers compare equal to ints."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {k: _normalize(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_normalize(v) for v in value]
    return value


class SipInboundTrunkProvider(SipProviderBase):
    spec_class = SipInboundTrunkSpec
    object_api = INBOUND_API


class SipOutboundTrunkProvider(SipProviderBase):
    spec_class = SipOutboundTrunkSpec
    object_api = OUTBOUND_API


class SipDispatchRuleProvider(SipProviderBase):
    spec_class = SipDispatchRuleSpec
    object_api = DISPATCH_API
