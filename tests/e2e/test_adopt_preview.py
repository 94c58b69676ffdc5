"""Adoption shows what it changes before it changes it; errors that used to mislead.

Real engine, real livekit-server."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from livekit import api
from livekit_sip_pulumi import SipInboundTrunk, SipOutboundTrunk
from localstack import LocalStack

pytestmark = pytest.mark.e2e


def make_stack(
    tmp_path: Path, livekit: Any, program: Callable[[], None], **config: str
) -> LocalStack:
    return LocalStack(
        "adopt-preview",
        program,
        tmp_path / "state",
        config={**livekit.config(), **config},
        secret_config=livekit.secret_config(),
    )


def hand_made_trunk(livekit: Any) -> Any:
    return livekit.call(
        lambda lk: lk.sip.create_inbound_trunk(
            api.CreateSIPInboundTrunkRequest(
                trunk=api.SIPInboundTrunkInfo(
                    name="by hand",
                    numbers=["+15105550100"],
                    metadata="keep me",
                    headers={"X-Team": "support"},
                    krisp_enabled=True,
                )
            )
        )
    )


def test_preview_of_an_adoption_names_the_fields_it_changes(tmp_path, clean_livekit):
    existing = hand_made_trunk(clean_livekit)
    spec: dict[str, Any] = {"numbers": ["+15105550100"], "krisp_enabled": True}

    def program() -> None:
        SipInboundTrunk("line", adopt_id=existing.sip_trunk_id, **spec)

    stack = make_stack(tmp_path, clean_livekit, program)
    preview = stack.preview()
    assert preview.ok, preview.error
    # Shown in the preview's diagnostics (under the stack: the engine attributes provider
    # messages to no resource, so the message names it).
    assert (
        f"SipInboundTrunk 'line': adopting SIP inbound trunk {existing.sip_trunk_id} changes "
        "headers, metadata" in preview.stdout
    )
    [unchanged] = clean_livekit.inbound_trunks()
    assert unchanged == existing  # preview changed nothing

    # Refusing when the declaration does not match: preview fails, names the fields.
    spec["adopt_only_if_matching"] = True
    refused = stack.preview()
    assert not refused.ok
    assert f"{existing.sip_trunk_id} differs from the declaration in headers, metadata" in (
        refused.error
    )
    up = stack.up()
    assert not up.ok
    assert clean_livekit.inbound_trunks() == [existing]

    # Declaring the live values makes the adoption exact; the name is kept (none declared).
    spec.update(metadata="keep me", headers={"X-Team": "support"})
    adopted = stack.up()
    assert adopted.ok, adopted.error
    assert "adopting" not in adopted.stdout
    assert clean_livekit.inbound_trunks() == [existing]
    assert stack.up().change_summary.get("same") == 2
    assert stack.destroy().ok


def test_adopt_id_of_the_wrong_kind_says_so(tmp_path, clean_livekit):
    outbound = clean_livekit.call(
        lambda lk: lk.sip.create_outbound_trunk(
            api.CreateSIPOutboundTrunkRequest(
                trunk=api.SIPOutboundTrunkInfo(
                    name="out", address="sip.telnyx.com", numbers=["+15105550100"]
                )
            )
        )
    )

    def program() -> None:
        SipInboundTrunk("line", numbers=["+15105550100"], adopt_id=outbound.sip_trunk_id)

    stack = make_stack(tmp_path, clean_livekit, program)
    preview = stack.preview()
    assert not preview.ok
    assert (
        f"{outbound.sip_trunk_id} is a SIP outbound trunk, not a SIP inbound trunk"
        in preview.error
    )
    assert clean_livekit.inbound_trunks() == []


def test_update_of_an_object_deleted_out_of_band_says_refresh(tmp_path, clean_livekit):
    spec = {"address": "sip.telnyx.com"}

    def program() -> None:
        SipOutboundTrunk("carrier", address=spec["address"], numbers=["+15105550100"])

    stack = make_stack(tmp_path, clean_livekit, program)
    assert stack.up().ok
    [trunk] = clean_livekit.outbound_trunks()
    clean_livekit.call(
        lambda lk: lk.sip.delete_trunk(api.DeleteSIPTrunkRequest(sip_trunk_id=trunk.sip_trunk_id))
    )
    spec["address"] = "sip-eu.telnyx.com"
    up = stack.up()
    assert not up.ok
    assert f"update SIP outbound trunk {trunk.sip_trunk_id}: it no longer exists in LiveKit" in (
        up.error
    )
    assert "Run `pulumi refresh`" in up.error
    refreshed = stack.refresh()
    assert refreshed.ok, refreshed.error
    recreated = stack.up()
    assert recreated.ok, recreated.error
    [again] = clean_livekit.outbound_trunks()
    assert again.address == "sip-eu.telnyx.com" and again.sip_trunk_id != trunk.sip_trunk_id
    assert stack.destroy().ok


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("htp://127.0.0.1:7880", "has scheme 'htp', not http, https, ws or wss"),
        ("http://127.0.0.1:7880/twirp", "has a path ('/twirp')"),
    ],
    ids=["scheme", "path"],
)
def test_livekit_url_is_validated(tmp_path, clean_livekit, url, problem):
    def program() -> None:
        SipOutboundTrunk("carrier", address="sip.telnyx.com", numbers=["+15105550100"])

    stack = make_stack(tmp_path, clean_livekit, program, **{"livekit:url": url})
    up = stack.up()
    assert not up.ok
    assert f"livekit:url (or LIVEKIT_URL) '{url}' {problem}" in up.error
    assert clean_livekit.outbound_trunks() == []
