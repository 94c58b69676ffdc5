"""Declarative LiveKit SIP trunks and dispatch rules for Pulumi."""

from . import interrupts
from .client import LiveKitSettings
from .errors import CredentialsError, InputError, LiveKitApiError, LiveKitSipError, SpecError
from .numberplan import SipLine, load_plan
from .plan_resource import SipNumberPlan
from .presets import (
    AgentPhoneLine,
    AgentPhoneLineArgs,
    OutboundPreset,
    PlivoOutbound,
    ProviderOutboundTrunk,
    RegionPin,
    TelnyxOutbound,
    TwilioOutbound,
    WavixOutbound,
    inbound_sip_host,
    required_region_pin,
)
from .resources import (
    RoomAgentDispatchArgs,
    RoomConfigurationArgs,
    SipCodecArgs,
    SipDispatchRule,
    SipDispatchRuleArgs,
    SipDispatchRuleCalleeArgs,
    SipDispatchRuleDirectArgs,
    SipDispatchRuleIndividualArgs,
    SipInboundTrunk,
    SipInboundTrunkArgs,
    SipMediaConfigArgs,
    SipOutboundTrunk,
    SipOutboundTrunkArgs,
)
from .specs import (
    RoomAgentDispatchSpec,
    RoomConfigurationSpec,
    SipCodecSpec,
    SipDispatchRuleCalleeSpec,
    SipDispatchRuleDirectSpec,
    SipDispatchRuleIndividualSpec,
    SipDispatchRuleKindSpec,
    SipDispatchRuleSpec,
    SipHeaderOptions,
    SipInboundTrunkSpec,
    SipMediaConfigSpec,
    SipMediaEncryption,
    SipOutboundTrunkSpec,
    SipTransport,
)

__all__ = [
    "AgentPhoneLine",
    "AgentPhoneLineArgs",
    "CredentialsError",
    "InputError",
    "LiveKitApiError",
    "LiveKitSettings",
    "LiveKitSipError",
    "OutboundPreset",
    "PlivoOutbound",
    "ProviderOutboundTrunk",
    "RegionPin",
    "RoomAgentDispatchArgs",
    "RoomAgentDispatchSpec",
    "RoomConfigurationArgs",
    "RoomConfigurationSpec",
    "SipCodecArgs",
    "SipCodecSpec",
    "SipDispatchRule",
    "SipDispatchRuleArgs",
    "SipDispatchRuleCalleeArgs",
    "SipDispatchRuleCalleeSpec",
    "SipDispatchRuleDirectArgs",
    "SipDispatchRuleDirectSpec",
    "SipDispatchRuleIndividualArgs",
    "SipDispatchRuleIndividualSpec",
    "SipDispatchRuleKindSpec",
    "SipDispatchRuleSpec",
    "SipHeaderOptions",
    "SipInboundTrunk",
    "SipInboundTrunkArgs",
    "SipInboundTrunkSpec",
    "SipLine",
    "SipMediaConfigArgs",
    "SipMediaConfigSpec",
    "SipMediaEncryption",
    "SipNumberPlan",
    "SipOutboundTrunk",
    "SipOutboundTrunkArgs",
    "SipOutboundTrunkSpec",
    "SipTransport",
    "SpecError",
    "TelnyxOutbound",
    "TwilioOutbound",
    "WavixOutbound",
    "inbound_sip_host",
    "load_plan",
    "required_region_pin",
]

# In a program run by `pulumi preview`/`up`: no traceback when the engine stops the program
# after a refusal (see interrupts.py).
if interrupts.running_in_language_host():
    interrupts.install()
