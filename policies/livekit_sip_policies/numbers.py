"""Rules over lists of phone numbers: every entry strict E.164 (the base class of the rules of
each object, LKSIN001, LKSOUT003, LKSDR007), and every strict E.164 entry a number that can exist
(LKSSTK016, one rule over the three objects). The checks are the core's."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from fnmatch import fnmatchcase
from typing import Any, ClassVar

from livekit_sip_core import (
    canonical_e164,
    e164_or_wildcard_problem,
    e164_problem,
    nonexistent_number_problem,
)
from livekit_sip_core.links import TROUBLESHOOTING

from .rule import (
    DISPATCH_RULE,
    INBOUND_TRUNK,
    OUTBOUND_TRUNK,
    Enforcement,
    Finding,
    ResourceRule,
    Severity,
    StackResource,
    StackRule,
    register,
)

__all__ = [
    "NUMBER_FIELDS",
    "TEST_NUMBERS_KEY",
    "E164ListsRule",
    "e164_findings",
    "fix_number_formatting",
]


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


#: The number lists of each object: the trunks' own numbers, the callers they and the dispatch
#: rules accept, the called numbers a dispatch rule takes.
NUMBER_FIELDS: Mapping[str, tuple[str, ...]] = {
    INBOUND_TRUNK: ("numbers", "allowed_numbers"),
    OUTBOUND_TRUNK: ("numbers",),
    DISPATCH_RULE: ("numbers", "inbound_numbers"),
}
TEST_NUMBERS_KEY = "testNumbers"


@register
class NumbersCanExist(StackRule):
    id = "LKSSTK016"
    title = "Numbers exist in their country's numbering plan"
    description = (
        "Every strict E.164 entry of a trunk's numbers (and an inbound trunk's "
        "allowed_numbers) or of a dispatch rule's numbers and inbound_numbers is a number its "
        "country can assign (libphonenumber's numbering plans): not too short or too long for "
        "the country, not in an unassigned range. Nobody can call or be called from such a "
        "number: providers answer 404 ('the destination number might be invalid or not in "
        "service', the troubleshooting guide's '404 - Not Found'), an inbound trunk or a "
        "rule's filter on it never matches. Advisory: made-up numbers are common in tests "
        "and documentation (list them in testNumbers); '*' and entries that are not strict "
        "E.164 are the E.164 rules' business."
    )
    severity = Severity.MEDIUM
    enforcement = Enforcement.ADVISORY
    remediation = (
        "Copy the number from the provider's console (a digit is often missing, doubled or "
        "swapped, or a national '0' kept after the country code); list numbers or glob "
        "patterns ('+1999*') that are made up on purpose in this rule's testNumbers."
    )
    url = TROUBLESHOOTING
    config_schema = {
        TEST_NUMBERS_KEY: {
            "type": "array",
            "items": {"type": "string"},
            "description": "Numbers, or glob patterns of them ('+1999555*'), that are made up "
            "on purpose (test ranges, examples): this rule does not report them.",
            "default": [],
        }
    }

    def check(
        self, resources: Sequence[StackResource], config: Mapping[str, Any]
    ) -> Iterable[Finding]:
        exempt = [p for p in config.get(TEST_NUMBERS_KEY) or () if isinstance(p, str)]
        for resource in resources:
            fields = NUMBER_FIELDS.get(resource.type, ())
            if not fields or not isinstance(resource.props, Mapping):
                continue
            for field in fields:
                values = resource.props.get(field)
                if not isinstance(values, list):
                    continue
                for index, value in enumerate(values):
                    if not isinstance(value, str) or e164_problem(value) is not None:
                        continue
                    if any(fnmatchcase(value, pattern) for pattern in exempt):
                        continue
                    problem = nonexistent_number_problem(value)
                    if problem:
                        yield Finding(problem.message, f"{field}[{index}]", resource.urn)
