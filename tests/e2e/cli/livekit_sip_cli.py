"""Run the `livekit-sip` console script as a user does: a process of its own, credentials in
the environment (or as options), nothing else of the test's environment."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

#: The console script pip installed beside this interpreter.
SCRIPT = Path(sys.executable).parent / "livekit-sip"


@dataclass
class Run:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str

    def __str__(self) -> str:
        return (
            f"$ livekit-sip {' '.join(self.args)} -> exit {self.returncode}\n"
            f"--- stdout\n{self.stdout}--- stderr\n{self.stderr}"
        )


def run(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> Run:
    """`livekit-sip ARGS` with ``env`` (LIVEKIT_* only) on top of a minimal environment."""
    base = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/root"),
        "LANG": "C.UTF-8",
    }
    done = subprocess.run(
        [str(SCRIPT), *args],
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return Run(list(args), done.returncode, done.stdout, done.stderr)


def credentials(livekit) -> dict[str, str]:
    return {
        "LIVEKIT_URL": livekit.url,
        "LIVEKIT_API_KEY": livekit.api_key,
        "LIVEKIT_API_SECRET": livekit.api_secret,
    }
