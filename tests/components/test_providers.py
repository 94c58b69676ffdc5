"""Provider check() and diff() on plain dicts, as the engine sends them (no engine, no server)."""

from __future__ import annotations

import copy
import pickle
from typing import Any

import pytest
from livekit_sip_pulumi.providers import (
    SipDispatchRuleProvider,
    SipInboundTrunkProvider,
    SipOutboundTrunkProvider,
)
from livekit_sip_pulumi.specs import SipDispatchRuleSpec, SipOutboundTrunkSpec, validate_spec
from pulumi.output import Unknown

from .test_specs import DISPATCH_OK, OUTBOUND_OK, SECRET, with_


def failures(provider: Any, news: dict[str, Any]) -> list[tuple[str, str]]:
    result = provider.check({}, news)
    return [(f.property, f.reason) for f in result.failures]


# --- check ----------------------------------------------------------------------------------------


def test_outbound_check_passes_baseline() -> None:
    assert failures(SipOutboundTrunkProvider(), dict(OUTBOUND_OK)) == []


def test_outbound_check_reports_field_and_docs() -> None:
    found = failures(SipOutboundTrunkProvider(), with_(OUTBOUND_OK, address="sip:x@telnyx.com"))
    assert [f for f, _ in found] == ["address"]
    assert "outbound-trunk" in found[0][1]


def test_outbound_check_never_names_or_echoes_the_password() -> None:
    found = failures(SipOutboundTrunkProvider(), with_(OUTBOUND_OK, auth_username=""))
    assert found
    assert all(prop != "auth_password" for prop, _ in found)
    assert all(SECRET not in reason for _, reason in found)


def test_outbound_check_tolerates_unknowns() -> None:
    news = with_(OUTBOUND_OK, numbers=Unknown(), address=Unknown(), auth_password=Unknown())
    assert failures(SipOutboundTrunkProvider(), news) == []


def test_outbound_check_tolerates_unknown_list_element() -> None:
    news = with_(OUTBOUND_OK, numbers=["+15105550100", Unknown()])
    assert failures(SipOutboundTrunkProvider(), news) == []


def test_outbound_check_none_means_default() -> None:
    news = with_(OUTBOUND_OK, from_host=None, headers=None, transport=None)
    assert failures(SipOutboundTrunkProvider(), news) == []


def test_dispatch_check_passes_baseline() -> None:
    assert failures(SipDispatchRuleProvider(), dict(DISPATCH_OK)) == []


def test_dispatch_check_reports_nested_field_on_top_property() -> None:
    news = with_(DISPATCH_OK, rule={"dispatch_rule_direct": {"room_name": "r", "pin": "12ab"}})
    found = failures(SipDispatchRuleProvider(), news)
    assert [f for f, _ in found] == ["rule"]
    assert found[0][1].startswith("rule.dispatch_rule_direct.pin:")


def test_dispatch_check_tolerates_unknown_trunk_ids() -> None:
    # At preview the trunk does not exist yet: its ID is unknown.
    news = with_(DISPATCH_OK, trunk_ids=[Unknown()])
    assert failures(SipDispatchRuleProvider(), news) == []


def test_dispatch_check_tolerates_unknown_inside_nested_rule() -> None:
    news = with_(
        DISPATCH_OK,
        rule={"dispatch_rule_individual": {"room_prefix": Unknown()}},
        room_config={"agents": [{"agent_name": Unknown()}]},
    )
    assert failures(SipDispatchRuleProvider(), news) == []


def test_dispatch_check_missing_rule() -> None:
    found = failures(SipDispatchRuleProvider(), with_(DISPATCH_OK, rule=None))
    assert [f for f, _ in found] == ["rule"]


def test_dispatch_check_floats_from_engine() -> None:
    news = with_(
        DISPATCH_OK,
        room_config={
            "empty_timeout": 30.0,
            "max_participants": 2.0,
            "agents": [{"agent_name": "a"}],
        },
    )
    assert failures(SipDispatchRuleProvider(), news) == []


def test_dispatch_check_adopt_id_prefix() -> None:
    found = failures(SipDispatchRuleProvider(), with_(DISPATCH_OK, adopt_id="ST_abc"))
    assert found and found[0][0] == "adopt_id" and "SDR_" in found[0][1]
    assert failures(SipDispatchRuleProvider(), with_(DISPATCH_OK, adopt_id="SDR_abc")) == []


def test_check_ignores_provider_and_output_keys() -> None:
    news = with_(OUTBOUND_OK, __provider="blob", sip_trunk_id=None, adopt_id=None)
    assert failures(SipOutboundTrunkProvider(), news) == []


# --- diff ---------------------------------------------------------------------------------------


def outputs(spec_class: Any, values: dict[str, Any], object_id: str) -> dict[str, Any]:
    # As SipProviderBase._outputs builds them: the inputs, overlaid with what the server says.
    outs = dict(values)
    outs.update(validate_spec(spec_class, values).outputs())
    outs["sip_trunk_id" if spec_class is SipOutboundTrunkSpec else "sip_dispatch_rule_id"] = (
        object_id
    )
    outs["__provider"] = "old-blob"
    return outs


@pytest.mark.parametrize(
    ("provider", "spec_class", "base", "object_id"),
    [
        (SipOutboundTrunkProvider(), SipOutboundTrunkSpec, OUTBOUND_OK, "ST_1"),
        (SipDispatchRuleProvider(), SipDispatchRuleSpec, DISPATCH_OK, "SDR_1"),
    ],
)
def test_diff_no_change_ignores_provider_blob(
    provider: Any, spec_class: Any, base: dict[str, Any], object_id: str
) -> None:
    olds = outputs(spec_class, base, object_id)
    news = dict(base, __provider="new-blob")
    result = provider.diff(object_id, olds, news)
    assert result.changes is False
    assert result.replaces == []


def test_diff_outbound_change_is_in_place_update() -> None:
    olds = outputs(SipOutboundTrunkSpec, OUTBOUND_OK, "ST_1")
    result = SipOutboundTrunkProvider().diff(
        "ST_1", olds, with_(OUTBOUND_OK, address="sip-eu.telnyx.com")
    )
    assert result.changes is True
    assert result.replaces == []  # IDs never change: dispatch rules keep pointing at the trunk


def test_diff_outbound_password_change_detected() -> None:
    olds = outputs(SipOutboundTrunkSpec, OUTBOUND_OK, "ST_1")
    result = SipOutboundTrunkProvider().diff(
        "ST_1", olds, with_(OUTBOUND_OK, auth_password="other-pass!")
    )
    assert result.changes is True


def test_diff_dispatch_nested_change_detected() -> None:
    olds = outputs(SipDispatchRuleSpec, DISPATCH_OK, "SDR_1")
    news = with_(DISPATCH_OK, room_config={"agents": [{"agent_name": "other-agent"}]})
    result = SipDispatchRuleProvider().diff("SDR_1", olds, news)
    assert result.changes is True and result.replaces == []


def test_diff_dispatch_defaults_equal_explicit_defaults() -> None:
    olds = outputs(SipDispatchRuleSpec, DISPATCH_OK, "SDR_1")
    news = with_(
        DISPATCH_OK,
        rule={
            "dispatch_rule_individual": {"room_prefix": "call-", "pin": "", "no_randomness": False}
        },
        hide_phone_number=False,
        room_config={
            "agents": [{"agent_name": "support-agent", "metadata": ""}],
            "empty_timeout": 0.0,
        },
    )
    assert SipDispatchRuleProvider().diff("SDR_1", olds, news).changes is False


def test_diff_recorded_nested_nulls_dropped_is_no_change() -> None:
    """The engine records ``media`` without its null ``media_timeout``: not a change."""
    media = {"codecs": [], "encryption": "SIP_MEDIA_ENCRYPT_ALLOW", "only_listed_codecs": False}
    base = with_(DISPATCH_OK, media=media, media_encryption="SIP_MEDIA_ENCRYPT_ALLOW")
    olds = outputs(SipDispatchRuleSpec, base, "SDR_1")
    assert olds["media"]["media_timeout"] is None
    olds["media"] = {k: v for k, v in olds["media"].items() if v is not None}
    assert SipDispatchRuleProvider().diff("SDR_1", olds, base).changes is False
    longer = with_(base, media={**media, "media_timeout": 30})
    assert SipDispatchRuleProvider().diff("SDR_1", olds, longer).changes is True


def test_diff_unknown_input_is_a_change() -> None:
    olds = outputs(SipDispatchRuleSpec, DISPATCH_OK, "SDR_1")
    news = with_(DISPATCH_OK, trunk_ids=[Unknown()])
    assert SipDispatchRuleProvider().diff("SDR_1", olds, news).changes is True


def test_diff_adopt_id_alone_is_no_change() -> None:
    olds = outputs(SipOutboundTrunkSpec, OUTBOUND_OK, "ST_1")
    news = with_(OUTBOUND_OK, adopt_id="ST_other")
    assert SipOutboundTrunkProvider().diff("ST_1", olds, news).changes is False


def without(outs: dict[str, Any], *path: Any) -> dict[str, Any]:
    """``outs`` with the key at ``path`` removed (state written before that field existed)."""
    older = copy.deepcopy(outs)
    node: Any = older
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    return older


@pytest.mark.parametrize(
    "path",
    [
        ("hide_phone_number",),
        ("media",),
        ("room_config", "sync_streams"),
        ("room_config", "agents", 0, "metadata"),
        ("rule", "dispatch_rule_individual", "no_randomness"),
    ],
)
def test_diff_field_missing_from_older_state_is_its_default(path: tuple[Any, ...]) -> None:
    olds = without(outputs(SipDispatchRuleSpec, DISPATCH_OK, "SDR_1"), *path)
    assert SipDispatchRuleProvider().diff("SDR_1", olds, with_(DISPATCH_OK)).changes is False


def test_diff_field_missing_from_older_state_differs_from_a_declared_value() -> None:
    olds = outputs(SipDispatchRuleSpec, DISPATCH_OK, "SDR_1")
    olds = without(olds, "room_config", "sync_streams")
    config = {"agents": [{"agent_name": "support-agent"}], "sync_streams": True}
    news = with_(DISPATCH_OK, room_config=config)
    assert SipDispatchRuleProvider().diff("SDR_1", olds, news).changes is True
    olds = without(outputs(SipDispatchRuleSpec, DISPATCH_OK, "SDR_1"), "krisp_enabled")
    assert SipDispatchRuleProvider().diff("SDR_1", olds, with_(DISPATCH_OK)).changes is True


# --- pickling ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "provider_class",
    [SipInboundTrunkProvider, SipOutboundTrunkProvider, SipDispatchRuleProvider],
)
def test_providers_pickle_by_reference_without_state(provider_class: type) -> None:
    provider = provider_class()
    provider._settings = object()  # credentials read in configure() must never be pickled
    blob = pickle.dumps(provider)
    assert provider_class.__module__.encode() in blob
    assert b"_settings" not in blob
    assert type(pickle.loads(blob)) is provider_class
