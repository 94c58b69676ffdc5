"""The oldest Python SDK and pulumi-policy the package declares (pyproject.toml: `pulumi>=...`,
the `policy` extra's `pulumi-policy>=...`), in a project's own virtualenv, through the `pulumi`
CLI: a preview with the policy pack that fails on a malformed number, then a clean preview, up
and destroy of one inbound trunk and its dispatch rule. Raising either minimum moves this test
with it."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.e2e.cli.conftest import configure_livekit, pip, report
from tests.e2e.cli.pulumi_cli import ROOT, CliStack

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

pytestmark = pytest.mark.e2e

PROGRAM = """\
import pulumi
from livekit_sip_pulumi import SipDispatchRule, SipInboundTrunk

number = pulumi.Config().require("number")
trunk = SipInboundTrunk("line", numbers=[number], krisp_enabled=True)
SipDispatchRule(
    "line-dispatch",
    trunk_ids=[trunk.sip_trunk_id],
    rule={"dispatch_rule_individual": {"room_prefix": "call-"}},
    room_config={"agents": [{"agent_name": "support-agent"}]},
    hide_phone_number=True,
)
pulumi.export("trunk_id", trunk.sip_trunk_id)
"""


def declared_minimum(requirements: list[str], name: str) -> str:
    """`3.221` of `pulumi>=3.221,<4` in ``requirements``."""
    for requirement in requirements:
        found = re.fullmatch(rf"{re.escape(name)}\s*>=\s*([0-9.]+)\s*(,.*)?", requirement.strip())
        if found:
            return found.group(1)
    raise AssertionError(f"no `{name}>=` requirement in {requirements}")


def oldest_allowed() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    policy_extra = project["optional-dependencies"]["policy"]
    return {
        "pulumi": declared_minimum(project["dependencies"], "pulumi"),
        "pulumi-policy": declared_minimum(policy_extra, "pulumi-policy"),
    }


def test_declared_minimums_are_read_from_pyproject():
    assert declared_minimum(["pulumi>=3.221,<4"], "pulumi") == "3.221"
    assert declared_minimum(["pulumi-policy>=1.20,<2", "pulumi>=3.1"], "pulumi") == "3.1"
    with pytest.raises(AssertionError):
        declared_minimum(["pulumi-policy>=1.20"], "pulumi")


@pytest.fixture(scope="module")
def oldest_venv(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project's virtualenv with the package from this checkout and the oldest SDK and
    pulumi-policy it allows (the newest patch release of each declared minimum)."""
    venv = tmp_path_factory.mktemp("oldest-sdk") / "venv"
    started = time.monotonic()
    python = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([python, "-m", "venv", str(venv)], check=True, capture_output=True)
    pins = [f"{name}=={version}.*" for name, version in oldest_allowed().items()]
    pip(venv, str(ROOT), *pins)
    report(request, f"virtualenv with {' '.join(pins)} + {ROOT}: {time.monotonic() - started:.1f}s")
    return venv


def installed(venv: Path, distribution: str) -> str:
    probe = f"import importlib.metadata as m; print(m.version({distribution!r}))"
    done = subprocess.run(
        [str(venv / "bin" / "python"), "-c", probe], check=True, capture_output=True, text=True
    )
    return done.stdout.strip()


def test_oldest_sdk_previews_with_the_pack_deploys_and_destroys(
    cli, oldest_venv, clean_livekit, tmp_path
):
    minimums = oldest_allowed()
    for name, version in minimums.items():
        assert installed(oldest_venv, name).startswith(f"{version}."), name
    project = tmp_path / "oldest-sdk"
    project.mkdir()
    (project / "Pulumi.yaml").write_text(
        textwrap.dedent(f"""\
            name: oldest-sdk
            runtime:
              name: python
              options:
                toolchain: pip
                virtualenv: {oldest_venv}
            """)
    )
    (project / "__main__.py").write_text(PROGRAM)
    pack = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", pack, ignore=shutil.ignore_patterns("__pycache__"))
    yaml = pack / "PulumiPolicy.yaml"
    yaml.write_text(yaml.read_text().replace("virtualenv: ../.venv", f"virtualenv: {oldest_venv}"))

    stack = CliStack(cli, project).init()
    try:
        configure_livekit(stack, clean_livekit)
        stack.config("number", "+1 (510) 555-0100")
        bad = stack.run("preview", "--policy-pack", str(pack))
        assert bad.returncode != 0, bad
        [line] = [line for line in bad.stdout.splitlines() if "[mandatory]" in line]
        assert "LKSIN001" in line and ": line)" in line, bad

        stack.config("number", "+15105550100")
        preview = stack.ok("preview", "--policy-pack", str(pack))
        assert "+ 3 to create" in preview.stdout, preview
        assert clean_livekit.inbound_trunks() == []

        up = stack.ok("up", "--yes", "--policy-pack", str(pack))
        assert "3 created" in up.stdout, up
        [trunk] = clean_livekit.inbound_trunks()
        assert list(trunk.numbers) == ["+15105550100"]
        assert stack.ok("stack", "output", "trunk_id").stdout.strip() == trunk.sip_trunk_id

        destroy = stack.ok("destroy", "--yes")
        assert "3 deleted" in destroy.stdout, destroy
        assert clean_livekit.inbound_trunks() == clean_livekit.dispatch_rules() == []
    finally:
        stack.remove()
