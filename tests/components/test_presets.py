"""Provider presets refuse known-bad values; AgentPhoneLine derives region pinning."""

from __future__ import annotations

from typing import Any

import pytest
from livekit_sip_pulumi import (
    AgentPhoneLineArgs,
    PlivoOutbound,
    SpecError,
    TelnyxOutbound,
    TwilioOutbound,
    WavixOutbound,
    inbound_sip_host,
    required_region_pin,
)
from livekit_sip_pulumi.presets import _pinning
from livekit_sip_pulumi.resources import to_plain
from livekit_sip_pulumi.specs import SipOutboundTrunkSpec, validate_spec

PASSWORD = "Pa55-word!"


def rejected(factory: Any, **kwargs: Any) -> list[tuple[str, str]]:
    with pytest.raises(SpecError) as info:
        factory(**kwargs)
    assert PASSWORD not in str(info.value)
    return info.value.problems


@pytest.mark.parametrize(
    ("case", "factory", "kwargs", "field", "fragment"),
    [
        ("fail_telnyx_subdomain", TelnyxOutbound, {"host": "acme.sip.telnyx.com"}, "host", "503"),
        (
            "fail_telnyx_eu_subdomain",
            TelnyxOutbound,
            {"host": "acme.sip-eu.telnyx.com"},
            "host",
            "503",
        ),
        (
            "fail_telnyx_uri",
            TelnyxOutbound,
            {"host": "sip:sip.telnyx.com"},
            "host",
            "'sip.telnyx.com'",
        ),
        (
            "fail_telnyx_other_host",
            TelnyxOutbound,
            {"host": "telnyx.example.com"},
            "host",
            "sip-eu.telnyx.com",
        ),
        ("fail_telnyx_region", TelnyxOutbound, {"region": "asia"}, "region", "'eu'"),
        (
            "fail_telnyx_no_user",
            TelnyxOutbound,
            {"auth_username": ""},
            "auth_username",
            "user name",
        ),
        (
            "fail_telnyx_no_password",
            TelnyxOutbound,
            {"auth_password": ""},
            "auth_password",
            "password",
        ),
        (
            "fail_twilio_uri",
            TwilioOutbound,
            {"termination_uri": "sip:acme.pstn.twilio.com"},
            "termination_uri",
            "'acme.pstn.twilio.com'",
        ),
        (
            "fail_twilio_programmable_voice",
            TwilioOutbound,
            {"termination_uri": "acme.sip.twilio.com"},
            "termination_uri",
            "pstn.twilio.com",
        ),
        (
            "fail_twilio_other",
            TwilioOutbound,
            {"termination_uri": "sip.telnyx.com"},
            "termination_uri",
            "pstn.twilio.com",
        ),
        (
            "fail_twilio_no_password",
            TwilioOutbound,
            {"auth_password": ""},
            "auth_password",
            "password",
        ),
        (
            "fail_plivo_domain",
            PlivoOutbound,
            {"trunk_domain": "plivo.com"},
            "trunk_domain",
            "zt.plivo.com",
        ),
        (
            "fail_plivo_uri",
            PlivoOutbound,
            {"trunk_domain": "sip:123.zt.plivo.com"},
            "trunk_domain",
            "bare host",
        ),
        ("fail_plivo_user", PlivoOutbound, {"auth_username": "ab"}, "auth_username", "5-20"),
        (
            "fail_plivo_password_no_special",
            PlivoOutbound,
            {"auth_password": "Password123"},
            "auth_password",
            "special",
        ),
        ("fail_wavix_country", WavixOutbound, {"country": "usa"}, "country", "us.wavix.net"),
        ("fail_wavix_user", WavixOutbound, {"auth_username": "acme"}, "auth_username", "5-digit"),
    ],
)
def test_preset_rejects(
    case: str, factory: Any, kwargs: dict[str, Any], field: str, fragment: str
) -> None:
    defaults: dict[str, Any] = {"auth_username": "acme", "auth_password": PASSWORD}
    if factory is TwilioOutbound:
        defaults["termination_uri"] = "acme.pstn.twilio.com"
    if factory is PlivoOutbound:
        defaults["trunk_domain"] = "21784177143046.zt.plivo.com"
        defaults["auth_username"] = "acmeuser"
    if factory is WavixOutbound:
        defaults["auth_username"] = "12345"
    found = rejected(factory, **{**defaults, **kwargs})
    assert any(f == field and fragment in m for f, m in found), (case, found)


@pytest.mark.parametrize(
    ("preset", "address"),
    [
        (TelnyxOutbound(auth_username="acme", auth_password=PASSWORD), "sip.telnyx.com"),
        (
            TelnyxOutbound(auth_username="acme", auth_password=PASSWORD, region="eu"),
            "sip-eu.telnyx.com",
        ),
        (TwilioOutbound("acme.pstn.twilio.com", "acme", PASSWORD), "acme.pstn.twilio.com"),
        (
            TwilioOutbound("acme.pstn.ashburn.twilio.com", "acme", PASSWORD),
            "acme.pstn.ashburn.twilio.com",
        ),
        (
            PlivoOutbound("21784177143046.zt.plivo.com", "acmeuser", PASSWORD),
            "21784177143046.zt.plivo.com",
        ),
        (
            WavixOutbound(auth_username="12345", auth_password=PASSWORD, country="gb"),
            "gb.wavix.net",
        ),
    ],
)
def test_preset_args_are_a_valid_outbound_trunk(preset: Any, address: str) -> None:
    args = preset.outbound_trunk_args(["+15105550100"], name="out")
    values = to_plain(args)
    assert values["address"] == address
    spec = validate_spec(SipOutboundTrunkSpec, values)
    assert spec.auth_password.get_secret_value() == PASSWORD


def test_telnyx_sends_username_header() -> None:
    args = TelnyxOutbound(auth_username="acme", auth_password=PASSWORD).outbound_trunk_args(
        ["+15105550100"]
    )
    assert args.headers == {"X-Telnyx-Username": "acme"}


def test_preset_pins_india_numbers() -> None:
    preset = TelnyxOutbound(auth_username="acme", auth_password=PASSWORD)
    assert preset.outbound_trunk_args(["+919876543210"]).destination_country == "in"
    assert preset.outbound_trunk_args(["+15105550100"]).destination_country is None


# --- region pinning -------------------------------------------------------------------------


def line(**kwargs: Any) -> AgentPhoneLineArgs:
    return AgentPhoneLineArgs(**{"numbers": ["+15105550100"], "agent_name": "a", **kwargs})


@pytest.mark.parametrize(
    ("numbers", "expected"),
    [
        (["+15105550100"], None),
        (["+442071838750"], None),
        (["+919876543210"], ("india", "in")),
        (["+15105550100", "+919876543210"], ("india", "in")),
        (["+919876543210", object()], ("india", "in")),  # Outputs are skipped
        (["*"], None),
    ],
)
def test_required_region_pin(numbers: list[Any], expected: tuple[str, str] | None) -> None:
    pin = required_region_pin(numbers)
    assert (None if pin is None else (pin.inbound_region, pin.destination_country)) == expected


def test_pinning_derived_from_numbers() -> None:
    assert _pinning(line(numbers=["+919876543210"])) == ("india", "in")
    assert _pinning(line()) == (None, None)


def test_pinning_explicit_for_other_numbers() -> None:
    assert _pinning(line(region="eu", destination_country="de")) == ("eu", "de")


def test_pinning_refuses_conflicting_region() -> None:
    with pytest.raises(SpecError) as info:
        _pinning(line(numbers=["+919876543210"], region="eu"))
    assert info.value.problems[0][0] == "region"
    assert "india" in info.value.problems[0][1]


def test_pinning_refuses_conflicting_country() -> None:
    with pytest.raises(SpecError) as info:
        _pinning(line(numbers=["+919876543210"], destination_country="us"))
    assert info.value.problems[0][0] == "destination_country"


def test_pinning_refuses_bad_region_name() -> None:
    with pytest.raises(SpecError):
        _pinning(line(region="EU-West"))


@pytest.mark.parametrize(("region", "hint"), [("mars", "regions eu, india"), ("EU", "write 'eu'")])
def test_pinning_refuses_a_region_without_an_endpoint(region: str, hint: str) -> None:
    # 'mars' would give the sip_uri '<subdomain>.mars.sip.livekit.cloud', a host that does not
    # exist: the provider's calls would go nowhere.
    with pytest.raises(SpecError) as info:
        _pinning(line(region=region))
    [problem] = info.value.details
    assert (problem.field, problem.code) == ("region", "sip_region")
    assert hint in problem.message and "does not exist" in problem.message


@pytest.mark.parametrize("region", ["eu", "india", "sa", "us", "aus", "uk"])
def test_pinning_takes_every_sip_region(region: str) -> None:
    assert _pinning(line(region=region)) == (region, None)


@pytest.mark.parametrize(
    ("subdomain", "region", "host"),
    [
        ("1x2y3z4abc", None, "1x2y3z4abc.sip.livekit.cloud"),
        ("1x2y3z4abc", "india", "1x2y3z4abc.india.sip.livekit.cloud"),
    ],
)
def test_inbound_sip_host(subdomain: str, region: str | None, host: str) -> None:
    assert inbound_sip_host(subdomain, region) == host


def test_inbound_sip_host_refuses_full_host() -> None:
    with pytest.raises(SpecError) as info:
        inbound_sip_host("1x2y3z4abc.sip.livekit.cloud")
    assert info.value.problems[0][0] == "sip_subdomain"
