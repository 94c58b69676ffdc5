"""The live LiveKit project the commands read: credentials, one listing per kind, and the
objects in the shapes the pack, the routing simulator and the export read.

Read-only: the only LiveKit methods called here are ``ListSIPInboundTrunk``,
``ListSIPOutboundTrunk`` and ``ListSIPDispatchRule``.

Credentials never leave :class:`Credentials` except into the LiveKit client: the secret is a
``SecretStr``, never printed, and the errors raised here never include it.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from livekit import api
from livekit.api.twirp_client import ServerErrorCode
from livekit.protocol import models
from livekit_sip_core import PASSWORD_FIELD
from livekit_sip_policies.rule import DISPATCH_RULE, INBOUND_TRUNK, OUTBOUND_TRUNK, StackResource
from pydantic import SecretStr

from ..client import LiveKitSettings, call_livekit
from ..errors import CredentialsError, LiveKitApiError, LiveKitSipError
from ..specs import SipDispatchRuleSpec, SipInboundTrunkSpec, SipOutboundTrunkSpec, SipSpec

__all__ = [
    "KINDS",
    "REDACTED",
    "CannotRun",
    "Credentials",
    "Kind",
    "LiveObject",
    "LiveProject",
    "fetch_project",
]

#: What the pack and the map see instead of a password: "set" without the value.
REDACTED = "<redacted>"

#: Objects per list request. livekit-server v1.13 answers every object at once whatever the
#: limit; a server that honours it is paged through with ``after_id``.
PAGE_SIZE = 1000

ENV_URL, ENV_KEY, ENV_SECRET = "LIVEKIT_URL", "LIVEKIT_API_KEY", "LIVEKIT_API_SECRET"
ENV_TIMEOUT = "LIVEKIT_TIMEOUT_SECONDS"


class CannotRun(Exception):
    """The command cannot run (credentials, network, bad configuration): exit code 2.

    The message names the option, environment variable or configuration key to fix; it never
    contains the API secret."""


@dataclass(frozen=True)
class Credentials:
    url: str
    api_key: str
    api_secret: SecretStr = field(repr=False)

    def settings(self) -> LiveKitSettings:
        """The client's settings, checked by :meth:`LiveKitSettings.require_complete`; its
        errors worded for this command's options and environment variables."""
        settings = LiveKitSettings(url=self.url, api_key=self.api_key, api_secret=self.api_secret)
        try:
            return settings.require_complete()
        except CredentialsError as exc:
            raise CannotRun(_credentials_message(exc)) from None


#: The components' config keys -> what the CLI reads instead.
_CLI_NAMES = {
    "livekit:url": f"{ENV_URL} (or --url)",
    "livekit:apiKey": f"{ENV_KEY} (or --api-key)",
    "livekit:apiSecret": f"{ENV_SECRET} (or --api-secret)",
    "livekit:timeoutSeconds": ENV_TIMEOUT,
}


def _credentials_message(exc: CredentialsError) -> str:
    if exc.missing:
        return (
            f"LiveKit credentials are missing: set "
            f"{', '.join(_CLI_NAMES.get(k, k) for k in exc.missing)}, as for the `lk` CLI: "
            "export LIVEKIT_URL=https://<project>.livekit.cloud LIVEKIT_API_KEY=... "
            "LIVEKIT_API_SECRET=..."
        )
    name = _CLI_NAMES.get(exc.key, exc.key)
    if exc.key == "livekit:url":
        return (
            f"{name} '{exc.value}' {exc.problem}. Set it to the project's URL, e.g. "
            "https://my-project.livekit.cloud (scheme http, https, ws or wss; host and port "
            "only)."
        )
    if exc.key:
        return f"{name} '{exc.value}' {exc.problem}: e.g. export {ENV_TIMEOUT}=30"
    return str(exc)


@dataclass(frozen=True)
class Kind:
    """One kind of SIP object: how it is listed and how the components describe it."""

    key: str  # inbound_trunk, outbound_trunk, dispatch_rule (the --json "kind")
    label: str  # for people
    type_token: str  # the pack's resource type
    spec_class: type[SipSpec]
    id_field: str
    list_method: str
    request: Callable[..., Any]
    component: str  # the class of livekit_sip_pulumi that declares one (export)

    def list_page(self, lk: api.LiveKitAPI, after_id: str) -> Any:
        page = models.Pagination(limit=PAGE_SIZE, after_id=after_id)
        return getattr(lk.sip, self.list_method)(self.request(page=page))


INBOUND = Kind(
    "inbound_trunk",
    "inbound trunk",
    INBOUND_TRUNK,
    SipInboundTrunkSpec,
    "sip_trunk_id",
    "list_inbound_trunk",
    api.ListSIPInboundTrunkRequest,
    "SipInboundTrunk",
)
OUTBOUND = Kind(
    "outbound_trunk",
    "outbound trunk",
    OUTBOUND_TRUNK,
    SipOutboundTrunkSpec,
    "sip_trunk_id",
    "list_outbound_trunk",
    api.ListSIPOutboundTrunkRequest,
    "SipOutboundTrunk",
)
DISPATCH = Kind(
    "dispatch_rule",
    "dispatch rule",
    DISPATCH_RULE,
    SipDispatchRuleSpec,
    "sip_dispatch_rule_id",
    "list_dispatch_rule",
    api.ListSIPDispatchRuleRequest,
    "SipDispatchRule",
)
KINDS = (INBOUND, OUTBOUND, DISPATCH)


@dataclass(frozen=True)
class LiveObject:
    """One SIP object of the project: its protobuf message and its props.

    ``props`` has the shape of the components' outputs (``outputs_from_proto``) plus the ID
    field, a password replaced by :data:`REDACTED`: what the pack's rules see of a deployed
    resource."""

    kind: Kind
    message: Any = field(repr=False)
    props: Mapping[str, Any]

    @property
    def id(self) -> str:
        return str(getattr(self.message, self.kind.id_field))

    @property
    def name(self) -> str:
        return str(self.message.name)

    @property
    def label(self) -> str:
        return f"{self.kind.label} {self.id}" + (f" '{self.name}'" if self.name else "")

    @property
    def urn(self) -> str:
        """A URN-shaped key for the stack rules (there is no stack: the ID names the object)."""
        return f"urn:livekit:project::live::{self.kind.type_token}::{self.id}"

    def stack_resource(self) -> StackResource:
        # The references between live objects are literal IDs (no property dependencies).
        return StackResource(
            urn=self.urn, name=self.id, type=self.kind.type_token, props=self.props
        )


def props_of(kind: Kind, message: Any) -> dict[str, Any]:
    """The object as the pack sees a deployed resource of the components."""
    props = kind.spec_class.outputs_from_proto(message)
    if props.get(PASSWORD_FIELD):
        props[PASSWORD_FIELD] = REDACTED
    props[kind.id_field] = getattr(message, kind.id_field)
    return props


@dataclass
class LiveProject:
    url: str
    objects: dict[str, list[LiveObject]]  # by Kind.key, each sorted by ID
    list_seconds: float = 0.0
    list_calls: int = 0

    def of(self, kind: Kind) -> list[LiveObject]:
        return self.objects.get(kind.key, [])

    def all(self) -> list[LiveObject]:
        return [o for kind in KINDS for o in self.of(kind)]

    def routing_inputs(self) -> tuple[list[Mapping[str, Any]], list[Mapping[str, Any]]]:
        """Inbound trunks and dispatch rules as the routing simulator and map read them."""
        return [o.props for o in self.of(INBOUND)], [o.props for o in self.of(DISPATCH)]

    def counts(self) -> dict[str, int]:
        return {f"{kind.key}s": len(self.of(kind)) for kind in KINDS}


def _cli_message(exc: LiveKitApiError, url: str) -> str:
    """The provider's message, worded for the CLI's options and environment variables."""
    if exc.code == ServerErrorCode.UNAUTHENTICATED:
        return (
            f"LiveKit rejected the API key or secret (401) at {url}: check {ENV_KEY} and "
            f"{ENV_SECRET} (or --api-key and --api-secret); they must belong to this project."
        )
    if exc.code == ServerErrorCode.PERMISSION_DENIED:
        return (
            f"the API key {ENV_KEY} may not read SIP objects (403): SIP needs the key's 'admin' "
            "grant; use a key of the project with it."
        )
    if exc.code == ServerErrorCode.UNAVAILABLE:
        return (
            f"cannot reach LiveKit at {url}: check {ENV_URL} (or --url) and that the server is up."
        )
    if exc.code == ServerErrorCode.DEADLINE_EXCEEDED:
        return (
            f"LiveKit at {url} did not answer in time: check {ENV_URL} (or --url); if the server "
            f"is only slow, raise {ENV_TIMEOUT}."
        )
    if exc.code == ServerErrorCode.BAD_ROUTE and exc.status == 200:
        return (
            f"{url} answered HTTP 200 with a body that is not LiveKit's: the URL does not "
            f"answer like a LiveKit server. Check {ENV_URL} (or --url): it must be the LiveKit "
            "project's URL (https://<project>.livekit.cloud, or your server's), not a web page "
            "or a proxy that answers for it."
        )
    return (
        str(exc)
        .replace("livekit:url (or LIVEKIT_URL)", f"{ENV_URL} (or --url)")
        .replace("livekit:url", f"{ENV_URL} (--url)")
        .replace("livekit:timeoutSeconds", ENV_TIMEOUT)
        .replace(" (`pulumi up --parallel 2`)", "")
    )


def _lister(kind: Kind, after_id: str) -> Callable[[api.LiveKitAPI], Awaitable[Any]]:
    return lambda lk: kind.list_page(lk, after_id)


def _list_all(settings: LiveKitSettings, kind: Kind) -> tuple[list[Any], int]:
    """Every object of ``kind``, paged; (items, list calls made)."""
    items: dict[str, Any] = {}
    after = ""
    calls = 0
    while True:
        calls += 1
        page = call_livekit(settings, f"list {kind.label}s", _lister(kind, after))
        batch = list(page.items)
        for item in batch:
            items.setdefault(getattr(item, kind.id_field), item)
        # A server that ignores the limit answers everything at once (more than a page).
        if len(batch) != PAGE_SIZE:
            break
        last = getattr(batch[-1], kind.id_field)
        if last == after:
            break
        after = last
    return [items[k] for k in sorted(items)], calls


def fetch_project(
    credentials: Credentials, on_kind: Callable[[Kind, int], None] | None = None
) -> LiveProject:
    """List every inbound trunk, outbound trunk and dispatch rule of the project.

    ``on_kind(kind, count)`` is called after each kind is listed (progress). Raises
    :class:`CannotRun` for credentials, network and server failures."""
    settings = credentials.settings()
    started = time.perf_counter()
    objects: dict[str, list[LiveObject]] = {}
    calls = 0
    for kind in KINDS:
        try:
            messages, made = _list_all(settings, kind)
        except LiveKitApiError as exc:
            raise CannotRun(_cli_message(exc, credentials.url)) from None
        except LiveKitSipError as exc:
            raise CannotRun(str(exc)) from None
        calls += made
        objects[kind.key] = [LiveObject(kind, m, props_of(kind, m)) for m in messages]
        if on_kind is not None:
            on_kind(kind, len(messages))
    return LiveProject(credentials.url, objects, time.perf_counter() - started, calls)
