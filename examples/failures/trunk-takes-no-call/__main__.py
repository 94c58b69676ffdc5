"""A dispatch rule no call reaches: its trunk admits only a zoned link-local address, so it
takes no call (LKSSTK013)."""

from livekit_sip_pulumi import SipDispatchRule, SipInboundTrunk

trunk = SipInboundTrunk(
    "line",
    numbers=["+15105550100"],
    allowed_addresses=["fe80::1%eth0"],
    krisp_enabled=True,
)
SipDispatchRule(
    "line-dispatch",
    trunk_ids=[trunk.sip_trunk_id],
    rule={"dispatch_rule_individual": {"room_prefix": "call-"}},
    room_config={"agents": [{"agent_name": "support-agent"}]},
    hide_phone_number=True,
)
