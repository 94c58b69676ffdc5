"""A Twilio Elastic SIP trunk wired to a LiveKit agent, with the individual resources.

``AgentPhoneLine`` does all of this in one component; this program shows the pieces:
an inbound trunk that only accepts Twilio's signaling addresses, a dispatch rule that sends
each call to its own room with the agent, and an outbound trunk from the Twilio preset.

Configure:

    pulumi config set livekit:url https://<project>.livekit.cloud
    pulumi config set livekit:apiKey <key>
    pulumi config set --secret livekit:apiSecret <secret>
    pulumi config set --path --type string 'numbers[0]' +15105550100
    pulumi config set --path 'twilioSignalingCidrs[0]' <a CIDR from Twilio's IP list>
    pulumi config set terminationUri <trunk>.pstn.twilio.com
    pulumi config set twilioUsername <credential list user>
    pulumi config set --secret twilioPassword <credential list password>
"""

import pulumi
from livekit_sip_pulumi import (
    ProviderOutboundTrunk,
    RoomAgentDispatchArgs,
    RoomConfigurationArgs,
    SipDispatchRule,
    SipDispatchRuleArgs,
    SipDispatchRuleIndividualArgs,
    SipInboundTrunk,
    SipInboundTrunkArgs,
    TwilioOutbound,
)

config = pulumi.Config()
numbers: list[str] = config.get_object("numbers") or ["+15105550123"]
# Twilio Elastic SIP trunking sends no digest credentials: accept only its signaling ranges.
twilio_cidrs: list[str] = config.get_object("twilioSignalingCidrs") or ["54.172.60.0/30"]
agent_name = config.get("agentName") or "twilio-agent"

inbound = SipInboundTrunk(
    "twilio-inbound",
    SipInboundTrunkArgs(
        numbers=numbers,
        allowed_addresses=twilio_cidrs,
        krisp_enabled=True,
    ),
)

rule = SipDispatchRule(
    "twilio-dispatch",
    SipDispatchRuleArgs(
        rule=SipDispatchRuleIndividualArgs(room_prefix="twilio-"),
        trunk_ids=[inbound.sip_trunk_id],
        hide_phone_number=True,
        room_config=RoomConfigurationArgs(
            agents=[RoomAgentDispatchArgs(agent_name=agent_name)],
            empty_timeout=60,
        ),
    ),
)

outbound = ProviderOutboundTrunk(
    "twilio-outbound",
    TwilioOutbound(
        termination_uri=config.get("terminationUri") or "acme-demo.pstn.twilio.com",
        auth_username=config.get("twilioUsername") or "acme-twilio",
        auth_password=config.get_secret("twilioPassword")
        or pulumi.Output.secret("change-me-now!"),
    ),
    numbers=numbers,
)

pulumi.export("inbound_trunk_id", inbound.sip_trunk_id)
pulumi.export("dispatch_rule_id", rule.sip_dispatch_rule_id)
pulumi.export("outbound_trunk_id", outbound.sip_trunk_id)
