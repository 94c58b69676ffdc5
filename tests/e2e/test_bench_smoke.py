"""The benchmark harness (bench/run.py) end to end at a tiny size, so it cannot rot.

The figures themselves are not checked (bench/ asserts nothing); this checks that every
section runs through the real CLI, language host, engine and livekit-server, prints its
table, and leaves nothing behind in LiveKit.
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


def test_bench_runs_every_section_at_tiny_size(livekit: Any) -> None:
    env = {
        **os.environ,
        "LIVEKIT_URL": livekit.url,
        "LIVEKIT_API_KEY": livekit.api_key,
        "LIVEKIT_API_SECRET": livekit.api_secret,
        "BENCH_SIZES": "2",
        "BENCH_REPEAT": "1",
        "BENCH_AUTO_SIZES": "2",
        # --parallel runs the same code as (a) with one more flag: left out to save time.
        "BENCH_SECTIONS": "up,preview,crowd",
        "BENCH_CROWD": "5",
        "BENCH_WARMUP": "0",
    }
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    summary = done.stdout.split("== summary", 1)[1]

    # up/destroy: one row per path, with LiveKit calls counted through the proxy and a state.
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
    # preview with no pack, the do-nothing pack and ours; the crowded project.
    assert re.search(r"^\s+2(\s+-?\d+\.\d+){12}$", summary, re.M), summary
    assert re.search(r"^bytes listed\s+\d+\s+\d+$", summary, re.M), summary
    # Every object the benchmarks made is gone again.
    assert livekit.inbound_trunks() == []
    assert livekit.dispatch_rules() == []
