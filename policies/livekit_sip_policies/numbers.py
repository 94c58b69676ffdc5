"""Phone numbers: strict E.164 checks, and normalization exactly as the LiveKit server does it.

The server (livekit/protocol ``livekit.NormalizeNumber``) strips spaces, '-' and parentheses, and
adds a '+' only when the whole string looks like a phone number, so '+123' and '123' are the same
number for trunk conflicts and trunk matching.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, ClassVar

import phonenumbers

from .rule import Finding, ResourceRule

__all__ = [
    "E164ListsRule",
    "canonical_e164",
    "e164_findings",
    "e164_problem",
    "fix_number_formatting",
    "normalize_number",
]

# The Go code, livekit/protocol ``livekit/sip.go`` (v1.50.5-0.20260728075222-28e604c046c6, the
# version livekit-server v1.13.5 builds with)::
#
#     reNumber     = regexp.MustCompile(`^\+?[\d\- ()]+$`)
#     reNumberRepl = strings.NewReplacer(" ", "", "-", "", "(", "", ")", "")
#
# Go's RE2 differs from Python's re in two ways that matter here, both observed on the real
# server (tests/e2e/test_conflicts_differential.py): ``\d`` is ASCII only (Python's matches any
# Unicode digit, so '+١٢٣' was normalized here but not by the server), and ``$`` is the end of
# the text (Python's also matches before a final newline, so '123\n' became '+123' here while
# the server keeps it as written). Hence re.ASCII and fullmatch.
_PHONE_LIKE = re.compile(r"\+?[\d\- ()]+", re.ASCII)
_STRIP = re.compile(r"[ \-()]")


def normalize_number(number: str) -> str:
    """The server's normalization of a trunk or rule number."""
    if number == "":
        return ""
    if not _PHONE_LIKE.fullmatch(number):
        return number
    digits = _STRIP.sub("", number)
    return digits if digits.startswith("+") else "+" + digits


def canonical_e164(value: str) -> str | None:
    """The E.164 form of ``value``, or None when it is not a possible phone number."""
    try:
        parsed = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def e164_problem(value: str) -> str | None:
    """Why ``value`` is not a strict E.164 number, or None when it is one."""
    if not value.startswith("+"):
        digits = re.sub(r"\D", "", value)
        hint = f" (e.g. '+{digits}')" if digits else ""
        return f"'{value}' is not E.164: it must start with '+' and the country code{hint}"
    canonical = canonical_e164(value)
    if canonical is None:
        return f"'{value}' is not a possible phone number"
    if canonical != value:
        return f"'{value}' is not in strict E.164 form; write '{canonical}'"
    return None


def e164_findings(
    props: Mapping[str, Any], fields: Iterable[str], allowed: tuple[str, ...] = ()
) -> Iterator[Finding]:
    """A finding for each known entry of the list ``fields`` that is not strict E.164.

    Entries listed in ``allowed`` (e.g. '*') pass; unknown and non-string entries are skipped.
    """
    for field in fields:
        values = props.get(field)
        if not isinstance(values, list):
            continue
        for index, value in enumerate(values):
            if not isinstance(value, str) or value in allowed:
                continue
            problem = e164_problem(value)
            if problem:
                yield Finding(problem, f"{field}[{index}]")


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
    """A rule that every entry of the list fields ``FIELDS`` is strict E.164 (or ``ALLOWED``).

    The fix rewrites '+'-prefixed numbers of those fields in strict E.164 form.
    """

    FIELDS: ClassVar[tuple[str, ...]]
    ALLOWED: ClassVar[tuple[str, ...]] = ()

    def check(self, props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[Finding]:
        return e164_findings(props, self.FIELDS, self.ALLOWED)

    def remediate(
        self, props: Mapping[str, Any], config: Mapping[str, Any]
    ) -> dict[str, Any] | None:
        return fix_number_formatting(props, self.FIELDS)
