"""A codec entry the SIP bridge ignores: G722 at 16000 (its SDP rate is 8000) (LKSSTK017)."""

from livekit_sip_pulumi import SipDispatchRule, SipInboundTrunk

trunk = SipInboundTrunk(
    "line",
    numbers=["+15105550100"],
    krisp_enabled=True,
    media={"codecs": [{"name": "G722", "rate": 16000}]},
)
SipDispatchRule(
    "line-dispatch",
    trunk_ids=[trunk.sip_trunk_id],
    rule={"dispatch_rule_individual": {"room_prefix": "call-"}},
    room_config={"agents": [{"agent_name": "support-agent"}]},
    hide_phone_number=True,
)
