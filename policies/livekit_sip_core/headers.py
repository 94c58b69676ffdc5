"""SIP header names and values, and the participant attributes they map to."""

from __future__ import annotations

import re
from collections.abc import Mapping

from .problems import ErrorType, Invalid, quote
from .text import control_characters, text_problem

__all__ = [
    "FORBIDDEN_HEADERS",
    "MAX_HEADER_NAME_LENGTH",
    "MAX_HEADER_VALUE_BYTES",
    "attribute_name_problem",
    "attributes_to_headers_problems",
    "header_map_problems",
    "header_name_problem",
    "header_value_problem",
    "headers_to_attributes_problems",
]

# Header rules of livekit/protocol (v1.50.5-0.20260728075222-28e604c046c6, the version
# livekit-server v1.13.5 builds with), livekit/sip_validation.go:
#
#     tokenCharacters.AddNumbers(); ...AddLowercaseASCII(); ...AddUppercaseASCII()
#     tokenCharacters.Add("-.!%*_+`'~")
#     headerValuesCharacters.AddPrintableLienarASCII()  // 0x20-0x7E and \t
#     headerValuesCharacters.AddUTF8()
#     func ValidateHeaderName(name string, restrictNames bool) error {
#         if name == "" { ... "header name cannot be empty" }
#         if len(name) > 255 { ... "header name too long (max 255 characters)" }
#         if err := tokenCharacters.Validate(name); ...
#         if restrictNames { if ForbiddenSipHeaderNames[strings.ToLower(name)] ... }
#     func ValidateHeaderValueResult(name, value string) ValidationResult {
#         if len(value) > 1024 { ... "value too long (max 1024 characters)" }  // bytes
#         if err := headerValuesCharacters.Validate(value); ...
#
# sip.go applies ValidateHeaderName(name, true) + ValidateHeaderValueResult to `headers`,
# ValidateHeaderName(name, false) to the keys of `headers_to_attributes` and the values of
# `attributes_to_headers`.
#: The longest header name the server takes (characters; names are ASCII).
MAX_HEADER_NAME_LENGTH = 255
_HEADER_TOKEN = re.compile(rf"[A-Za-z0-9\-.!%*_+`'~]{{1,{MAX_HEADER_NAME_LENGTH}}}")
FORBIDDEN_HEADERS = frozenset(
    {
        # ForbiddenSipHeaderNames (sip_validation.go)
        "accept", "accept-encoding", "accept-language", "allow", "allow-events", "call-id",
        "contact", "content-encoding", "content-length", "content-type", "cseq", "event",
        "expires", "from", "max-forwards", "record-route", "refer-to", "reply-to",
        "k", "l", "m", "o", "r", "t", "u", "v",
        # LiveKit writes these itself on every request
        "to", "via",
    }
)  # fmt: skip
MAX_HEADER_VALUE_BYTES = 1024


def header_name_problem(name: str, *, restricted: bool) -> Invalid | None:
    """Why ``name`` is not a SIP header name we may set (``restricted``: also not one LiveKit
    manages itself), or None."""
    if not _HEADER_TOKEN.fullmatch(name):
        return Invalid(
            ErrorType.HEADER_NAME,
            f"header name {quote(name)} is not a SIP token: 1 to {MAX_HEADER_NAME_LENGTH} ASCII "
            "letters, digits and "
            "-.!%*_+`'~ (no spaces, ':' or line breaks)",
        )
    if restricted and name.lower() in FORBIDDEN_HEADERS:
        return Invalid(
            ErrorType.HEADER_RESERVED,
            f"header {quote(name)} is managed by LiveKit and cannot be set",
        )
    return None


def header_value_problem(name: str, value: str) -> Invalid | None:
    """Why ``value`` cannot be the value of header ``name``, or None."""
    if len(value.encode("utf-8", "surrogatepass")) > MAX_HEADER_VALUE_BYTES:
        return Invalid(
            ErrorType.HEADER_VALUE_LENGTH,
            f"the value of header {quote(name)} is longer than {MAX_HEADER_VALUE_BYTES} bytes",
        )
    bad = control_characters(value)
    if bad:
        shown = ", ".join(repr(c) for c in bad)
        return Invalid(
            ErrorType.HEADER_VALUE,
            f"the value of header {quote(name)} contains control characters ({shown}); a "
            "header value is one line of printable text (CR/LF would start a new header)",
        )
    return text_problem(value)


def attribute_name_problem(name: str, role: str) -> Invalid | None:
    """Why ``name`` cannot be a participant attribute name (``role`` says whose), or None."""
    if not name.strip():
        return Invalid(
            ErrorType.ATTRIBUTE_NAME, f"{role}: a participant attribute name cannot be empty"
        )
    return text_problem(name)


def header_map_problems(value: Mapping[str, str]) -> list[Invalid]:
    """``headers`` (header name -> value): its bad entries, as the server checks them."""
    problems = []
    for name, header_value in value.items():
        problem = header_name_problem(name, restricted=True) or header_value_problem(
            name, header_value
        )
        if problem:
            problems.append(problem)
    return problems


def headers_to_attributes_problems(value: Mapping[str, str]) -> list[Invalid]:
    """``headers_to_attributes`` (SIP header name -> participant attribute name)."""
    problems = []
    for name, attribute in value.items():
        problem = header_name_problem(name, restricted=False) or attribute_name_problem(
            attribute, f"header {quote(name)}"
        )
        if problem:
            problems.append(problem)
    return problems


def attributes_to_headers_problems(value: Mapping[str, str]) -> list[Invalid]:
    """``attributes_to_headers`` (participant attribute name -> SIP header name)."""
    problems = []
    for attribute, name in value.items():
        problem = attribute_name_problem(attribute, f"attribute {quote(attribute)}") or (
            header_name_problem(name, restricted=False)
        )
        if problem:
            problems.append(problem)
    return problems
