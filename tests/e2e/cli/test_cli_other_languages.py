"""`pulumi package add` as documented, and the Go SDK.

- What `pulumi package add <provider>/pulumi-resource-livekit-sip` writes into a project's
  Pulumi.yaml (`livekit-sip: livekit-sip@<version>`: Pulumi condenses a local plugin file to its
  name and version, pulumi/pulumi#21349), and that with the plugin installed by
  `provider/install-plugin.sh` that entry runs a TypeScript program unedited; what the folder
  path and a YAML project give.
- Go: `pulumi package gen-sdk --language go` needs the Go language host, which is not on this
  machine and which the Go module proxy does not serve (the test records the CLI's error); the
  SDK is generated from the schema `pulumi package get-schema` prints with Pulumi's own Go code
  generator (tools/go-sdk-gen, what the Go host runs) and a tiny Go program using it, the
  component and a preset included, is compiled with `go build`.
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
from tests.e2e.cli.test_cli_typescript_program import EXAMPLE, _npm_install, ts_cli  # noqa: F401
from tests.e2e.cli.test_cli_yaml_program import _configure, yaml_cli  # noqa: F401

pytestmark = pytest.mark.e2e

SHIM = ROOT / "provider" / "pulumi-resource-livekit-sip"
GO_PROGRAM = Path(__file__).parent / "go_program"
GO = shutil.which("go") or "/usr/local/go/bin/go"


def _version() -> str:
    from importlib.metadata import version

    return version("livekit-sip-pulumi")


def _install_plugin(cli: PulumiCli) -> None:
    """provider/install-plugin.sh, with this CLI's PULUMI_HOME and pulumi on PATH."""
    subprocess.run(
        [str(ROOT / "provider" / "install-plugin.sh")],
        env=cli.env(),
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_package_add_of_the_folder_and_in_a_yaml_project(yaml_cli, tmp_path) -> None:  # noqa: F811
    """The folder is refused (Pulumi looks for `pulumi-resource-` + an empty name in it); in a
    YAML project the SDK step ends in the YAML host's "Link not implemented" and Pulumi.yaml is
    left alone: a YAML program names the folder under `packages:` by hand (examples/yaml)."""
    folder = tmp_path / "yaml-project"
    folder.mkdir()
    (folder / "Pulumi.yaml").write_text("name: add-check\nruntime: yaml\n")
    of_folder = yaml_cli.run("package", "add", str(ROOT / "provider"), cwd=folder)
    assert of_folder.returncode != 0
    assert 'to have an executable named "pulumi-resource-"' in of_folder.output, of_folder
    of_shim = yaml_cli.run("package", "add", str(SHIM), cwd=folder)
    assert of_shim.returncode != 0
    assert "linking package: method Link not implemented" in of_shim.output, of_shim
    assert (folder / "Pulumi.yaml").read_text() == "name: add-check\nruntime: yaml\n"


def test_package_add_entry_runs_a_typescript_program_with_the_installed_plugin(
    request,
    ts_cli,  # noqa: F811
    tmp_path,
    clean_livekit,
) -> None:
    folder = tmp_path / "typescript"
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns("node_modules", "sdks"))
    project = yaml.safe_load((folder / "Pulumi.yaml").read_text())
    del project["packages"]  # a new user's project: nothing about livekit-sip yet
    (folder / "Pulumi.yaml").write_text(yaml.safe_dump(project, sort_keys=False))
    times: dict[str, float] = {}
    started = time.monotonic()
    _npm_install(folder)
    times["npm install"] = time.monotonic() - started
    started = time.monotonic()
    _install_plugin(ts_cli)
    times["provider/install-plugin.sh"] = time.monotonic() - started
    started = time.monotonic()
    added = ts_cli.ok("package", "add", str(SHIM), cwd=folder)
    times["pulumi package add"] = time.monotonic() - started
    assert "Successfully generated an SDK for the livekit-sip package" in added.output, added
    written = yaml.safe_load((folder / "Pulumi.yaml").read_text())["packages"]
    assert written == {"livekit-sip": f"livekit-sip@{_version()}"}

    stack = CliStack(ts_cli, folder).init()
    try:
        _configure(stack, clean_livekit)
        started = time.monotonic()
        stack.ok("up", "--yes")
        times["up"] = time.monotonic() - started
        [trunk] = clean_livekit.inbound_trunks()
        assert list(trunk.numbers) == ["+15105550100"]
        stack.ok("preview", "--expect-no-changes")
        stack.ok("destroy", "--yes", "--skip-preview")
        assert clean_livekit.inbound_trunks() == []
    finally:
        stack.run("destroy", "--yes", "--skip-preview")
        stack.remove()
    report(request, "package add flow: " + ", ".join(f"{k} {v:.1f}s" for k, v in times.items()))


def _go_env() -> dict[str, str]:
    cache = Path(
        subprocess.run(
            ["bash", "-c", f'source "{ROOT}/scripts/toolchain-env.sh" && printf %s "$LKSP_CACHE"'],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    return {
        **os.environ,
        "PATH": f"{Path(GO).parent}{os.pathsep}{path_without_virtualenvs()}",
        "GOMODCACHE": str(cache / "gomod"),
        "GOCACHE": str(cache / "gocache"),
        "GOTOOLCHAIN": "local",
        "GOFLAGS": "-buildvcs=false -mod=mod",
        "CGO_ENABLED": "0",
    }


def test_go_sdk_is_generated_and_a_go_program_compiles(request, cli, tmp_path) -> None:
    if not Path(GO).exists():
        pytest.fail(f"the Go SDK test needs Go (1.26): not at {GO}", pytrace=False)
    times: dict[str, float] = {}
    # The CLI's own way needs the Go language host.
    gen = cli.run(
        "package", "gen-sdk", str(SHIM), "--language", "go", "--out", str(tmp_path / "g"),
        cwd=tmp_path,
    )  # fmt: skip
    assert gen.returncode != 0
    assert "no language plugin 'pulumi-language-go' found" in gen.output, gen

    env = _go_env()
    started = time.monotonic()
    built = subprocess.run(
        [str(ROOT / "scripts" / "build-go-sdk-gen.sh")],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    times["build go-sdk-gen"] = time.monotonic() - started
    generator = built.stdout.strip().splitlines()[-1]
    schema = tmp_path / "schema.json"
    started = time.monotonic()
    schema.write_text(cli.ok("package", "get-schema", str(SHIM), cwd=tmp_path).stdout)
    sdk = tmp_path / "sdk"
    subprocess.run([generator, str(schema), str(sdk)], check=True, capture_output=True, env=env)
    times["get-schema + generate"] = time.monotonic() - started
    package = sdk / "livekitsip"
    for name in ("agentPhoneLine.go", "sipInboundTrunk.go", "sipDispatchRule.go"):
        assert (package / name).exists(), name
    types = (package / "pulumiTypes.go").read_text()
    assert "type TelnyxOutboundArgs struct" in types and "type OutboundPresetsArgs struct" in types
    module = "example.com/pulumi-livekit-sip/sdk/go/livekit-sip"  # the generator's default
    sdk_version = _pulumi_sdk_version()
    (package / "go.mod").write_text(
        f"module {module}\n\ngo 1.25\n\nrequire (\n"
        "\tgithub.com/blang/semver v3.5.1+incompatible\n"
        f"\tgithub.com/pulumi/pulumi/sdk/v3 {sdk_version}\n)\n"
    )
    program = tmp_path / "program"
    program.mkdir()
    shutil.copy(GO_PROGRAM / "main.go", program / "main.go")
    (program / "go.mod").write_text(
        f"module example.com/livekit-line\n\ngo 1.25\n\nrequire (\n\t{module} v0.0.0\n"
        f"\tgithub.com/pulumi/pulumi/sdk/v3 {sdk_version}\n)\n\n"
        f"replace {module} => {package}\n"
    )
    sums = (ROOT / "tools" / "go-sdk-gen" / "go.sum").read_text()
    (package / "go.sum").write_text(sums)
    (program / "go.sum").write_text(sums)
    started = time.monotonic()
    done = subprocess.run(
        [GO, "build", "-o", str(tmp_path / "livekit-line"), "."],
        cwd=program,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    times["go build"] = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "livekit-line").stat().st_size > 0
    report(request, "Go SDK: " + ", ".join(f"{k} {v:.1f}s" for k, v in times.items()))


def _pulumi_sdk_version() -> str:
    """The Go SDK release the generator was built with (tools/go-sdk-gen/go.mod)."""
    for line in (ROOT / "tools" / "go-sdk-gen" / "go.mod").read_text().splitlines():
        parts = line.split()
        if parts[:1] == ["github.com/pulumi/pulumi/sdk/v3"]:
            return parts[1]
    raise AssertionError("tools/go-sdk-gen/go.mod requires no github.com/pulumi/pulumi/sdk/v3")
