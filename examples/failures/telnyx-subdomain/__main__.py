"""503 Service Unavailable: a Telnyx subdomain as the outbound address (LKSOUT002)."""

import pulumi
from livekit_sip_pulumi import SipOutboundTrunk

SipOutboundTrunk(
    "telnyx",
    address="acme.sip.telnyx.com",
    numbers=["+15105550100"],
    auth_username="acme",
    auth_password=pulumi.Output.secret("example-password"),
)
