"""The core package: its place at the bottom, and the facts both halves read from it."""

from __future__ import annotations

import subprocess
import sys

import livekit_sip_core as core
import pytest
from livekit_sip_core import ErrorType, Invalid
from livekit_sip_policies import rule
from livekit_sip_pulumi import (
    PlivoOutbound,
    SipDispatchRule,
    SipInboundTrunk,
    SipOutboundTrunk,
    TelnyxOutbound,
    TwilioOutbound,
    WavixOutbound,
    presets,
    specs,
)


def test_core_imports_neither_pulumi_nor_pydantic() -> None:
    probe = (
        "import sys, livekit_sip_core\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & "
        "{'pulumi', 'pulumi_policy', 'pydantic', 'pydantic_core', 'livekit', "
        "'livekit_sip_pulumi', 'livekit_sip_policies'})\n"
        "print(heavy)\n"
    )
    ran = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert ran.stdout.strip() == "[]"


def test_type_tokens_are_the_resources_own() -> None:
    tokens = {
        f"pulumi-python:{cls._resource_type_name}"
        for cls in (SipInboundTrunk, SipOutboundTrunk, SipDispatchRule)
    }
    assert tokens == {core.INBOUND_TRUNK_TYPE, core.OUTBOUND_TRUNK_TYPE, core.DISPATCH_RULE_TYPE}
    assert rule.RESOURCE_TYPES == (
        core.INBOUND_TRUNK_TYPE,
        core.OUTBOUND_TRUNK_TYPE,
        core.DISPATCH_RULE_TYPE,
    )
    assert f"{presets.COMPONENT_PACKAGE}:" == rule.COMPONENT_TYPE_PREFIX


def test_one_definition_each() -> None:
    # The components re-export the core's objects; they do not hold copies.
    assert specs.ErrorType is ErrorType
    assert specs.canonical_e164 is core.canonical_e164
    assert specs.is_livekit_id is core.is_livekit_id
    assert specs.TRUNK_ID_PREFIX is core.TRUNK_ID_PREFIX
    assert presets.REQUIRED_REGION_PINS is core.REQUIRED_REGION_PINS
    assert TelnyxOutbound.HOSTS is core.TELNYX_HOSTS
    docs = {p.name: p.docs_url for p in core.PROVIDERS}
    for preset in (TelnyxOutbound, TwilioOutbound, PlivoOutbound, WavixOutbound):
        assert preset.docs_url == docs[preset.provider]


@pytest.mark.parametrize(
    ("address", "host"),
    [
        ("sip.telnyx.com", "sip.telnyx.com"),
        ("SIP.Telnyx.com.:5061", "sip.telnyx.com"),
        ("[2001:DB8::1]:5060", "2001:db8::1"),
        # not a port: '\d' would take the Arabic-Indic digits, the core does not
        ("sip.telnyx.com:\u0665\u0660\u0666\u0660", "sip.telnyx.com:\u0665\u0660\u0666\u0660"),
        ("[2001:db8::1", "[2001:db8::1"),
    ],
)
def test_host_of(address: str, host: str) -> None:
    assert core.host_of(address) == host


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("+15105550100", None),
        ("15105550100", ErrorType.E164_PLUS),
        ("+1234", ErrorType.E164_IMPOSSIBLE),
        ("+1 510 555 0100", ErrorType.E164_NOT_STRICT),
        ("\uff0b15105550100", ErrorType.E164_PLUS),
        ("+15105550100\n", ErrorType.E164_NOT_STRICT),
    ],
)
def test_e164_problem_codes(value: str, code: str | None) -> None:
    problem = core.e164_problem(value)
    assert (problem.code if problem else None) == code


def test_problems_are_plain() -> None:
    problem = core.pin_problem("12a")
    assert isinstance(problem, Invalid) and problem.code == ErrorType.PIN_DIGITS
    assert core.pin_problem("") is None and core.pin_problem("0042") is None


@pytest.mark.parametrize(
    ("value", "fix"), [("uk", "gb"), (" US ", "us"), ("us", "us"), ("nl", None), ("", None)]
)
def test_country_fix(value: str, fix: str | None) -> None:
    assert core.country_fix(value) == fix


def test_region_pin_prefix() -> None:
    assert core.REQUIRED_REGION_PINS["IN"].calling_code == "+91"
    assert core.region_pin_of("+919876543210") is core.REQUIRED_REGION_PINS["IN"]
    assert core.region_pin_of("919876543210") is None


def test_enums_and_rule_kinds_are_defined_once() -> None:
    # The components' enums are the core's; the names the pack checks are derived from them.
    assert specs.SipMediaEncryption is core.SipMediaEncryption
    assert specs.SipTransport is core.SipTransport
    assert specs.SipHeaderOptions is core.SipHeaderOptions
    assert tuple(core.SipTransport.__members__) == core.TRANSPORTS
    # The dispatch rule's kinds: the components, the pack and the simulator read one tuple.
    from livekit_sip_policies import dispatch, routing
    from livekit_sip_pulumi import resources

    assert dispatch.RULE_KINDS is core.DISPATCH_RULE_KINDS
    assert routing._KINDS is core.DISPATCH_RULE_KINDS
    assert specs._RULE_KINDS is core.DISPATCH_RULE_KINDS
    assert [
        resources.SipDispatchRuleDirectArgs.rule_key,
        resources.SipDispatchRuleIndividualArgs.rule_key,
        resources.SipDispatchRuleCalleeArgs.rule_key,
    ] == list(core.DISPATCH_RULE_KINDS)


def test_the_password_field_is_named_once() -> None:
    from livekit_sip_policies import server_values

    assert core.PASSWORD_FIELD in specs.SipInboundTrunkSpec.model_fields
    assert core.PASSWORD_FIELD in specs.SipOutboundTrunkSpec.model_fields
    assert frozenset({core.PASSWORD_FIELD}) == server_values.SECRET_FIELDS


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("support-line", "support-line"),
        ("\x1b[2J\x1b[31mEVIL\nFAKE LINE", r"\x1b[2J\x1b[31mEVIL\nFAKE LINE"),
        ("bell\x07 cr\r tab\t del\x7f", r"bell\x07 cr\r tab\t del\x7f"),
        ("a\u2028b\u202ec\x85", r"a\u2028b\u202ec\x85"),
        ("lone \ud800", r"lone \ud800"),
        ("[bold red]markup[/bold red] 'quoted' café", "[bold red]markup[/bold red] 'quoted' café"),
    ],
)
def test_printable_escapes_what_a_terminal_would_obey(text: str, shown: str) -> None:
    assert core.printable(text) == shown
    assert core.quote(text, limit=200) == f"'{shown}'"  # one escaping for both
