"""Strangers share a room: an individual rule without its random suffix, caller numbers hidden,
names rooms by the caller number's last 4 digits (LKSDR009)."""

from livekit_sip_pulumi import SipDispatchRule, SipInboundTrunk

trunk = SipInboundTrunk("line", numbers=["+15105550100"], krisp_enabled=True)
SipDispatchRule(
    "line-dispatch",
    trunk_ids=[trunk.sip_trunk_id],
    rule={"dispatch_rule_individual": {"room_prefix": "call-", "no_randomness": True}},
    room_config={"agents": [{"agent_name": "support-agent"}]},
    hide_phone_number=True,
)
