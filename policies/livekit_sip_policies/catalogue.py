"""The registry of every rule in the pack, in documentation order."""

from __future__ import annotations

from . import dispatch, inbound, outbound, stack
from .rule import Registry

__all__ = ["REGISTRY"]

REGISTRY = Registry()
inbound.register(REGISTRY)
outbound.register(REGISTRY)
dispatch.register(REGISTRY)
stack.register(REGISTRY)
