"""Where the policy pack's time goes in a `pulumi preview` of N resources.

    scripts/with-services.sh .venv/bin/python bench/pack_profile.py [N]

Previews the ``sip`` stack through the CLI with bench/packs/profiled (our policies, timed and
under cProfile) and prints: time in the analyzer's Analyze (per resource) and AnalyzeStack
calls, the part spent in our validate functions per policy, and the analyzer's top functions.
Figures only. Previews make no LiveKit call, but the stack config needs a URL and key pair.
"""

from __future__ import annotations

import json
import pstats
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import BENCH, CliStack, LiveKit, stack_config


def main(argv: list[str]) -> None:
    size = int(argv[0]) if argv else 500
    lk = LiveKit.from_env()
    state_dir = Path(tempfile.mkdtemp(prefix="lksp-bench-"))
    out = state_dir / "profile"
    try:
        config, secret = stack_config("sip", size, lk.url, lk)
        stack = CliStack(state_dir, "profile", config, secret)
        stack.env["LKSP_PACK_PROFILE"] = str(out)
        wall = stack.preview([BENCH / "packs" / "profiled"])
        figures = json.loads(Path(f"{out}.json").read_text())
        seconds, calls = figures["seconds"], figures["calls"]
        analyze, stack_s = seconds["Analyze"], seconds["AnalyzeStack"]
        ours_resource = sum(
            v for k, v in seconds.items() if k.startswith("validate LKS") and "STK" not in k
        )
        ours_stack = sum(v for k, v in seconds.items() if k.startswith("validate LKSSTK"))
        print(f"preview of {size} resources with the profiled pack: {wall:.2f} s wall")
        print(
            f"Analyze: {calls['Analyze']} calls, {analyze:.2f} s "
            f"({1000 * analyze / calls['Analyze']:.2f} ms each), of which our resource "
            f"policies' validate {ours_resource:.2f} s"
        )
        print(
            f"AnalyzeStack: {calls['AnalyzeStack']} call(s), {stack_s:.2f} s, of which our "
            f"stack policies' validate {ours_stack:.2f} s"
        )
        print("slowest validate functions (s):")
        for name, value in sorted(seconds.items(), key=lambda kv: -kv[1])[:8]:
            if name.startswith("validate"):
                print(f"  {name[9:]:<10} {value:7.3f}  ({calls[name]} calls)")
        stats = pstats.Stats(f"{out}.pstats")
        stats.sort_stats("tottime").print_stats(18)
        stats.sort_stats("cumulative").print_stats(
            r"deserialize|MessageToDict|proxy|pack\.py|stack\.py|numbers|phonenumbers", 20
        )
    finally:
        shutil.rmtree(state_dir, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])
