"""The benchmark harness (bench/run.py) end to end at a tiny size, so it cannot rot.

The figures themselves are not checked (bench/ asserts nothing); these check that each section
runs through the real CLI, language host, engine and livekit-server, prints its table, and
leaves nothing behind in LiveKit. Two runs of the harness, so each stays short.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def run_bench(livekit: Any, sections: str) -> str:
    """bench/run.py at N=2 with ``sections``; its summary."""
    env = {
        **os.environ,
        "LIVEKIT_URL": livekit.url,
        "LIVEKIT_API_KEY": livekit.api_key,
        "LIVEKIT_API_SECRET": livekit.api_secret,
        "BENCH_SIZES": "2",
        "BENCH_REPEAT": "1",
        "BENCH_AUTO_SIZES": "2",
        "BENCH_CROWD": "5",
        "BENCH_DOCTOR": "5",
        "BENCH_WARMUP": "0",
        "BENCH_NOOP_DESTROY_MAX": "0",
        "BENCH_DIGEST_SIZES": "2",
        "BENCH_PLAN_SIZES": "2",
        "BENCH_SECTIONS": sections,
    }
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    # Every object the benchmarks made is gone again.
    assert livekit.inbound_trunks() == []
    assert livekit.dispatch_rules() == []
    return done.stdout.split("== summary", 1)[1]


def test_bench_up_destroy_through_the_cli_and_the_automation_api(livekit: Any) -> None:
    summary = run_bench(livekit, "up")
    # One row per path, with LiveKit calls counted through the proxy and a state measured.
    rows = {m[1]: m[0].split() for m in re.finditer(r"^\s+2\s+(cli|auto)\s.*$", summary, re.M)}
    assert set(rows) == {"cli", "auto"}, summary
    for cells in rows.values():
        up_a, up_b, calls_per_resource, state_bytes = (
            float(cells[2]),
            float(cells[3]),
            float(cells[12]),
            float(cells[15]),
        )
        assert up_a > 0 and up_b > 0
        assert calls_per_resource >= 1  # at least the create of each object went through
        assert state_bytes > 1000


def test_bench_preview_packs_and_crowded_project(livekit: Any) -> None:
    summary = run_bench(livekit, "preview,crowd,doctor,digest")
    # preview with no pack, the do-nothing pack and ours: N and 12 figures.
    assert re.search(r"^\s+2(\s+-?\d+\.\d+){12}$", summary, re.M), summary
    # one create in an empty project and in one holding 5 trunks, timed and counted (how much
    # a create lists is the providers' business: not checked here).
    assert re.search(r"^pulumi up \(1 trunk\)\s+\d+\.\d+ s\s+\d+\.\d+ s", summary, re.M), summary
    assert re.search(r"^bytes listed\s+\d+\s+\d+$", summary, re.M), summary
    # livekit-sip doctor over 5 trunks + 5 rules: 10 objects, listed with 3 calls, one finding
    # (the seeded rule without an agent), timed.
    assert re.search(r"^\s+10\s+\d+\.\d+\s+3\s+\d+\.\d+\s+1\s+\d+\.\d+$", summary, re.M), summary
    # The diff cost of trunk passwords at N=2: keyed, legacy and no digest, per resource.
    assert re.search(r"^\s+2(\s+\d+\.\d+){4}$", summary, re.M), summary


def test_bench_reach_prints_call_classes_and_times() -> None:
    """The reach section (bench/reachability.py) needs no server: its lines at tiny sizes."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "reachability.py"), "4", "2+2"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert len(lines) == 4, done.stdout  # two sizes, two shapes
    # 2 lines of their own: 2 numbers + one no object names, inside and outside the CIDR.
    assert re.match(
        r"^\s+4 \(2 trunks \+ 2 rules\) lines:\s+5 call classes over 3 called", lines[0]
    )
    for line in lines:
        assert re.search(r"derived and routed in \d+\.\d+ s CPU", line), line
        assert re.search(r"LKSSTK013 \d+\.\d+ .*LKSSTK014 .*LKSSTK015 ", line), line


def test_bench_number_plan_section(livekit: Any) -> None:
    summary = run_bench(livekit, "plan")
    assert re.search(
        r"^number plan: 2 lines, up \d+\.\d+ s, raw \d+\.\d+ s \(10 in flight\), ratio \d+\.\d+$",
        summary,
        re.M,
    ), summary
