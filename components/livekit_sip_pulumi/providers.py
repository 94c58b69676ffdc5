"""The dynamic providers: the Python door onto the engine (:mod:`.engine`).

The module path and class names here are persisted in every stack's state (Pulumi pickles the
provider by reference): do not move or rename them without leaving an alias behind.

Each provider is a thin adapter: it turns the ``pulumi.dynamic`` calls into the engine's
requests and the engine's results into ``dynamic.CheckResult``, ``DiffResult``,
``CreateResult``, ``ReadResult`` and ``UpdateResult``. What happens on check, diff, create,
read, update and delete (adoption, idempotent creates, autonaming, password digests and sealed
references, deadlines and retries) is the engine's, the same for the ``livekit-sip`` plugin.

Providers are stateless: credentials are read in ``configure`` in the provider process and are
never pickled (``__getstate__`` returns nothing).

The names other modules import from here (``AUTONAME``, ``autoname``, ``digest_key``,
``password_digest``, ``MAX_FAILURES``, ...) are the engine's, re-exported.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any, ClassVar

from pulumi import dynamic
from pulumi.output import contains_unknowns

from . import lifeline
from .client import LiveKitSettings, settings_from_config
from .engine import _APIS_BY_PREFIX as _APIS_BY_PREFIX
from .engine import (
    ADOPT_ID,
    ADOPT_ONLY_IF_MATCHING,
    AUTONAME,
    DISPATCH_API,
    INBOUND_API,
    MAX_ECHOED_CHARS,
    MAX_ECHOED_ENTRIES,
    MAX_FAILURES,
    OUTBOUND_API,
    CheckRequest,
    CreateRequest,
    DeleteRequest,
    DiffRequest,
    ReadRequest,
    SipDispatchRuleEngine,
    SipEngine,
    SipInboundTrunkEngine,
    SipObjectApi,
    SipOutboundTrunkEngine,
    UpdateRequest,
    autoname,
    digest_key,
    is_foreign_seal,
    password_digest,
    seal,
    unknown_keys,
    unseal,
)
from .engine import _digest_salt as _digest_salt
from .engine import _is_current_digest as _is_current_digest
from .engine import _LiveNames as _LiveNames
from .engine import _normalize as _normalize
from .engine import _password_matches as _password_matches
from .engine import _reportable_field as _reportable_field
from .engine import _spec_inputs as _spec_inputs
from .engine import _unsealed as _unsealed
from .specs import SipSpec

__all__ = [
    "ADOPT_ID",
    "ADOPT_ONLY_IF_MATCHING",
    "AUTONAME",
    "DISPATCH_API",
    "INBOUND_API",
    "MAX_ECHOED_CHARS",
    "MAX_ECHOED_ENTRIES",
    "MAX_FAILURES",
    "OUTBOUND_API",
    "SipDispatchRuleProvider",
    "SipInboundTrunkProvider",
    "SipObjectApi",
    "SipOutboundTrunkProvider",
    "SipProviderBase",
    "autoname",
    "digest_key",
    "password_digest",
]

# The helpers this module defined before the engine (the private names imported above, and
# these) stay importable from here.
_seal, _unseal, _is_foreign_seal = seal, unseal, is_foreign_seal


def _unknown(values: Mapping[str, Any]) -> frozenset[str]:
    """The keys whose value holds a ``pulumi.output.Unknown`` (a preview's unknown outputs)."""
    return unknown_keys(values, contains_unknowns)


class SipProviderBase(dynamic.ResourceProvider):
    """The dynamic provider of one kind of LiveKit SIP object, over its engine."""

    engine_class: ClassVar[type[SipEngine]]
    spec_class: ClassVar[type[SipSpec]]
    object_api: ClassVar[SipObjectApi]

    # Made on first use in the provider process; never pickled (see __getstate__).
    _engine: SipEngine
    _engine_lock: ClassVar[threading.Lock] = threading.Lock()

    # The pickled provider is a class reference with no state (see __getstate__): nothing in it
    # is secret, so it is stored in plain text. Encrypting it on every resource made the state
    # larger and each checkpoint slower (docs/scale.md).
    serialize_as_secret_always = False

    # Nothing of the instance is persisted in the `__provider` blob.
    def __getstate__(self) -> dict[str, Any]:
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        pass

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # A provider declared with only spec_class and object_api (as before the engine) gets
        # an engine of its own for them.
        super().__init_subclass__(**kwargs)
        if "engine_class" not in cls.__dict__ and "spec_class" in cls.__dict__:
            cls.engine_class = type(
                cls.__name__.removesuffix("Provider") + "Engine",
                (SipEngine,),
                {"spec_class": cls.spec_class, "object_api": cls.object_api},
            )

    @property
    def engine(self) -> SipEngine:
        """This provider's engine (an unpickled provider was never ``__init__``-ed)."""
        with self._engine_lock:
            if "_engine" not in self.__dict__:
                self._engine = self.engine_class()
            return self._engine

    @property
    def settings(self) -> LiveKitSettings:
        return self.engine.settings

    def configure(self, req: dynamic.ConfigureRequest) -> None:
        self.engine.configure(settings_from_config(req.config.get))
        lifeline.watch_engine()  # in the provider process: exit when the engine is gone

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.CheckResult:
        result = self.engine.check(CheckRequest(olds or {}, news, _unknown(news)))
        failures = [dynamic.CheckFailure(f.field, f.reason) for f in result.failures]
        return dynamic.CheckResult(result.inputs, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.DiffResult:
        # `changes` is always set: left unset, Pulumi would diff the inputs itself, the
        # pickled provider among them. The dynamic protocol carries no changed keys: Pulumi
        # shows the declared inputs that differ, the same fields the engine compares.
        result = self.engine.diff(DiffRequest(_id, olds, news, _unknown(news)))
        return dynamic.DiffResult(
            changes=result.changes,
            replaces=list(result.replaces),
            delete_before_replace=result.delete_before_replace,
        )

    def create(self, props: dict[str, Any]) -> dynamic.CreateResult:
        result = self.engine.create(CreateRequest(props))
        return dynamic.CreateResult(result.id, result.outs)

    def read(self, id_: str, props: dict[str, Any]) -> dynamic.ReadResult:
        result = self.engine.read(ReadRequest(id_, props))
        return dynamic.ReadResult(result.id, result.outs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.UpdateResult:
        return dynamic.UpdateResult(self.engine.update(UpdateRequest(id_, olds, news)).outs)

    def delete(self, id_: str, _props: dict[str, Any]) -> None:
        self.engine.delete(DeleteRequest(id_, _props))


class SipInboundTrunkProvider(SipProviderBase):
    engine_class = SipInboundTrunkEngine
    spec_class = SipInboundTrunkEngine.spec_class
    object_api = SipInboundTrunkEngine.object_api


class SipOutboundTrunkProvider(SipProviderBase):
    engine_class = SipOutboundTrunkEngine
    spec_class = SipOutboundTrunkEngine.spec_class
    object_api = SipOutboundTrunkEngine.object_api


class SipDispatchRuleProvider(SipProviderBase):
    engine_class = SipDispatchRuleEngine
    spec_class = SipDispatchRuleEngine.spec_class
    object_api = SipDispatchRuleEngine.object_api
