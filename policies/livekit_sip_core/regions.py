"""Region pinning: the countries LiveKit pins outbound calls to, and the numbers that need it."""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers

from .problems import ErrorType, Invalid, quote

__all__ = [
    "COUNTRY_ALIASES",
    "REQUIRED_REGION_PINS",
    "SIP_REGIONS",
    "SUPPORTED_COUNTRIES",
    "RegionPin",
    "country_fix",
    "country_problem",
    "region_pin_of",
    "sip_region_problem",
]

#: destination_country values with an effect (LiveKit's region pinning guide); any other value
#: is silently ignored by LiveKit, so calls are not pinned.
SUPPORTED_COUNTRIES = (
    "ae", "au", "br", "ca", "de", "fr", "gb", "il", "in", "jp", "sa", "sg", "us", "za",
)  # fmt: skip
#: The region names of LiveKit Cloud's region-based SIP endpoints,
#: ``{sip_subdomain}.{region}.sip.livekit.cloud`` (LiveKit's region pinning guide, "Available
#: regions", last updated 2025-09-29). Another name gives a host that does not exist.
SIP_REGIONS = ("eu", "india", "sa", "us", "aus", "uk")
#: Common codes that are not ISO 3166-1 alpha-2: the United Kingdom is 'gb'.
COUNTRY_ALIASES = {"uk": "gb"}
_TWO_LETTERS = re.compile(r"[a-z]{2}")


def country_fix(value: str) -> str | None:
    """The supported code ``value`` was meant to be ('US' -> 'us', 'uk' -> 'gb'), or None."""
    lowered = value.strip().lower()
    lowered = COUNTRY_ALIASES.get(lowered, lowered)
    return lowered if lowered in SUPPORTED_COUNTRIES else None


def country_problem(value: str) -> Invalid | None:
    """Why ``value`` is not a ``destination_country`` LiveKit pins calls to, or None (also for
    the empty value: no pinning asked)."""
    if not value or value in SUPPORTED_COUNTRIES:
        return None
    fix = country_fix(value)
    if fix is not None:
        return Invalid(
            ErrorType.COUNTRY_CODE,
            f"{quote(value)} is not a supported region code, so calls are not pinned; "
            f"write '{fix}'",
        )
    shape = "" if _TWO_LETTERS.fullmatch(value) else "a two-letter lowercase code, "
    return Invalid(
        ErrorType.COUNTRY_CODE,
        f"{quote(value)} is not a supported region code, so calls are not pinned "
        f"(destination_country takes {shape}one of {', '.join(SUPPORTED_COUNTRIES)})",
    )


def sip_region_problem(value: str) -> Invalid | None:
    """Why ``value`` is not the region of a LiveKit Cloud SIP endpoint, or None."""
    if value in SIP_REGIONS:
        return None
    lowered = value.strip().lower()
    hint = f"; write '{lowered}'" if lowered in SIP_REGIONS else ""
    return Invalid(
        ErrorType.SIP_REGION,
        f"{quote(value)} is not a LiveKit SIP region: the endpoint "
        "<subdomain>.<region>.sip.livekit.cloud exists only for the regions "
        f"{', '.join(SIP_REGIONS)}, so the phone provider would dial a host that does not "
        f"exist{hint}",
    )


@dataclass(frozen=True)
class RegionPin:
    """Where calls for a country's numbers must be handled.

    ``inbound_region`` is the LiveKit Cloud SIP region the provider sends calls to
    (``{subdomain}.{inbound_region}.sip.livekit.cloud``); ``destination_country`` is the
    outbound trunk's ``destination_country``.
    """

    inbound_region: str
    destination_country: str
    #: The country in words ('India').
    country_name: str
    #: How unpinned calls fail ("403 Domestic Anchored Terms Not Met").
    failure: str

    @property
    def calling_code(self) -> str:
        """The numbers' prefix, '+' and the country calling code ('+91')."""
        region = self.destination_country.upper()
        return f"+{phonenumbers.country_code_for_region(region)}"

    @property
    def reason(self) -> str:
        """Why the numbers need the pin, in words."""
        return (
            f"{self.calling_code} numbers must be served from {self.country_name}; unpinned "
            f"calls fail with '{self.failure}'"
        )


#: Countries whose numbers only work when calls are pinned to a region (ISO code -> pin).
REQUIRED_REGION_PINS: dict[str, RegionPin] = {
    "IN": RegionPin(
        inbound_region="india",
        destination_country="in",
        country_name="India",
        failure="403 Domestic Anchored Terms Not Met",
    ),
}


def region_pin_of(number: str) -> RegionPin | None:
    """The region pin an E.164 ``number`` requires, or None (also for non-numbers)."""
    if not number.startswith("+"):
        return None
    try:
        country = phonenumbers.region_code_for_number(phonenumbers.parse(number, None))
    except phonenumbers.NumberParseException:
        return None
    return REQUIRED_REGION_PINS.get(country or "")
