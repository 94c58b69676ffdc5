"""What any string the protocol carries must be."""

from __future__ import annotations

from .problems import ErrorType, Invalid, quote

__all__ = ["PASSWORD_FIELD", "secret_text_problem", "text_problem"]

#: The one secret field of the SIP objects (the trunks' digest password): kept out of state in
#: plain text, out of messages, logs and exported programs.
PASSWORD_FIELD = "auth_password"


def _unencodable(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def text_problem(value: str) -> Invalid | None:
    """Any string field: it must travel as UTF-8 in a protobuf message (no lone surrogates) and
    hold no NUL character (C strings and SIP stacks end there)."""
    if _unencodable(value):
        return Invalid(
            ErrorType.STRING_UNENCODABLE,
            f"{quote(value)} contains a lone surrogate character, which cannot be sent as "
            "UTF-8; remove it (it usually comes from decoding bytes with 'surrogateescape')",
        )
    if "\x00" in value:
        return Invalid(
            ErrorType.STRING_NUL, f"{quote(value)} contains a NUL character ('\\x00'); remove it"
        )
    return None


def secret_text_problem(secret: str) -> Invalid | None:
    """:func:`text_problem` for a secret, without quoting it."""
    if _unencodable(secret) or "\x00" in secret:
        return Invalid(
            ErrorType.STRING_UNENCODABLE,
            "the value contains a NUL or lone surrogate character; remove it (value not shown)",
        )
    return None
