"""404 object cannot be found: the dispatch rule names a trunk that is not there (LKSSTK001)."""

from livekit_sip_pulumi import SipDispatchRule, SipInboundTrunk

SipInboundTrunk("line", numbers=["+15105550100"], krisp_enabled=True)
SipDispatchRule(
    "line-dispatch",
    trunk_ids=["ST_copiedFromStaging"],
    rule={"dispatch_rule_individual": {"room_prefix": "call-"}},
    room_config={"agents": [{"agent_name": "support-agent"}]},
    hide_phone_number=True,
)
