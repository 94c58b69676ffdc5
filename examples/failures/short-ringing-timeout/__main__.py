"""Calls end before the agent joins: the trunk rings for 3 seconds only (LKSIN009)."""

from livekit_sip_pulumi import SipDispatchRule, SipInboundTrunk

trunk = SipInboundTrunk("line", numbers=["+15105550100"], krisp_enabled=True, ringing_timeout=3)
SipDispatchRule(
    "line-dispatch",
    trunk_ids=[trunk.sip_trunk_id],
    rule={"dispatch_rule_individual": {"room_prefix": "call-"}},
    room_config={"agents": [{"agent_name": "support-agent"}]},
    hide_phone_number=True,
)
