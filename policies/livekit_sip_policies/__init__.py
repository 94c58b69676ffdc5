"""LiveKit SIP CrossGuard rules: LiveKit's SIP troubleshooting knowledge, checked at preview."""

from .catalogue import REGISTRY
from .rule import (
    DISPATCH_RULE,
    INBOUND_TRUNK,
    OUTBOUND_TRUNK,
    UNKNOWN,
    Enforcement,
    Finding,
    Registry,
    ResourceRule,
    Rule,
    Severity,
    StackResource,
    StackRule,
)

__all__ = [
    "DISPATCH_RULE",
    "INBOUND_TRUNK",
    "OUTBOUND_TRUNK",
    "REGISTRY",
    "UNKNOWN",
    "Enforcement",
    "Finding",
    "Registry",
    "ResourceRule",
    "Rule",
    "Severity",
    "StackResource",
    "StackRule",
]
