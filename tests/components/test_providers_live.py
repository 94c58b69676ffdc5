"""The providers against a real LiveKit server: create/read/update/delete, no engine.

Credentials reach the providers only through ``configure()``, as the engine passes them.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pytest
from livekit.api.twirp_client import ServerErrorCode
from livekit_sip_pulumi import LiveKitApiError
from livekit_sip_pulumi.providers import (
    SipDispatchRuleProvider,
    SipInboundTrunkProvider,
    SipOutboundTrunkProvider,
    SipProviderBase,
)
from pulumi.dynamic import ConfigureRequest
from pulumi.dynamic.config import Config

PASSWORD = "outbound-Pa55word!"


@pytest.fixture(scope="module")
def livekit_env(livekit: Any) -> dict[str, str]:
    """The suite's real server (tests/conftest.py starts it on free loopback ports)."""
    return {
        "LIVEKIT_URL": livekit.url,
        "LIVEKIT_API_KEY": livekit.api_key,
        "LIVEKIT_API_SECRET": livekit.api_secret,
    }


def configured(provider: SipProviderBase, env: dict[str, str], **overrides: str) -> Any:
    config = {
        "livekit:url": env["LIVEKIT_URL"],
        "livekit:apiKey": env["LIVEKIT_API_KEY"],
        "livekit:apiSecret": env["LIVEKIT_API_SECRET"],
        **overrides,
    }
    provider.configure(ConfigureRequest(Config(config, "lksp-tests")))
    return provider


def unique_number() -> str:
    return f"+1510555{random.randint(0, 9999):04d}"


class Tracker:
    """Deletes what a test created, even when it fails."""

    def __init__(self) -> None:
        self.created: list[tuple[SipProviderBase, str]] = []

    def create(self, provider: SipProviderBase, props: dict[str, Any]) -> tuple[str, dict]:
        result = provider.create(props)
        self.created.append((provider, result.id))
        return result.id, result.outs


@pytest.fixture
def tracker() -> Iterator[Tracker]:
    t = Tracker()
    yield t
    for provider, object_id in reversed(t.created):
        provider.delete(object_id, {})


def outbound_props(**changes: Any) -> dict[str, Any]:
    props: dict[str, Any] = {
        "name": "lksp-live-outbound",
        "address": "sip.telnyx.com",
        "numbers": [unique_number()],
        "auth_username": "acme",
        "auth_password": PASSWORD,
        "destination_country": "us",
        "transport": "SIP_TRANSPORT_TLS",
        "headers": {"X-Telnyx-Username": "acme"},
        "adopt_id": None,
    }
    props.update(changes)
    return props


def test_outbound_trunk_lifecycle(livekit_env: dict[str, str], tracker: Tracker) -> None:
    provider = configured(SipOutboundTrunkProvider(), livekit_env)
    props = outbound_props()
    trunk_id, outs = tracker.create(provider, props)
    assert trunk_id.startswith("ST_")
    assert outs["sip_trunk_id"] == trunk_id
    assert outs["transport"] == "SIP_TRANSPORT_TLS"
    # The outputs keep a keyed, salted digest of the password, never the password itself.
    assert outs["auth_password"].startswith("hmac_sha256:")
    assert PASSWORD not in str(outs)
    assert provider.diff(trunk_id, outs, outbound_props(auth_password="other")).changes is True

    # What the server returns is what we declared: no perpetual diff.
    assert provider.diff(trunk_id, outs, dict(props)).changes is False
    read = provider.read(trunk_id, outs)
    assert read.id == trunk_id
    assert provider.diff(trunk_id, read.outs, dict(props)).changes is False

    # Update is in place: same ID, new values, omitted fields cleared (replace form).
    news = outbound_props(address="sip-eu.telnyx.com", numbers=props["numbers"], headers=None)
    assert provider.diff(trunk_id, outs, news).replaces == []
    updated = provider.update(trunk_id, outs, news)
    assert updated.outs["sip_trunk_id"] == trunk_id
    assert updated.outs["address"] == "sip-eu.telnyx.com"
    assert updated.outs["headers"] == {}
    read = provider.read(trunk_id, updated.outs)
    assert read.id == trunk_id and read.outs["address"] == "sip-eu.telnyx.com"

    # Deleted -> read says gone; deleting again succeeds.
    provider.delete(trunk_id, updated.outs)
    gone = provider.read(trunk_id, updated.outs)
    assert gone.id is None and gone.outs == {}
    provider.delete(trunk_id, updated.outs)


def test_dispatch_rule_lifecycle_pointing_at_a_trunk(
    livekit_env: dict[str, str], tracker: Tracker
) -> None:
    inbound = configured(SipInboundTrunkProvider(), livekit_env)
    trunk_id, _ = tracker.create(
        inbound, {"name": "lksp-live-inbound", "numbers": [unique_number()], "adopt_id": None}
    )
    provider = configured(SipDispatchRuleProvider(), livekit_env)
    props: dict[str, Any] = {
        "name": "lksp-live-rule",
        "rule": {"dispatch_rule_individual": {"room_prefix": "call-"}},
        "trunk_ids": [trunk_id],
        "hide_phone_number": True,
        "room_config": {
            "agents": [{"agent_name": "support-agent", "metadata": "{}"}],
            "empty_timeout": 30.0,
        },
        "krisp_enabled": True,
        "adopt_id": None,
    }
    rule_id, outs = tracker.create(provider, props)
    assert rule_id.startswith("SDR_")
    assert outs["trunk_ids"] == [trunk_id]
    assert outs["room_config"]["agents"] == [
        {"agent_name": "support-agent", "metadata": "{}", "attributes": {}}
    ]
    assert outs["room_config"]["empty_timeout"] == 30
    assert provider.diff(rule_id, outs, dict(props)).changes is False
    read = provider.read(rule_id, outs)
    assert read.id == rule_id
    assert provider.diff(rule_id, read.outs, dict(props)).changes is False

    news = dict(
        props,
        rule={"dispatch_rule_direct": {"room_name": "lobby", "pin": "1234"}},
        room_config=None,
    )
    updated = provider.update(rule_id, outs, news)
    assert updated.outs["sip_dispatch_rule_id"] == rule_id
    assert updated.outs["rule"] == {"dispatch_rule_direct": {"room_name": "lobby", "pin": "1234"}}
    assert updated.outs["room_config"] is None
    assert provider.diff(rule_id, provider.read(rule_id, outs).outs, news).changes is False

    provider.delete(rule_id, updated.outs)
    assert provider.read(rule_id, updated.outs).id is None
    provider.delete(rule_id, updated.outs)  # the server answers not_found: still done


def test_adopt_takes_over_existing_trunk(livekit_env: dict[str, str], tracker: Tracker) -> None:
    provider = configured(SipOutboundTrunkProvider(), livekit_env)
    existing_id, _ = tracker.create(provider, outbound_props(name="made-elsewhere"))
    result = provider.create(outbound_props(name="adopted", adopt_id=existing_id))
    assert result.id == existing_id
    assert provider.read(existing_id, result.outs).outs["name"] == "adopted"


def test_adopt_missing_object_fails_clearly(livekit_env: dict[str, str]) -> None:
    provider = configured(SipDispatchRuleProvider(), livekit_env)
    props = {"rule": {"dispatch_rule_individual": {}}, "adopt_id": "SDR_doesnotexist"}
    with pytest.raises(LiveKitApiError) as info:
        provider.create(props)
    assert info.value.code == ServerErrorCode.NOT_FOUND
    assert "SDR_doesnotexist" in str(info.value)


def test_update_of_missing_object_is_not_found(livekit_env: dict[str, str]) -> None:
    provider = configured(SipOutboundTrunkProvider(), livekit_env)
    with pytest.raises(LiveKitApiError) as info:
        provider.update("ST_doesnotexist", {}, outbound_props())
    assert info.value.code == ServerErrorCode.NOT_FOUND
    assert PASSWORD not in str(info.value)


def test_server_rejection_is_mapped(livekit_env: dict[str, str], tracker: Tracker) -> None:
    inbound = configured(SipInboundTrunkProvider(), livekit_env)
    trunk_id, _ = tracker.create(
        inbound, {"name": "lksp-live-conflict", "numbers": [unique_number()], "adopt_id": None}
    )
    provider = configured(SipDispatchRuleProvider(), livekit_env)
    props = {"rule": {"dispatch_rule_individual": {}}, "trunk_ids": [trunk_id]}
    tracker.create(provider, {**props, "name": "first"})
    with pytest.raises(LiveKitApiError) as info:
        provider.create({**props, "name": "second"})
    assert info.value.code == ServerErrorCode.INVALID_ARGUMENT
    assert "already exists" in str(info.value)


def test_wrong_api_secret_is_a_clear_unauthenticated_error(livekit_env: dict[str, str]) -> None:
    wrong = "definitely-not-the-secret-0123456789"
    provider = configured(SipOutboundTrunkProvider(), livekit_env, **{"livekit:apiSecret": wrong})
    with pytest.raises(LiveKitApiError) as info:
        provider.create(outbound_props())
    message = str(info.value)
    assert info.value.code == ServerErrorCode.UNAUTHENTICATED
    assert "API key or secret" in message and "livekit:apiSecret" in message
    assert wrong not in message
    assert livekit_env["LIVEKIT_API_SECRET"] not in message
    assert PASSWORD not in message
    assert wrong not in repr(info.value.__cause__) and info.value.__suppress_context__


@pytest.mark.parametrize("kind", ["outbound", "dispatch", "inbound"])
def test_media_round_trips_without_diff(
    livekit_env: dict[str, str], tracker: Tracker, kind: str
) -> None:
    media = {
        "codecs": [{"name": "PCMU"}, {"name": "opus", "rate": 48000}],
        "only_listed_codecs": True,
        "media_timeout": 45.0,
    }
    provider: SipProviderBase
    if kind == "outbound":
        provider = configured(SipOutboundTrunkProvider(), livekit_env)
        props = outbound_props(media_encryption="SIP_MEDIA_ENCRYPT_ALLOW", media=media)
    elif kind == "inbound":
        provider = configured(SipInboundTrunkProvider(), livekit_env)
        props = {
            "numbers": [unique_number()],
            "media_encryption": "SIP_MEDIA_ENCRYPT_ALLOW",
            "media": media,
        }
    else:
        provider = configured(SipDispatchRuleProvider(), livekit_env)
        # The server copies media_encryption into media.encryption for dispatch rules.
        props = {
            "rule": {"dispatch_rule_individual": {"room_prefix": "m-"}},
            "trunk_ids": [f"ST_media{random.randint(0, 10**9)}"],
            "media_encryption": "SIP_MEDIA_ENCRYPT_REQUIRE",
        }
    object_id, outs = tracker.create(provider, dict(props))
    assert provider.diff(object_id, outs, dict(props)).changes is False
    read = provider.read(object_id, outs)
    assert provider.diff(object_id, read.outs, dict(props)).changes is False
    if kind != "dispatch":
        assert read.outs["media"]["codecs"] == [
            {"name": "PCMU", "rate": 0},
            {"name": "opus", "rate": 48000},
        ]
        assert read.outs["media"]["media_timeout"] == 45.0
