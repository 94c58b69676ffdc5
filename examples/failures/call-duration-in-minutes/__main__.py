"""Every call is cut off after 30 seconds: max_call_duration meant in minutes (LKSIN010)."""

from livekit_sip_pulumi import SipDispatchRule, SipInboundTrunk

trunk = SipInboundTrunk("line", numbers=["+15105550100"], krisp_enabled=True, max_call_duration=30)
SipDispatchRule(
    "line-dispatch",
    trunk_ids=[trunk.sip_trunk_id],
    rule={"dispatch_rule_individual": {"room_prefix": "call-"}},
    room_config={"agents": [{"agent_name": "support-agent"}]},
    hide_phone_number=True,
)
