"""The LiveKit documentation pages that messages, rules and presets link to."""

from __future__ import annotations

__all__ = [
    "AGENT_DISPATCH_DOC",
    "DISPATCH_RULE_DOC",
    "INBOUND_TRUNK_DOC",
    "MEDIA_ISSUES_DOC",
    "OUTBOUND_TRUNK_DOC",
    "PLIVO_DOC",
    "PROTOCOL_DISPATCH_SOURCE",
    "REGION_PINNING_DOC",
    "SERVER_AGENT_DISPATCH_SOURCE",
    "SIP_CLIENT_SOURCE",
    "SIP_INBOUND_SOURCE",
    "SIP_MEDIA_CODECS_SOURCE",
    "TELNYX_DOC",
    "TROUBLESHOOTING",
    "TRUNK_ADDRESS_ISSUE",
    "TWILIO_DOC",
    "WAVIX_DOC",
    "WILDCARD_DISPATCH_ISSUE",
]

TROUBLESHOOTING = "https://docs.livekit.io/reference/telephony/troubleshooting/"
INBOUND_TRUNK_DOC = "https://docs.livekit.io/telephony/accepting-calls/inbound-trunk/"
OUTBOUND_TRUNK_DOC = "https://docs.livekit.io/telephony/making-calls/outbound-trunk/"
DISPATCH_RULE_DOC = "https://docs.livekit.io/telephony/accepting-calls/dispatch-rule/"
REGION_PINNING_DOC = "https://docs.livekit.io/telephony/features/region-pinning/"
TELNYX_DOC = "https://docs.livekit.io/telephony/start/providers/telnyx/"
TWILIO_DOC = "https://docs.livekit.io/telephony/start/providers/twilio/"
PLIVO_DOC = "https://docs.livekit.io/telephony/start/providers/plivo/"
WAVIX_DOC = "https://docs.livekit.io/telephony/start/providers/wavix/"
AGENT_DISPATCH_DOC = "https://docs.livekit.io/agents/server/agent-dispatch/"
#: livekit/sip#460: a dispatch rule without trunk_ids takes calls from every trunk, stray
#: INVITEs included.
WILDCARD_DISPATCH_ISSUE = "https://github.com/livekit/sip/issues/460"
#: The troubleshooting guide's "Media issues" section (no audio, one-way audio, media timeout).
MEDIA_ISSUES_DOC = TROUBLESHOOTING + "#media-issues"
#: livekit/sip's inbound call: it rings until an agent subscribes (ringing_timeout), then ends
#: at max_call_duration.
SIP_INBOUND_SOURCE = "https://github.com/livekit/sip/blob/main/pkg/sip/inbound.go"
#: livekit/sip's codec set: the media.codecs entries it enables, and the rates it defaults.
SIP_MEDIA_CODECS_SOURCE = "https://github.com/livekit/sip/blob/main/pkg/sip/media_codecs.go"
#: livekit/sip's outbound request URI: the address's port and the transport, used as written.
SIP_CLIENT_SOURCE = "https://github.com/livekit/sip/blob/main/pkg/sip/client.go"
#: livekit/protocol's dispatch evaluation: room names and the participant's sip.* attributes.
PROTOCOL_DISPATCH_SOURCE = "https://github.com/livekit/protocol/blob/main/sip/sip.go"
#: livekit-server starts one agent job per room_config.agents entry.
SERVER_AGENT_DISPATCH_SOURCE = "https://github.com/livekit/livekit/blob/master/pkg/rtc/room.go"
#: livekit/sip#318: an inbound trunk's allowed_addresses that are not where the calls come from
#: ("call was not authorized by trunk configuration").
TRUNK_ADDRESS_ISSUE = "https://github.com/livekit/sip/issues/318"
