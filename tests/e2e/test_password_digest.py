"""The trunk password's digest through the real engine: what a verbose log and the state hold
cannot be used to test guesses offline, and states recorded by earlier versions keep working.

What the engine prints at -v=9 itself, whatever a provider does (pulumi 3.259, checked here):
every secret it unmarshals or marshals, inside the secret's envelope: the program's
``auth_password`` as registered (``Unmarshaling property for
RPC[ResourceMonitor.RegisterResource(...)]: value={<password>}``), and secret stack config as
sent to every provider (``...Configure().inputs]: value={<livekit:apiSecret>}``). The API
secret is given in the environment here, as the README advises for verbose runs; the password
then appears only in the engine's registration lines.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pulumi
import pytest
from livekit_sip_pulumi import SipOutboundTrunk
from livekit_sip_pulumi.providers import digest_key, password_digest
from localstack import LocalStack

pytestmark = pytest.mark.e2e

PASSWORD = "weak-pw-1"
NEW_PASSWORD = "weak-pw-2"
TYPE = "pulumi-python:dynamic/livekit:SipOutboundTrunk"
#: The engine's own print of the program's registration (see above).
REGISTRATION = re.compile(r"Unmarshaling property for RPC\[ResourceMonitor\.RegisterResource\(")
DIGEST = re.compile(r"hmac_sha256:[a-z2-7]+:[0-9a-f]{64}")
VERBOSE = {"color": "never", "log_verbosity": 9, "log_to_std_err": True, "debug": True}


def trunk_program(password: dict[str, str]) -> Any:
    def program() -> None:
        SipOutboundTrunk(
            "carrier",
            address="sip.telnyx.com",
            numbers=["+15105550100"],
            auth_username="acme",
            auth_password=pulumi.Output.secret(password["value"]),
        )

    return program


def secret_in_environment(tmp_path: Path, livekit: Any, program: Any) -> LocalStack:
    """A stack whose provider reads the API secret from LIVEKIT_API_SECRET (not stack config)."""
    return LocalStack(
        "digest",
        program,
        tmp_path / "state",
        config=livekit.config(),
        env={"LIVEKIT_API_SECRET": livekit.api_secret},
    )


def recorded_digest(stack: LocalStack) -> str:
    [trunk] = [r for r in stack.export_decrypted()["resources"] if r["type"] == TYPE]
    value = trunk["outputs"]["auth_password"]
    return json.loads(value["plaintext"]) if isinstance(value, dict) else value


def verifies(digest: str, password: str, key: bytes | None) -> bool:
    _, salt, _ = digest.split(":")
    return key is not None and password_digest(password, key, salt) == digest


def test_a_verbose_up_holds_nothing_to_check_the_password_with(tmp_path, clean_livekit):
    password = {"value": PASSWORD}
    stack = secret_in_environment(tmp_path, clean_livekit, trunk_program(password))
    created = stack.stack.up(**VERBOSE)
    log = created.stdout + created.stderr
    assert ".Create(urn:pulumi:dev::digest::" in log  # the -v=9 log of the provider's calls
    [trunk] = clean_livekit.outbound_trunks()
    assert trunk.auth_password == PASSWORD

    # No digest of an earlier version, no API secret, no key derived from it.
    assert "pbkdf2" not in log
    assert clean_livekit.api_secret not in log
    key = digest_key(clean_livekit.api_secret)
    assert key is not None and key.hex() not in log
    # The password only where the engine prints the program's registration itself.
    shown = [line[:300] for line in log.splitlines() if PASSWORD in line]
    assert shown and all(REGISTRATION.search(line) for line in shown), shown

    # The log does carry the keyed digest (what diff compares): it checks the password with the
    # API secret's key, and with nothing the log holds.
    digests = set(DIGEST.findall(log))
    assert recorded_digest(stack) in digests
    assert all(verifies(d, PASSWORD, key) for d in digests)
    # Every word of the log tried as the API secret, and as the key itself.
    words = set(re.findall(r"[A-Za-z0-9_+/=.:-]{6,}", log))
    for digest in digests:
        _, salt, mac = digest.split(":")
        for word in words:
            assert not verifies(digest, PASSWORD, digest_key(word)), word
            assert not verifies(digest, PASSWORD, word.encode()), word
        # Nor is it a plain hash of the salted password.
        for guess in (f"{salt}:{PASSWORD}", f"{salt}{PASSWORD}", f"{PASSWORD}{salt}", PASSWORD):
            assert hashlib.sha256(guess.encode()).hexdigest() != mac

    # The state holds the same: the keyed digest, neither the password nor the API secret.
    state = stack.export_text() + stack.state_files_text()
    for secret in (PASSWORD, clean_livekit.api_secret, key.hex(), "pbkdf2"):
        assert secret not in state

    # A changed password changes the digest, and the update sends the new password.
    password["value"] = NEW_PASSWORD
    updated = stack.stack.up(**VERBOSE)
    assert updated.summary.resource_changes == {"same": 1, "update": 1}
    [trunk] = clean_livekit.outbound_trunks()
    assert trunk.auth_password == NEW_PASSWORD
    changed = recorded_digest(stack)
    assert changed not in digests and verifies(changed, NEW_PASSWORD, key)
    assert stack.destroy().ok


def legacy_digest(password: str, salt: str = "abcdefghijklmnop") -> str:
    """What versions before the keyed digest recorded."""
    derived = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), 20_000)
    return f"pbkdf2_sha256:20000:{salt}:{derived.hex()}"


def record_legacy_digest(stack: LocalStack, password: str) -> None:
    """Rewrite the state as an earlier version left it: the pbkdf2 digest in the outputs."""
    exported = stack.stack.export_stack()
    for resource in exported.deployment["resources"]:
        if resource["type"] == TYPE:
            value = resource["outputs"]["auth_password"]
            legacy = json.dumps(legacy_digest(password))
            if isinstance(value, dict):
                value["plaintext"] = legacy
                value.pop("ciphertext", None)
            else:
                resource["outputs"]["auth_password"] = json.loads(legacy)
    stack.stack.import_stack(exported)
    assert recorded_digest(stack).startswith("pbkdf2_sha256:20000:")


def test_a_state_with_digests_of_an_earlier_version_keeps_working(tmp_path, clean_livekit):
    password = {"value": PASSWORD}
    stack = LocalStack(
        "digest",
        trunk_program(password),
        tmp_path / "state",
        config=clean_livekit.config(),
        secret_config=clean_livekit.secret_config(),
    )
    assert stack.up().ok
    [trunk] = clean_livekit.outbound_trunks()
    record_legacy_digest(stack, PASSWORD)

    # No spurious diff, no replace: preview and up find nothing to do.
    preview = stack.preview()
    assert preview.ok, preview.error
    assert preview.change_summary == {"same": 2}, preview.change_summary
    up = stack.up()
    assert up.ok and up.change_summary == {"same": 2}, up.change_summary

    # The next refresh records the keyed digest instead; the object is untouched.
    refreshed = stack.refresh()
    assert refreshed.ok, refreshed.error
    key = digest_key(clean_livekit.api_secret)
    migrated = recorded_digest(stack)
    assert migrated.startswith("hmac_sha256:") and verifies(migrated, PASSWORD, key)
    assert clean_livekit.outbound_trunks() == [trunk]
    assert stack.preview().change_summary == {"same": 2}

    # The next update does it too, and a changed password still shows as a change.
    record_legacy_digest(stack, PASSWORD)
    password["value"] = NEW_PASSWORD
    assert stack.preview().change_summary == {"same": 1, "update": 1}
    updated = stack.up()
    assert updated.ok and updated.change_summary == {"same": 1, "update": 1}
    [after] = clean_livekit.outbound_trunks()
    assert after.sip_trunk_id == trunk.sip_trunk_id and after.auth_password == NEW_PASSWORD
    assert verifies(recorded_digest(stack), NEW_PASSWORD, key)
    assert stack.destroy().ok
