"""Phone numbers: strict E.164, and normalization exactly as the LiveKit server does it.

The server (livekit/protocol ``livekit.NormalizeNumber``) strips spaces, '-' and parentheses, and
adds a '+' only when the whole string looks like a phone number, so '+123' and '123' are the same
number for trunk conflicts and trunk matching.
"""

from __future__ import annotations

import re
import unicodedata

import phonenumbers

from .problems import ErrorType, Invalid, quote

__all__ = [
    "WILDCARD_NUMBER",
    "canonical_e164",
    "e164_or_wildcard_problem",
    "e164_problem",
    "nonexistent_number_problem",
    "normalize_number",
]

#: The entry of an outbound trunk's numbers that lets each call choose its caller number.
WILDCARD_NUMBER = "*"

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
    """The E.164 form of ``value`` (``+15105550100``), or None when it is not a phone number."""
    try:
        parsed = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _ascii_digits_hint(value: str) -> str:
    """The digits of ``value`` in ASCII, for a "did you mean" hint only: NFKC folds full-width
    characters, and every other decimal digit (Arabic-Indic U+0661...) maps to its value."""
    normalized = unicodedata.normalize("NFKC", value)
    return "".join(str(unicodedata.decimal(c)) for c in normalized if c.isdecimal())


def e164_problem(value: str) -> Invalid | None:
    """Why ``value`` is not a strict E.164 number (as LiveKit compares numbers: as strings),
    or None when it is one."""
    if not value.startswith("+"):
        digits = _ascii_digits_hint(value)
        hint = f" (did you mean '+{digits}'?)" if 6 <= len(digits) <= 15 else ""
        return Invalid(
            ErrorType.E164_PLUS,
            f"{quote(value)} is not an E.164 number: it must start with '+' and the country "
            f"code{hint}",
        )
    canonical = canonical_e164(value)
    if canonical is None:
        return Invalid(
            ErrorType.E164_IMPOSSIBLE,
            f"{quote(value)} is not a possible phone number: write it in E.164, '+' then country "
            "code and subscriber number, ASCII digits only (e.g. '+15105550100')",
        )
    if canonical != value:
        return Invalid(
            ErrorType.E164_NOT_STRICT,
            f"{quote(value)} is not in strict E.164 form: write it as '{canonical}' "
            "(ASCII digits, no spaces, dashes or parentheses; LiveKit compares numbers as "
            "strings)",
        )
    return None


def e164_or_wildcard_problem(value: str) -> Invalid | None:
    """:func:`e164_problem`, with '*' (an outbound trunk's "any caller number") allowed."""
    return None if value == WILDCARD_NUMBER else e164_problem(value)


_REGIONS_SHOWN = 3


def _country(code: int) -> str:
    """'+44 (GB, GG, IM, JE)': a country calling code and the regions that share it."""
    regions = [r for r in phonenumbers.region_codes_for_country_code(code) if r != "001"]
    if len(regions) > _REGIONS_SHOWN + 1:
        shown = f"{', '.join(regions[:_REGIONS_SHOWN])} and {len(regions) - _REGIONS_SHOWN} more"
    else:
        shown = ", ".join(regions)
    return f"+{code} ({shown})" if shown else f"+{code} (non-geographic)"


def nonexistent_number_problem(value: str) -> Invalid | None:
    """Why the '+'-prefixed ``value`` cannot be anyone's phone number by the numbering plan of
    its country (``phonenumbers``' metadata), or None when it can; None too for values without
    '+' (their shape is :func:`e164_problem`'s business).

    Too short, too long (:func:`phonenumbers.is_possible_number_with_reason`; a length only
    dialled inside an area counts as too short), a country code no country has, or a number of
    the right length in a range the country has not assigned
    (:func:`phonenumbers.is_valid_number`). Carriers answer calls to such a number 404 ("the
    destination number might be invalid or not in service").
    """
    if not value.startswith("+"):
        return None
    try:
        parsed = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return Invalid(
            ErrorType.NUMBER_CANNOT_EXIST,
            f"{quote(value)} cannot be a phone number: no country has the calling code it "
            "starts with",
        )
    code = parsed.country_code or 0
    reason = phonenumbers.is_possible_number_with_reason(parsed)
    results = phonenumbers.ValidationResult
    if reason == results.INVALID_COUNTRY_CODE:
        return Invalid(
            ErrorType.NUMBER_CANNOT_EXIST,
            f"{quote(value)} cannot be a phone number: +{code} is no country's calling code",
        )
    if reason in (results.TOO_SHORT, results.IS_POSSIBLE_LOCAL_ONLY):
        local = (
            " (that length is dialled only inside an area, without the country code)"
            if reason == results.IS_POSSIBLE_LOCAL_ONLY
            else ""
        )
        return Invalid(
            ErrorType.NUMBER_CANNOT_EXIST,
            f"{quote(value)} is too short for a {_country(code)} number{local}: a digit is "
            "probably missing",
        )
    if reason == results.TOO_LONG:
        return Invalid(
            ErrorType.NUMBER_CANNOT_EXIST,
            f"{quote(value)} is too long for a {_country(code)} number: a digit too many, "
            "or a trunk prefix ('0', '1') kept after the country code",
        )
    if reason == results.INVALID_LENGTH:
        return Invalid(
            ErrorType.NUMBER_CANNOT_EXIST,
            f"{quote(value)} has a length no {_country(code)} number has: a digit is "
            "missing or one too many",
        )
    if not phonenumbers.is_valid_number(parsed):
        return Invalid(
            ErrorType.NUMBER_CANNOT_EXIST,
            f"{quote(value)} is in no assigned range of {_country(code)} numbers: its length "
            "fits, but the range is unassigned or reserved (a typo, or a made-up number)",
        )
    return None
