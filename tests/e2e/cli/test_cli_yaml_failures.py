"""Every `examples/failures/*` case as a Pulumi YAML program through the CLI, with the findings
of the Python case.

Each case's YAML is generated from its Python program (tests/e2e/cli/yaml_of_python.py: what it
declares, on the provider plugin's types); `pulumi preview --policy-pack policies` must fail
with exactly the mandatory findings, rule IDs and resources, that the Python case produces
(tests/e2e/test_policy_examples.py, FAILURES, which holds the Python runs to them). Nothing
is created.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.e2e.cli.pulumi_cli import ROOT, CliStack
from tests.e2e.cli.test_cli_yaml_program import PACK, _configure, yaml_cli  # noqa: F401
from tests.e2e.test_policy_examples import ADVISORIES, FAILURES

pytestmark = pytest.mark.e2e

CASES = ROOT / "examples" / "failures"
MANDATORY = re.compile(r"\[mandatory\].*\s(LKS[A-Z]+\d+)\s+\((livekit-sip:index:\w+): (.+)\)$")
ADVISORY = re.compile(r"\[advisory\].*\s(LKS[A-Z]+\d+)\s+\((livekit-sip:index:\w+): (.+)\)$")


def generated_yaml(case: str) -> str:
    """The case's Python program as a Pulumi YAML program (its Pulumi.yaml)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "scripts"), str(ROOT)])}
    done = subprocess.run(
        [sys.executable, "-m", "tests.e2e.cli.yaml_of_python", str(CASES / case)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout


def test_every_failure_case_has_a_yaml_run() -> None:
    assert {p.name for p in CASES.iterdir() if p.is_dir()} == set(FAILURES) | set(ADVISORIES)


@pytest.mark.parametrize("case", sorted(FAILURES))
def test_failure_case_as_yaml_has_the_python_findings(
    case: str,
    yaml_cli,  # noqa: F811
    clean_livekit,
    tmp_path: Path,
) -> None:
    program = generated_yaml(case)
    declared = yaml.safe_load(program)["resources"]
    assert declared and all(r["type"].startswith("livekit-sip:index:") for r in declared.values())
    folder = tmp_path / case
    folder.mkdir()
    (folder / "Pulumi.yaml").write_text(program)
    stack = CliStack(yaml_cli, folder).init()
    try:
        _configure(stack, clean_livekit)
        result = stack.run("preview", "--policy-pack", PACK)
        assert result.returncode != 0, result
        found = {
            (match[1], match[3])
            for line in result.stdout.splitlines()
            if (match := MANDATORY.search(line.strip()))
        }
        expected = FAILURES[case]
        assert found in (expected if isinstance(expected, list) else [expected]), result
        assert "Fix: " in result.stdout and "https://docs.livekit.io/" in result.stdout
        assert clean_livekit.inbound_trunks() == [] and clean_livekit.outbound_trunks() == []
        assert clean_livekit.dispatch_rules() == []
    finally:
        stack.remove()


@pytest.mark.parametrize("case", sorted(ADVISORIES))
def test_advisory_case_as_yaml_has_the_python_findings(
    case: str,
    yaml_cli,  # noqa: F811
    clean_livekit,
    tmp_path: Path,
) -> None:
    """The advisory cases (findings from the field): the preview succeeds and reports exactly
    the Python case's (rule ID, resource) pairs, and creates nothing."""
    folder = tmp_path / case
    folder.mkdir()
    (folder / "Pulumi.yaml").write_text(generated_yaml(case))
    stack = CliStack(yaml_cli, folder).init()
    try:
        _configure(stack, clean_livekit)
        result = stack.run("preview", "--policy-pack", PACK)
        assert result.returncode == 0, result
        found = {
            (match[1], match[3])
            for line in result.stdout.splitlines()
            if (match := ADVISORY.search(line.strip()))
        }
        assert found == ADVISORIES[case], result
        assert "Fix: " in result.stdout and "https://" in result.stdout
        assert clean_livekit.inbound_trunks() == [] and clean_livekit.outbound_trunks() == []
        assert clean_livekit.dispatch_rules() == []
    finally:
        stack.remove()
