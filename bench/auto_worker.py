"""One `up` and `destroy` through the Automation API, in a process of its own (the inline
program runs here, so this process's memory is the program's). Run by bench.harness:

    python -m bench.auto_worker '{"kind": ..., "size": ..., "state_dir": ..., "config": ...}'

Prints one JSON line: seconds for up and destroy, and the state's bytes by key after up.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

from bench.harness import PROJECT, children_cpu_seconds, state_breakdown, state_file
from bench.programs import PROGRAMS


def main(argv: list[str]) -> None:
    from localstack import LocalStack  # scripts/, put on sys.path by bench.harness

    request = json.loads(argv[0])
    state_dir = Path(request["state_dir"])
    stack = LocalStack(
        PROJECT,
        PROGRAMS[request["kind"]](int(request["size"])),
        state_dir,
        stack="bench",
        config=request["config"],
        secret_config=request["secret_config"],
    )
    cpu = _cpu()
    start = time.perf_counter()
    up = stack.up()
    up_s = time.perf_counter() - start
    up_cpu_s = _cpu() - cpu
    if not up.ok:
        raise SystemExit(f"up failed:\n{up.error[-3000:]}")
    state = state_breakdown(state_file(state_dir, "bench"))
    start = time.perf_counter()
    destroyed = stack.destroy()
    destroy_s = time.perf_counter() - start
    if not destroyed.ok:
        raise SystemExit(f"destroy failed:\n{destroyed.error[-3000:]}")
    print(json.dumps({"up_s": up_s, "up_cpu_s": up_cpu_s, "destroy_s": destroy_s, "state": state}))


def _cpu() -> float:
    """CPU seconds of this process (the inline program) and its waited-for descendants."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime + children_cpu_seconds()


if __name__ == "__main__":
    main(sys.argv[1:])
