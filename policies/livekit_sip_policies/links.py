"""The LiveKit documentation pages the rules come from."""

from __future__ import annotations

__all__ = [
    "DISPATCH_RULE_DOC",
    "INBOUND_TRUNK_DOC",
    "OUTBOUND_TRUNK_DOC",
    "REGION_PINNING_DOC",
    "TELNYX_DOC",
    "TROUBLESHOOTING",
]

TROUBLESHOOTING = "https://docs.livekit.io/sip/troubleshooting/"
INBOUND_TRUNK_DOC = "https://docs.livekit.io/sip/trunk-inbound/"
OUTBOUND_TRUNK_DOC = "https://docs.livekit.io/sip/trunk-outbound/"
DISPATCH_RULE_DOC = "https://docs.livekit.io/sip/dispatch-rule/"
REGION_PINNING_DOC = "https://docs.livekit.io/telephony/features/region-pinning/"
TELNYX_DOC = "https://docs.livekit.io/sip/quickstarts/configuring-telnyx-trunk/"
