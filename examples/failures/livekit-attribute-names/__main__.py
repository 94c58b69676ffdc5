"""The agent reads LiveKit's trunk ID, not the rule's: a rule attribute named sip.trunkID
(LKSDR011)."""

from livekit_sip_pulumi import SipDispatchRule, SipInboundTrunk

trunk = SipInboundTrunk("line", numbers=["+15105550100"], krisp_enabled=True)
SipDispatchRule(
    "line-dispatch",
    trunk_ids=[trunk.sip_trunk_id],
    rule={"dispatch_rule_individual": {"room_prefix": "call-"}},
    room_config={"agents": [{"agent_name": "support-agent"}]},
    hide_phone_number=True,
    attributes={"sip.trunkID": "support"},
)
