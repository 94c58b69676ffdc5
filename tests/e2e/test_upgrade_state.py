"""State written by an earlier release keeps working with this code.

Each folder of tests/e2e/upgrade/ holds a stack state an earlier release recorded with its own
program (tests/e2e/upgrade/README.md). The state is put back on the suite's livekit-server:
its objects are created again from the recorded definitions and the recorded IDs replaced by
the new ones, then `pulumi stack import`. With this code, the same program must then preview
no change, refresh no change, `up` nothing, and destroy everything but what it retains: the
pickled provider classes and the outputs the earlier release stored must still be understood.

Real engine, real livekit-server.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from localstack import LocalStack, program_from_dir
from pulumi import automation as auto

from tests.e2e.upgrade.state_fixture import (
    DISPATCH,
    INBOUND,
    OUTBOUND,
    LiveKitTarget,
    RecordedState,
    is_ciphertext,
    object_id,
    recorded_states,
    recreate,
    retarget,
    rewrite_ids,
    walk,
)

pytestmark = pytest.mark.e2e

RECORDED = recorded_states()
PASSWORD = "auth_password"
DYNAMIC_TYPE_PREFIX = "pulumi-python:dynamic/"


def test_a_state_of_the_first_release_is_recorded():
    assert [r.release for r in RECORDED][:1] == ["0.1.0"]


def _sip_resources(recorded: RecordedState) -> list[dict[str, Any]]:
    return [r for r in recorded.resources() if r["type"].startswith(DYNAMIC_TYPE_PREFIX)]


@pytest.mark.parametrize("recorded", RECORDED, ids=lambda r: r.release)
def test_recorded_state_holds_every_password_as_ciphertext(recorded):
    sip = _sip_resources(recorded)
    # Three resource kinds, a preset, an AgentPhoneLine's children and an adopted trunk.
    types = {r["type"].removeprefix(DYNAMIC_TYPE_PREFIX) for r in sip}
    assert types == {
        "livekit:SipInboundTrunk",
        "livekit:SipOutboundTrunk",
        "livekit:SipDispatchRule",
    }
    assert {"livekit-sip:index:AgentPhoneLine", "livekit-sip:index:ProviderOutboundTrunk"} <= {
        r["type"] for r in recorded.resources()
    }
    assert any(r["inputs"].get("adopt_id") for r in sip)
    with_password = [r for r in sip if PASSWORD in r["inputs"]]
    # Both outbound trunks of the presets, the two inbound trunks and the outbound trunk.
    assert len(with_password) >= 5
    for resource in with_password:
        for part in ("inputs", "outputs"):
            value = resource[part][PASSWORD]
            assert is_ciphertext(value), f"{resource['urn']} {part}.{PASSWORD} is {value!r}"
    # Nothing else in the state looks like a password in the clear.
    for path, value in walk(recorded.state()):
        if path.endswith(f"puts.{PASSWORD}"):
            assert is_ciphertext(value) or value in (None, ""), path
    objects = recorded.objects()
    for kind in (INBOUND, OUTBOUND):
        for item in objects[kind]:
            password = item.get(PASSWORD, "")
            assert password == "" or password.startswith("$config:"), item["name"]


def _restore(
    recorded: RecordedState, tmp_path: Path, livekit: Any
) -> tuple[LocalStack, dict[str, str], dict[str, str]]:
    """A stack of the recorded program holding the recorded state, on ``livekit``: (stack,
    recorded ID -> new ID, the test-only passwords)."""
    work = tmp_path / "state" / "work"
    work.mkdir(parents=True)
    # The config file first: the stack is created with its encryption salt, so the recorded
    # secrets (config and state) decrypt with the recorded passphrase.
    (work / recorded.config_file.name).write_text(recorded.config_file.read_text())
    stack = LocalStack(
        recorded.project,
        program_from_dir(recorded.directory),
        tmp_path / "state",
        stack=recorded.stack,
        config=livekit.config(),
        secret_config=livekit.secret_config(),
        env={"PULUMI_CONFIG_PASSPHRASE": recorded.passphrase},
    )
    # The stack kept the recorded salt (stack init reuses the one its config file holds).
    salt = yaml.safe_load((work / recorded.config_file.name).read_text())["encryptionsalt"]
    assert salt == yaml.safe_load(recorded.config_file.read_text())["encryptionsalt"]
    config = stack.stack.get_all_config()
    passwords = {key: config[f"{recorded.project}:{key}"].value for key in recorded.password_keys}
    assert all(config[f"{recorded.project}:{key}"].secret for key in recorded.password_keys)

    target = LiveKitTarget(livekit.url, livekit.api_key, livekit.api_secret)
    ids = recreate(target, recorded.objects(), passwords)
    for key, value in config.items():
        if not value.secret and value.value in ids:
            stack.stack.set_config(key, auto.ConfigValue(ids[value.value]))
    state = retarget(rewrite_ids(recorded.state(), ids), target)
    stack.stack.import_stack(
        auto.Deployment(version=state["version"], deployment=state["deployment"])
    )
    return stack, ids, passwords


def _only_same(summary: dict[str, int]) -> bool:
    return set(summary) == {"same"} and summary["same"] > 0


@pytest.mark.parametrize("recorded", RECORDED, ids=lambda r: r.release)
def test_recorded_state_previews_refreshes_and_destroys_cleanly(recorded, tmp_path, clean_livekit):
    stack, ids, passwords = _restore(recorded, tmp_path, clean_livekit)

    # The fixture holds no password in the clear (the config and the state hold ciphertext).
    for path in recorded.files():
        text = path.read_text()
        assert not any(value in text for value in passwords.values()), path.name
    # The import encrypted the new server's API secret; no secret is in plain text in the state.
    assert '"plaintext"' not in stack.export_text()
    assert clean_livekit.api_secret not in stack.export_text()
    # Every recorded ID was replaced, including any the state keeps in a secret.
    decrypted = json.dumps(stack.export_decrypted())
    assert ids and not [old for old in ids if old in decrypted]
    assert set(ids.values()) <= {
        object_id(kind, item) for kind, items in _live(clean_livekit).items() for item in items
    }

    preview = stack.preview(expect_no_changes=True)
    assert preview.ok, preview.error
    assert _only_same(preview.change_summary), (preview.change_summary, preview.stdout)

    refresh = stack.refresh(expect_no_changes=True)
    assert refresh.ok, refresh.error
    assert _only_same(refresh.change_summary), (refresh.change_summary, refresh.stdout)

    up = stack.up()
    assert up.ok, up.error
    assert _only_same(up.change_summary), (up.change_summary, up.stdout)
    # The program's outputs are the recorded ones, with the new servers' IDs.
    [recorded_stack] = [r for r in recorded.resources() if r["type"] == "pulumi:pulumi:Stack"]
    assert up.outputs == rewrite_ids(recorded_stack["outputs"], ids)

    destroy = stack.destroy()
    assert destroy.ok, destroy.error
    # What the state retains on delete (the adopted trunk) stays in LiveKit; nothing else does.
    retained = {ids[r["id"]] for r in recorded.resources() if r.get("retainOnDelete") and "id" in r}
    assert retained, "the recorded state retains the adopted trunk on delete"
    left = {object_id(kind, item) for kind, items in _live(clean_livekit).items() for item in items}
    assert left == retained


def _live(livekit: Any) -> dict[str, list[Any]]:
    return {
        INBOUND: livekit.inbound_trunks(),
        OUTBOUND: livekit.outbound_trunks(),
        DISPATCH: livekit.dispatch_rules(),
    }
