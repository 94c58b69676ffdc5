"""Small readers over plain props: tell "not set", "unknown yet" and "set" apart.

Props come from Pulumi: any value may be missing, None, :data:`UNKNOWN` (preview) or of a
looser type than the protocol's (floats for ints). Rules read them only through these helpers so
that an unknown value always means "cannot tell" (no finding) and never a crash.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from livekit_sip_core import PASSWORD_FIELD

from .rule import UNKNOWN, Finding, is_unknown

__all__ = ["contains_unknown", "credential_pair_findings", "flag", "string", "strings", "text"]


def contains_unknown(value: Any) -> bool:
    """True when ``value`` is UNKNOWN or holds an UNKNOWN anywhere inside it."""
    if is_unknown(value):
        return True
    if isinstance(value, Mapping):
        return any(contains_unknown(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(contains_unknown(v) for v in value)
    return False


def text(props: Mapping[str, Any], key: str) -> Any:
    """A string field: its value, '' when not set, UNKNOWN when not known yet."""
    return string(props.get(key))


def string(value: Any) -> Any:
    """Like :func:`text` for a value already read."""
    if is_unknown(value):
        return UNKNOWN
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def strings(props: Mapping[str, Any], key: str) -> Any:
    """A list-of-strings field: the list ([] when not set), UNKNOWN if it or an entry is unknown."""
    value = props.get(key)
    if value is None:
        return []
    if contains_unknown(value) or not isinstance(value, (list, tuple)):
        return UNKNOWN if contains_unknown(value) else []
    return [v if isinstance(v, str) else str(v) for v in value if v is not None]


def flag(props: Mapping[str, Any], key: str) -> Any:
    """A boolean field: True/False (False when not set), UNKNOWN when not known yet."""
    value = props.get(key)
    if is_unknown(value):
        return UNKNOWN
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def credential_pair_findings(props: Mapping[str, Any]) -> Iterator[Finding]:
    """A finding when only one of auth_username and auth_password is set (on the empty one)."""
    username = text(props, "auth_username")
    password = text(props, PASSWORD_FIELD)
    if is_unknown(username) or is_unknown(password):
        return
    if username and not password:
        yield Finding("is empty while auth_username is set", PASSWORD_FIELD)
    elif password and not username:
        yield Finding("is empty while auth_password is set", "auth_username")
