"""The dynamic provider's process ends soon after the engine that started it is gone.

The engine runs our providers in ``python -m pulumi.dynamic``, started through the
``pulumi-resource-pulumi-python`` shell script (which does not ``exec``: its ``sh`` is the
provider's parent, the engine the grandparent), in a process group of its own, and stops that
group when it closes the plugin. An engine that dies without closing it (SIGKILL, a crash, the
OOM killer) stops nothing, and the provider's gRPC server would wait for calls forever,
reparented to init.

:func:`watch_engine`, called from the provider's ``configure`` (the engine calls it in the
provider process only), starts one daemon thread that checks every ``interval`` seconds that
the chain provider -> (shim) -> engine is unchanged: the same parent, the shim's parent still the
engine, and the engine the same process as at the start (PID and start time, not a zombie).
When it is not, the process exits at once: nobody is left to receive an answer. Outside the
dynamic provider's process (the user's program, the CLI, tests) it does nothing.

On Linux the chain is read from ``/proc``; elsewhere only the parent's PID is watched. A
parent-death signal (``PR_SET_PDEATHSIG``) would not do: it fires when the *thread* that
forked us exits, and the engine is a Go program whose threads come and go.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from pathlib import Path

__all__ = ["SHIM", "engine_chain", "in_dynamic_provider", "watch_engine"]

SHIM = "pulumi-resource-pulumi-python"
DYNAMIC_MAIN = ("pulumi.dynamic.__main__", "pulumi.dynamic")
EXIT_CODE = 70  # EX_SOFTWARE; nobody reads it: the engine is gone

_started = False
_lock = threading.Lock()


def in_dynamic_provider() -> bool:
    """Whether this process is the engine's ``python -m pulumi.dynamic``."""
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    return getattr(spec, "name", None) in DYNAMIC_MAIN


def _stat(pid: int) -> list[str] | None:
    """The fields of ``/proc/<pid>/stat`` after the command name (state first), or None."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()


def _identity(pid: int) -> tuple[int, str] | None:
    """(parent PID, start time) of a live process, None when it is gone or a zombie."""
    fields = _stat(pid)
    if fields is None or fields[0] in ("Z", "X"):
        return None
    return int(fields[1]), fields[19]


def _is_shim(pid: int) -> bool:
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return any(os.path.basename(a.decode(errors="replace")) == SHIM for a in argv)


def engine_chain() -> list[tuple[int, tuple[int, str] | None]]:
    """This process's ancestors up to the engine, nearest first: ``(pid, identity)``, the
    identity (parent PID, start time) read from /proc (None where /proc is not there)."""
    parent = os.getppid()
    if not Path("/proc/self/stat").exists():
        return [(parent, None)]
    chain = [(parent, _identity(parent))]
    if _is_shim(parent):
        identity = chain[0][1]
        engine = identity[0] if identity is not None else 0
        # An engine already gone (the shim reparented to init) is recorded as gone.
        chain.append((engine, _identity(engine) if engine > 1 else None))
    return chain


def _intact(me_parent: int, chain: list[tuple[int, tuple[int, str] | None]]) -> bool:
    if os.getppid() != me_parent:
        return False
    for pid, identity in chain:
        if identity is not None and _identity(pid) != identity:
            return False
        if identity is None and Path("/proc/self/stat").exists():
            return False
    return True


def _exit(engine: int) -> None:
    with contextlib.suppress(OSError):
        os.write(2, f"livekit-sip-pulumi provider: the engine (PID {engine}) is gone; "
                    "exiting\n".encode())
    os._exit(EXIT_CODE)


def _watch(chain: list[tuple[int, tuple[int, str] | None]], interval: float) -> None:
    parent = chain[0][0]
    while _intact(parent, chain):
        time.sleep(interval)
    _exit(chain[-1][0])


def watch_engine(interval: float = 0.5) -> bool:
    """In the dynamic provider's process: start (once) the thread that ends the process when
    its engine is gone. Returns whether the process is watched."""
    global _started
    if not in_dynamic_provider():
        return False
    with _lock:
        if _started:
            return True
        _started = True
    chain = engine_chain()
    threading.Thread(target=_watch, args=(chain, interval), name="engine-lifeline",
                     daemon=True).start()
    return True
