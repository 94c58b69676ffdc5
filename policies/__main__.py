"""The LiveKit SIP policy pack. Builds the PolicyPack and nothing else (it serves the engine)."""

from livekit_sip_policies.pack import PACK_NAME, build_policies
from pulumi_policy import PolicyPack

PolicyPack(name=PACK_NAME, policies=build_policies())
