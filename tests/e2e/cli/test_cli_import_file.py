"""`livekit-sip export` writes Pulumi's bulk import file; `pulumi import --file` brings the live
project into a YAML program through the `livekit-sip` provider plugin, with the real CLI.

Seeded with livekit-api (an inbound trunk, an outbound trunk with a password, a dispatch rule
with an agent, one name that is no identifier and carries YAML's interpolation syntax): the
engine reads each object through the plugin and writes its declaration; with it in the
program, `pulumi preview` shows no changes and the objects keep their IDs and fields. The
trunk's password is not imported: the import warns, naming the field and the fix, and the
value is nowhere in the files, the output or the state.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from livekit import api
from livekit_sip_core import PLUGIN_TYPES

from tests.e2e.cli.conftest import report
from tests.e2e.cli.livekit_sip_cli import credentials, run
from tests.e2e.cli.pulumi_cli import ROOT, CliStack
from tests.e2e.cli.test_cli_typescript_program import ts_cli  # noqa: F401
from tests.e2e.cli.test_cli_yaml_program import PACK, _configure, yaml_cli  # noqa: F401
from tests.e2e.cli.test_livekit_sip_export import snapshot

pytestmark = pytest.mark.e2e

PASSWORD = "outbound-import-Pa55word-7f2c"
HOSTILE_NAME = "9 lines ${pulumi.stack} `x`"  # a digit first, YAML interpolation, backticks


def _seed(livekit: Any) -> dict[str, str]:
    """The objects by role -> ID."""

    async def seed(lk: api.LiveKitAPI) -> dict[str, str]:
        inbound = await lk.sip.create_inbound_trunk(
            api.CreateSIPInboundTrunkRequest(
                trunk=api.SIPInboundTrunkInfo(
                    name="main line",
                    numbers=["+15105550100"],
                    allowed_addresses=["203.0.113.0/24"],
                    krisp_enabled=True,
                    headers_to_attributes={"X-Customer": "customer"},
                )
            )
        )
        outbound = await lk.sip.create_outbound_trunk(
            api.CreateSIPOutboundTrunkRequest(
                trunk=api.SIPOutboundTrunkInfo(
                    name="twilio-out",
                    address="example.pstn.twilio.com",
                    numbers=["+15105550100"],
                    auth_username="twilio-user",
                    auth_password=PASSWORD,
                    transport=api.SIPTransport.SIP_TRANSPORT_TLS,
                )
            )
        )
        rule = await lk.sip.create_dispatch_rule(
            api.CreateSIPDispatchRuleRequest(
                dispatch_rule=api.SIPDispatchRuleInfo(
                    name=HOSTILE_NAME,
                    trunk_ids=[inbound.sip_trunk_id],
                    rule=api.SIPDispatchRule(
                        dispatch_rule_individual=api.SIPDispatchRuleIndividual(room_prefix="call-")
                    ),
                    room_config=api.RoomConfiguration(
                        agents=[api.RoomAgentDispatch(agent_name="support-agent")]
                    ),
                    hide_phone_number=True,
                )
            )
        )
        return {
            "inbound": inbound.sip_trunk_id,
            "outbound": outbound.sip_trunk_id,
            "rule": rule.sip_dispatch_rule_id,
        }

    return livekit.call(seed)


def _empty_yaml_project(folder: Path) -> Path:
    folder.mkdir()
    program = {
        "name": "imported-sip",
        "runtime": "yaml",
        "packages": {"livekit-sip": str(ROOT / "provider")},
        "resources": {},
    }
    (folder / "Pulumi.yaml").write_text(yaml.safe_dump(program, sort_keys=False))
    return folder


def test_export_import_file_round_trips_through_pulumi_import(
    request,
    yaml_cli,  # noqa: F811
    clean_livekit,
    tmp_path,
) -> None:
    ids = _seed(clean_livekit)
    before = snapshot(clean_livekit)
    times: dict[str, float] = {}

    started = time.monotonic()
    exported = run("export", "-o", str(tmp_path / "export"), env=credentials(clean_livekit))
    times["livekit-sip export"] = time.monotonic() - started
    assert exported.returncode == 0, exported
    import_path = tmp_path / "export" / "import.json"
    entries = json.loads(import_path.read_text())["resources"]
    assert entries == [
        {"type": "livekit-sip:index:SipInboundTrunk", "name": "main-line", "id": ids["inbound"]},
        {"type": "livekit-sip:index:SipOutboundTrunk", "name": "twilio-out", "id": ids["outbound"]},
        {
            "type": "livekit-sip:index:SipDispatchRule",
            "name": "sip-9-lines-pulumi-stack-x",  # a slug, starting with a letter
            "id": ids["rule"],
        },
    ]
    assert {e["type"] for e in entries} == set(PLUGIN_TYPES)
    # The export says what to do about the password, without it.
    assert "authPassword of twilio-out is not imported" in exported.stderr, exported
    assert "pulumi config set --secret twilioOutAuthPassword" in exported.stderr
    for path in (tmp_path / "export").iterdir():
        assert PASSWORD not in path.read_text(), path
    assert PASSWORD not in exported.stdout + exported.stderr

    folder = _empty_yaml_project(tmp_path / "yaml-project")
    stack = CliStack(yaml_cli, folder).init()
    try:
        _configure(stack, clean_livekit)
        code = folder / "imported.yaml"
        started = time.monotonic()
        imported = stack.ok(
            "import", "--file", str(import_path), "--yes", "--protect=false", "--out", str(code)
        )
        times["pulumi import --file"] = time.monotonic() - started
        assert PASSWORD not in imported.output
        # The plugin's warning on the trunk: the field, why, and the fix.
        warning = " ".join(imported.output.split())
        assert (
            f"{ids['outbound']} has a password in LiveKit; authPassword is not imported" in warning
        ), imported
        assert "pulumi config set --secret twilioOutAuthPassword" in warning, imported
        assert "authPassword: ${twilioOutAuthPassword}" in warning, imported
        assert ids["inbound"] + " has a password" not in warning, imported

        generated = yaml.safe_load(code.read_text())["resources"]
        assert set(generated) == {"main-line", "twilio-out", "sip-9-lines-pulumi-stack-x"}
        # YAML's code generator writes the tokens without the index module, as YAML reads them.
        short = {t.replace(":index:", ":") for t in PLUGIN_TYPES}
        assert {r["type"] for r in generated.values()} == short
        assert "authPassword" not in generated["twilio-out"]["properties"]
        assert PASSWORD not in code.read_text()
        rule = generated["sip-9-lines-pulumi-stack-x"]["properties"]
        assert rule["roomConfig"] == {"agents": [{"agentName": "support-agent"}]}
        # The code generator links the rule to the imported trunk (its ID) rather than copying it.
        assert rule["trunkIds"] == ['${["main-line"].id}']

        program = yaml.safe_load((folder / "Pulumi.yaml").read_text())
        program["resources"] = generated
        (folder / "Pulumi.yaml").write_text(yaml.safe_dump(program, sort_keys=False))
        # As the warning said: without the password the code does not match the trunk; the
        # trunk's check refuses it, naming the password, and nothing is changed.
        unset = stack.run("preview", "--expect-no-changes")
        assert unset.returncode != 0, unset
        assert "auth_username and auth_password go together" in unset.output, unset
        assert PASSWORD not in unset.output
        assert stack.run("up", "--yes", "--skip-preview").returncode != 0
        assert snapshot(clean_livekit) == before

        # The fix the warning names: the password from a secret of the stack's config.
        stack.config("twilioOutAuthPassword", PASSWORD, secret=True)
        program["config"] = {"twilioOutAuthPassword": {"type": "string", "secret": True}}
        generated["twilio-out"]["properties"]["authPassword"] = "${twilioOutAuthPassword}"
        (folder / "Pulumi.yaml").write_text(yaml.safe_dump(program, sort_keys=False))
        started = time.monotonic()
        preview = stack.ok("preview", "--expect-no-changes")
        times["preview --expect-no-changes"] = time.monotonic() - started
        assert "4 unchanged" in preview.stdout, preview  # the stack and three objects

        # The pack runs on the imported objects as on any other (no finding on this project).
        checked = stack.ok("preview", "--expect-no-changes", "--policy-pack", PACK)
        assert "[mandatory]" not in checked.stdout, checked

        state = stack.ok("stack", "export").stdout
        assert PASSWORD not in state
        recorded = {r.get("id"): r for r in json.loads(state)["deployment"]["resources"]}
        assert {i for i in recorded if i} >= set(ids.values())
        assert snapshot(clean_livekit) == before  # same IDs, same fields, same password
    finally:
        stack.remove()
    steps = ", ".join(f"{k} {v:.1f}s" for k, v in times.items())
    report(request, f"import file round trip: {steps}")


def test_export_import_file_into_a_typescript_program(
    request,
    ts_cli,  # noqa: F811
    clean_livekit,
    tmp_path,
) -> None:
    """The same import file in a TypeScript project (the SDK from `pulumi package add`): the
    engine writes TypeScript; with it as the program (and the password declared as the warning
    says), preview shows no changes and the objects are unchanged."""
    import shutil

    from tests.e2e.cli.test_cli_other_languages import SHIM, _install_plugin
    from tests.e2e.cli.test_cli_typescript_program import EXAMPLE, _npm_install

    ids = _seed(clean_livekit)
    before = snapshot(clean_livekit)
    exported = run("export", "-o", str(tmp_path / "export"), env=credentials(clean_livekit))
    assert exported.returncode == 0, exported
    folder = tmp_path / "typescript"
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns("node_modules", "sdks"))
    (folder / "index.ts").write_text("export {};\n")
    project = yaml.safe_load((folder / "Pulumi.yaml").read_text())
    del project["packages"]  # `pulumi package add` writes it
    (folder / "Pulumi.yaml").write_text(yaml.safe_dump(project, sort_keys=False))
    times: dict[str, float] = {}
    started = time.monotonic()
    _npm_install(folder)
    _install_plugin(ts_cli)
    ts_cli.ok("package", "add", str(SHIM), cwd=folder)
    times["npm install + package add"] = time.monotonic() - started
    stack = CliStack(ts_cli, folder).init()
    try:
        _configure(stack, clean_livekit)
        code = folder / "imported.ts"
        started = time.monotonic()
        imported = stack.ok(
            "import", "--file", str(tmp_path / "export" / "import.json"),
            "--yes", "--protect=false", "--out", str(code),
        )  # fmt: skip
        times["pulumi import --file"] = time.monotonic() - started
        assert f"{ids['outbound']} has a password in LiveKit" in " ".join(imported.output.split())
        source = code.read_text()
        assert PASSWORD not in source and PASSWORD not in imported.output
        for name in ("main-line", "twilio-out", "sip-9-lines-pulumi-stack-x"):
            assert f'"{name}"' in source, source
        assert 'agentName: "support-agent"' in source, source
        # The fix the warning names, in TypeScript.
        stack.config("twilioOutAuthPassword", PASSWORD, secret=True)
        marker = 'new livekit_sip.SipOutboundTrunk("twilio-out", {\n'
        assert marker in source, source
        declared = '    authPassword: new pulumi.Config().requireSecret("twilioOutAuthPassword"),\n'
        source = source.replace(marker, marker + declared)
        if 'import * as pulumi from "@pulumi/pulumi";' not in source:
            source = 'import * as pulumi from "@pulumi/pulumi";\n' + source
        (folder / "index.ts").write_text(source)
        code.unlink()
        started = time.monotonic()
        preview = stack.ok("preview", "--expect-no-changes")
        times["preview --expect-no-changes"] = time.monotonic() - started
        assert "4 unchanged" in preview.stdout, preview
        assert PASSWORD not in stack.ok("stack", "export").stdout
        assert snapshot(clean_livekit) == before
    finally:
        stack.remove()
    steps = ", ".join(f"{k} {v:.1f}s" for k, v in times.items())
    report(request, f"import file into TypeScript: {steps}")
