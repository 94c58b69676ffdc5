"""A team adds LiveKit telephony to a Pulumi Python project that already runs, as the README's
"Use in an existing stack" says, through the `pulumi` CLI.

The project knows nothing of livekit-sip-pulumi at first: its own folder and virtualenv, one
unrelated resource already deployed (a tiny dynamic provider in the project's own module).
The team installs the package, sets the `livekit:*` config, declares an AgentPhoneLine and
adopts a trunk and a dispatch rule made by hand (`adopt_id`), and runs `pulumi up`: the
unrelated resource is untouched. `pulumi policy analyze` then audits the deployed stack and
finds the flaw of the adopted rule (it dispatches no agent).
"""

from __future__ import annotations

import json
import re
import textwrap

import pytest

from tests.e2e.cli.conftest import configure_livekit, has_package, install_package
from tests.e2e.cli.pulumi_cli import ROOT, CliStack

pytestmark = pytest.mark.e2e

NOTES_MODULE = '''
"""The project's own resource: a note with a generated ID (nothing outside Pulumi)."""

import uuid

import pulumi
from pulumi import dynamic


class NoteProvider(dynamic.ResourceProvider):
    def create(self, props):
        return dynamic.CreateResult(f"note-{uuid.uuid4().hex[:12]}", dict(props))


class Note(dynamic.Resource):
    text: pulumi.Output[str]

    def __init__(self, name, text, opts=None):
        super().__init__(NoteProvider(), name, {"text": text}, opts)
'''

PROGRAM_BEFORE = """
import pulumi
from notes import Note

note = Note("greeting", "hello from the existing stack")
pulumi.export("note_id", note.id)
"""

# What the team appends (README: "declare the resources next to the others"; adopt_id).
PROGRAM_ADDED = """
from livekit_sip_pulumi import (
    AgentPhoneLine,
    AgentPhoneLineArgs,
    SipDispatchRule,
    SipInboundTrunk,
)

config = pulumi.Config()
line = AgentPhoneLine(
    "support",
    AgentPhoneLineArgs(numbers=["+15105550100"], agent_name="support-agent"),
)
keep = pulumi.ResourceOptions(retain_on_delete=True)
legacy = SipInboundTrunk(
    "legacy-line",
    numbers=["+15105550177"],
    krisp_enabled=True,
    adopt_id=config.require("legacyTrunkId"),
    opts=keep,
)
# Adopted as it is: it dispatches no agent (the flaw the audit must find).
legacy_rule = SipDispatchRule(
    "legacy-dispatch",
    trunk_ids=[legacy.sip_trunk_id],
    rule={"dispatch_rule_individual": {"room_prefix": "legacy-"}},
    hide_phone_number=True,
    adopt_id=config.require("legacyRuleId"),
    opts=keep,
)
pulumi.export("support_trunk_id", line.inbound_trunk_id)
pulumi.export("legacy_trunk_id", legacy.sip_trunk_id)
pulumi.export("legacy_rule_id", legacy_rule.sip_dispatch_rule_id)
"""


def summary(output: str) -> str:
    return output[output.index("Resources:") :]


def note_state(stack: CliStack) -> dict:
    deployment = json.loads(stack.ok("stack", "export").stdout)["deployment"]
    [note] = [r for r in deployment["resources"] if r["urn"].endswith("::greeting")]
    return {"id": note["id"], "outputs": note["outputs"]["text"]}


def test_existing_project_gains_telephony_and_is_audited(cli, plain_venv, clean_livekit, tmp_path):
    assert not has_package(plain_venv), "the project must start without livekit-sip-pulumi"
    project = tmp_path / "existing-app"
    project.mkdir()
    (project / "Pulumi.yaml").write_text(
        textwrap.dedent(f"""\
            name: existing-app
            runtime:
              name: python
              options:
                toolchain: pip
                virtualenv: {plain_venv}
            """)
    )
    (project / "notes.py").write_text(NOTES_MODULE)
    (project / "__main__.py").write_text(PROGRAM_BEFORE)
    stack = CliStack(cli, project).init()
    try:
        first = stack.ok("up", "--yes")
        assert "2 created" in summary(first.stdout), first
        before = note_state(stack)

        # The README's steps for an existing stack.
        install_package(plain_venv)
        assert has_package(plain_venv)
        configure_livekit(stack, clean_livekit)
        trunk_id, rule_id = clean_livekit.make_by_hand("legacy", "+15105550177", "l-")
        stack.config("legacyTrunkId", trunk_id)
        stack.config("legacyRuleId", rule_id)
        (project / "__main__.py").write_text(PROGRAM_BEFORE + PROGRAM_ADDED)

        up = stack.ok("up", "--yes")
        changes = summary(up.stdout)
        assert "+ 5 created" in changes, up  # the line (component, trunk, rule), 2 adopted
        assert "2 unchanged" in changes, up  # the stack and the note
        assert not re.search(r"[~+-]+\s+\S+\s+greeting\b", up.stdout), up
        assert note_state(stack) == before

        outputs = json.loads(stack.ok("stack", "output", "--json").stdout)
        assert outputs["note_id"] == before["id"]
        assert (outputs["legacy_trunk_id"], outputs["legacy_rule_id"]) == (trunk_id, rule_id)
        held = {t.sip_trunk_id for t in clean_livekit.inbound_trunks()}
        assert held == {trunk_id, outputs["support_trunk_id"]}

        # Auditing the deployed stack with the pack (README: "Audit a deployed stack").
        audit = stack.run("policy", "analyze", "--policy-pack", str(ROOT / "policies"))
        assert audit.returncode != 0, audit
        mandatory = [line for line in audit.stdout.splitlines() if "[mandatory]" in line]
        assert len(mandatory) == 1, audit
        assert "LKSDR002" in mandatory[0] and "legacy-dispatch" in mandatory[0], audit
        assert "support-dispatch" not in audit.stdout, audit

        stack.ok("destroy", "--yes")
        # retain_on_delete: the adopted objects stay; the line's objects are gone.
        assert {t.sip_trunk_id for t in clean_livekit.inbound_trunks()} == {trunk_id}
        assert [r.sip_dispatch_rule_id for r in clean_livekit.dispatch_rules()] == [rule_id]
    finally:
        stack.remove()
