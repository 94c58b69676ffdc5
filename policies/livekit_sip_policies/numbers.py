"""Rules over lists of phone numbers: every entry strict E.164 (the check is the core's)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, ClassVar

from livekit_sip_core import canonical_e164, e164_or_wildcard_problem, e164_problem

from .rule import Finding, ResourceRule

__all__ = ["E164ListsRule", "e164_findings", "fix_number_formatting"]


def e164_findings(
    props: Mapping[str, Any], fields: Iterable[str], allow_wildcard: bool = False
) -> Iterator[Finding]:
    """A finding for each known entry of the list ``fields`` that is not strict E.164.

    With ``allow_wildcard``, '*' passes (an outbound trunk's numbers); unknown and non-string
    entries are skipped.
    """
    check = e164_or_wildcard_problem if allow_wildcard else e164_problem
    for field in fields:
        values = props.get(field)
        if not isinstance(values, list):
            continue
        for index, value in enumerate(values):
            if not isinstance(value, str):
                continue
            problem = check(value)
            if problem:
                yield Finding(problem.message, f"{field}[{index}]")


def fix_number_formatting(props: Mapping[str, Any], fields: Iterable[str]) -> dict[str, Any] | None:
    """``props`` with '+'-prefixed numbers of ``fields`` rewritten in strict E.164, or None.

    Only a change of formatting is safe: '+1 (510) 555-0100' -> '+15105550100'. A number without
    '+' could belong to any country: that is left to the user.
    """
    fixed = dict(props)
    changed = False
    for field in fields:
        values = props.get(field)
        if not isinstance(values, list):
            continue
        new_values = []
        for value in values:
            if isinstance(value, str) and value.startswith("+") and e164_problem(value):
                canonical = canonical_e164(value)
                if canonical is not None:
                    new_values.append(canonical)
                    changed = True
                    continue
            new_values.append(value)
        fixed[field] = new_values
    return fixed if changed else None


class E164ListsRule(ResourceRule):
    """A rule that every entry of the list fields ``FIELDS`` is strict E.164 (or '*' with
    ``ALLOW_WILDCARD``).

    The fix rewrites '+'-prefixed numbers of those fields in strict E.164 form.
    """

    FIELDS: ClassVar[tuple[str, ...]]
    ALLOW_WILDCARD: ClassVar[bool] = False

    def check(self, props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[Finding]:
        return e164_findings(props, self.FIELDS, self.ALLOW_WILDCARD)

    def remediate(
        self, props: Mapping[str, Any], config: Mapping[str, Any]
    ) -> dict[str, Any] | None:
        return fix_number_formatting(props, self.FIELDS)
