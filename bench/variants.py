"""What the engine's own work costs, on do-nothing resources (no LiveKit server needed):

    .venv/bin/python bench/variants.py [N]

`pulumi up` through the CLI of N do-nothing dynamic resources (bench/programs.py ``noop``),
then the same with the provider's pickle stored in plain text instead of as a secret
(``noop-plain``), then with ``PULUMI_SKIP_CHECKPOINTS=true`` (the state saved once, at the
end). Prints wall and CPU seconds, state bytes per resource and CPU seconds per process.
Figures only.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import run_cli

VARIANTS = (
    ("noop", "noop", {}),
    ("noop-plain (__provider not a secret)", "noop-plain", {}),
    ("noop with PULUMI_SKIP_CHECKPOINTS=true", "noop", {"PULUMI_SKIP_CHECKPOINTS": "true"}),
)


def main(argv: list[str]) -> None:
    size = int(argv[0]) if argv else 500
    for label, kind, env in VARIANTS:
        saved = dict(os.environ)
        os.environ.update(env)
        try:
            figures = run_cli(kind, size, lk=None, proxy=None, skip_destroy=True)
        finally:
            os.environ.clear()
            os.environ.update(saved)
        by_process = ", ".join(
            f"{kind} {entry['cpu_s']:.1f}" for kind, entry in sorted(figures.rss.items())
        )
        load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
        print(
            f"{label}, N={size}: up {figures.up_s:.2f} s, CPU {figures.up_cpu_s:.2f} s, state "
            f"{figures.state['file_bytes'] / size:.0f} B/res; CPU s by process: {by_process} "
            f"(load {load})",
            flush=True,
        )


if __name__ == "__main__":
    main(sys.argv[1:])
