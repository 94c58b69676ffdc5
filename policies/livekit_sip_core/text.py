"""What any string the protocol carries must be."""

from __future__ import annotations

import unicodedata

from .problems import ErrorType, Invalid, quote

__all__ = [
    "DIGEST_FIELDS",
    "PASSWORD_FIELD",
    "agent_name_problem",
    "control_characters",
    "digest_secret_problem",
    "digest_text_problem",
    "secret_text_problem",
    "text_problem",
]

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


def control_characters(value: str) -> list[str]:
    """The characters of ``value`` that a SIP header line cannot hold, sorted: the C0
    controls but tab, and DEL (CR/LF would end the header and start a new one)."""
    return sorted({c for c in value if (c < " " and c != "\t") or c == "\x7f"})


#: The trunks' digest credentials that travel in SIP headers (``WWW-Authenticate`` /
#: ``Authorization``: ``username="..."``, ``realm="..."``); the password is only hashed.
DIGEST_FIELDS = ("auth_username", "auth_realm")


def digest_text_problem(field: str, value: str) -> Invalid | None:
    """``auth_username`` or ``auth_realm``: one line of text (it goes into the SIP Digest
    authentication headers), and text the protocol can carry."""
    text = text_problem(value)
    if text is not None:
        return text
    bad = control_characters(value)
    if bad:
        shown = ", ".join(repr(c) for c in bad)
        return Invalid(
            ErrorType.DIGEST_TEXT,
            f"{quote(value)} contains control characters ({shown}): {field} goes into the SIP "
            "Digest authentication headers, where CR/LF would start a new header; remove them",
        )
    return None


def digest_secret_problem(secret: str) -> Invalid | None:
    """``auth_password``: no control characters (a line break copied from a file makes every
    digest answer wrong) and text the protocol can carry, without quoting it."""
    text = secret_text_problem(secret)
    if text is not None:
        return text
    if control_characters(secret):
        return Invalid(
            ErrorType.DIGEST_TEXT,
            "the value contains control characters, such as a line break copied from a file "
            "(value not shown): the provider's password has none, so every digest answer would "
            "be wrong; remove them",
        )
    return None


# Unicode categories nobody types in a name a worker registers: controls (newline, tab, NEL),
# format characters (zero-width space, joiners, BOM, bidi marks, soft hyphen), line and
# paragraph separators.
_INVISIBLE = frozenset({"Cc", "Cf", "Zl", "Zp"})


def agent_name_problem(name: str) -> Invalid | None:
    """A dispatch's ``agent_name``: the name an agent worker registers with, compared exactly,
    so not empty, without invisible or control characters, without surrounding whitespace."""
    if not name.strip():
        return Invalid(
            ErrorType.AGENT_NAME,
            "agent_name must be the agent_name the agent worker registers with; an empty "
            "name never matches, and the call rings with no agent",
        )
    text = text_problem(name)
    if text is not None:
        return text
    invisible = sorted({c for c in name if unicodedata.category(c) in _INVISIBLE})
    if invisible:
        shown = ", ".join(f"U+{ord(c):04X}" for c in invisible)
        return Invalid(
            ErrorType.AGENT_NAME,
            f"{quote(name)} contains invisible or control characters ({shown}): no worker "
            "registers such a name, so the call would ring with no agent; write the name "
            "exactly as the worker registers it",
        )
    if name != name.strip():
        return Invalid(
            ErrorType.AGENT_NAME,
            f"{quote(name)} starts or ends with whitespace, so it never matches the worker's "
            f"agent_name and the call would ring with no agent: write {quote(name.strip())}",
        )
    return None
