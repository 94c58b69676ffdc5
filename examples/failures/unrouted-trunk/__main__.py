"""Calls accepted, then dropped: no dispatch rule routes the trunk's calls (LKSSTK005)."""

from livekit_sip_pulumi import SipInboundTrunk

SipInboundTrunk("line", numbers=["+15105550100"], krisp_enabled=True)
