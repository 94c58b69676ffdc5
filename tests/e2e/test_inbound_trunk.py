"""SipInboundTrunk through the real engine and a real livekit-server.

Each test runs an inline program with the Automation API against a local file backend; LiveKit
credentials reach the provider only through stack config.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dill
import pulumi
import pytest
from livekit import api
from livekit_sip_pulumi import SipDispatchRule, SipInboundTrunk, SipInboundTrunkSpec
from livekit_sip_pulumi.providers import autoname
from localstack import POLICY_PACK, LocalStack

pytestmark = pytest.mark.e2e

INBOUND = "pulumi-python:dynamic/livekit:SipInboundTrunk"

TRUNK_PASSWORD = "trunk-pw-7f3a9c1e-not-for-state"


def make_stack(tmp_path: Path, livekit: Any, program: Callable[[], None]) -> LocalStack:
    return LocalStack(
        "inbound-e2e",
        program,
        tmp_path / "state",
        config=livekit.config(),
        secret_config=livekit.secret_config(),
    )


def trunk_program(spec: dict[str, Any]) -> Callable[[], None]:
    """A program declaring one trunk from ``spec`` (read at run time, so tests can change it)."""

    def program() -> None:
        trunk = SipInboundTrunk("support-line", **spec)
        # Every trunk needs a dispatch rule routing its calls (the pack checks it).
        SipDispatchRule(
            "support-dispatch",
            trunk_ids=[trunk.sip_trunk_id],
            rule={"dispatch_rule_individual": {"room_prefix": "call-"}},
            room_config={"agents": [{"agent_name": "support-agent"}]},
            hide_phone_number=True,
        )
        pulumi.export("trunk_id", trunk.sip_trunk_id)

    return program


GOOD = {
    "numbers": ["+15105550100"],
    "auth_username": "support",
    "auth_password": TRUNK_PASSWORD,
    "krisp_enabled": True,
}


def test_preview_with_pack_reports_violation_and_creates_nothing(tmp_path, clean_livekit):
    stack = make_stack(
        tmp_path, clean_livekit, trunk_program({**GOOD, "numbers": ["+1 510 555 0100"]})
    )
    result = stack.preview(policy_packs=[POLICY_PACK])
    assert not result.ok
    violations = result.violations("LKSIN001")
    assert [(v.resource_name, v.enforcement) for v in violations] == [("support-line", "mandatory")]
    assert "numbers[0]" in violations[0].message
    assert "'+15105550100'" in violations[0].message
    assert "https://docs.livekit.io/" in violations[0].message
    # The provider's own check names the field too, and no API call was made.
    assert "numbers[0]" in result.error
    assert clean_livekit.inbound_trunks() == []


def test_preview_with_pack_is_clean_for_a_good_program(tmp_path, clean_livekit):
    stack = make_stack(tmp_path, clean_livekit, trunk_program(dict(GOOD)))
    result = stack.preview(policy_packs=[POLICY_PACK])
    assert result.ok, result.error
    assert result.violations("LKSIN001") == []
    assert result.change_summary.get("create") == 3  # the stack, the trunk, the rule
    assert clean_livekit.inbound_trunks() == []  # preview creates nothing


def test_invalid_input_fails_preview_with_field_and_fix(tmp_path, clean_livekit):
    spec = {"numbers": ["+15105550100"], "auth_username": "support"}  # password missing
    stack = make_stack(tmp_path, clean_livekit, trunk_program(spec))
    result = stack.preview()
    assert not result.ok
    assert "auth_username and auth_password go together" in result.error
    assert "support-line" in result.error
    assert SipInboundTrunkSpec.docs_url in result.error
    assert clean_livekit.inbound_trunks() == []


def test_lifecycle_create_update_in_place_refresh_destroy(tmp_path, clean_livekit):
    spec = dict(GOOD)
    stack = make_stack(tmp_path, clean_livekit, trunk_program(spec))

    up = stack.up(policy_packs=[POLICY_PACK])
    assert up.ok, up.error
    trunk_id = up.outputs["trunk_id"]
    [trunk] = clean_livekit.inbound_trunks()
    assert trunk.sip_trunk_id == trunk_id
    assert list(trunk.numbers) == ["+15105550100"]
    # No name given: the autoname, unique to project, stack, type and resource.
    assert trunk.name == autoname("inbound-e2e", "dev", INBOUND, "support-line")
    assert trunk.krisp_enabled is True

    # No change declared: nothing to do.
    again = stack.up()
    assert again.ok, again.error
    assert again.change_summary.get("update", 0) == 0
    assert again.change_summary.get("same") == 3

    # A changed number updates the trunk in place: same ID.
    spec["numbers"] = ["+15105550111"]
    updated = stack.up()
    assert updated.ok, updated.error
    assert updated.change_summary.get("update") == 1
    assert updated.outputs["trunk_id"] == trunk_id
    [trunk] = clean_livekit.inbound_trunks()
    assert (trunk.sip_trunk_id, list(trunk.numbers)) == (trunk_id, ["+15105550111"])

    # The trunk is deleted out of band: refresh notices and drops it from the state.
    clean_livekit.call(
        lambda lk: lk.sip.delete_trunk(api.DeleteSIPTrunkRequest(sip_trunk_id=trunk_id))
    )
    refreshed = stack.refresh()
    assert refreshed.ok, refreshed.error
    assert refreshed.change_summary.get("delete") == 1
    # up recreates it under a new ID, and the dispatch rule follows the new ID in place.
    [rule_before] = clean_livekit.dispatch_rules()
    recreated = stack.up()
    assert recreated.ok, recreated.error
    assert recreated.change_summary.get("create") == 1
    assert recreated.change_summary.get("update") == 1
    [trunk] = clean_livekit.inbound_trunks()
    assert trunk.sip_trunk_id == recreated.outputs["trunk_id"] != trunk_id
    [rule_after] = clean_livekit.dispatch_rules()
    assert rule_after.sip_dispatch_rule_id == rule_before.sip_dispatch_rule_id
    assert list(rule_after.trunk_ids) == [trunk.sip_trunk_id]

    destroyed = stack.destroy()
    assert destroyed.ok, destroyed.error
    assert clean_livekit.inbound_trunks() == []
    assert clean_livekit.dispatch_rules() == []


def test_state_holds_no_plaintext_secret(tmp_path, clean_livekit):
    stack = make_stack(tmp_path, clean_livekit, trunk_program(dict(GOOD)))
    up = stack.up()
    assert up.ok, up.error
    refreshed = stack.refresh()
    assert refreshed.ok, refreshed.error
    exported = stack.export_text()
    on_disk = stack.state_files_text()
    assert "auth_password" in exported  # present, but encrypted
    for secret in (TRUNK_PASSWORD, clean_livekit.api_secret):
        assert secret not in exported
        assert secret not in on_disk
        assert secret not in up.stdout
    # The pickled provider carries no credential either, so it is stored in plain text (not
    # encrypted on every resource): decode it.
    deployment = stack.export_decrypted()
    [trunk] = [r for r in deployment["resources"] if r["type"].endswith(":SipInboundTrunk")]
    blob = trunk["outputs"]["__provider"]
    assert isinstance(blob, str), blob
    raw = base64.b64decode(blob)
    provider = dill.loads(raw)
    assert type(provider).__module__ == "livekit_sip_pulumi.providers"  # pickled by reference
    assert vars(provider) == {}
    assert len(raw) < 200
    for secret in (TRUNK_PASSWORD, clean_livekit.api_secret, clean_livekit.url):
        assert secret.encode() not in raw
    # auth_password is a secret both as input and as output. The checked input holds only a
    # reference that the provider process of that run resolved (the engine logs Check's answer).
    assert json.loads(trunk["inputs"]["auth_password"]["plaintext"]).startswith("sealed:")
    # The output keeps a salted digest of the password (still a secret), never the password.
    digest = json.loads(trunk["outputs"]["auth_password"]["plaintext"])
    assert digest.startswith("hmac_sha256:") and TRUNK_PASSWORD not in digest
    assert stack.destroy().ok
