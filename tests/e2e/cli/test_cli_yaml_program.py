"""A Pulumi YAML program (examples/yaml) through the `livekit-sip` provider plugin, with the real
CLI in a project folder: preview with the policy pack, up, refresh, destroy against the real
livekit-server; and a broken dispatch rule blocked at preview by the same rule as in Python.

The program runs on Pulumi's YAML language host (scripts/build-yaml-host.sh, `make toolchain`);
the plugin is the checkout's provider/ folder, named under the program's `packages:`.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.cli.conftest import report
from tests.e2e.cli.pulumi_cli import ROOT, CliStack, PulumiCli
from tests.e2e.test_faults import leaks
from tests.e2e.test_policy_examples import FAILURES

pytestmark = pytest.mark.e2e

EXAMPLE = ROOT / "examples" / "yaml"
PACK = str(ROOT / "policies")
PASSWORD = "yaml-door-digest-pw-5c81e0"
#: The engine's -v=9 record of the inputs it sends to a provider's Check, which shows secrets to
#: a provider that accepts them (components/livekit_sip_pulumi/plugin/provider.py, configure).
ENGINE_CHECK_REQUEST = re.compile(
    r"Marshaling property for RPC\[Provider\[0x[0-9a-f]+\]\.Check\(urn:pulumi:[^)]*\)\.news\]"
)


def yaml_host_dir() -> Path:
    """The folder scripts/build-yaml-host.sh builds pulumi-language-yaml into."""
    out = subprocess.run(
        [
            "bash",
            "-c",
            f'source "{ROOT}/scripts/toolchain-env.sh" && '
            'printf %s "$LKSP_CACHE/pulumi-language-yaml/$PULUMI_YAML_VERSION"',
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return Path(out.stdout)


@pytest.fixture(scope="module")
def yaml_cli(cli: PulumiCli) -> PulumiCli:
    """The session's CLI with the YAML language host on PATH."""
    host = yaml_host_dir()
    if not (host / "pulumi-language-yaml").exists():
        pytest.fail(
            f"pulumi-language-yaml is not built in {host}: run scripts/build-yaml-host.sh "
            "(`make toolchain` does it)",
            pytrace=False,
        )
    path = f"{host}{os.pathsep}{cli.env()['PATH']}"
    return PulumiCli(
        bin_dir=cli.bin_dir, home=cli.home, backend=cli.backend, extra_env={"PATH": path}
    )


@pytest.fixture
def yaml_project(tmp_path: Path) -> Callable[[Callable[[dict[str, Any]], None]], Path]:
    """A copy of examples/yaml, changed by ``edit``, whose `packages:` names this checkout's
    provider/ folder by its absolute path (the example's is relative to the repository)."""

    def make(edit: Callable[[dict[str, Any]], None]) -> Path:
        program = yaml.safe_load((EXAMPLE / "Pulumi.yaml").read_text())
        assert program["packages"] == {"livekit-sip": "../../provider"}
        program["packages"]["livekit-sip"] = str(ROOT / "provider")
        edit(program)
        folder = tmp_path / "yaml-project"
        folder.mkdir()
        (folder / "Pulumi.yaml").write_text(yaml.safe_dump(program, sort_keys=False))
        return folder

    return make


@pytest.fixture
def stacks() -> Iterator[list[CliStack]]:
    made: list[CliStack] = []
    yield made
    for stack in made:
        stack.run("destroy", "--yes", "--skip-preview")
        stack.remove()


def _configure(stack: CliStack, livekit: Any) -> None:
    """The plugin's configuration, as the example's README says."""
    stack.config("livekit-sip:url", livekit.url)
    stack.config("livekit-sip:apiKey", livekit.api_key)
    stack.config("livekit-sip:apiSecret", livekit.api_secret, secret=True)


def _with_password(program: dict[str, Any]) -> None:
    program["config"]["trunkPassword"] = {"type": "string", "secret": True}
    line = program["resources"]["line"]["properties"]
    line["authUsername"] = "support"
    line["authPassword"] = "${trunkPassword}"


def test_yaml_program_preview_up_refresh_destroy(
    request, yaml_cli, yaml_project, stacks, clean_livekit
) -> None:
    folder = yaml_project(_with_password)
    stack = CliStack(yaml_cli, folder).init()
    stacks.append(stack)
    _configure(stack, clean_livekit)
    stack.config("trunkPassword", PASSWORD, secret=True)
    times: dict[str, float] = {}

    def step(name: str, *args: str) -> str:
        started = time.monotonic()
        result = stack.ok(*args)
        times[name] = time.monotonic() - started
        return result.output

    preview = step("preview --policy-pack", "preview", "--policy-pack", PACK)
    assert "livekit-sip:index:SipInboundTrunk line create" in preview, preview
    assert "livekit-sip:index:SipDispatchRule line-dispatch create" in preview, preview
    assert "[mandatory]" not in preview and "[advisory]" not in preview, preview
    assert clean_livekit.inbound_trunks() == []

    # The engine and the plugin at full verbosity: no line shows the password but the engine's
    # own record of the program's registration (tests/e2e/test_faults.py, ENGINE_LINES) and of
    # the inputs it sends to Check (the plugin accepts secrets, as construct requires).
    up = step(
        "up -v=9",
        "up", "--yes", "--skip-preview", "--policy-pack", PACK,
        "--logtostderr", "--logflow", "-v=9",
    )  # fmt: skip
    assert "Check(urn:pulumi:" in up and ".Create(urn:pulumi:" in up
    assert [line for line in leaks(up, PASSWORD) if not ENGINE_CHECK_REQUEST.search(line)] == []
    [trunk] = clean_livekit.inbound_trunks()
    [rule] = clean_livekit.dispatch_rules()
    assert list(trunk.numbers) == ["+15105550100"] and trunk.krisp_enabled
    assert trunk.auth_username == "support" and trunk.auth_password == PASSWORD
    assert trunk.name.startswith("line-")  # autonamed, as the dynamic resources are
    assert list(rule.trunk_ids) == [trunk.sip_trunk_id] and rule.hide_phone_number
    assert rule.rule.dispatch_rule_individual.room_prefix == "call-"
    assert [a.agent_name for a in rule.room_config.agents] == ["support-agent"]

    outputs = json.loads(stack.ok("stack", "output", "--json").stdout)
    assert outputs == {
        "inboundTrunkId": trunk.sip_trunk_id,
        "dispatchRuleId": rule.sip_dispatch_rule_id,
    }
    state = stack.ok("stack", "export").stdout
    assert PASSWORD not in state
    resources = {r["type"]: r for r in json.loads(state)["deployment"]["resources"]}
    recorded = resources["livekit-sip:index:SipInboundTrunk"]
    assert recorded["id"] == trunk.sip_trunk_id
    assert "ciphertext" in json.dumps(recorded["outputs"]["authPassword"])
    assert recorded["outputs"]["sipTrunkId"] == trunk.sip_trunk_id
    dispatch = resources["livekit-sip:index:SipDispatchRule"]["outputs"]
    assert dispatch["roomConfig"]["agents"][0]["agentName"] == "support-agent"

    refresh = step("refresh", "refresh", "--yes", "--skip-preview")
    assert "3 unchanged" in refresh, refresh
    step("preview --expect-no-changes", "preview", "--expect-no-changes", "--policy-pack", PACK)

    step("destroy", "destroy", "--yes", "--skip-preview")
    assert clean_livekit.inbound_trunks() == [] and clean_livekit.dispatch_rules() == []
    report(request, "YAML program: " + ", ".join(f"{k} {v:.1f}s" for k, v in times.items()))


def _without_agent(program: dict[str, Any]) -> None:
    del program["resources"]["line-dispatch"]["properties"]["roomConfig"]


def test_yaml_dispatch_rule_without_agent_is_blocked_like_python(
    yaml_cli, yaml_project, stacks, clean_livekit
) -> None:
    """examples/failures/no-agent-dispatch as a YAML program: the same rule blocks it."""
    stack = CliStack(yaml_cli, yaml_project(_without_agent)).init()
    stacks.append(stack)
    _configure(stack, clean_livekit)
    result = stack.run("preview", "--policy-pack", PACK)
    assert result.returncode != 0, result
    mandatory = [line.strip() for line in result.stdout.splitlines() if "[mandatory]" in line]
    found = {
        (rule, name)
        for rule, name in FAILURES["no-agent-dispatch"]
        if any(rule in line and f"livekit-sip:index:SipDispatchRule: {name})" in line
               for line in mandatory)
    }  # fmt: skip
    assert found == FAILURES["no-agent-dispatch"], result
    assert len(mandatory) == len(found), result
    assert clean_livekit.inbound_trunks() == [] and clean_livekit.dispatch_rules() == []


def _no_resources(program: dict[str, Any]) -> None:
    program["resources"] = {}
    del program["outputs"]


def test_pulumi_import_of_a_live_trunk_into_a_yaml_program(
    request, yaml_cli, yaml_project, stacks, clean_livekit
) -> None:
    """`pulumi import livekit-sip:index:SipInboundTrunk <name> ST_...`: the engine reads the live
    object through the plugin and writes its declaration; with it in the program, preview shows
    no changes and the object keeps its ID and fields."""
    from livekit import api

    made = clean_livekit.call(
        lambda lk: lk.sip.create_inbound_trunk(
            api.CreateSIPInboundTrunkRequest(
                trunk=api.SIPInboundTrunkInfo(
                    name="made-by-hand",
                    numbers=["+15105550177"],
                    allowed_addresses=["203.0.113.0/24"],
                    krisp_enabled=True,
                    headers={"X-Team": "support"},
                )
            )
        )
    )
    folder = yaml_project(_no_resources)
    stack = CliStack(yaml_cli, folder).init()
    stacks.append(stack)
    _configure(stack, clean_livekit)
    code = folder / "imported.yaml"
    started = time.monotonic()
    stack.ok(
        "import", "livekit-sip:index:SipInboundTrunk", "byhand", made.sip_trunk_id,
        "--yes", "--protect=false", "--out", str(code),
    )  # fmt: skip
    took = time.monotonic() - started
    generated = yaml.safe_load(code.read_text())["resources"]["byhand"]
    assert generated["properties"] == {
        "allowedAddresses": ["203.0.113.0/24"],
        "headers": {"X-Team": "support"},
        "krispEnabled": True,
        "name": "made-by-hand",
        "numbers": ["+15105550177"],
    }
    program = yaml.safe_load((folder / "Pulumi.yaml").read_text())
    program["resources"] = {"byhand": generated}
    (folder / "Pulumi.yaml").write_text(yaml.safe_dump(program, sort_keys=False))
    stack.ok("preview", "--expect-no-changes")
    # The pack sees the imported trunk: no dispatch rule routes its calls.
    checked = stack.run("preview", "--policy-pack", PACK)
    assert checked.returncode != 0
    assert [line.strip() for line in checked.stdout.splitlines() if "[mandatory]" in line] == [
        "- [mandatory] [severity: high]  LKSSTK005  (livekit-sip:index:SipInboundTrunk: byhand)"
    ], checked
    [trunk] = clean_livekit.inbound_trunks()
    assert trunk == made  # same ID, same fields: the import changed nothing
    report(request, f"pulumi import of a live trunk: {took:.1f}s")
