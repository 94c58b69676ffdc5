"""Bad input, case by case: what check() reports (and on which property), and what the program
side refuses before the engine sees a resource (InputError, a pulumi.RunError). Under Pulumi's
mocks; the same cases through the real engine are in tests/e2e/test_bad_input_corpus.py."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pulumi
import pytest
from livekit_sip_pulumi import (
    AgentPhoneLine,
    AgentPhoneLineArgs,
    InputError,
    PlivoOutbound,
    ProviderOutboundTrunk,
    SipDispatchRule,
    SipDispatchRuleIndividualArgs,
    SipInboundTrunk,
    SipInboundTrunkArgs,
    SipOutboundTrunk,
    SipOutboundTrunkArgs,
    SpecError,
    TelnyxOutbound,
    TwilioOutbound,
    WavixOutbound,
)
from livekit_sip_pulumi.providers import (
    MAX_FAILURES,
    SipDispatchRuleProvider,
    SipInboundTrunkProvider,
    SipOutboundTrunkProvider,
)

from .test_resources import Mocks
from .test_specs import DISPATCH_OK, OUTBOUND_OK, SECRET, with_

NUMBER = "+15105550100"


def failures(provider: Any, news: dict[str, Any]) -> list[tuple[str, str]]:
    return [(f.property, f.reason) for f in provider.check({}, news).failures]


# --- check(): what the engine is told ---------------------------------------------------------


def test_one_bad_number_among_ten_thousand_is_reported_alone() -> None:
    numbers = [f"+1510555{i:04d}" for i in range(9999)] + ["+1510x"]
    [(prop, reason)] = failures(SipInboundTrunkProvider(), {"numbers": numbers})
    assert prop == ""  # the engine would print the property's 10,000 values
    assert reason.startswith("numbers[9999]: '+1510x' is not a possible phone number")
    assert "inbound-trunk" in reason and len(reason) < 400


def test_a_small_list_is_still_reported_on_its_property() -> None:
    [(prop, reason)] = failures(SipInboundTrunkProvider(), {"numbers": [NUMBER, "5105550100"]})
    assert prop == "numbers" and reason.startswith("numbers[1]:")


def test_a_long_string_is_reported_on_no_property() -> None:
    [(prop, reason)] = failures(
        SipOutboundTrunkProvider(), with_(OUTBOUND_OK, metadata="x" * 5000 + "\x00")
    )
    assert prop == "" and len(reason) < 400


def test_failures_are_capped() -> None:
    numbers = [f"5105550{i:03d}" for i in range(100)]
    found = failures(SipInboundTrunkProvider(), {"numbers": numbers})
    assert len(found) == MAX_FAILURES + 1
    assert found[-1] == ("", found[-1][1])
    assert "and 80 more problems" in found[-1][1]


@pytest.mark.parametrize(
    ("provider", "adopt_id", "fragment"),
    [
        (SipInboundTrunkProvider(), 123.0, "'123' (a int)"),
        (SipInboundTrunkProvider(), "SDR_abc", "'ST_'"),
        (SipDispatchRuleProvider(), "ST_abc", "'SDR_'"),
        (SipOutboundTrunkProvider(), "ST_abc\n", "'ST_abc\\n'"),
        (SipOutboundTrunkProvider(), ["ST_abc"], "a list"),
    ],
)
def test_adopt_id_must_be_an_id_string(provider: Any, adopt_id: Any, fragment: str) -> None:
    base = {
        SipInboundTrunkProvider: {"numbers": [NUMBER]},
        SipOutboundTrunkProvider: OUTBOUND_OK,
        SipDispatchRuleProvider: DISPATCH_OK,
    }[type(provider)]
    [(prop, reason)] = failures(provider, with_(base, adopt_id=adopt_id))
    assert prop == ("" if "\n" in str(adopt_id) else "adopt_id")
    assert reason.startswith("adopt_id: ")
    assert fragment in reason and "https://docs.livekit.io/" in reason


def test_a_valid_adopt_id_passes() -> None:
    assert failures(SipInboundTrunkProvider(), {"numbers": [NUMBER], "adopt_id": "ST_abc"}) == []
    assert failures(SipDispatchRuleProvider(), with_(DISPATCH_OK, adopt_id="SDR_x1")) == []


def test_a_bad_password_is_reported_on_no_property_and_not_echoed() -> None:
    found = failures(SipOutboundTrunkProvider(), with_(OUTBOUND_OK, auth_password=SECRET + "\x00"))
    assert found and all(prop == "" for prop, _ in found)
    assert all(SECRET not in reason for _, reason in found)


# --- the program side ----------------------------------------------------------------------------


@pytest.fixture
def mocks() -> Iterator[Mocks]:
    m = Mocks()
    pulumi.runtime.set_mocks(m, preview=False)
    yield m


def refused(factory: Any) -> InputError:
    with pytest.raises(InputError) as info:
        factory()
    error = info.value
    assert isinstance(error, pulumi.RunError)  # shown by the SDK without a traceback
    assert isinstance(error, SpecError)
    assert "https://docs.livekit.io/" in str(error)
    return error


PROGRAM_REJECTS = [
    # (case, factory, resource named in the message, field, error type)
    ("unknown_kwarg", lambda: SipInboundTrunk("a", numbrs=[NUMBER]),
     "SipInboundTrunk 'a'", "numbrs", "arguments"),
    ("args_as_dict", lambda: SipInboundTrunk("a", {"numbers": [NUMBER]}),
     "SipInboundTrunk 'a'", "args", "arguments"),
    ("args_other_class", lambda: SipInboundTrunk("a", SipOutboundTrunkArgs(numbers=[NUMBER])),
     "SipInboundTrunk 'a'", "args", "arguments"),
    ("numbers_set", lambda: SipInboundTrunk("a", numbers={NUMBER, "+15105550101"}),
     "SipInboundTrunk 'a'", "numbers", "list_type"),
    ("metadata_lone_surrogate", lambda: SipInboundTrunk("a", numbers=[NUMBER], metadata="\udc80"),
     "SipInboundTrunk 'a'", "metadata", "string_unencodable"),
    ("header_key_lone_surrogate",
     lambda: SipInboundTrunk("a", numbers=[NUMBER], headers={"X-\udc80": "v"}),
     "SipInboundTrunk 'a'", "headers (a key)", "string_unencodable"),
    ("nested_surrogate",
     lambda: SipDispatchRule("r", rule=SipDispatchRuleIndividualArgs(room_prefix="\ud800")),
     "SipDispatchRule 'r'", "rule.room_prefix", "string_unencodable"),
    ("object_value", lambda: SipInboundTrunk("a", numbers=[object()]),
     "SipInboundTrunk 'a'", "numbers[0]", "invalid_type"),
    ("bytes_value", lambda: SipOutboundTrunk("o", address=b"sip.telnyx.com", numbers=[NUMBER]),
     "SipOutboundTrunk 'o'", "address", "invalid_type"),
    ("telnyx_empty_user", lambda: TelnyxOutbound(auth_username="", auth_password="pw"),
     "TelnyxOutbound", "auth_username", "preset"),
    ("telnyx_host_number", lambda: TelnyxOutbound(auth_username="u", auth_password="p", host=5),
     "TelnyxOutbound", "host", "string_type"),
    ("twilio_sip_uri",
     lambda: TwilioOutbound("sip:acme.pstn.twilio.com", auth_username="u", auth_password="p"),
     "TwilioOutbound", "termination_uri", "preset"),
    ("plivo_password", lambda: PlivoOutbound("abc.zt.plivo.com", "user1", "nospecial"),
     "PlivoOutbound", "auth_password", "preset"),
    ("wavix_full_width_user",
     lambda: WavixOutbound(auth_username="\uff11\uff12\uff13\uff14\uff15", auth_password="p"),
     "WavixOutbound", "auth_username", "preset"),
    ("line_numbers_string",
     lambda: AgentPhoneLine("l", AgentPhoneLineArgs(numbers=NUMBER, agent_name="a")),
     "AgentPhoneLine 'l'", "numbers", "list_type"),
    ("line_numbers_set",
     lambda: AgentPhoneLine("l", AgentPhoneLineArgs(numbers={NUMBER}, agent_name="a")),  # type: ignore[arg-type]
     "AgentPhoneLine 'l'", "numbers", "list_type"),
    ("line_args_dict",
     lambda: AgentPhoneLine("l", {"numbers": [NUMBER], "agent_name": "a"}),  # type: ignore[arg-type]
     "AgentPhoneLine 'l'", "args", "arguments"),
    ("line_region",
     lambda: AgentPhoneLine(
         "l", AgentPhoneLineArgs(numbers=["+919876543210"], agent_name="a", region="eu")),
     "AgentPhoneLine 'l'", "region", "invalid"),
    ("line_region_name",
     lambda: AgentPhoneLine("l", AgentPhoneLineArgs(numbers=[NUMBER], agent_name="a",
                                                    region="EU-West")),
     "AgentPhoneLine 'l'", "region", "sip_region"),
    ("line_region_without_endpoint",
     lambda: AgentPhoneLine("l", AgentPhoneLineArgs(numbers=[NUMBER], agent_name="a",
                                                    region="mars")),
     "AgentPhoneLine 'l'", "region", "sip_region"),
    ("line_subdomain",
     lambda: AgentPhoneLine("l", AgentPhoneLineArgs(numbers=[NUMBER], agent_name="a",
                                                    sip_subdomain="x.sip.livekit.cloud")),
     "AgentPhoneLine 'l'", "sip_subdomain", "invalid"),
    ("line_outbound_not_a_preset",
     lambda: AgentPhoneLine("l", AgentPhoneLineArgs(numbers=[NUMBER], agent_name="a",
                                                    outbound="telnyx")),  # type: ignore[arg-type]
     "AgentPhoneLine 'l'", "outbound", "arguments"),
    ("provider_trunk_numbers_string",
     lambda: ProviderOutboundTrunk("p", TwilioOutbound("a.pstn.twilio.com", "u", "p"), NUMBER),
     "ProviderOutboundTrunk 'p'", "numbers", "list_type"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "factory", "resource", "field", "code"),
    PROGRAM_REJECTS,
    ids=[row[0] for row in PROGRAM_REJECTS],
)
def test_program_rejects(
    mocks: Mocks, case: str, factory: Any, resource: str, field: str, code: str
) -> None:
    error = refused(factory)
    assert str(error).startswith(resource), case
    assert (field, code) in [(p.field, p.code) for p in error.details], (case, error.details)
    assert not mocks.resources, "nothing is registered for a refused resource"


def test_provider_trunk_with_one_region_of_numbers_is_fine(mocks: Mocks) -> None:
    ProviderOutboundTrunk("p", TwilioOutbound("a.pstn.twilio.com", "u", "p"), [NUMBER])


def test_unknown_kwarg_suggests_the_field(mocks: Mocks) -> None:
    error = refused(lambda: SipDispatchRule("r", trunk_id=["ST_a"]))
    assert "did you mean trunk_ids?" in str(error)


# --- duplicates ------------------------------------------------------------------------------


def test_same_explicit_name_same_kind_is_refused_naming_both(mocks: Mocks) -> None:
    SipInboundTrunk("a", numbers=[NUMBER], name="support")
    error = refused(lambda: SipInboundTrunk("b", numbers=["+15105550101"], name="support"))
    assert str(error).startswith("SipInboundTrunk 'b'")
    assert "SipInboundTrunk 'a'" in str(error)
    assert [p.code for p in error.details] == ["duplicate_name"]


def test_same_name_in_args_and_kwargs_forms(mocks: Mocks) -> None:
    SipInboundTrunk("a", SipInboundTrunkArgs(numbers=[NUMBER], name="support"))
    refused(lambda: SipInboundTrunk("b", numbers=["+15105550101"], name="support"))


def test_same_name_different_kinds_is_fine(mocks: Mocks) -> None:
    SipInboundTrunk("a", numbers=[NUMBER], name="support")
    SipOutboundTrunk("b", address="sip.telnyx.com", numbers=[NUMBER], name="support")
    SipDispatchRule("c", rule={"dispatch_rule_individual": {}}, name="support")


def test_default_names_are_not_compared(mocks: Mocks) -> None:
    # Default names belong to the resource names, which Pulumi already keeps unique per type.
    SipInboundTrunk("a", numbers=[NUMBER])
    SipInboundTrunk("b", numbers=["+15105550101"], name="")
    SipInboundTrunk("c", numbers=["+15105550102"], name="")


def test_same_adopt_id_is_refused_across_kinds(mocks: Mocks) -> None:
    SipInboundTrunk("a", numbers=[NUMBER], adopt_id="ST_abc")
    error = refused(
        lambda: SipOutboundTrunk("b", address="sip.telnyx.com", numbers=[NUMBER], adopt_id="ST_abc")
    )
    assert "SipInboundTrunk 'a'" in str(error)
    assert [p.code for p in error.details] == ["duplicate_adopt_id"]


def test_the_registry_belongs_to_one_run() -> None:
    pulumi.runtime.set_mocks(Mocks(), preview=False)
    SipInboundTrunk("a", numbers=[NUMBER], name="support", adopt_id="ST_abc")
    pulumi.runtime.set_mocks(Mocks(), preview=False)  # a new run: a new monitor
    SipInboundTrunk("b", numbers=[NUMBER], name="support", adopt_id="ST_abc")


def test_a_value_with_control_characters_is_reported_on_no_property() -> None:
    # The engine would print the raw CR/LF of the property's value, breaking its own line.
    found = failures(
        SipOutboundTrunkProvider(), with_(OUTBOUND_OK, headers={"X-A": "a\r\nVia: evil"})
    )
    assert found == [("", found[0][1])]
    assert "\\r" in found[0][1] and "\r" not in found[0][1]
