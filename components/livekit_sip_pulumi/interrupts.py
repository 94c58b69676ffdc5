"""No Python traceback when the engine stops a program after a refusal.

When a resource fails (a check failure at preview, a failed create), the engine ends the
deployment while the program is still running, and stops the program with SIGINT, twice:
the Python language host interrupts the program when its Run request is cancelled
(``cmd.Cancel`` sends ``os.Interrupt``, sdk/python/cmd/pulumi-language-python/main.go), then
the engine interrupts the language host's whole process group when it closes the plugin
(``cmdutil.InterruptChildren``, sdk/go/common/resource/plugin/plugin.go). The program's
runner, ``pulumi-language-python-exec``, catches ``Exception`` but not ``KeyboardInterrupt``,
so Python printed a ~20-line traceback of the runner's own frames (``loop.run_until_complete``,
then ``executor.shutdown``) under the stack, after the clear message of the refusal
(pulumi 3.259).

:func:`install` replaces that printout only: the interrupt still unwinds the program and ends
the process exactly as before (killed by SIGINT). Any other exception, or a chain of them with
anything but interrupts in it, is printed by the hook that was there before.
"""

from __future__ import annotations

import os
import sys
from types import TracebackType

__all__ = ["install", "is_engine_interrupt", "running_in_language_host"]

#: The script the Python language host runs a program with (``python <it> --monitor ...``).
RUNNER = "pulumi-language-python-exec"


def running_in_language_host(argv: list[str] | None = None) -> bool:
    """Whether this process is a program run by the Pulumi CLI's Python language host (not a
    test, an Automation API script running an inline program, a provider or a policy pack)."""
    args = argv if argv is not None else list(getattr(sys, "orig_argv", sys.argv))
    return any(os.path.basename(arg) == RUNNER for arg in args[:3])


def is_engine_interrupt(value: BaseException | None) -> bool:
    """An interrupt with nothing but interrupts in its chain (``__context__``, ``__cause__``)."""
    seen: set[int] = set()
    pending = [value]
    found = False
    while pending:
        exc = pending.pop()
        if exc is None or id(exc) in seen:
            continue
        seen.add(id(exc))
        if not isinstance(exc, KeyboardInterrupt):
            return False
        found = True
        pending.extend((exc.__context__, exc.__cause__))
    return found


def install() -> None:
    """Make the interpreter print nothing for an interrupt that reaches the top level; once."""
    previous = sys.excepthook
    if getattr(previous, "_livekit_sip_interrupts", False):
        return

    def hook(
        kind: type[BaseException], value: BaseException, tb: TracebackType | None
    ) -> None:
        if is_engine_interrupt(value):
            return  # the engine stopped the program: its refusal was already reported
        previous(kind, value, tb)

    hook._livekit_sip_interrupts = True  # type: ignore[attr-defined]
    sys.excepthook = hook
