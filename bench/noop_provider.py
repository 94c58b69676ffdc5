"""A dynamic provider that does nothing: the engine's floor for a Python dynamic resource.

Importable (``bench.noop_provider``), so the provider is pickled by reference like ours, and the
same shape of stack as the LiveKit one can be declared with it: what a LiveKit stack costs above
this is ours (specs, LiveKit calls, larger state), what this costs is Pulumi's.
"""

from __future__ import annotations

import itertools
import pickle
from typing import Any

from pulumi import Input, ResourceOptions, dynamic

__all__ = ["NoopProvider", "NoopResource", "PlainNoopProvider"]

_ids = itertools.count(1)

# Same workaround as livekit_sip_pulumi.resources: pulumi's serialize_provider wraps
# pickle._Pickler._batch_setitems again on every dynamic resource (pulumi/pulumi#17803), so a
# thousand of them hit RecursionError unless the method is restored after each one.
_PICKLER_BATCH_SETITEMS = pickle._Pickler._batch_setitems  # type: ignore[attr-defined]


class NoopProvider(dynamic.ResourceProvider):
    """Creates nothing anywhere: IDs are counted in the provider process."""

    def create(self, props: dict[str, Any]) -> dynamic.CreateResult:
        return dynamic.CreateResult(f"noop-{next(_ids)}", dict(props))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.DiffResult:
        return dynamic.DiffResult(changes=False)

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        return None


class PlainNoopProvider(NoopProvider):
    """The same, with its pickled form stored in plain text rather than as a secret
    (``serialize_as_secret_always = False``: the pickle holds no secret, only a reference to
    this class), to measure what the secret ``__provider`` costs in state size and time."""

    serialize_as_secret_always = False


class NoopResource(dynamic.Resource, module="bench", name="Noop"):
    """A dynamic resource holding ``props`` as given."""

    def __init__(
        self,
        resource_name: str,
        props: dict[str, Input[Any]],
        opts: ResourceOptions | None = None,
        *,
        plain_provider: bool = False,
    ) -> None:
        provider = PlainNoopProvider() if plain_provider else NoopProvider()
        try:
            super().__init__(provider, resource_name, dict(props), opts)
        finally:
            pickle._Pickler._batch_setitems = _PICKLER_BATCH_SETITEMS  # type: ignore[attr-defined]
