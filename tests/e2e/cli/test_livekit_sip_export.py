"""`livekit-sip export` round-trips a LiveKit project made with livekit-api into a Pulumi stack:
the generated program is run with the `pulumi` CLI (file backend) against the same server;
`up` adopts every object (IDs kept, nothing created or changed in LiveKit), then `preview`
and `refresh` show no changes. Passwords are never written into the program."""

from __future__ import annotations

import ast
import asyncio
import json
import re

import pytest
from livekit import api
from livekit_sip_pulumi.specs import SipDispatchRuleSpec, SipInboundTrunkSpec, SipOutboundTrunkSpec

from tests.e2e.cli.conftest import configure_livekit
from tests.e2e.cli.livekit_sip_cli import credentials, run
from tests.e2e.cli.pulumi_cli import CliStack

pytestmark = pytest.mark.e2e

INBOUND_PASSWORD = "inbound-Pa55word-from-provider"
OUTBOUND_PASSWORD = "outbound-Pa55word-from-provider"


async def _seed(lk: api.LiveKitAPI) -> None:
    sip = lk.sip
    main = await sip.create_inbound_trunk(
        api.CreateSIPInboundTrunkRequest(
            trunk=api.SIPInboundTrunkInfo(
                name="main-line",
                numbers=["+15105550100", "+15105550111"],
                allowed_addresses=["203.0.113.0/24"],
                krisp_enabled=True,
                metadata='{"team": "support"}',
                headers_to_attributes={"X-Customer": "customer"},
                media_encryption=api.SIPMediaEncryption.SIP_MEDIA_ENCRYPT_ALLOW,
            )
        )
    )
    secured = await sip.create_inbound_trunk(
        api.CreateSIPInboundTrunkRequest(
            trunk=api.SIPInboundTrunkInfo(
                name="secured line",  # a space: the resource name is a slug of it
                numbers=["+442071838750"],
                auth_username="pbx",
                auth_password=INBOUND_PASSWORD,
                krisp_enabled=True,
            )
        )
    )
    await sip.create_outbound_trunk(
        api.CreateSIPOutboundTrunkRequest(
            trunk=api.SIPOutboundTrunkInfo(
                name="twilio-out",
                address="example.pstn.twilio.com",
                numbers=["+15105550100"],
                auth_username="twilio-user",
                auth_password=OUTBOUND_PASSWORD,
                destination_country="us",
                transport=api.SIPTransport.SIP_TRANSPORT_TLS,
            )
        )
    )
    agents = api.RoomConfiguration(
        agents=[api.RoomAgentDispatch(agent_name="support-agent", metadata="{}")],
        empty_timeout=60,
    )
    await sip.create_dispatch_rule(
        api.CreateSIPDispatchRuleRequest(
            dispatch_rule=api.SIPDispatchRuleInfo(
                name="main-dispatch",
                trunk_ids=[main.sip_trunk_id],
                rule=api.SIPDispatchRule(
                    dispatch_rule_individual=api.SIPDispatchRuleIndividual(room_prefix="call-")
                ),
                room_config=agents,
                hide_phone_number=True,
                attributes={"line": "main"},
            )
        )
    )
    await sip.create_dispatch_rule(
        api.CreateSIPDispatchRuleRequest(
            dispatch_rule=api.SIPDispatchRuleInfo(
                name="secured-conference",
                trunk_ids=[secured.sip_trunk_id],
                rule=api.SIPDispatchRule(
                    dispatch_rule_direct=api.SIPDispatchRuleDirect(room_name="board", pin="4242")
                ),
                room_config=agents,
            )
        )
    )
    await sip.create_dispatch_rule(
        api.CreateSIPDispatchRuleRequest(
            dispatch_rule=api.SIPDispatchRuleInfo(
                # No name: the resource name comes from the ID, the object keeps no name.
                trunk_ids=[secured.sip_trunk_id],
                rule=api.SIPDispatchRule(
                    dispatch_rule_callee=api.SIPDispatchRuleCallee(room_prefix="callee-")
                ),
                room_config=agents,
                inbound_numbers=["+14155550100"],
            )
        )
    )


def snapshot(livekit) -> dict[str, dict]:
    """Every object by ID, every field as the components read it (passwords included)."""
    shapes = [
        (livekit.inbound_trunks(), SipInboundTrunkSpec, "sip_trunk_id"),
        (livekit.outbound_trunks(), SipOutboundTrunkSpec, "sip_trunk_id"),
        (livekit.dispatch_rules(), SipDispatchRuleSpec, "sip_dispatch_rule_id"),
    ]
    return {
        getattr(item, id_field): spec.outputs_from_proto(item)
        for items, spec, id_field in shapes
        for item in items
    }


def summary(output: str) -> str:
    return output[output.index("Resources:") :]


def test_export_round_trips_into_a_stack_with_no_diff(cli, package_venv, clean_livekit, tmp_path):
    livekit = clean_livekit

    async def seed() -> None:
        async with api.LiveKitAPI(livekit.url, livekit.api_key, livekit.api_secret) as lk:
            await _seed(lk)

    asyncio.run(seed())
    before = snapshot(livekit)
    assert len(before) == 6

    program = tmp_path / "adopted"
    exported = run(
        "export",
        "-o",
        str(program),
        "--project-name",
        "adopted-sip",
        "--virtualenv",
        str(package_venv),
        env=credentials(livekit),
    )
    assert exported.returncode == 0, exported
    files = {p.name for p in program.iterdir()}
    assert files == {"__main__.py", "Pulumi.yaml", "requirements.txt", "README.md", "import.json"}
    source = (program / "__main__.py").read_text()
    for path in program.iterdir():
        text = path.read_text()
        assert INBOUND_PASSWORD not in text and OUTBOUND_PASSWORD not in text, path
        assert livekit.api_secret not in text, path
    assert INBOUND_PASSWORD not in exported.stdout + exported.stderr
    assert sorted(re.findall(r"adopt_id='([A-Z]+_\w+)'", source)) == sorted(before)
    assert "config.require_secret('securedLineAuthPassword')" in source
    assert "config.require_secret('twilioOutAuthPassword')" in source
    assert "trunk_ids=[main_line.sip_trunk_id]" in source  # references, not copied IDs
    assert "pulumi config set --secret securedLineAuthPassword" in exported.stderr
    assert "name: adopted-sip" in (program / "Pulumi.yaml").read_text()

    stack = CliStack(cli, program).init()
    try:
        configure_livekit(stack, livekit)
        # Without the passwords the preview fails and names the key (nothing is blanked).
        unset = stack.run("preview")
        assert unset.returncode != 0, unset
        assert "securedLineAuthPassword" in unset.output, unset
        stack.config("securedLineAuthPassword", INBOUND_PASSWORD, secret=True)
        stack.config("twilioOutAuthPassword", OUTBOUND_PASSWORD, secret=True)

        up = stack.ok("up", "--yes")
        assert "+ 7 created" in summary(up.stdout), up  # the stack and 6 adopted objects
        after_up = snapshot(livekit)
        assert after_up == before  # same IDs, same fields, same passwords

        preview = stack.ok("preview", "--expect-no-changes", "--diff")
        assert "7 unchanged" in summary(preview.stdout), preview
        refresh = stack.ok("refresh", "--yes", "--expect-no-changes")
        assert "7 unchanged" in summary(refresh.stdout), refresh
        stack.ok("preview", "--expect-no-changes")

        outputs = json.loads(stack.ok("stack", "output", "--json").stdout)
        assert sorted(outputs.values()) == sorted(before)
        state = stack.ok("stack", "export").stdout
        assert INBOUND_PASSWORD not in state and OUTBOUND_PASSWORD not in state
        assert snapshot(livekit) == before
    finally:
        stack.remove()

    doctor = run("doctor", "--json", env=credentials(livekit))
    assert doctor.returncode == 0, doctor  # the seeded project is healthy


HOSTILE = "x\nimport os; os.system('touch /tmp/pwned')"


def _imports_and_callees(source: str) -> tuple[set[str], set[str]]:
    """The imports of ``source`` and the functions it calls, as text."""
    tree = ast.parse(source)
    imports = {ast.unparse(n) for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom)}
    callees = {ast.unparse(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    return imports, callees


def test_export_escapes_what_livekit_holds(clean_livekit, tmp_path):
    """Names, metadata and numbers with line breaks (any client can store them) stay values
    and comments in the generated program, and one line each in its README."""
    livekit = clean_livekit

    async def seed() -> None:
        async with api.LiveKitAPI(livekit.url, livekit.api_key, livekit.api_secret) as lk:
            trunk = await lk.sip.create_inbound_trunk(
                api.CreateSIPInboundTrunkRequest(
                    trunk=api.SIPInboundTrunkInfo(
                        name=HOSTILE,
                        numbers=["+15105550100", "+1\r" + HOSTILE.split("\n")[1]],
                        metadata=HOSTILE,
                        auth_username="u",
                        auth_password="p\u2028import os",
                    )
                )
            )
            await lk.sip.create_dispatch_rule(
                api.CreateSIPDispatchRuleRequest(
                    dispatch_rule=api.SIPDispatchRuleInfo(
                        name='"""\r\nimport os; os.system("touch /tmp/pwned") #',
                        trunk_ids=[trunk.sip_trunk_id],
                        rule=api.SIPDispatchRule(
                            dispatch_rule_individual=api.SIPDispatchRuleIndividual(room_prefix="c-")
                        ),
                    )
                )
            )

    asyncio.run(seed())
    program = tmp_path / "hostile"
    exported = run("export", "-o", str(program), env=credentials(livekit))
    assert exported.returncode == 0, exported
    source = (program / "__main__.py").read_text()
    compile(source, "__main__.py", "exec")
    imports, callees = _imports_and_callees(source)
    assert imports == {
        "import pulumi",
        "from livekit_sip_pulumi import SipDispatchRule, SipInboundTrunk",
    }
    assert callees == {
        "pulumi.Config",
        "pulumi.ResourceOptions",
        "SipInboundTrunk",
        "SipDispatchRule",
        "config.require_secret",
        "pulumi.export",
    }
    # The values themselves are exported as they are (escaped in the literal).
    assert f"metadata={HOSTILE!r}" in source
    for name in ("__main__.py", "README.md"):
        lines = (program / name).read_text().splitlines()
        assert not [line for line in lines if line.lstrip("#- ").startswith("import os")], name
    assert "\nimport os" not in exported.stderr


def test_export_of_objects_sharing_a_name_previews_as_adoptions(
    cli, package_venv, clean_livekit, tmp_path
):
    """LiveKit lets two inbound trunks (and two dispatch rules) be named 'dup'; a stack gives
    each object of a kind its own name. The export declares those objects without `name` (a
    comment says so): the preview is adoptions only, `up` creates nothing in LiveKit and keeps
    both names as LiveKit holds them."""
    livekit = clean_livekit

    async def seed() -> None:
        async with api.LiveKitAPI(livekit.url, livekit.api_key, livekit.api_secret) as lk:
            trunk_ids = []
            for number in ("+15105550120", "+15105550121"):
                trunk = await lk.sip.create_inbound_trunk(
                    api.CreateSIPInboundTrunkRequest(
                        trunk=api.SIPInboundTrunkInfo(name="dup", numbers=[number])
                    )
                )
                trunk_ids.append(trunk.sip_trunk_id)
            for trunk_id in trunk_ids:
                await lk.sip.create_dispatch_rule(
                    api.CreateSIPDispatchRuleRequest(
                        dispatch_rule=api.SIPDispatchRuleInfo(
                            name="dup",
                            trunk_ids=[trunk_id],
                            rule=api.SIPDispatchRule(
                                dispatch_rule_individual=api.SIPDispatchRuleIndividual(
                                    room_prefix="call-"
                                )
                            ),
                            room_config=api.RoomConfiguration(
                                agents=[api.RoomAgentDispatch(agent_name="support-agent")]
                            ),
                        )
                    )
                )

    asyncio.run(seed())
    before = snapshot(livekit)
    assert len(before) == 4 and {o["name"] for o in before.values()} == {"dup"}

    program = tmp_path / "dup"
    exported = run(
        "export", "-o", str(program), "--virtualenv", str(package_venv), env=credentials(livekit)
    )
    assert exported.returncode == 0, exported
    source = (program / "__main__.py").read_text()
    compile(source, "__main__.py", "exec")
    assert "name='dup'" not in source and 'name="dup"' not in source, source
    # Unique resource names, in the server's (ID) order; the comment on each says why.
    assert re.findall(r"^\w+ = Sip\w+\(\n    '([^']+)',", source, re.M) == [
        "dup",
        "dup-2",
        "dup-3",
        "dup-4",
    ]
    note = r"# name not declared: LiveKit holds the name 'dup' on this (\w+ \w+)"
    notes = re.findall(note, source)
    assert notes == ["inbound trunk"] * 2 + ["dispatch rule"] * 2, source
    readme = (program / "README.md").read_text()
    shared = readme[readme.index("## Objects that share a name") :]
    assert all(object_id.replace("_", "\\_") in shared for object_id in before), readme
    assert exported.stderr.count("name not declared (shared with") == 4, exported

    stack = CliStack(cli, program).init()
    try:
        configure_livekit(stack, livekit)
        preview = stack.ok("preview", "--diff")
        assert "+ 5 to create" in summary(preview.stdout), preview  # the stack and 4 adoptions
        assert "adopting" not in preview.output, preview  # no adoption changes a field
        assert "error:" not in preview.output.lower(), preview
        assert source.count("adopt_id=") == 4

        up = stack.ok("up", "--yes")
        assert "+ 5 created" in summary(up.stdout), up
        assert snapshot(livekit) == before  # nothing created, both names kept as LiveKit has them
        stack.ok("preview", "--expect-no-changes")
        assert snapshot(livekit) == before
    finally:
        stack.remove()
