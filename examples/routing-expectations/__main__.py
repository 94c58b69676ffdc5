"""Routing expectations: say where calls must go, and let `pulumi preview` check it.

Two numbers from one provider. The support line puts each caller in a room of their own with
the support agent, except one VIP caller, who gets the VIP agent; the staff line asks for a PIN
first. The policy configs next to this program list calls and what must happen to them
(LKSSTK011); the pack simulates LiveKit's routing over these resources, before they exist:

    pulumi preview --policy-pack ../../policies --policy-pack-config policy-config-pass.json
    pulumi preview --policy-pack ../../policies --policy-pack-config policy-config-fail.json

The second one fails: it expects the VIP caller to reach the support agent, but a rule with
inbound_numbers has a higher priority than one without, so the VIP rule takes the call.
"""

import pulumi
from livekit_sip_pulumi import (
    RoomAgentDispatchArgs,
    RoomConfigurationArgs,
    SipDispatchRule,
    SipDispatchRuleArgs,
    SipDispatchRuleIndividualArgs,
    SipInboundTrunk,
    SipInboundTrunkArgs,
)

PROVIDER_CIDRS = ["203.0.113.0/24"]  # the provider's signaling addresses

support_line = SipInboundTrunk(
    "support-line",
    SipInboundTrunkArgs(
        numbers=["+15105550100"], allowed_addresses=PROVIDER_CIDRS, krisp_enabled=True
    ),
)
staff_line = SipInboundTrunk(
    "staff-line",
    SipInboundTrunkArgs(
        numbers=["+15105550111"], allowed_addresses=PROVIDER_CIDRS, krisp_enabled=True
    ),
)


def agent(name: str) -> RoomConfigurationArgs:
    return RoomConfigurationArgs(agents=[RoomAgentDispatchArgs(agent_name=name)])


support_calls = SipDispatchRule(
    "support-calls",
    SipDispatchRuleArgs(
        rule=SipDispatchRuleIndividualArgs(room_prefix="call-"),
        trunk_ids=[support_line.sip_trunk_id],
        room_config=agent("support-agent"),
    ),
)
vip_calls = SipDispatchRule(
    "vip-calls",
    SipDispatchRuleArgs(
        rule=SipDispatchRuleIndividualArgs(room_prefix="vip-"),
        trunk_ids=[support_line.sip_trunk_id],
        inbound_numbers=["+14155550199"],
        room_config=agent("vip-agent"),
    ),
)
staff_calls = SipDispatchRule(
    "staff-calls",
    SipDispatchRuleArgs(
        rule=SipDispatchRuleIndividualArgs(room_prefix="staff-", pin="4321"),
        trunk_ids=[staff_line.sip_trunk_id],
        room_config=agent("staff-agent"),
    ),
)

pulumi.export("support_line_id", support_line.sip_trunk_id)
pulumi.export("staff_line_id", staff_line.sip_trunk_id)
