"""A sample of the bad-input corpus through the `pulumi` CLI, as a user runs it: a project
folder whose program declares the batch, `pulumi preview` from that folder. The refusals are
the same as through the Automation API (tests/e2e/test_bad_input_corpus.py), the harmless
values pass, nothing ends in a traceback, and the policy pack warns about a zoned address."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.cli.conftest import configure_livekit
from tests.e2e.cli.pulumi_cli import ROOT, CliStack
from tests.e2e.test_bad_input_corpus import (
    CASE_SECRETS,
    DOCS,
    harmless_cases,
    pack,
    pack_harmless,
    provider_cases,
    reasons,
)

pytestmark = pytest.mark.e2e

#: Every how-many-th batch of refused values goes through the CLI.
SAMPLE_EVERY = 5

PROGRAM = '''"""Declares the batch of the bad-input corpus written next to it (batch.json)."""

import json
from pathlib import Path

from livekit_sip_pulumi import SipDispatchRule, SipInboundTrunk, SipOutboundTrunk

RESOURCES = {"inbound": SipInboundTrunk, "outbound": SipOutboundTrunk, "dispatch": SipDispatchRule}
batch = json.loads((Path(__file__).parent / "batch.json").read_text())
RESOURCES[batch["kind"]](batch["name"], **batch["args"])
'''


def _project(folder: Path) -> Path:
    folder.mkdir()
    (folder / "Pulumi.yaml").write_text(
        "name: bad-input-sample\n"
        "runtime:\n  name: python\n  options:\n    toolchain: pip\n"
        f"    virtualenv: {ROOT / '.venv'}\n"
    )
    (folder / "__main__.py").write_text(PROGRAM)
    return folder


def _write(folder: Path, kind: str, name: str, args: dict[str, Any]) -> None:
    # ensure_ascii: lone surrogates and control characters travel as JSON escapes
    (folder / "batch.json").write_text(json.dumps({"kind": kind, "name": name, "args": args}))


def test_a_sample_of_the_corpus_through_the_pulumi_cli(cli, clean_livekit, tmp_path) -> None:
    folder = _project(tmp_path / "project")
    stack = CliStack(cli, folder).init()
    sample = pack(provider_cases())[::SAMPLE_EVERY]
    harmless = pack_harmless(harmless_cases())
    refused, problems, outputs = 0, [], []
    try:
        configure_livekit(stack, clean_livekit)
        for batch in sample:
            _write(folder, batch.kind, batch.name, batch.args)
            result = stack.run("preview", "--non-interactive")
            outputs.append(result.output)
            found = reasons(result.output).get(batch.name, set())
            for case, path in batch.expected:
                if case.field == "adopt_id" or case.mode == "resource":
                    continue  # reported differently; the Automation API run checks them
                if result.returncode != 0 and any(
                    r.startswith((f"{path}:", f"{path}[", f"{path}."))
                    and case.fragment in r
                    and DOCS in r
                    for r in found
                ):
                    refused += 1
                else:
                    problems.append(f"{case.id}: exit {result.returncode}, {sorted(found)[:3]}")
        for hbatch in harmless:
            _write(folder, hbatch.kind, hbatch.name, hbatch.args)
            result = stack.run("preview", "--non-interactive")
            outputs.append(result.output)
            if result.returncode != 0:
                problems.append(f"{hbatch.name}: harmless values refused: {result.output[-600:]}")
        zoned = next(b for b in harmless if "fe80::1%eth0" in b.args.get("allowed_addresses", []))
        _write(folder, zoned.kind, zoned.name, zoned.args)
        pack_args = ["--policy-pack", str(ROOT / "policies")]
        with_pack = stack.run("preview", "--non-interactive", *pack_args)
        outputs.append(with_pack.output)
    finally:
        stack.remove()
    print(
        f"\nbad-input corpus through the pulumi CLI: {refused} values refused in "
        f"{len(sample)} previews, {sum(len(b.cases) for b in harmless)} harmless values "
        f"accepted in {len(harmless)} previews"
    )
    for problem in problems:
        print("  NOT AS EXPECTED:", problem)
    assert problems == []
    assert refused >= 40
    # No traceback at all: not ours, and not the language host's KeyboardInterrupt when the
    # engine stops the program after a refusal (livekit_sip_pulumi.interrupts).
    tracebacks = [o for o in outputs if "Traceback" in o or "KeyboardInterrupt" in o]
    assert tracebacks == [], tracebacks[0][-2000:]
    assert not any(secret in output for secret in CASE_SECRETS for output in outputs)
    assert "LKSIN008" in with_pack.output and "[advisory]" in with_pack.output, with_pack
    assert "'fe80::1%eth0' carries an interface zone" in with_pack.output
    assert clean_livekit.inbound_trunks() == clean_livekit.outbound_trunks() == []
    assert clean_livekit.dispatch_rules() == []
