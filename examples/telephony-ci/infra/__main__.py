"""The support line: calls to +15105550100 from the provider's addresses go to a room of their
own, where LiveKit dispatches the agent named "support-agent" (the agent_name agent.py
registers). Calls to +15105550111 ask for a PIN first and go to the same agent.
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

AGENT_NAME = "support-agent"  # must be the agent_name of the worker in ../agent.py
PROVIDER_CIDRS = ["203.0.113.0/24"]  # the provider's signaling addresses

line = SipInboundTrunk(
    "support-line",
    SipInboundTrunkArgs(numbers=["+15105550100", "+15105550111"],
                        allowed_addresses=PROVIDER_CIDRS, krisp_enabled=True),
)
agents = RoomConfigurationArgs(agents=[RoomAgentDispatchArgs(agent_name=AGENT_NAME)])
SipDispatchRule(
    "support-calls",
    SipDispatchRuleArgs(
        rule=SipDispatchRuleIndividualArgs(room_prefix="call-"),
        trunk_ids=[line.sip_trunk_id],
        numbers=["+15105550100"],
        room_config=agents,
    ),
)
SipDispatchRule(
    "staff-calls",
    SipDispatchRuleArgs(
        rule=SipDispatchRuleIndividualArgs(room_prefix="staff-", pin="4321"),
        trunk_ids=[line.sip_trunk_id],
        numbers=["+15105550111"],
        room_config=agents,
    ),
)
pulumi.export("support_line_id", line.sip_trunk_id)
