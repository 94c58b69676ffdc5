"""A TypeScript program (examples/typescript) through the `livekit-sip` provider plugin, as a new
user runs it: `npm install`, `pulumi package add` (the SDK generated from the plugin's schema),
preview with the policy pack, up, refresh, destroy against the real livekit-server; then the
same program with a dispatch rule that names no agent, blocked by the rule Python programs get.

Needs the Node.js language host (scripts/build-nodejs-host.sh, `make toolchain`), Node.js and
npm, and the npm registry (or npm's cache) for @pulumi/pulumi and typescript.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from tests.e2e.cli.conftest import report
from tests.e2e.cli.pulumi_cli import ROOT, CliStack, PulumiCli, path_without_virtualenvs
from tests.e2e.cli.test_cli_yaml_program import PACK, _configure
from tests.e2e.test_policy_examples import FAILURES

pytestmark = pytest.mark.e2e

EXAMPLE = ROOT / "examples" / "typescript"
SHIM = ROOT / "provider" / "pulumi-resource-livekit-sip"


def nodejs_host_dir() -> Path:
    out = subprocess.run(
        [
            "bash",
            "-c",
            f'source "{ROOT}/scripts/toolchain-env.sh" && '
            'printf %s "$LKSP_CACHE/pulumi-language-nodejs/v$PULUMI_NODEJS_HOST_VERSION"',
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return Path(out.stdout)


@pytest.fixture(scope="module")
def ts_cli(cli: PulumiCli) -> PulumiCli:
    host = nodejs_host_dir()
    missing = [
        what
        for what, ok in (
            (f"pulumi-language-nodejs in {host} (scripts/build-nodejs-host.sh, `make toolchain`)",
             (host / "pulumi-language-nodejs").exists()),
            ("node", shutil.which("node") is not None),
            ("npm", shutil.which("npm") is not None),
        )
        if not ok
    ]  # fmt: skip
    if missing:
        pytest.fail(f"the TypeScript test needs {', '.join(missing)}", pytrace=False)
    path = f"{host}{os.pathsep}{cli.env()['PATH']}"
    return PulumiCli(
        bin_dir=cli.bin_dir, home=cli.home, backend=cli.backend, extra_env={"PATH": path}
    )


def _npm_install(folder: Path) -> None:
    env = {**os.environ, "PATH": path_without_virtualenvs()}
    subprocess.run(
        ["npm", "install", "--prefer-offline", "--no-audit", "--no-fund"],
        cwd=folder,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )


def _use_plugin_folder(folder: Path) -> None:
    """`packages:` -> this checkout's provider/ folder (`pulumi package add` rewrites the entry
    to `livekit-sip@<version>`, which the engine then looks for among installed plugins)."""
    project = yaml.safe_load((folder / "Pulumi.yaml").read_text())
    project["packages"] = {"livekit-sip": str(ROOT / "provider")}
    (folder / "Pulumi.yaml").write_text(yaml.safe_dump(project, sort_keys=False))


def test_typescript_program_end_to_end(request, ts_cli, tmp_path, clean_livekit) -> None:
    folder = tmp_path / "typescript"
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns("node_modules", "sdks"))
    _use_plugin_folder(folder)
    times: dict[str, float] = {}

    def timed(name: str, action):
        started = time.monotonic()
        result = action()
        times[name] = time.monotonic() - started
        return result

    timed("npm install", lambda: _npm_install(folder))
    added = timed(
        "pulumi package add", lambda: ts_cli.ok("package", "add", str(SHIM), cwd=folder)
    )
    assert "Successfully generated an SDK for the livekit-sip package" in added.output, added
    assert (folder / "sdks" / "livekit-sip" / "sipInboundTrunk.ts").exists()
    _use_plugin_folder(folder)

    stack = CliStack(ts_cli, folder).init()
    try:
        _configure(stack, clean_livekit)
        preview = timed("preview --policy-pack", lambda: stack.ok("preview", "--policy-pack", PACK))
        assert "livekit-sip:index:SipDispatchRule line-dispatch create" in preview.output, preview
        assert "[mandatory]" not in preview.output and "[advisory]" not in preview.output
        timed("up", lambda: stack.ok("up", "--yes", "--skip-preview"))
        [trunk] = clean_livekit.inbound_trunks()
        [rule] = clean_livekit.dispatch_rules()
        assert list(trunk.numbers) == ["+15105550100"] and trunk.krisp_enabled
        assert list(rule.trunk_ids) == [trunk.sip_trunk_id]
        assert [a.agent_name for a in rule.room_config.agents] == ["support-agent"]
        refresh = timed("refresh", lambda: stack.ok("refresh", "--yes", "--skip-preview"))
        assert "3 unchanged" in refresh.output, refresh
        timed("preview --expect-no-changes", lambda: stack.ok("preview", "--expect-no-changes"))
        timed("destroy", lambda: stack.ok("destroy", "--yes", "--skip-preview"))
        assert clean_livekit.inbound_trunks() == [] and clean_livekit.dispatch_rules() == []

        # The same program without the agent: blocked at preview by the Python programs' rule.
        program = (folder / "index.ts").read_text()
        broken = program.replace("    roomConfig: { agents: [{ agentName }] },\n", "")
        assert broken != program
        (folder / "index.ts").write_text(broken.replace("const agentName", "const _agentName"))
        blocked = stack.run("preview", "--policy-pack", PACK)
        assert blocked.returncode != 0, blocked
        mandatory = [line.strip() for line in blocked.stdout.splitlines() if "[mandatory]" in line]
        [(rule_id, name)] = FAILURES["no-agent-dispatch"]
        assert len(mandatory) == 1 and rule_id in mandatory[0], blocked
        assert mandatory[0].endswith(f"(livekit-sip:index:SipDispatchRule: {name})"), blocked
    finally:
        stack.run("destroy", "--yes", "--skip-preview")
        stack.remove()
    report(request, "TypeScript program: " + ", ".join(f"{k} {v:.1f}s" for k, v in times.items()))
