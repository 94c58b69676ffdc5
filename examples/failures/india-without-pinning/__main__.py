"""403 Domestic Anchored Terms Not Met: +91 numbers without region pinning (LKSOUT007)."""

import pulumi
from livekit_sip_pulumi import SipOutboundTrunk

SipOutboundTrunk(
    "plivo-india",
    address="12345678901234567.zt.plivo.com",
    numbers=["+919876543210"],
    auth_username="acmeuser",
    auth_password=pulumi.Output.secret("example-pass!"),
)
