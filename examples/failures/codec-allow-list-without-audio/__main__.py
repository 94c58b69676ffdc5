"""488 / no audio: the codec allow-list holds no codec the SIP bridge speaks (LKSSTK018)."""

from livekit_sip_pulumi import SipDispatchRule, SipInboundTrunk

trunk = SipInboundTrunk(
    "line",
    numbers=["+15105550100"],
    krisp_enabled=True,
    media={"only_listed_codecs": True, "codecs": [{"name": "G729", "rate": 8000}]},
)
SipDispatchRule(
    "line-dispatch",
    trunk_ids=[trunk.sip_trunk_id],
    rule={"dispatch_rule_individual": {"room_prefix": "call-"}},
    room_config={"agents": [{"agent_name": "support-agent"}]},
    hide_phone_number=True,
)
