"""The ``livekit-sip`` provider plugin (``pulumi-resource-livekit-sip``): the dynamic
providers' code behind Pulumi's provider protocol, for programs in every language."""

from .provider import LiveKitSipProvider
from .schema import package_schema, schema_json

__all__ = ["LiveKitSipProvider", "package_schema", "schema_json"]
