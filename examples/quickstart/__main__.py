"""Quickstart: a phone number answered by a LiveKit agent.

An inbound trunk for the number, a dispatch rule that puts each caller in a room of their own
and dispatches the agent there, noise cancellation on. The policy pack checks it at preview.

Config (all optional but the credentials):
  livekit:url, livekit:apiKey, livekit:apiSecret (secret)   where your LiveKit project is
  livekit:sipSubdomain   your project's SIP subdomain, for the sip_uri output
  numbers                the phone numbers callers dial (E.164)
  agentName              the agent_name your agent worker registers with
  trunkPassword          digest password the provider authenticates with (secret)
"""

import pulumi
from livekit_sip_pulumi import AgentPhoneLine, AgentPhoneLineArgs

config = pulumi.Config()
password = config.get_secret("trunkPassword")

line = AgentPhoneLine(
    "support",
    AgentPhoneLineArgs(
        numbers=config.get_object("numbers") or ["+15105550100"],
        agent_name=config.get("agentName") or "support-agent",
        # Callers' numbers stay out of room names and participant identities (the agent sees
        # the last four digits); drop this if the agent looks callers up by number.
        hide_phone_number=True,
        auth_username="support" if password is not None else None,
        auth_password=password,
    ),
)

pulumi.export("inbound_trunk_id", line.inbound_trunk_id)
pulumi.export("dispatch_rule_id", line.dispatch_rule_id)
pulumi.export("sip_uri", line.sip_uri)
