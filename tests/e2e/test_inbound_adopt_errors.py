"""Adoption of existing trunks and LiveKit error reporting, through the real engine."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi
import pytest
from livekit import api
from livekit_sip_pulumi import SipInboundTrunk
from localstack import LocalStack

pytestmark = pytest.mark.e2e


def stack_for(tmp_path, livekit, program: Callable[[], None], **secret: str) -> LocalStack:
    return LocalStack(
        "inbound-adopt",
        program,
        tmp_path / "state",
        config=livekit.config(),
        secret_config={**livekit.secret_config(), **secret},
    )


def create_out_of_band(livekit: Any, **fields: Any) -> str:
    info = livekit.call(
        lambda lk: lk.sip.create_inbound_trunk(
            api.CreateSIPInboundTrunkRequest(trunk=api.SIPInboundTrunkInfo(**fields))
        )
    )
    return str(info.sip_trunk_id)


def test_adopt_reconciles_existing_trunk_and_keeps_its_id(tmp_path, clean_livekit):
    existing = create_out_of_band(
        clean_livekit, name="legacy", numbers=["+15105550100"], metadata="made by hand"
    )

    def program() -> None:
        trunk = SipInboundTrunk(
            "support-line",
            numbers=["+15105550100", "+15105550101"],
            allowed_addresses=["203.0.113.0/24"],
            adopt_id=existing,
            opts=pulumi.ResourceOptions(retain_on_delete=True),
        )
        pulumi.export("trunk_id", trunk.sip_trunk_id)

    stack = stack_for(tmp_path, clean_livekit, program)
    up = stack.up()
    assert up.ok, up.error
    assert up.outputs["trunk_id"] == existing
    [trunk] = clean_livekit.inbound_trunks()
    assert trunk.sip_trunk_id == existing
    assert trunk.name == "legacy"  # no name declared: an adopted object keeps its own
    assert list(trunk.numbers) == ["+15105550100", "+15105550101"]
    assert list(trunk.allowed_addresses) == ["203.0.113.0/24"]
    assert trunk.metadata == ""  # declared state wins: metadata was not declared

    # A second up has nothing to do.
    again = stack.up()
    assert again.ok, again.error
    assert again.change_summary.get("same") == 2

    # retain_on_delete: removing it from the stack leaves it in LiveKit.
    destroyed = stack.destroy()
    assert destroyed.ok, destroyed.error
    assert [t.sip_trunk_id for t in clean_livekit.inbound_trunks()] == [existing]


def test_adopt_of_missing_trunk_fails_clearly(tmp_path, clean_livekit):
    def program() -> None:
        SipInboundTrunk("support-line", numbers=["+15105550100"], adopt_id="ST_doesnotexist")

    stack = stack_for(tmp_path, clean_livekit, program)
    up = stack.up()
    assert not up.ok
    assert "cannot adopt SIP inbound trunk ST_doesnotexist: it does not exist" in up.error
    assert clean_livekit.inbound_trunks() == []


def test_adopt_id_must_look_like_a_trunk_id(tmp_path, clean_livekit):
    def program() -> None:
        # A provider's trunk SID is not a LiveKit ID (the classic 404).
        SipInboundTrunk("support-line", numbers=["+15105550100"], adopt_id="TK1234567890")

    stack = stack_for(tmp_path, clean_livekit, program)
    preview = stack.preview()
    assert not preview.ok
    assert "adopt_id: 'TK1234567890' is not a LiveKit SIP inbound trunk ID" in preview.error


def test_wrong_api_secret_is_reported_without_the_secret(tmp_path, clean_livekit):
    wrong = "wrong-secret-4c2d8e1f-should-not-print"

    def program() -> None:
        SipInboundTrunk("support-line", numbers=["+15105550100"])

    stack = stack_for(tmp_path, clean_livekit, program, **{"livekit:apiSecret": wrong})
    up = stack.up()
    assert not up.ok
    assert "LiveKit rejected the API key or secret (401)" in up.error
    assert "livekit:apiSecret" in up.error
    assert wrong not in up.error
    assert wrong not in up.stdout
    assert clean_livekit.inbound_trunks() == []


def test_missing_credentials_name_the_config_keys(tmp_path, clean_livekit):
    def program() -> None:
        SipInboundTrunk("support-line", numbers=["+15105550100"])

    stack = LocalStack("inbound-nocreds", program, tmp_path / "state")
    up = stack.up()
    assert not up.ok
    assert "LiveKit credentials are missing (livekit:url, livekit:apiKey, livekit:apiSecret)" in (
        up.error
    )
    assert "pulumi config set --secret livekit:apiSecret" in up.error


def test_server_conflict_is_explained(tmp_path, clean_livekit):
    create_out_of_band(clean_livekit, name="other", numbers=["+15105550100"])

    def program() -> None:
        SipInboundTrunk("support-line", numbers=["+15105550100"])

    stack = stack_for(tmp_path, clean_livekit, program)
    up = stack.up()
    assert not up.ok
    assert "Conflicting inbound SIP Trunks" in up.error
    assert "set allowed_numbers to tell them apart" in up.error
    assert len(clean_livekit.inbound_trunks()) == 1
