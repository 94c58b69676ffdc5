"""The pack's rules: importing this module imports every rule module, whose ``@register``
decorators fill :data:`~.rule.REGISTRY`.

A new rule module is added to the import below; a new rule in an existing module needs nothing
here. The registry lists rules by ID, so the order of these imports does not matter.
"""

from __future__ import annotations

from . import (
    dispatch,
    inbound,
    media,
    numbers,
    outbound,
    reachability,
    stack,
    stack_conflicts,
    stack_routing,
)
from .rule import REGISTRY

__all__ = ["REGISTRY", "RULE_MODULES"]

#: The modules that define the pack's rules.
RULE_MODULES = (
    inbound,
    outbound,
    dispatch,
    numbers,
    media,
    stack,
    stack_conflicts,
    stack_routing,
    reachability,
)
