"""Two inbound trunks for the same number: the second create fails (LKSSTK002)."""

from livekit_sip_pulumi import SipDispatchRule, SipInboundTrunk

sales = SipInboundTrunk("sales", numbers=["+15105550100"], krisp_enabled=True)
support = SipInboundTrunk("support", numbers=["+15105550100"], krisp_enabled=True)
SipDispatchRule(
    "all-calls",
    trunk_ids=[sales.sip_trunk_id, support.sip_trunk_id],
    rule={"dispatch_rule_individual": {"room_prefix": "call-"}},
    room_config={"agents": [{"agent_name": "support-agent"}]},
    hide_phone_number=True,
)
