"""What the outputs keep instead of ``auth_password``: a digest keyed with the LiveKit API
secret, so that the state and the engine's verbose log cannot be used to test guesses offline.

No server: diff and the outputs' digest are pure functions of the recorded state, the declared
inputs and the provider's credentials.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from livekit import api
from livekit_sip_pulumi.providers import (
    SipOutboundTrunkProvider,
    digest_key,
    password_digest,
)
from pulumi.dynamic import ConfigureRequest
from pulumi.dynamic.config import Config

SECRET = "api-secret-of-the-project-0123456789abcdef"
PASSWORD = "weak-pw"


def provider(api_secret: str = SECRET) -> SipOutboundTrunkProvider:
    p = SipOutboundTrunkProvider()
    config = {"livekit:url": "http://127.0.0.1:9", "livekit:apiKey": "devkey"}
    if api_secret:
        config["livekit:apiSecret"] = api_secret
    p.configure(ConfigureRequest(Config(config, "digest")))
    return p


def legacy_digest(password: str, salt: str = "abcdefghijklmnop") -> str:
    """What versions before the keyed digest recorded (``pbkdf2_sha256:20000:<salt>:<hex>``)."""
    derived = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), 20_000)
    return f"pbkdf2_sha256:20000:{salt}:{derived.hex()}"


def declared(password: str = PASSWORD, **changes: Any) -> dict[str, Any]:
    props = {
        "name": "carrier",
        "address": "sip.telnyx.com",
        "numbers": ["+15105550100"],
        "auth_username": "acme",
        "auth_password": password,
    }
    props.update(changes)
    return props


def recorded(digest: str, **changes: Any) -> dict[str, Any]:
    return {**declared(**changes), "auth_password": digest, "sip_trunk_id": "ST_x"}


def live(password: str = PASSWORD) -> Any:
    return api.SIPOutboundTrunkInfo(
        sip_trunk_id="ST_x",
        name="carrier",
        address="sip.telnyx.com",
        numbers=["+15105550100"],
        auth_username="acme",
        auth_password=password,
    )


def test_digest_is_keyed_salted_and_verifiable_only_with_the_key():
    key = digest_key(SECRET)
    assert key is not None
    first = password_digest(PASSWORD, key)
    scheme, salt, mac = first.split(":")
    assert scheme == "hmac_sha256" and PASSWORD not in first and SECRET not in first
    assert password_digest(PASSWORD, key) != first  # random salt
    assert password_digest(PASSWORD, key, salt) == first
    # Another key (another API secret) gives another digest: the key is what checks it.
    other = digest_key("another-secret")
    assert other is not None and password_digest(PASSWORD, other, salt) != first
    # What someone holding only the digest could try: hash the guess with the salt.
    for guess in (f"{salt}:{PASSWORD}", f"{salt}{PASSWORD}", PASSWORD):
        assert hashlib.sha256(guess.encode()).hexdigest() != mac
    assert password_digest("", key) == ""
    assert digest_key("") is None


def test_diff_compares_the_declared_password_with_the_keyed_digest():
    p = provider()
    outs = p.engine.outputs(declared(), live())
    assert outs["auth_password"].startswith("hmac_sha256:")
    assert p.diff("ST_x", outs, declared()).changes is False
    assert p.diff("ST_x", outs, declared("other-pw")).changes is True
    # A refresh that reads the same password keeps the recorded digest (no output change).
    assert p.engine.outputs(declared(), live(), outs)["auth_password"] == outs["auth_password"]
    # The digest changes when the password changes.
    changed = p.engine.outputs(declared("other-pw"), live("other-pw"), outs)["auth_password"]
    assert changed != outs["auth_password"] and changed.startswith("hmac_sha256:")


def test_without_the_api_secret_a_keyed_digest_counts_as_changed():
    outs = provider().engine.outputs(declared(), live())
    # The change cannot be ruled out; `up` would then fail on the missing credentials.
    assert provider(api_secret="").diff("ST_x", outs, declared()).changes is True
    # After the API secret is rotated, the next `up` re-sends the password (an update, in place).
    rotated = provider(api_secret="rotated-secret").diff("ST_x", outs, declared())
    assert rotated.changes is True and rotated.replaces == []


@pytest.mark.parametrize("password", [PASSWORD, "pässwörd:with:colons"])
def test_a_digest_of_an_earlier_version_still_compares_and_is_replaced(password):
    p = provider()
    old = recorded(legacy_digest(password))
    # No spurious diff, no replace.
    same = p.diff("ST_x", old, declared(password))
    assert (same.changes, same.replaces) == (False, [])
    changed = p.diff("ST_x", old, declared("other-pw"))
    assert (changed.changes, changed.replaces) == (True, [])
    # The next refresh (read) or update records the keyed digest instead.
    migrated = p.engine.outputs(declared(password), live(password), old)["auth_password"]
    assert migrated.startswith("hmac_sha256:") and "pbkdf2" not in migrated
    assert p.diff("ST_x", {**old, "auth_password": migrated}, declared(password)).changes is False


def test_a_plain_password_in_state_written_before_digests_still_compares():
    p = provider()
    assert p.diff("ST_x", recorded(PASSWORD), declared()).changes is False
    assert p.diff("ST_x", recorded(PASSWORD), declared("other-pw")).changes is True
    assert p.engine.outputs(declared(), live(), recorded(PASSWORD))["auth_password"].startswith(
        "hmac_sha256:"
    )


def test_no_password_compares_equal_to_none_recorded():
    p = provider()
    message = live("")
    message.auth_username = ""
    outs = p.engine.outputs(declared("", auth_username=""), message)
    assert outs["auth_password"] == ""
    assert p.diff("ST_x", outs, declared("", auth_username="")).changes is False
    assert p.diff("ST_x", outs, declared()).changes is True
