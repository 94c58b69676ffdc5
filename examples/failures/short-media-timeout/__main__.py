"""Callers who pause are hung up on: a 5-second RTP timeout (LKSSTK019)."""

from livekit_sip_pulumi import SipDispatchRule, SipInboundTrunk

trunk = SipInboundTrunk("line", numbers=["+15105550100"], krisp_enabled=True)
SipDispatchRule(
    "line-dispatch",
    trunk_ids=[trunk.sip_trunk_id],
    rule={"dispatch_rule_individual": {"room_prefix": "call-"}},
    room_config={"agents": [{"agent_name": "support-agent"}]},
    hide_phone_number=True,
    media={"media_timeout": 5},
)
