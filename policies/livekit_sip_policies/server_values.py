"""Plain values the server refuses, on any object: text that cannot travel (digest
credentials with line breaks too), durations and counters out of range or below a nanosecond,
enum names the protocol does not have, malformed media codecs (the checks are the core's, the
components' too).

One rule per object kind (LKSIN007, LKSOUT009, LKSDR008) subclasses :class:`ServerValuesRule`
and lists its numeric fields; the text of every field is checked except where another rule
already judges the whole value (numbers, addresses, headers, PINs, agent names)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from livekit_sip_core import (
    DIGEST_FIELDS,
    MAX_DURATION,
    MAX_MEDIA_TIMEOUT,
    MEDIA_ENCRYPTIONS,
    PASSWORD_FIELD,
    Invalid,
    choice_problem,
    codec_name_problem,
    digest_secret_problem,
    digest_text_problem,
    seconds_problem,
    text_problem,
    uint32_problem,
)

from .rule import Finding, ResourceRule, is_unknown

__all__ = ["SECRET_FIELDS", "ServerValuesRule"]

#: Fields whose value is a secret: a finding never quotes it.
SECRET_FIELDS = frozenset({PASSWORD_FIELD})


_INDEX = re.compile(r"\[\d+\]")


def _text_at(value: Any, where: str, skip: frozenset[str]) -> Iterator[Finding]:
    if is_unknown(value) or _INDEX.sub("", where) in skip:
        return
    if isinstance(value, str):
        if where in SECRET_FIELDS:
            problem = digest_secret_problem(value)
        elif where in DIGEST_FIELDS:
            problem = digest_text_problem(where, value)
        else:
            problem = text_problem(value)
        if problem is not None:
            yield Finding(problem.message, where)
    elif isinstance(value, Mapping):
        for key, inner in value.items():
            if not isinstance(key, str) or (not where and key.startswith("__")):
                continue  # the engine's own keys (the dynamic provider's __provider)
            if problem := text_problem(key):
                yield Finding(problem.message, where or key)
                continue
            yield from _text_at(inner, f"{where}.{key}" if where else key, skip)
    elif isinstance(value, (list, tuple)):
        for index, inner in enumerate(value):
            yield from _text_at(inner, f"{where}[{index}]", skip)


def _text_findings(props: Mapping[str, Any], skip: frozenset[str]) -> Iterator[Finding]:
    """A finding per string (value or map key) that cannot travel as protocol text (NUL, lone
    surrogate), except under the fields in ``skip`` (dotted paths without list indices:
    ``room_config.agents.agent_name``)."""
    yield from _text_at(props, "", skip)


def _finding(problem: Invalid | None, where: str) -> Iterator[Finding]:
    if problem is not None:
        yield Finding(problem.message, where)


def _media_findings(props: Mapping[str, Any]) -> Iterator[Finding]:
    """``media``: its encryption one of the protocol's, each codec named without whitespace or
    '/', its rate a uint32, and the RTP timeout within the server's maximum."""
    media = props.get("media")
    if not isinstance(media, Mapping):
        return
    encryption = media.get("encryption")
    if encryption is not None and not is_unknown(encryption):
        yield from _finding(choice_problem(encryption, MEDIA_ENCRYPTIONS), "media.encryption")
    timeout = media.get("media_timeout")
    if not is_unknown(timeout):
        yield from _finding(seconds_problem(timeout, MAX_MEDIA_TIMEOUT), "media.media_timeout")
    codecs = media.get("codecs")
    if not isinstance(codecs, (list, tuple)):
        return
    for index, codec in enumerate(codecs):
        if not isinstance(codec, Mapping):
            continue
        name = codec.get("name")
        if name is None or isinstance(name, str):
            yield from _finding(codec_name_problem(name or ""), f"media.codecs[{index}].name")
        rate = codec.get("rate")
        if rate is not None and not is_unknown(rate):
            yield from _finding(uint32_problem(rate), f"media.codecs[{index}].rate")


def _at(props: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted ``path`` (None when a level is missing or not a mapping)."""
    value: Any = props
    for key in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


class ServerValuesRule(ResourceRule):
    """A rule that an object's plain values are ones the server takes: text, durations,
    counters, media. Subclasses list their fields."""

    #: Durations in seconds (at most :data:`~livekit_sip_core.MAX_DURATION`).
    DURATIONS: ClassVar[tuple[str, ...]] = ()
    #: Unsigned 32-bit integers (dotted paths).
    COUNTERS: ClassVar[tuple[str, ...]] = ()
    #: Enum fields and the names they take.
    CHOICES: ClassVar[tuple[tuple[str, tuple[str, ...]], ...]] = ()
    #: Fields whose text another mandatory rule judges already (no double finding).
    TEXT_CHECKED_ELSEWHERE: ClassVar[frozenset[str]] = frozenset()

    def check(self, props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterator[Finding]:
        yield from _text_findings(props, self.TEXT_CHECKED_ELSEWHERE)
        for field in self.DURATIONS:
            value = props.get(field)
            if not is_unknown(value):
                yield from _finding(seconds_problem(value, MAX_DURATION), field)
        for field, choices in self.CHOICES:
            value = props.get(field)
            if value is not None and not is_unknown(value):
                yield from _finding(choice_problem(value, choices), field)
        for path in self.COUNTERS:
            value = _at(props, path)
            if value is not None and not is_unknown(value):
                yield from _finding(uint32_problem(value), path)
        yield from _media_findings(props)
        yield from self.more_findings(props)

    def more_findings(self, props: Mapping[str, Any]) -> Iterator[Finding]:
        """What a kind checks beyond the shared values."""
        return iter(())
