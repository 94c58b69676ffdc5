"""The engine: what happens to a LiveKit SIP object on check, diff, create, read, update and
delete, whichever door the request came through.

Two doors open on it, each a thin adapter that is the only module knowing its framework: the
dynamic providers of Python programs (:mod:`.providers`, ``pulumi.dynamic``) and the
``livekit-sip`` provider plugin for every other language (:mod:`.plugin.provider`,
``pulumi.provider``). Nothing here imports the Pulumi SDK: requests and results are the plain
dataclasses below; values are plain Python values with the protocol's names; a door says which
top-level inputs are not known yet (preview) in the request's ``unknown`` and turns its own
unknown values into none of ours (they are passed through untouched).

One engine per kind of object (:class:`SipInboundTrunkEngine`, :class:`SipOutboundTrunkEngine`,
:class:`SipDispatchRuleEngine`), configured with the LiveKit settings (:meth:`SipEngine.configure`).

What the engine guarantees, whatever the network does:

- **No object is taken from another stack or another resource.** A resource without ``name``
  gets a physical name of its own, ``<resource name>-<7 hex>`` (:func:`autoname`: a digest of
  project, stack, type, resource name and, for a component's child, the parent's URN: no two
  resources of a stack, and no two stacks of a project, compute the same one), and keeps the
  name its state records. An object bearing this resource's autoname was made by this
  resource, whatever its fields: a create (not a replacement) after an interrupted ``up``
  takes it over and updates it to the declaration, so the next ``destroy`` deletes it. An
  object with an explicit ``name`` is never taken, the create fails and says how to adopt it.
- **No create is blindly retried.** When the answer to a create is lost (5xx, reset, timeout),
  the objects that match the declaration and were not there before the create are looked up: the
  object found is this one; only when there is none is the create sent again.
- **A diff names the fields that changed** (:class:`DiffResult`), never the provider's own
  inputs, so a door never leaves Pulumi to diff what it does not understand.
- **Passwords never leave the engine in plain text**: the outputs keep a keyed, salted
  digest of ``auth_password`` (:func:`password_digest`), which diff and refresh compare
  against, and the inputs check() returns carry a sealed reference to the password
  (:func:`seal`) that only this process can resolve: the Python dynamic provider cannot mark
  what it returns as secret, so the engine prints what it returns in its verbose log
  (``-v=9``). The digest's key is derived from the LiveKit API secret, which the engine does
  not print (secret config is masked in its logs): a log or a state export alone cannot be
  used to check password guesses offline.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import logging
import os
import secrets
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, ClassVar

from livekit import api
from livekit.api.twirp_client import ServerErrorCode
from livekit_sip_core import PASSWORD_FIELD

from .client import Attempts, LiveKitSettings, RetryPolicy, call_livekit
from .errors import LiveKitApiError, LiveKitSipError, Problem, SpecError
from .specs import (
    ADOPT_ID,
    ADOPT_ONLY_IF_MATCHING,
    DISPATCH_RULE_ID_PREFIX,
    TRUNK_ID_PREFIX,
    SipDispatchRuleSpec,
    SipInboundTrunkSpec,
    SipOutboundTrunkSpec,
    SipSpec,
    adopt_id_problem,
    validate_spec,
)

__all__ = [
    "ADOPT_ID",
    "ADOPT_ONLY_IF_MATCHING",
    "AUTONAME",
    "DISPATCH_API",
    "INBOUND_API",
    "MAX_FAILURES",
    "OUTBOUND_API",
    "CheckFailure",
    "CheckRequest",
    "CheckResult",
    "CreateRequest",
    "CreateResult",
    "DeleteRequest",
    "DiffKind",
    "DiffRequest",
    "DiffResult",
    "ReadRequest",
    "ReadResult",
    "SipDispatchRuleEngine",
    "SipEngine",
    "SipInboundTrunkEngine",
    "SipObjectApi",
    "SipOutboundTrunkEngine",
    "UpdateRequest",
    "UpdateResult",
    "autoname",
    "digest_key",
    "is_foreign_seal",
    "password_digest",
    "seal",
    "unknown_keys",
    "unseal",
]

log = logging.getLogger(__name__)

#: Hidden input (policies do not see ``__`` keys): the name this resource gets when ``name`` is
#: not given. Kept in the checked inputs only while the resource is being created.
AUTONAME = "__autoname"

_PASSWORD = PASSWORD_FIELD
#: ``hmac_sha256:<salt>:<hex>``: what the outputs keep instead of a password.
_DIGEST_SCHEME = "hmac_sha256"
_DIGEST_KEY_LABEL = b"livekit-sip-pulumi auth_password digest v1"
#: Recorded by earlier versions: still compared against (no spurious diff), and replaced by
#: the keyed digest at the next update or refresh. Anyone holding it could test guesses.
_LEGACY_SCHEME = "pbkdf2_sha256"


# --- requests and results -------------------------------------------------------------------


@dataclass(frozen=True)
class CheckFailure:
    """One thing wrong with the inputs. ``field`` is the top-level input it is reported on ("" for
    the resource as a whole: a door prints the value of the field a failure names, so none is
    named when that value is secret, large or holds control characters); ``reason`` starts with
    the field's path (``numbers[2]: ...``)."""

    field: str
    reason: str


@dataclass(frozen=True)
class CheckRequest:
    """``olds``: the inputs the state records ({} for a new resource); ``news``: the declared
    inputs; ``unknown``: the top-level keys of ``news`` whose values hold something not known
    yet (a preview)."""

    olds: Mapping[str, Any]
    news: Mapping[str, Any]
    unknown: frozenset[str] = frozenset()


@dataclass(frozen=True)
class CheckResult:
    """The inputs to record (name resolved, password sealed) and what is wrong with them."""

    inputs: dict[str, Any]
    failures: list[CheckFailure] = field(default_factory=list)


class DiffKind(Enum):
    """How one field differs between the recorded outputs and the declared inputs."""

    ADD = "add"
    """Recorded without a value, declared with one."""
    DELETE = "delete"
    """Recorded with a value, declared without one."""
    UPDATE = "update"
    """Both have a value, and they differ (or the declared one is not known yet)."""


@dataclass(frozen=True)
class DiffRequest:
    """``olds``: the outputs the state records; ``news``: the checked inputs; ``unknown`` as
    in :class:`CheckRequest`."""

    id: str
    olds: Mapping[str, Any]
    news: Mapping[str, Any]
    unknown: frozenset[str] = frozenset()


@dataclass(frozen=True)
class DiffResult:
    """``changed``: the fields (top-level, protocol names) whose declared value differs from the
    recorded one, sorted; ``detailed``: how each differs; ``replaces``: those of them that need
    a new object (none today: LiveKit updates every field of the three objects in place)."""

    changed: list[str] = field(default_factory=list)
    detailed: dict[str, DiffKind] = field(default_factory=dict)
    replaces: list[str] = field(default_factory=list)
    delete_before_replace: bool = False

    @property
    def changes(self) -> bool:
        return bool(self.changed)


@dataclass(frozen=True)
class CreateRequest:
    props: Mapping[str, Any]


@dataclass(frozen=True)
class CreateResult:
    """The new (or adopted, or taken over) object's ID and the outputs to record."""

    id: str
    outs: dict[str, Any]


@dataclass(frozen=True)
class ReadRequest:
    """``props``: the outputs the state records."""

    id: str
    props: Mapping[str, Any]


@dataclass(frozen=True)
class ReadResult:
    """``id`` None: the object is gone from LiveKit."""

    id: str | None
    outs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class UpdateRequest:
    """``olds``: the outputs the state records; ``news``: the checked inputs."""

    id: str
    olds: Mapping[str, Any]
    news: Mapping[str, Any]


@dataclass(frozen=True)
class UpdateResult:
    outs: dict[str, Any]


@dataclass(frozen=True)
class DeleteRequest:
    id: str
    props: Mapping[str, Any] = field(default_factory=dict)


def unknown_keys(values: Mapping[str, Any], is_unknown: Callable[[Any], bool]) -> frozenset[str]:
    """The top-level keys of ``values`` whose value ``is_unknown`` (a door's test for its own
    unknowns: the ``unknown`` of a request)."""
    return frozenset(key for key, value in values.items() if is_unknown(value))


# --- names and passwords --------------------------------------------------------------------


def autoname(
    project: str, stack: str, type_token: str, resource_name: str, parent_urn: str = ""
) -> str:
    """The physical name of a resource declared without ``name``: ``<resource name>-<7 hex>``.

    Deterministic (a re-run after an interrupted update computes the same name) and different
    for every stack, type and resource of a project, like Pulumi's own autonaming.
    ``parent_urn`` is the URN of the component the resource belongs to ("" at the top of the
    stack): Pulumi allows a component's child and a top-level resource of one type and name
    (their URNs differ by the parent's type), and they must not share a name either. Top-level
    resources keep the name earlier releases computed, so an object an interrupted `up` left
    before an upgrade is still recognised."""
    parts = (project, stack, type_token, resource_name, *((parent_urn,) if parent_urn else ()))
    seed = "\0".join(parts).encode()
    return f"{resource_name}-{hashlib.sha256(seed).hexdigest()[:7]}"


def digest_key(api_secret: str) -> bytes | None:
    """The key of :func:`password_digest`, derived from the LiveKit API secret (None without
    one). Whoever holds the API secret can read the trunk's password from LiveKit anyway."""
    if not api_secret:
        return None
    return hmac.new(api_secret.encode(), _DIGEST_KEY_LABEL, hashlib.sha256).digest()


def password_digest(password: str, key: bytes, salt: str | None = None) -> str:
    """``hmac_sha256:<salt>:<hex>`` of a password ("" stays ""): what the outputs keep instead
    of the password. Keyed (:func:`digest_key`), so it cannot be checked without the API
    secret; salted, so that two trunks with one password do not show it. ``salt`` is reused
    from the previous digest when given."""
    if not password:
        return ""
    salt = salt or base64.b32encode(os.urandom(10)).decode().lower()
    mac = hmac.new(key, f"{salt}:{password}".encode(), hashlib.sha256).hexdigest()
    return f"{_DIGEST_SCHEME}:{salt}:{mac}"


def _is_current_digest(stored: Any) -> bool:
    return isinstance(stored, str) and stored.startswith(_DIGEST_SCHEME + ":")


def _digest_salt(stored: Any) -> str | None:
    if _is_current_digest(stored):
        return str(stored).split(":")[1]
    return None


def _password_matches(password: str, stored: Any, key: bytes | None) -> bool:
    """Whether ``stored`` is ``password``: a keyed digest (False without the key: the change
    cannot be ruled out), a digest of an earlier version, or a plain password in state written
    before digests."""
    if not isinstance(stored, str) or not stored:
        return not password
    parts = stored.split(":")
    if parts[0] == _DIGEST_SCHEME and len(parts) == 3:
        return key is not None and hmac.compare_digest(
            password_digest(password, key, parts[1]), stored
        )
    if len(parts) == 4 and parts[0] == _LEGACY_SCHEME and parts[1].isdigit():
        derived = hashlib.pbkdf2_hmac(
            "sha256", password.encode(), parts[2].encode(), int(parts[1])
        )
        return hmac.compare_digest(derived.hex(), parts[3])
    return hmac.compare_digest(stored.encode(), password.encode())


# Passwords check() has seen, by the reference it returned instead. The Pulumi engine calls
# create, update and diff in the provider process that checked their inputs.
_SEALED: dict[str, str] = {}
_SEALED_LOCK = threading.Lock()
_SEAL_PREFIX = "sealed:"


def seal(password: Any) -> Any:
    """A reference to ``password`` valid in this process ("" and unknowns stay as they are)."""
    if not isinstance(password, str) or not password or password.startswith(_SEAL_PREFIX):
        return password
    token = _SEAL_PREFIX + secrets.token_hex(16)
    with _SEALED_LOCK:
        _SEALED[token] = password
    return token


def is_foreign_seal(value: Any) -> bool:
    """A reference sealed by another process (inputs recorded in the state by an earlier run)."""
    if not (isinstance(value, str) and value.startswith(_SEAL_PREFIX)):
        return False
    with _SEALED_LOCK:
        return value not in _SEALED


def unseal(value: Any) -> Any:
    """The password ``value`` refers to (other values as they are)."""
    if not (isinstance(value, str) and value.startswith(_SEAL_PREFIX)):
        return value
    with _SEALED_LOCK:
        password = _SEALED.get(value)
    if password is None:
        raise LiveKitSipError(
            "auth_password: the inputs were checked by another provider process, so the "
            "password cannot be read back; run the command again"
        )
    return password


def _unsealed(props: Mapping[str, Any]) -> dict[str, Any]:
    props = dict(props)
    if _PASSWORD in props:
        props[_PASSWORD] = unseal(props[_PASSWORD])
    return props


# --- the LiveKit API of each kind -----------------------------------------------------------


@dataclass(frozen=True)
class SipObjectApi:
    """How one kind of SIP object is created, replaced, listed and deleted."""

    kind: str
    id_field: str
    create: Callable[[api.LiveKitAPI, Any], Awaitable[Any]]
    update: Callable[[api.LiveKitAPI, str, Any], Awaitable[Any]]
    list_by_ids: Callable[[api.LiveKitAPI, list[str]], Awaitable[Iterable[Any]]]
    # The objects that could be the same as a declared one (a filter the server applies).
    list_candidates: Callable[[api.LiveKitAPI, Any], Awaitable[Iterable[Any]]]
    delete: Callable[[api.LiveKitAPI, str], Awaitable[Any]]


async def _list_inbound(lk: api.LiveKitAPI, ids: list[str]) -> Iterable[Any]:
    response = await lk.sip.list_inbound_trunk(api.ListSIPInboundTrunkRequest(trunk_ids=ids))
    return response.items


async def _inbound_candidates(lk: api.LiveKitAPI, info: Any) -> Iterable[Any]:
    # The server returns the trunks that list any of these numbers (all trunks when empty).
    request = api.ListSIPInboundTrunkRequest(numbers=list(info.numbers))
    return (await lk.sip.list_inbound_trunk(request)).items


INBOUND_API = SipObjectApi(
    kind="SIP inbound trunk",
    id_field="sip_trunk_id",
    create=lambda lk, info: lk.sip.create_inbound_trunk(
        api.CreateSIPInboundTrunkRequest(trunk=info)
    ),
    update=lambda lk, object_id, info: lk.sip.update_inbound_trunk(object_id, info),
    list_by_ids=_list_inbound,
    list_candidates=_inbound_candidates,
    delete=lambda lk, object_id: lk.sip.delete_trunk(
        api.DeleteSIPTrunkRequest(sip_trunk_id=object_id)
    ),
)


async def _list_outbound(lk: api.LiveKitAPI, ids: list[str]) -> Iterable[Any]:
    response = await lk.sip.list_outbound_trunk(api.ListSIPOutboundTrunkRequest(trunk_ids=ids))
    return response.items


async def _outbound_candidates(lk: api.LiveKitAPI, info: Any) -> Iterable[Any]:
    request = api.ListSIPOutboundTrunkRequest(numbers=list(info.numbers))
    return (await lk.sip.list_outbound_trunk(request)).items


OUTBOUND_API = SipObjectApi(
    kind="SIP outbound trunk",
    id_field="sip_trunk_id",
    create=lambda lk, info: lk.sip.create_outbound_trunk(
        api.CreateSIPOutboundTrunkRequest(trunk=info)
    ),
    update=lambda lk, object_id, info: lk.sip.update_outbound_trunk(object_id, info),
    list_by_ids=_list_outbound,
    list_candidates=_outbound_candidates,
    delete=lambda lk, object_id: lk.sip.delete_trunk(
        api.DeleteSIPTrunkRequest(sip_trunk_id=object_id)
    ),
)


async def _list_dispatch(lk: api.LiveKitAPI, ids: list[str]) -> Iterable[Any]:
    response = await lk.sip.list_dispatch_rule(
        api.ListSIPDispatchRuleRequest(dispatch_rule_ids=ids)
    )
    return response.items


async def _dispatch_candidates(lk: api.LiveKitAPI, info: Any) -> Iterable[Any]:
    # The server returns the rules for any of these trunks (all rules when empty).
    request = api.ListSIPDispatchRuleRequest(trunk_ids=list(info.trunk_ids))
    return (await lk.sip.list_dispatch_rule(request)).items


DISPATCH_API = SipObjectApi(
    kind="SIP dispatch rule",
    id_field="sip_dispatch_rule_id",
    create=lambda lk, info: lk.sip.create_dispatch_rule(
        api.CreateSIPDispatchRuleRequest(dispatch_rule=info)
    ),
    update=lambda lk, object_id, info: lk.sip.update_dispatch_rule(object_id, info),
    list_by_ids=_list_dispatch,
    list_candidates=_dispatch_candidates,
    # Deleting a missing rule answers not_found; SipEngine.delete treats that as done.
    delete=lambda lk, object_id: lk.sip.delete_dispatch_rule(
        api.DeleteSIPDispatchRuleRequest(sip_dispatch_rule_id=object_id)
    ),
)


async def _list_one(object_api: SipObjectApi, object_id: str, lk: api.LiveKitAPI) -> Iterable[Any]:
    return await object_api.list_by_ids(lk, [object_id])


_APIS_BY_PREFIX = {
    TRUNK_ID_PREFIX: (INBOUND_API, OUTBOUND_API),
    DISPATCH_RULE_ID_PREFIX: (DISPATCH_API,),
}


class _LiveNames:
    """The IDs of the objects of one kind by name, as they were when this provider process
    first created an object of that kind: where a create finds the object an interrupted `up`
    left with its autoname, whatever that object's fields now are.

    One full list per kind and process (the engine starts a provider process per operation),
    not one per create: the creates of an `up` stay a create and one filtered list each. An
    object left behind existed before this process started; one made meanwhile by a lingering
    process of the killed `up` is found by the create's own filtered list (by numbers, or
    trunk IDs for a rule) when it still holds what the declaration holds."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids: dict[str, list[str]] | None = None

    def ids(self, name: str, load: Callable[[], Iterable[Any]], id_field: str) -> list[str]:
        with self._lock:
            if self._ids is None:
                index: dict[str, list[str]] = {}
                for item in load():
                    index.setdefault(item.name, []).append(getattr(item, id_field))
                self._ids = index
            return list(self._ids.get(name, ()))


def _spec_inputs(spec_class: type[SipSpec], props: Mapping[str, Any]) -> dict[str, Any]:
    """The spec's fields among ``props``; None means "not set" (the spec's default)."""
    return {k: v for k, v in props.items() if k in spec_class.model_fields and v is not None}


class SipEngine:
    """Check, diff, create, read, update, delete and adoption of one kind of LiveKit SIP
    object. Stateless between calls but for the settings (:meth:`configure`) and the index of
    names a create of an autonamed object consults (one per engine, i.e. per provider process);
    safe to call from several threads."""

    spec_class: ClassVar[type[SipSpec]]
    object_api: ClassVar[SipObjectApi]
    #: Fields whose change needs a new object: none, LiveKit's ``UpdateSIP...`` replaces every
    #: field of the object in place and keeps its ID (which dispatch rules refer to).
    replace_fields: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, settings: LiveKitSettings | None = None) -> None:
        self._settings = settings
        self.live_names = _LiveNames()

    def configure(self, settings: LiveKitSettings) -> None:
        """Use ``settings`` (URL, keys, deadline) from now on."""
        self._settings = settings
        self.live_names = _LiveNames()

    @property
    def settings(self) -> LiveKitSettings:
        # Not configured (tests, the program process): LiveKit's environment variables.
        return self._settings if self._settings is not None else LiveKitSettings()

    @property
    def resource_type(self) -> str:
        """The resource's class name in messages: ``SipInboundTrunk``."""
        return self.spec_class.__name__.removesuffix("Spec")

    # -- check -----------------------------------------------------------------------------------

    def check(self, request: CheckRequest) -> CheckResult:
        olds, unknown = request.olds, request.unknown
        news = self._resolve_name(olds, request.news)
        values = _spec_inputs(self.spec_class, news)
        unknown_fields = frozenset(k for k in values if k in unknown)
        known = {k: v for k, v in values.items() if k not in unknown_fields}
        problems: list[Problem] = []
        try:
            validate_spec(self.spec_class, known, unknown_fields)
        except SpecError as exc:
            problems.extend(
                Problem(p.field, f"{p.message}. See {self.spec_class.docs_url}", p.code)
                for p in exc.details
            )
        adopt = news.get(ADOPT_ID)
        if ADOPT_ID not in unknown:
            adopt_problem = adopt_id_problem(self.spec_class, adopt)
            if adopt_problem is not None:
                problems.append(adopt_problem)
        failures = _check_failures(problems, news)
        if isinstance(adopt, str) and adopt and not olds and not failures:
            failures.extend(self._preview_adoption(adopt, news, unknown_fields))
        if _PASSWORD in news:
            news[_PASSWORD] = seal(news[_PASSWORD])
        return CheckResult(news, failures)

    def _resolve_name(self, olds: Mapping[str, Any], news: Mapping[str, Any]) -> dict[str, Any]:
        """Pulumi's autonaming: a declared name is used as is; without one, the name recorded
        in the state is kept (existing objects are never renamed), an adopted object keeps its
        live name, and a new object gets its autoname. ``__autoname`` stays in the inputs only
        while the resource is created: it marks a create (not a replacement) for ``create``."""
        news = dict(news)
        candidate = news.pop(AUTONAME, None)
        if news.get("name") is None:
            recorded = olds.get("name") if olds else None
            if isinstance(recorded, str) and recorded:
                news["name"] = recorded
            elif not news.get(ADOPT_ID) and isinstance(candidate, str):
                news["name"] = candidate
        if not olds and isinstance(candidate, str):
            news[AUTONAME] = candidate
        return news

    def _spec(self, props: Mapping[str, Any]) -> SipSpec:
        return validate_spec(self.spec_class, _spec_inputs(self.spec_class, props))

    # -- adoption ----------------------------------------------------------------------------------

    def _preview_adoption(
        self, adopt: str, news: Mapping[str, Any], unknown: frozenset[str]
    ) -> list[CheckFailure]:
        """At preview (and before the create in `up`): what adopting ``adopt`` will change.

        Needs the credentials; when LiveKit cannot be asked, the create reports it instead."""
        try:
            self.settings.require_complete()
            live = self._find_for_adoption(adopt)
            values = _spec_inputs(self.spec_class, news)
            declared = validate_spec(
                self.spec_class, {k: v for k, v in values.items() if k not in unknown}, unknown
            )
        except LiveKitApiError as exc:
            if exc.code == ServerErrorCode.NOT_FOUND:
                return [CheckFailure(ADOPT_ID, str(exc))]
            return []
        except LiveKitSipError:
            return []
        differing = self._differences(declared, live, news.get("name") is not None, unknown)
        if not differing:
            return []
        if news.get(ADOPT_ONLY_IF_MATCHING):
            return [CheckFailure(ADOPT_ID, self._refusal(adopt, differing))]
        log.warning("%s", self._adoption_notice(adopt, differing, news))
        return []

    def _find_for_adoption(self, adopt: str) -> Any:
        """The live object ``adopt``; a clear error when it does not exist or is of another
        kind."""
        found = self._find(adopt)
        if found is not None:
            return found
        for other in _APIS_BY_PREFIX.get(self.spec_class.id_prefix, ()):
            if other is self.object_api:
                continue
            items = call_livekit(
                self.settings,
                f"read {other.kind} {adopt}",
                functools.partial(_list_one, other, adopt),
            )
            if any(getattr(item, other.id_field) == adopt for item in items):
                raise LiveKitApiError(
                    f"cannot adopt {self.spec_class.kind} {adopt}: {adopt} is a {other.kind}, "
                    f"not a {self.spec_class.kind}. Declare it with the resource for "
                    f"{other.kind}s, or check the ID.",
                    code=ServerErrorCode.NOT_FOUND,
                )
        raise LiveKitApiError(
            f"cannot adopt {self.spec_class.kind} {adopt}: it does not exist in this "
            f"LiveKit project. Remove {ADOPT_ID} to create a new one, or check the ID.",
            code=ServerErrorCode.NOT_FOUND,
        )

    def _differences(
        self,
        declared: SipSpec,
        live: Any,
        name_declared: bool,
        unknown: frozenset[str] = frozenset(),
    ) -> list[str]:
        """The fields whose live value differs from the declaration (names only)."""
        want = _normalize(declared.outputs())
        have = _normalize(self.spec_class.outputs_from_proto(live))
        return sorted(
            field
            for field in want
            if field not in unknown
            and (field != "name" or name_declared)
            and want.get(field) != have.get(field)
        )

    def _adoption_notice(
        self, adopt: str, differing: list[str], props: Mapping[str, Any]
    ) -> str:
        # The provider is not told the resource's name; its autoname starts with it. (The
        # Pulumi engine shows provider messages under the stack, not under the resource.)
        candidate = props.get(AUTONAME)
        resource = candidate.rsplit("-", 1)[0] if isinstance(candidate, str) else ""
        return (
            (f"{self.resource_type} '{resource}': " if resource else "")
            + f"adopting {self.spec_class.kind} {adopt} changes {', '.join(differing)}: the live "
            "values differ from the declaration (fields left out are reset to their defaults). "
            f"Declare them to keep them, or set {ADOPT_ONLY_IF_MATCHING}=True to refuse."
        )

    def _refusal(self, adopt: str, differing: list[str]) -> str:
        return (
            f"{ADOPT_ID}: {self.spec_class.kind} {adopt} differs from the declaration in "
            f"{', '.join(differing)}, and {ADOPT_ONLY_IF_MATCHING} is set: declare its live "
            f"values, or unset {ADOPT_ONLY_IF_MATCHING} to let `up` change them."
        )

    # -- diff ------------------------------------------------------------------------------------

    def diff(self, request: DiffRequest) -> DiffResult:
        """The fields whose declared value differs from the recorded outputs.

        Only the spec's fields are compared: ``adopt_id`` matters only when the object is
        created (changing it later changes nothing), and a door's own inputs (the dynamic
        provider's pickled class) are not fields of the object."""
        olds = request.olds
        # `pulumi refresh` diffs the refreshed outputs against the inputs recorded by an earlier
        # run, whose password reference only that run could resolve: the password is left out
        # of that comparison (the next `up` checks the declared password again). The reference
        # itself stands in for it in the validation: it is set, as the password was.
        unresolvable = is_foreign_seal(request.news.get(_PASSWORD))
        news = dict(request.news) if unresolvable else _unsealed(request.news)
        values = _spec_inputs(self.spec_class, news)
        unknown = frozenset(k for k in values if k in request.unknown)
        # A field the recorded outputs lack was added by a later version: it holds its default.
        recorded = self.spec_class.with_defaults(olds)
        try:
            declared = validate_spec(
                self.spec_class, {k: v for k, v in values.items() if k not in unknown}, unknown
            ).outputs()
        except SpecError as exc:
            # check() already reported it (the Pulumi engine stops there); the fields named by
            # the problems, or else those whose value differs as given, are the changes.
            named = {p.field.split(".")[0].split("[")[0] for p in exc.details}
            changed = sorted(named & set(self.spec_class.model_fields)) or sorted(
                k
                for k, v in values.items()
                if k == _PASSWORD or _normalize(v) != _normalize(recorded.get(k))
            )
            return self._diff_result(changed or sorted(values), recorded, {})
        if news.get("name") is None:  # an adopted object without a declared name keeps its own
            declared["name"] = olds.get("name")
        changed = sorted(
            field
            for field in self.spec_class.model_fields
            if field in unknown or not self._same(field, recorded.get(field), declared.get(field))
            if not (unresolvable and field == _PASSWORD)
        )
        return self._diff_result(changed, recorded, declared, unknown)

    def _diff_result(
        self,
        changed: list[str],
        recorded: Mapping[str, Any],
        declared: Mapping[str, Any],
        unknown: frozenset[str] = frozenset(),
    ) -> DiffResult:
        detailed = {
            field: _diff_kind(recorded.get(field), declared.get(field), field in unknown)
            for field in changed
        }
        replaces = [field for field in changed if field in self.replace_fields]
        return DiffResult(changed=changed, detailed=detailed, replaces=replaces)

    def _same(self, field: str, recorded: Any, declared: Any) -> bool:
        if field == _PASSWORD:
            return _password_matches(declared or "", recorded, self._digest_key())
        return bool(_normalize(recorded) == _normalize(declared))

    def _digest_key(self) -> bytes | None:
        return digest_key(self.settings.api_secret.get_secret_value())

    # -- create, read, update, delete ---------------------------------------------------------

    def outputs(
        self, props: Mapping[str, Any], message: Any, previous: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """What the state records of the object ``message`` declared by ``props``: the inputs,
        overlaid with what LiveKit says, the password as its digest (the digest ``previous``
        recorded when the password is the same)."""
        outs = dict(props)
        outs.update(self.spec_class.outputs_from_proto(message))
        outs[self.object_api.id_field] = getattr(message, self.object_api.id_field)
        if _PASSWORD in self.spec_class.model_fields:
            # A call just succeeded: the API secret, and so the key, is there.
            key = self._digest_key()
            assert key is not None
            recorded = (previous or {}).get(_PASSWORD)
            live = message.auth_password
            if _is_current_digest(recorded) and _password_matches(live, recorded, key):
                outs[_PASSWORD] = recorded
            else:  # changed, or recorded by an earlier version: digested anew
                outs[_PASSWORD] = password_digest(live, key, _digest_salt(recorded))
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

    def create(self, request: CreateRequest) -> CreateResult:
        props = _unsealed(request.props)
        spec = self._spec(props)
        adopt = props.get(ADOPT_ID)
        message = self._adopt(adopt, spec, props) if adopt else self._create(spec, props)
        outs = self.outputs(props, message)
        return CreateResult(outs[self.object_api.id_field], outs)

    def _adopt(self, adopt: str, spec: SipSpec, props: Mapping[str, Any]) -> Any:
        live = self._find_for_adoption(adopt)
        name_declared = props.get("name") is not None
        differing = self._differences(spec, live, name_declared)
        if differing and props.get(ADOPT_ONLY_IF_MATCHING):
            raise LiveKitApiError(
                self._refusal(adopt, differing), code=ServerErrorCode.FAILED_PRECONDITION
            )
        if differing:
            log.warning("%s", self._adoption_notice(adopt, differing, props))
        info = spec.to_proto()
        if not name_declared:
            info.name = live.name
        return call_livekit(
            self.settings,
            self._what("adopt", adopt),
            lambda lk: self.object_api.update(lk, adopt, info),
        )

    def _matches(self, item: Any, declared: Mapping[str, Any]) -> bool:
        return bool(_normalize(self.spec_class.outputs_from_proto(item)) == declared)

    def _candidates(self, info: Any) -> list[Any]:
        return list(
            call_livekit(
                self.settings,
                self._what("list"),
                lambda lk: self.object_api.list_candidates(lk, info),
            )
        )

    def _create(self, spec: SipSpec, props: Mapping[str, Any]) -> Any:
        """Create the object, exactly once.

        On a fresh create (not a replacement) of an autonamed resource, an object bearing this
        resource's autoname is the one an interrupted `up` created but never recorded: it is
        taken over and updated to the declaration, whatever its fields (an edited program
        must not trip over its own object). With an explicit name, an object with that name
        and the same settings is never taken (it may belong to another stack): the create
        fails and says how to adopt it. Then the create is sent; when its answer is lost (5xx,
        reset, timeout), the object is looked for among those that were not there before, and
        the create is sent again only when it is not found.
        """
        info = spec.to_proto()
        name: str = info.name
        declared = _normalize(spec.outputs())
        id_field = self.object_api.id_field
        before = self._candidates(info)
        fresh = AUTONAME in props
        autonamed = fresh and bool(name) and name == props.get(AUTONAME)
        if autonamed:
            left = self._left_behind(name, before)
            if left:
                return self._take_over(left, info, declared)
        same = [item for item in before if self._matches(item, declared)] if fresh else []
        if same:
            object_id = getattr(same[0], id_field)
            raise LiveKitApiError(
                f"create {self.spec_class.kind} '{name}': {object_id} already exists in "
                f"this LiveKit project with this name and the same settings, and this stack "
                f"does not record it. If an interrupted `pulumi up` of this stack left it, adopt "
                f'it: set {ADOPT_ID}="{object_id}". Otherwise it belongs to something else '
                "(another stack?): give this resource a name unique to this stack, or drop "
                "`name` to get one (<resource name>-<hash>).",
                code=ServerErrorCode.ALREADY_EXISTS,
            )
        known = {getattr(item, id_field) for item in before}
        policy = RetryPolicy()
        # Re-sending stops with the deadline of one call (livekit:timeoutSeconds).
        give_up = time.monotonic() + self.settings.deadline()
        last: LiveKitApiError | None = None
        sent = Attempts()  # every send counted in the final message
        for attempt in range(policy.attempts):
            try:
                return call_livekit(
                    self.settings,
                    self._what("create"),
                    lambda lk: self.object_api.create(lk, info),
                    idempotent=False,
                    attempts=sent,
                )
            except LiveKitApiError as exc:
                # A 429 was not carried out, and was already sent again as often and as late
                # as its Retry-After and the deadline allow: nothing to look for or re-send.
                if not exc.transient or exc.rate_limited:
                    raise
                last = exc
            mine = [
                item
                for item in self._candidates(info)
                if getattr(item, id_field) not in known
                and (item.name == name if autonamed else self._matches(item, declared))
            ]
            if mine:
                log.warning(
                    "%s '%s': the answer to the create was lost, but LiveKit created %s: "
                    "recording it (no duplicate)",
                    self.spec_class.kind,
                    name,
                    getattr(mine[0], id_field),
                )
                return mine[0]
            delay = policy.delay(attempt)
            if attempt + 1 >= policy.attempts or time.monotonic() + delay >= give_up:
                break
            time.sleep(delay)
        assert last is not None
        raise last

    def _left_behind(self, name: str, candidates: Iterable[Any]) -> list[Any]:
        """The live objects bearing ``name`` (this resource's autoname), by ID."""
        id_field = self.object_api.id_field
        found = {getattr(item, id_field): item for item in candidates if item.name == name}
        elsewhere = [
            object_id
            for object_id in self.live_names.ids(
                name,
                lambda: call_livekit(
                    self.settings,
                    self._what("list"),
                    lambda lk: self.object_api.list_by_ids(lk, []),
                ),
                id_field,
            )
            if object_id not in found
        ]
        if elsewhere:
            # Read again: since the list, the object may have been deleted or renamed.
            for item in call_livekit(
                self.settings,
                self._what("read"),
                lambda lk: self.object_api.list_by_ids(lk, elsewhere),
            ):
                if getattr(item, id_field) in elsewhere and item.name == name:
                    found[getattr(item, id_field)] = item
        return [found[object_id] for object_id in sorted(found)]

    def _take_over(self, left: list[Any], info: Any, declared: Mapping[str, Any]) -> Any:
        """Record an object this resource made in an interrupted `up`, updated to the
        declaration. Several (made by interrupted runs of earlier releases, which created
        another when the fields had changed): one is kept, the others are deleted, so that
        `destroy` leaves none behind."""
        id_field = self.object_api.id_field
        kept = next((item for item in left if self._matches(item, declared)), left[0])
        object_id = getattr(kept, id_field)
        for item in left:
            if item is not kept:
                log.warning(
                    "%s '%s': deleting %s, a duplicate of %s left by an interrupted update of "
                    "this stack",
                    self.spec_class.kind,
                    info.name,
                    getattr(item, id_field),
                    object_id,
                )
                self.delete(DeleteRequest(getattr(item, id_field)))
        log.warning(
            "%s '%s': taking over %s, left by an interrupted update of this stack",
            self.spec_class.kind,
            info.name,
            object_id,
        )
        if self._matches(kept, declared):
            return kept
        return call_livekit(
            self.settings,
            self._what("update", object_id),
            lambda lk: self.object_api.update(lk, object_id, info),
        )

    def read(self, request: ReadRequest) -> ReadResult:
        message = self._find(request.id)
        if message is None:
            return ReadResult(None, {})
        return ReadResult(request.id, self.outputs(request.props, message, request.props))

    def update(self, request: UpdateRequest) -> UpdateResult:
        id_, olds = request.id, request.olds
        news = _unsealed(request.news)
        spec = self._spec(news)
        info = spec.to_proto()
        if news.get("name") is None and isinstance(olds.get("name"), str):
            info.name = olds["name"]  # an adopted object without a declared name keeps its own
        try:
            message = call_livekit(
                self.settings,
                self._what("update", id_),
                lambda lk: self.object_api.update(lk, id_, info),
            )
        except LiveKitApiError as exc:
            if exc.code != ServerErrorCode.NOT_FOUND:
                raise
            raise LiveKitApiError(
                f"update {self.spec_class.kind} {id_}: it no longer exists in LiveKit (deleted "
                "outside Pulumi). Run `pulumi refresh` to drop it from the state, then "
                "`pulumi up` recreates it.",
                code=exc.code,
                status=exc.status,
            ) from None
        return UpdateResult(self.outputs(news, message, olds))

    def delete(self, request: DeleteRequest) -> None:
        """Delete the object; one that is already gone is deleted."""
        id_ = request.id
        try:
            call_livekit(
                self.settings, self._what("delete", id_), lambda lk: self.object_api.delete(lk, id_)
            )
        except LiveKitApiError as exc:
            if exc.code != ServerErrorCode.NOT_FOUND:
                raise


class SipInboundTrunkEngine(SipEngine):
    spec_class = SipInboundTrunkSpec
    object_api = INBOUND_API


class SipOutboundTrunkEngine(SipEngine):
    spec_class = SipOutboundTrunkSpec
    object_api = OUTBOUND_API


class SipDispatchRuleEngine(SipEngine):
    spec_class = SipDispatchRuleSpec
    object_api = DISPATCH_API


# --- check failures and comparable values --------------------------------------------------


#: At most this many failures per resource; a long list with every entry wrong is summed up.
MAX_FAILURES = 20
#: A property whose value is larger than this (entries, or characters of its text form) is not
#: named in a failure: the engine prints the value of the property a failure names.
MAX_ECHOED_ENTRIES = 20
MAX_ECHOED_CHARS = 1024


def _check_failures(problems: list[Problem], news: Mapping[str, Any]) -> list[CheckFailure]:
    """Check failures for ``problems``; each reason starts with the field path."""
    failures = [
        CheckFailure(_reportable_field(p.field, news), f"{p.field}: {p.message}")
        for p in problems[:MAX_FAILURES]
    ]
    if len(problems) > MAX_FAILURES:
        fields = sorted({p.field.split("[")[0].split(".")[0] for p in problems[MAX_FAILURES:]})
        failures.append(
            CheckFailure(
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
    if top in (PASSWORD_FIELD, "(resource)") or top not in news:
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
    """Plain, comparable values: floats that are whole numbers compare equal to ints, and a
    key whose value is None is left out (the engine drops nulls inside recorded objects, e.g.
    ``media.media_timeout``, while the declared outputs carry them)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {k: _normalize(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_normalize(v) for v in value]
    return value


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, (str, list, tuple, Mapping)) and not value)


def _diff_kind(recorded: Any, declared: Any, unknown: bool) -> DiffKind:
    if unknown:
        return DiffKind.UPDATE
    if _empty(recorded) and not _empty(declared):
        return DiffKind.ADD
    if _empty(declared) and not _empty(recorded):
        return DiffKind.DELETE
    return DiffKind.UPDATE
