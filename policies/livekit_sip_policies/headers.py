"""The header maps of a trunk (the checks are the core's, as the server applies them)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar

from livekit_sip_core import (
    MAX_HEADER_NAME_LENGTH,
    MAX_HEADER_VALUE_BYTES,
    Invalid,
    attributes_to_headers_problems,
    header_map_problems,
    headers_to_attributes_problems,
)

from .rule import Finding, ResourceRule, is_unknown

__all__ = ["TrunkHeadersRule"]

_MAP_CHECKS: tuple[tuple[str, Callable[[Mapping[str, str]], list[Invalid]]], ...] = (
    ("headers", header_map_problems),
    ("headers_to_attributes", headers_to_attributes_problems),
    ("attributes_to_headers", attributes_to_headers_problems),
)


def _known_entries(value: Any) -> dict[str, str]:
    """The entries of a map field whose name and value are both known strings."""
    if not isinstance(value, Mapping):
        return {}
    return {k: v for k, v in value.items() if isinstance(k, str) and isinstance(v, str)}


class TrunkHeadersRule(ResourceRule):
    """A rule that a trunk's ``headers``, ``headers_to_attributes`` and
    ``attributes_to_headers`` hold only what the server accepts: one finding per bad entry."""

    DESCRIPTION: ClassVar[str] = (
        "headers (header name -> value) sets only SIP tokens (1 to "
        f"{MAX_HEADER_NAME_LENGTH} ASCII letters, digits "
        "and -.!%*_+`'~) that LiveKit does not manage itself (From, To, Via, Contact, Call-ID, "
        f"...), with one-line values of at most {MAX_HEADER_VALUE_BYTES} bytes; "
        "headers_to_attributes and "
        "attributes_to_headers map SIP token header names to non-empty attribute names. The "
        "server rejects the trunk otherwise (CR/LF in a value would start a new header)."
    )
    REMEDIATION: ClassVar[str] = (
        "Name custom headers with ASCII tokens such as 'X-Customer-Id', keep each value on one "
        f"line (at most {MAX_HEADER_VALUE_BYTES} bytes), and leave the headers LiveKit writes "
        "(From, To, Via, ...) "
        "to it."
    )

    def check(self, props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[Finding]:
        for field, problems_of in _MAP_CHECKS:
            value = props.get(field)
            if is_unknown(value):
                continue
            for problem in problems_of(_known_entries(value)):
                yield Finding(problem.message, field)
