"""Dispatch rule PINs."""

from __future__ import annotations

import re

from .problems import ErrorType, Invalid, quote

__all__ = ["pin_problem"]

#: ASCII digits only: ``str.isdigit`` and ``\d`` also accept superscripts, Arabic-Indic and
#: full-width digits (U+00B2, U+0661, U+FF15), which no keypad sends.
_ASCII_DIGITS = re.compile(r"[0-9]+")


def pin_problem(value: str) -> Invalid | None:
    """Why ``value`` is not a PIN callers can type, or None (the empty PIN means no PIN).

    The PIN is compared with the DTMF digits the caller types: ASCII '0'-'9' only."""
    if value and not _ASCII_DIGITS.fullmatch(value):
        return Invalid(
            ErrorType.PIN_DIGITS,
            f"a PIN is entered on the phone keypad: digits only, ASCII 0-9 (e.g. '1234'), or empty "
            f"for no PIN; got {quote(value)}",
        )
    return None
