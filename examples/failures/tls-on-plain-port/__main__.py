"""Outbound calls time out: TLS to the provider's plain SIP port 5060 (LKSOUT010)."""

import pulumi
from livekit_sip_pulumi import SipOutboundTrunk

SipOutboundTrunk(
    "provider",
    address="sip.example.com:5060",
    transport="SIP_TRANSPORT_TLS",
    numbers=["+15105550100"],
    auth_username="acme",
    auth_password=pulumi.Output.secret("example-password"),
)
