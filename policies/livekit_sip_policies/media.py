"""Rules over the media settings of every object (band LKSSTK): the codecs a trunk or dispatch
rule lists are codecs the SIP bridge speaks, a codec allow-list keeps an audio codec, and the
RTP timeout is not shorter than the bridge's own. ``media`` is the same ``SIPMediaConfig`` on
inbound trunks, outbound trunks and dispatch rules, so one rule judges all three; the facts
are the core's (``livekit_sip_core.calls``)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from livekit_sip_core import (
    CODEC_DEFAULT_RATES,
    DEFAULT_MEDIA_TIMEOUT,
    DTMF_CODEC,
    SIP_AUDIO_CODECS,
    codec_key,
    quote,
)
from livekit_sip_core.links import MEDIA_ISSUES_DOC, SIP_MEDIA_CODECS_SOURCE

from .rule import (
    RESOURCE_TYPES,
    Enforcement,
    Finding,
    Severity,
    StackResource,
    StackRule,
    is_unknown,
    register,
)
from .values import flag

__all__ = ["media_codecs"]

_KNOWN = ", ".join(c.upper() for c in SIP_AUDIO_CODECS)


def _media(resource: StackResource) -> Mapping[str, Any] | None:
    if resource.type not in RESOURCE_TYPES or not isinstance(resource.props, Mapping):
        return None
    media = resource.props.get("media")
    return media if isinstance(media, Mapping) else None


def media_codecs(media: Mapping[str, Any]) -> Iterator[tuple[int, str, int]]:
    """(index, name, rate) of each known ``media.codecs`` entry with a name and a whole rate."""
    codecs = media.get("codecs")
    if not isinstance(codecs, (list, tuple)):
        return
    for index, codec in enumerate(codecs):
        if not isinstance(codec, Mapping):
            continue
        name, rate = codec.get("name"), codec.get("rate", 0)
        if rate is None:
            rate = 0
        if not isinstance(name, str) or not name or isinstance(rate, bool):
            continue
        if not isinstance(rate, (int, float)) or rate < 0 or rate != int(rate):
            continue  # LKSIN007/LKSOUT009/LKSDR008
        yield index, name, int(rate)


@register
class CodecsAreBridgeCodecs(StackRule):
    id = "LKSSTK017"
    title = "Listed media codecs are codecs the SIP bridge speaks"
    description = (
        "Each media.codecs entry of a trunk or dispatch rule enables the codec '<name>/<rate>' "
        f"of LiveKit's SIP bridge, which has {_KNOWN} (and {DTMF_CODEC.upper()} for DTMF; "
        "names compared without case). Any other pair names no codec and is ignored (G722's "
        "SDP clock rate is 8000, so 'G722' at 16000 enables nothing; opus is not a SIP codec "
        "of the bridge), and an entry without a rate whose name has no default ("
        + ", ".join(CODEC_DEFAULT_RATES)
        + " have one, spelled so) fails every call it applies to ('sample rate not specified for "
        "codec')."
    )
    severity = Severity.MEDIUM
    enforcement = Enforcement.ADVISORY
    remediation = (
        "List the bridge's codecs as they appear in SDP: {'name': 'PCMU'}, {'name': 'PCMA'}, "
        "{'name': 'G722'} (rate 8000 or unset), {'name': 'AMR-WB', 'rate': 16000}; remove "
        "the others."
    )
    url = SIP_MEDIA_CODECS_SOURCE

    def check(
        self, resources: Sequence[StackResource], config: Mapping[str, Any]
    ) -> Iterable[Finding]:
        for resource in resources:
            media = _media(resource)
            if media is None:
                continue
            for index, name, rate in media_codecs(media):
                key = codec_key(name, rate)
                field = f"media.codecs[{index}]"
                if key is None:
                    yield Finding(
                        f"{quote(name)} has no rate and the bridge knows no default one: "
                        "every call this object handles fails ('sample rate not specified "
                        "for codec')",
                        field,
                        resource.urn,
                    )
                elif key not in SIP_AUDIO_CODECS and key != DTMF_CODEC:
                    shown = f"{name}/{rate}" if rate else name
                    hint = " (G722's SDP rate is 8000)" if name.upper() == "G722" else ""
                    yield Finding(
                        f"{quote(shown)} is no codec of the SIP bridge{hint}: the entry is "
                        f"ignored (the bridge has {_KNOWN})",
                        field,
                        resource.urn,
                    )


@register
class CodecAllowListKeepsAudio(StackRule):
    id = "LKSSTK018"
    title = "A codec allow-list keeps an audio codec"
    description = (
        "With media.only_listed_codecs the bridge offers and accepts only the listed codecs "
        "(DTMF aside). An empty list fails every call ('no codecs specified'); a list none of "
        f"whose entries is an audio codec of the bridge ({_KNOWN}) leaves no codec in common "
        "with the provider: calls fail with '488 Not Acceptable Here' or connect without "
        "audio (the troubleshooting guide's 'No audio')."
    )
    severity = Severity.HIGH
    enforcement = Enforcement.ADVISORY
    remediation = (
        "List at least one codec the provider and the bridge share, e.g. "
        "media={'only_listed_codecs': True, 'codecs': [{'name': 'PCMU'}]}, or drop "
        "only_listed_codecs."
    )
    url = MEDIA_ISSUES_DOC

    def check(
        self, resources: Sequence[StackResource], config: Mapping[str, Any]
    ) -> Iterable[Finding]:
        for resource in resources:
            media = _media(resource)
            if media is None:
                continue
            only = flag(media, "only_listed_codecs")
            codecs = media.get("codecs")
            if is_unknown(only) or not only or is_unknown(codecs):
                continue
            entries = codecs if isinstance(codecs, (list, tuple)) else []
            if any(is_unknown(c) or not isinstance(c, Mapping) for c in entries):
                continue
            if not entries:
                yield Finding(
                    "is true with no codecs: every call this object handles fails ('no "
                    "codecs specified')",
                    "media.only_listed_codecs",
                    resource.urn,
                )
                continue
            audio = [
                key
                for _, name, rate in media_codecs(media)
                if (key := codec_key(name, rate)) in SIP_AUDIO_CODECS
            ]
            if not audio:
                yield Finding(
                    "is true but media.codecs lists no audio codec of the bridge "
                    f"({_KNOWN}): no codec is left in common with the provider (488 or no "
                    "audio)",
                    "media.only_listed_codecs",
                    resource.urn,
                )


@register
class MediaTimeoutNotShortened(StackRule):
    id = "LKSSTK019"
    title = "The RTP timeout is not shorter than the bridge's default"
    description = (
        "media.media_timeout replaces the bridge's "
        f"{DEFAULT_MEDIA_TIMEOUT:g} seconds: a call that receives no RTP for that long "
        "once media flowed ends with 'media timeout'. Some providers send no RTP while the "
        "caller is silent (the troubleshooting guide's 'Media timeout'), so a shorter "
        "timeout hangs up on callers who pause to think; the guide's advice is the other "
        "way, a longer timeout. Advisory."
    )
    severity = Severity.MEDIUM
    enforcement = Enforcement.ADVISORY
    remediation = (
        f"Leave media_timeout unset ({DEFAULT_MEDIA_TIMEOUT:g} s) or raise it (up to 600 s) "
        "for providers that go quiet during silence."
    )
    url = MEDIA_ISSUES_DOC

    def check(
        self, resources: Sequence[StackResource], config: Mapping[str, Any]
    ) -> Iterable[Finding]:
        for resource in resources:
            media = _media(resource)
            if media is None:
                continue
            timeout = media.get("media_timeout")
            if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
                continue
            if 0 < timeout < DEFAULT_MEDIA_TIMEOUT:
                yield Finding(
                    f"is {timeout:g} seconds, shorter than the bridge's "
                    f"{DEFAULT_MEDIA_TIMEOUT:g}: a caller silent that long is hung up on "
                    "when the provider sends no RTP in silence",
                    "media.media_timeout",
                    resource.urn,
                )
