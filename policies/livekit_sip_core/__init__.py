"""LiveKit SIP facts, each written once: what the server accepts and how it reads it.

Imported by both halves of the project, the components (``livekit_sip_pulumi``) and the policy
pack (``livekit_sip_policies``), so that they cannot disagree on what is valid. No Pulumi, no
pydantic: checks return a plain :class:`Invalid` (error type + message), which the components
turn into validation errors and the rules into findings.
"""

from .addresses import (
    host_of,
    ip_or_cidr_problem,
    is_ip_or_cidr,
    server_drops_address,
    sip_host_problem,
    split_host_port,
)
from .headers import (
    FORBIDDEN_HEADERS,
    MAX_HEADER_VALUE_BYTES,
    attribute_name_problem,
    attributes_to_headers_problems,
    header_map_problems,
    header_name_problem,
    header_value_problem,
    headers_to_attributes_problems,
)
from .ids import (
    COMPONENT_PACKAGE,
    COMPONENT_TYPE_PREFIX,
    DISPATCH_RULE_ID_PREFIX,
    DISPATCH_RULE_TYPE,
    DYNAMIC_MODULE,
    INBOUND_TRUNK_TYPE,
    OUTBOUND_TRUNK_TYPE,
    TRUNK_ID_PREFIX,
    is_livekit_id,
)
from .limits import (
    MAX_DURATION,
    MAX_MEDIA_TIMEOUT,
    MAX_UINT32,
    codec_name_problem,
    room_name_problem,
    seconds_problem,
    uint32_problem,
)
from .numbers import (
    WILDCARD_NUMBER,
    ascii_digits_hint,
    canonical_e164,
    e164_or_wildcard_problem,
    e164_problem,
    normalize_number,
)
from .pins import pin_problem
from .problems import ErrorType, Invalid, quote
from .providers import (
    DIGEST_PROVIDERS,
    PLIVO,
    PROVIDERS,
    TELNYX,
    TELNYX_HOSTS,
    TWILIO,
    WAVIX,
    Provider,
    provider_of,
)
from .regions import (
    COUNTRY_ALIASES,
    REQUIRED_REGION_PINS,
    SUPPORTED_COUNTRIES,
    RegionPin,
    country_fix,
    country_problem,
    region_pin_of,
)
from .text import secret_text_problem, text_problem

__all__ = [
    "COMPONENT_PACKAGE",
    "COMPONENT_TYPE_PREFIX",
    "COUNTRY_ALIASES",
    "DIGEST_PROVIDERS",
    "DISPATCH_RULE_ID_PREFIX",
    "DISPATCH_RULE_TYPE",
    "DYNAMIC_MODULE",
    "FORBIDDEN_HEADERS",
    "INBOUND_TRUNK_TYPE",
    "MAX_DURATION",
    "MAX_HEADER_VALUE_BYTES",
    "MAX_MEDIA_TIMEOUT",
    "MAX_UINT32",
    "OUTBOUND_TRUNK_TYPE",
    "PLIVO",
    "PROVIDERS",
    "REQUIRED_REGION_PINS",
    "SUPPORTED_COUNTRIES",
    "TELNYX",
    "TELNYX_HOSTS",
    "TRUNK_ID_PREFIX",
    "TWILIO",
    "WAVIX",
    "WILDCARD_NUMBER",
    "ErrorType",
    "Invalid",
    "Provider",
    "RegionPin",
    "ascii_digits_hint",
    "attribute_name_problem",
    "attributes_to_headers_problems",
    "canonical_e164",
    "codec_name_problem",
    "country_fix",
    "country_problem",
    "e164_or_wildcard_problem",
    "e164_problem",
    "header_map_problems",
    "header_name_problem",
    "header_value_problem",
    "headers_to_attributes_problems",
    "host_of",
    "ip_or_cidr_problem",
    "is_ip_or_cidr",
    "is_livekit_id",
    "normalize_number",
    "pin_problem",
    "provider_of",
    "quote",
    "region_pin_of",
    "room_name_problem",
    "seconds_problem",
    "secret_text_problem",
    "server_drops_address",
    "sip_host_problem",
    "split_host_port",
    "text_problem",
    "uint32_problem",
]
