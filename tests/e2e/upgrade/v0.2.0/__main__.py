"""The program release 0.2.0 deployed to record this fixture (kept as it was: an upgrade
changes the library, never the user's program).

The 0.1.0 program with some of what 0.2.0 adds (a ringing timeout and its status on the
inbound trunk, media settings on the outbound trunk). Everything at once: the three resources
(an inbound and an outbound trunk with digest passwords, a dispatch rule dispatching an agent
for the inbound trunk), a provider preset, an AgentPhoneLine with an outbound preset, and an
inbound trunk made by hand and adopted with ``adopt_id`` (kept in LiveKit on delete). The
passwords are test-only values in the stack config, as secrets.
"""

import pulumi
from livekit_sip_pulumi import (
    AgentPhoneLine,
    AgentPhoneLineArgs,
    ProviderOutboundTrunk,
    RoomAgentDispatchArgs,
    RoomConfigurationArgs,
    SipCodecArgs,
    SipDispatchRule,
    SipDispatchRuleIndividualArgs,
    SipInboundTrunk,
    SipMediaConfigArgs,
    SipOutboundTrunk,
    TelnyxOutbound,
    TwilioOutbound,
)

config = pulumi.Config()

office_in = SipInboundTrunk(
    "office-in",
    numbers=["+15105550110"],
    auth_username="office",
    auth_password=config.require_secret("inboundPassword"),
    krisp_enabled=True,
    ringing_timeout=30,
    ringing_timeout_status="SIP_STATUS_BUSY_HERE",
)

office_out = SipOutboundTrunk(
    "office-out",
    address="sip.example.net",
    numbers=["+15105550111"],
    auth_username="office",
    auth_password=config.require_secret("outboundPassword"),
    transport="SIP_TRANSPORT_TLS",
    media=SipMediaConfigArgs(codecs=[SipCodecArgs(name="PCMU")], media_timeout=45),
)

office_rule = SipDispatchRule(
    "office-dispatch",
    trunk_ids=[office_in.sip_trunk_id],
    rule=SipDispatchRuleIndividualArgs(room_prefix="office-"),
    room_config=RoomConfigurationArgs(agents=[RoomAgentDispatchArgs(agent_name="office-agent")]),
    hide_phone_number=True,
)

telnyx = ProviderOutboundTrunk(
    "telnyx",
    TelnyxOutbound(auth_username="acme", auth_password=config.require_secret("telnyxPassword")),
    numbers=["+15105550130"],
)

line = AgentPhoneLine(
    "support",
    AgentPhoneLineArgs(
        numbers=["+15105550120"],
        agent_name="support-agent",
        auth_username="support",
        auth_password=config.require_secret("linePassword"),
        outbound=TwilioOutbound(
            termination_uri="upgrade-fixture.pstn.twilio.com",
            auth_username="support",
            auth_password=config.require_secret("twilioPassword"),
        ),
        sip_subdomain="upgrade-fixture",
    ),
)

legacy = SipInboundTrunk(
    "legacy-line",
    numbers=["+15105550140"],
    metadata="made by hand, adopted",
    adopt_id=config.require("adoptedTrunkId"),
    opts=pulumi.ResourceOptions(retain_on_delete=True),
)

pulumi.export("office_in_id", office_in.sip_trunk_id)
pulumi.export("office_out_id", office_out.sip_trunk_id)
pulumi.export("office_rule_id", office_rule.sip_dispatch_rule_id)
pulumi.export("telnyx_id", telnyx.sip_trunk_id)
pulumi.export("line_inbound_id", line.inbound_trunk_id)
pulumi.export("line_rule_id", line.dispatch_rule_id)
pulumi.export("line_outbound_id", line.outbound_trunk_id)
pulumi.export("line_sip_uri", line.sip_uri)
pulumi.export("legacy_id", legacy.sip_trunk_id)
