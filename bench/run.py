"""Benchmarks: `pulumi preview` of generated stacks, with and without the policy pack.

Prints figures (median wall seconds, pack overhead, milliseconds per resource); asserts
nothing. Sizes default to 10, 100 and 500 resources: `python bench/run.py 10 100 500`.
A stack of N resources holds N/2 inbound trunks, each with a dispatch rule dispatching an
agent; every size is previewed BENCH_REPEAT times (default 3) each way. Preview makes no call
to LiveKit, so no server is needed.
"""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))

from localstack import POLICY_PACK, LocalStack

REPEAT = int(os.environ.get("BENCH_REPEAT", "3"))


def stack_program(size: int):
    from livekit_sip_pulumi import SipDispatchRule, SipInboundTrunk

    def program() -> None:
        trunks = (size + 1) // 2
        for i in range(trunks):
            trunk = SipInboundTrunk(
                f"trunk-{i}",
                numbers=[f"+1510555{i:04d}"],
                allowed_addresses=["203.0.113.0/24"],
                krisp_enabled=True,
            )
            if i + trunks < size:
                SipDispatchRule(
                    f"rule-{i}",
                    trunk_ids=[trunk.sip_trunk_id],
                    rule={"dispatch_rule_individual": {"room_prefix": f"call-{i}-"}},
                    room_config={"agents": [{"agent_name": "support-agent"}]},
                    hide_phone_number=True,
                )

    return program


def measure(size: int, with_pack: bool, state: Path) -> float:
    stack = LocalStack(
        "bench",
        stack_program(size),
        state,
        stack=f"s{size}{'p' if with_pack else ''}",
        config={"livekit:url": "http://127.0.0.1:1", "livekit:apiKey": "bench"},
        secret_config={"livekit:apiSecret": "bench-secret-not-used-by-preview"},
    )
    start = time.perf_counter()
    result = stack.preview(policy_packs=[POLICY_PACK] if with_pack else None)
    elapsed = time.perf_counter() - start
    if not result.ok:
        raise SystemExit(f"preview of {size} resources failed:\n{result.error[-2000:]}")
    if with_pack and result.policy_events:
        # The generated stack is meant to be clean: a violation means the figures measure
        # something else than a passing preview.
        raise SystemExit(f"unexpected policy events: {result.policy_events[:3]}")
    return elapsed


def measure_up(size: int, state: Path) -> tuple[float, float]:
    """Seconds for `up` and `destroy` of a stack of ``size`` resources on the local server."""
    stack = LocalStack(
        "bench",
        stack_program(size),
        state,
        stack=f"up{size}",
        config={
            "livekit:url": os.environ["LIVEKIT_URL"],
            "livekit:apiKey": os.environ["LIVEKIT_API_KEY"],
        },
        secret_config={"livekit:apiSecret": os.environ["LIVEKIT_API_SECRET"]},
    )
    start = time.perf_counter()
    up = stack.up()
    up_seconds = time.perf_counter() - start
    if not up.ok:
        raise SystemExit(f"up of {size} resources failed:\n{up.error[-2000:]}")
    start = time.perf_counter()
    destroyed = stack.destroy()
    if not destroyed.ok:
        raise SystemExit(f"destroy of {size} resources failed:\n{destroyed.error[-2000:]}")
    return up_seconds, time.perf_counter() - start


def main(argv: list[str]) -> None:
    sizes = [int(a) for a in argv] or [10, 100, 500]
    print(f"preview benchmark, {REPEAT} runs each, median seconds (2 cores)")
    print(f"{'resources':>9} {'no pack':>9} {'pack':>9} {'overhead':>9} {'ms/res (pack)':>14}")
    for size in sizes:
        state = Path(tempfile.mkdtemp(prefix="lksp-bench-"))
        try:
            plain = statistics.median(measure(size, False, state) for _ in range(REPEAT))
            packed = statistics.median(measure(size, True, state) for _ in range(REPEAT))
        finally:
            shutil.rmtree(state, ignore_errors=True)
        print(
            f"{size:>9} {plain:>9.2f} {packed:>9.2f} {packed - plain:>+9.2f} "
            f"{1000 * packed / size:>14.1f}",
            flush=True,
        )
    if os.environ.get("LIVEKIT_URL"):
        size = int(os.environ.get("BENCH_UP_SIZE", "100"))
        state = Path(tempfile.mkdtemp(prefix="lksp-bench-"))
        try:
            up_seconds, destroy_seconds = measure_up(size, state)
        finally:
            shutil.rmtree(state, ignore_errors=True)
        print(
            f"up of {size} resources against the local server: {up_seconds:.2f} s "
            f"({1000 * up_seconds / size:.0f} ms/resource); destroy: {destroy_seconds:.2f} s"
        )
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak RSS of a child process (engine, provider or pack): {rss:.0f} MiB")


if __name__ == "__main__":
    main(sys.argv[1:])
