"""`pulumi preview --policy-pack` from each troubleshooting example's folder, as its README
says: the preview fails naming the rule and the resource, and nothing is created. The pack runs
through the Python language host with the virtualenv its PulumiPolicy.yaml names."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.e2e.cli.conftest import configure_livekit
from tests.e2e.cli.pulumi_cli import ROOT, CliResult, CliStack
from tests.e2e.test_policy_examples import FAILURES

pytestmark = pytest.mark.e2e

FAILURE_DIR = ROOT / "examples" / "failures"
PACK = "../../../policies"  # the pack, seen from an example's folder


def expected_pairs(example: str) -> list[set[tuple[str, str]]]:
    expected = FAILURES[example]
    return expected if isinstance(expected, list) else [expected]


def mandatory_lines(output: str) -> list[str]:
    """The `- [mandatory] ... RULE  (type: resource)` lines of the CLI's Policies section."""
    return [line.strip() for line in output.splitlines() if "[mandatory]" in line]


@pytest.fixture
def failure_stack(cli, clean_livekit):
    stacks: list[CliStack] = []

    def make(example: str) -> CliStack:
        stack = CliStack(cli, FAILURE_DIR / example).init()
        stacks.append(stack)
        configure_livekit(stack, clean_livekit)
        return stack

    yield make
    for stack in stacks:
        stack.remove()


@pytest.fixture(scope="module")
def failure_previews(cli, livekit) -> Iterator[dict[str, CliResult]]:
    """`pulumi preview --policy-pack` in every failure example's folder, three at a time (each
    is a separate project and stack; they share the backend and PULUMI_HOME)."""
    livekit.delete_everything()

    def preview(example: str) -> CliResult:
        stack = CliStack(cli, FAILURE_DIR / example).init()
        try:
            configure_livekit(stack, livekit)
            return stack.run("preview", "--policy-pack", PACK)
        finally:
            stack.remove()

    with ThreadPoolExecutor(max_workers=3) as pool:
        results = dict(zip(sorted(FAILURES), pool.map(preview, sorted(FAILURES)), strict=True))
    yield results


@pytest.mark.parametrize("example", sorted(FAILURES))
def test_failure_example_fails_preview_with_its_rule(failure_previews, livekit, example):
    result = failure_previews[example]
    assert result.returncode != 0, result
    lines = mandatory_lines(result.stdout)
    found = [
        pairs
        for pairs in expected_pairs(example)
        if all(
            any(rule in line and f": {resource})" in line for line in lines)
            for rule, resource in pairs
        )
    ]
    assert found, result
    # As many mandatory findings as expected: no others.
    assert len(lines) == len(expected_pairs(example)[0]), result
    assert "Fix: " in result.stdout and "https://docs.livekit.io/" in result.stdout
    assert livekit.inbound_trunks() == []
    assert livekit.outbound_trunks() == []
    assert livekit.dispatch_rules() == []


def test_policy_pack_config_makes_a_failure_advisory(failure_stack, tmp_path):
    config = tmp_path / "advisory.json"
    config.write_text(json.dumps({"LKSDR002": "advisory"}))
    stack = failure_stack("no-agent-dispatch")
    result = stack.run("preview", "--policy-pack", PACK, "--policy-pack-config", str(config))
    assert result.returncode == 0, result
    assert mandatory_lines(result.stdout) == []
    [advisory] = [line.strip() for line in result.stdout.splitlines() if "[advisory]" in line]
    assert "LKSDR002" in advisory and ": line-dispatch)" in advisory, result


def test_pack_without_its_dependencies_says_what_to_run(cli, plain_venv, failure_stack, tmp_path):
    """A pack whose virtualenv lacks pulumi-policy: the pack's own one-line message, not only
    the engine's "could not read policy pack port"."""
    pack = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", pack, ignore=shutil.ignore_patterns("__pycache__"))
    yaml = pack / "PulumiPolicy.yaml"
    yaml.write_text(yaml.read_text().replace("virtualenv: ../.venv", f"virtualenv: {plain_venv}"))
    stack = failure_stack("number-format")
    result = stack.run("preview", "--policy-pack", str(pack))
    assert result.returncode != 0, result
    assert "livekit-sip policy pack: cannot import" in result.stdout, result
    assert "run `pulumi install` in the pack's folder" in result.stdout, result
    assert "Traceback" not in result.output, result


def test_pulumi_install_prepares_the_pack(cli, failure_stack, tmp_path):
    """`pulumi install` in a copy of policies/ creates the virtualenv PulumiPolicy.yaml names
    (../.venv, here a fresh one) from requirements.txt; previews then run the pack with it."""
    pack = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", pack, ignore=shutil.ignore_patterns("__pycache__"))
    assert not (tmp_path / ".venv").exists()
    cli.ok("install", cwd=pack, timeout=600)
    assert (tmp_path / ".venv" / "bin" / "python").exists()
    stack = failure_stack("number-format")
    result = stack.run("preview", "--policy-pack", str(pack))
    assert result.returncode != 0, result
    [line] = mandatory_lines(result.stdout)
    assert "LKSIN001" in line and ": line)" in line, result
