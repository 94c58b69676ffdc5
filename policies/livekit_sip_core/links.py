"""The LiveKit documentation pages that messages, rules and presets link to."""

from __future__ import annotations

__all__ = [
    "AGENT_DISPATCH_DOC",
    "DISPATCH_RULE_DOC",
    "INBOUND_TRUNK_DOC",
    "OUTBOUND_TRUNK_DOC",
    "PLIVO_DOC",
    "REGION_PINNING_DOC",
    "TELNYX_DOC",
    "TROUBLESHOOTING",
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
