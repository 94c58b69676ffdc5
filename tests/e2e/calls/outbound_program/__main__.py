"""Outbound trunks for the outbound call tests, each field from the stack config so that a
test applies the wrong configuration, reproduces the failure with a real call, then applies the
fixed one (an in-place update: the trunk keeps its ID).

- ``telnyx-out``: Telnyx, digest credentials (``telnyxAddress``, ``telnyxUsername``, secret
  ``telnyxPassword``);
- ``twilio-out``: a Twilio Elastic SIP trunk (``twilioAddress``), no credentials.
"""

import pulumi
from livekit_sip_pulumi import (
    SipCodecArgs,
    SipMediaConfigArgs,
    SipOutboundTrunk,
    SipOutboundTrunkArgs,
)

config = pulumi.Config()
# "G722" offers only G.722 (only_listed_codecs); empty: LiveKit's default codecs.
codecs = [c for c in (config.get("telnyxCodecs") or "").split(",") if c]
media = (SipMediaConfigArgs(codecs=[SipCodecArgs(name=c) for c in codecs],
                            only_listed_codecs=True) if codecs else None)
telnyx = SipOutboundTrunk(
    "telnyx-out",
    SipOutboundTrunkArgs(
        name="telnyx-out",
        address=config.get("telnyxAddress") or "sip.telnyx.com",
        numbers=["+14155550001"],
        destination_country="us",
        auth_username=config.get("telnyxUsername") or "acme-connection",
        auth_password=config.require_secret("telnyxPassword"),
        media=media,
    ),
)
twilio = SipOutboundTrunk(
    "twilio-out",
    SipOutboundTrunkArgs(
        name="twilio-out",
        address=config.get("twilioAddress") or "acme.pstn.twilio.com",
        numbers=["+14155550002"],
        destination_country="us",
    ),
)
pulumi.export("telnyx_id", telnyx.sip_trunk_id)
pulumi.export("twilio_id", twilio.sip_trunk_id)
