"""`pulumi preview --diff` names the one field that changed, through both doors onto the engine.

A Python program (the dynamic providers) and a YAML program (the `livekit-sip` plugin), each
with two inbound trunks (one with a password), an outbound trunk with a password and a dispatch
rule for the other inbound trunk, `up` on the real livekit-server; then, with the real CLI in
the project folder: a preview of the unchanged stack says there is nothing to change, and after
one field of one resource is changed (through the stack config the program reads), `preview
--diff` shows that resource updating that field and nothing else: no other field, no other
resource, no password. (The rule takes the trunk that does not change: a trunk being updated
has an unknown ID in the dynamic door's preview, and the rule would show that.)
"""

from __future__ import annotations

import re
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.cli import test_cli_yaml_program as yaml_door
from tests.e2e.cli.pulumi_cli import CliStack, PulumiCli

pytestmark = pytest.mark.e2e

# The fixtures of the YAML program's test: its CLI with the YAML language host, its project.
yaml_cli = yaml_door.yaml_cli
yaml_project = yaml_door.yaml_project

PYTHON_PROGRAM = """\
import pulumi
from livekit_sip_pulumi import (
    SipDispatchRule,
    SipDispatchRuleIndividualArgs,
    SipInboundTrunk,
    SipOutboundTrunk,
)

config = pulumi.Config()
line = SipInboundTrunk(
    "line",
    numbers=["+15105550160"],
    metadata=config.get("inboundMetadata") or "front desk",
    auth_username="line",
    auth_password=config.require_secret("inboundPassword"),
)
SipOutboundTrunk(
    "out",
    address=config.get("outboundAddress") or "sip.example.net",
    numbers=["+15105550161"],
    auth_username="out",
    auth_password=config.require_secret("outboundPassword"),
)
desk = SipInboundTrunk("desk", numbers=["+15105550162"])
SipDispatchRule(
    "rule",
    trunk_ids=[desk.sip_trunk_id],
    rule=SipDispatchRuleIndividualArgs(room_prefix=config.get("roomPrefix") or "call-"),
)
"""

#: (config key, new value, the resource that changes, the field shown, per door).
CHANGES = [
    ("inboundMetadata", "back office", "line", {"python": "metadata", "yaml": "metadata"}),
    ("outboundAddress", "sip-eu.example.net", "out", {"python": "address", "yaml": "address"}),
    ("roomPrefix", "desk-", "rule", {"python": "rule", "yaml": "rule"}),
]
PASSWORDS = {"inboundPassword": "diff-test-in-pw-51c2", "outboundPassword": "diff-test-out-pw-9e07"}


def python_project(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "Pulumi.yaml").write_text(
        textwrap.dedent(
            f"""\
            name: preview-diff
            runtime:
              name: python
              options:
                virtualenv: {sys.prefix}
            """
        )
    )
    (folder / "__main__.py").write_text(PYTHON_PROGRAM)
    return folder


def _yaml_program(program: dict[str, Any]) -> None:
    """The Python program in YAML: the example's inbound trunk and dispatch rule renamed, with a
    password, metadata and a room prefix read from the config, a second inbound trunk for the
    rule, and an outbound trunk."""
    program["name"] = "preview-diff-yaml"
    config = program["config"]
    config["inboundPassword"] = {"type": "string", "secret": True}
    config["outboundPassword"] = {"type": "string", "secret": True}
    config["inboundMetadata"] = {"type": "string", "default": "front desk"}
    config["outboundAddress"] = {"type": "string", "default": "sip.example.net"}
    config["roomPrefix"] = {"type": "string", "default": "call-"}
    resources = program["resources"]
    line = resources.pop("line")
    rule = resources.pop("line-dispatch")
    line["properties"].update(
        numbers=["+15105550160"],
        metadata="${inboundMetadata}",
        authUsername="line",
        authPassword="${inboundPassword}",
    )
    rule["properties"]["trunkIds"] = ["${desk.sipTrunkId}"]
    rule["properties"]["rule"]["dispatchRuleIndividual"]["roomPrefix"] = "${roomPrefix}"
    resources["line"] = line
    resources["desk"] = {
        "type": "livekit-sip:index:SipInboundTrunk",
        "properties": {"numbers": ["+15105550162"]},
    }
    resources["rule"] = rule
    resources["out"] = {
        "type": "livekit-sip:index:SipOutboundTrunk",
        "properties": {
            "address": "${outboundAddress}",
            "numbers": ["+15105550161"],
            "authUsername": "out",
            "authPassword": "${outboundPassword}",
        },
    }
    program["outputs"] = {"inboundTrunkId": "${line.sipTrunkId}"}


@pytest.fixture
def stacks() -> Iterator[list[CliStack]]:
    made: list[CliStack] = []
    yield made
    for stack in made:
        stack.run("destroy", "--yes", "--skip-preview")
        stack.remove()


_STEP = re.compile(r"\s*(?:[~+\-]+ )?\S+: \(([\w-]+)\)$")
_URN = re.compile(r"\s*\[urn=\S+::([^:\]]+)\]$")
_PROPERTY = re.compile(r"(\s*)([~+\-]? ?)([A-Za-z_]\w*)\s*:")


def _steps(preview: str) -> dict[str, list[str]]:
    """What a `preview --diff` shows of each resource that changes: resource name -> its
    top-level properties marked as changed (``~ metadata``, ``+ ...``, ``- ...``)."""
    steps: dict[str, list[tuple[int, str, str]]] = {}
    current: list[tuple[int, str, str]] | None = None
    named = True
    for line in preview.splitlines():
        step = _STEP.match(line)
        if step:
            current, named = ([] if step.group(1) != "same" else None), False
            continue
        urn = _URN.match(line)
        if urn and not named:
            named = True
            if current is not None:
                steps[urn.group(1)] = current
            continue
        if line.startswith("Resources:"):
            current = None
        prop = _PROPERTY.match(line)
        if current is not None and prop:
            column = len(prop.group(1)) + len(prop.group(2))
            current.append((column, prop.group(2).strip(), prop.group(3)))
    shown: dict[str, list[str]] = {}
    for name, props in steps.items():
        top = min((column for column, _, _ in props), default=0)
        shown[name] = [f"{mark} {key}" for column, mark, key in props if column == top and mark]
    return shown


def _run_door(stack: CliStack, livekit: Any, door: str) -> dict[str, str]:
    for key, value in PASSWORDS.items():
        stack.config(key, value, secret=True)
    stack.ok("up", "--yes", "--skip-preview")
    assert len(livekit.inbound_trunks()) == 2 and len(livekit.dispatch_rules()) == 1

    unchanged = stack.ok("preview", "--diff", "--expect-no-changes")
    assert re.search(r"\b5 unchanged\b", unchanged.output), unchanged

    shown: dict[str, str] = {}
    for key, value, resource, fields in CHANGES:
        stack.config(key, value)
        preview = stack.ok("preview", "--diff")
        output = preview.output
        assert re.search(r"\b1 to update\b", output) and re.search(r"\b4 unchanged\b", output), (
            preview
        )
        assert _steps(output) == {resource: [f"~ {fields[door]}"]}, preview
        assert not any(password in output for password in PASSWORDS.values())
        shown[key] = output
        stack.ok("config", "rm", key)
    return shown


def test_preview_diff_of_the_python_door_names_the_one_changed_field(
    cli: PulumiCli, tmp_path: Path, stacks: list[CliStack], clean_livekit: Any
) -> None:
    stack = CliStack(cli, python_project(tmp_path / "python")).init()
    stacks.append(stack)
    for key, value in clean_livekit.config().items():
        stack.config(key, value)
    for key, value in clean_livekit.secret_config().items():
        stack.config(key, value, secret=True)
    _run_door(stack, clean_livekit, "python")


def test_preview_diff_of_the_plugin_door_names_the_one_changed_field(
    yaml_cli: PulumiCli, yaml_project: Any, stacks: list[CliStack], clean_livekit: Any
) -> None:
    stack = CliStack(yaml_cli, yaml_project(_yaml_program)).init()
    stacks.append(stack)
    stack.config("livekit-sip:url", clean_livekit.url)
    stack.config("livekit-sip:apiKey", clean_livekit.api_key)
    stack.config("livekit-sip:apiSecret", clean_livekit.api_secret, secret=True)
    _run_door(stack, clean_livekit, "yaml")
