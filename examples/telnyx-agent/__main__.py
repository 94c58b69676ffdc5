"""Telnyx phone numbers answered by a LiveKit agent, which can also call out through Telnyx.

Configure (all optional except the credentials LiveKit needs):

    pulumi config set livekit:url https://<project>.livekit.cloud
    pulumi config set livekit:apiKey <key>
    pulumi config set --secret livekit:apiSecret <secret>
    pulumi config set livekit:sipSubdomain <subdomain>      # for the sip_uri output
    pulumi config set --path --type string 'numbers[0]' +15105550100
    pulumi config set agentName support-agent
    pulumi config set telnyxUsername <credential connection user>
    pulumi config set --secret telnyxPassword <credential connection password>

Then point the Telnyx number's connection at the exported ``sip_uri``, and enable SIP REFER
on that connection if the agent transfers calls (without it transfers fail with 408);
policy-config.json attests it for the policy pack:

    pulumi preview --policy-pack ../../policies --policy-pack-config policy-config.json
"""

import pulumi
from livekit_sip_pulumi import AgentPhoneLine, AgentPhoneLineArgs, TelnyxOutbound

config = pulumi.Config()
numbers: list[str] = config.get_object("numbers") or ["+15105550100"]
agent_name = config.get("agentName") or "telnyx-agent"
telnyx_username = config.get("telnyxUsername") or "acme-telnyx"
telnyx_password = config.get_secret("telnyxPassword") or pulumi.Output.secret("change-me-now!")

line = AgentPhoneLine(
    "telnyx-agent",
    AgentPhoneLineArgs(
        numbers=numbers,
        agent_name=agent_name,
        # Callers' numbers stay out of room names and participant identities.
        hide_phone_number=True,
        outbound=TelnyxOutbound(
            auth_username=telnyx_username,
            auth_password=telnyx_password,
            region=config.get("telnyxRegion") or "us",
        ),
    ),
)

pulumi.export("inbound_trunk_id", line.inbound_trunk_id)
pulumi.export("dispatch_rule_id", line.dispatch_rule_id)
pulumi.export("outbound_trunk_id", line.outbound_trunk_id)
pulumi.export("sip_uri", line.sip_uri)
pulumi.export("region", line.region)
