"""Run a command that is killed when the process that started it is gone (Linux).

    python .../tied.py OWNER_PID COMMAND [ARGS...]

Sets this process's parent-death signal to SIGKILL (``prctl(PR_SET_PDEATHSIG)``), checks that
its parent is still ``OWNER_PID`` (the owner may have died before the signal was armed), then
execs COMMAND with the same PID: the signal survives ``execve`` of a program that is not
set-user-ID, and ``ip netns exec`` execs its command in turn. The replica (:mod:`.services`)
starts its services and workers through it, so that a run killed with SIGKILL, which cannot
stop them, does not leave them running; the namespace they ran in is removed by the next run.

The signal fires when the *thread* that started the process exits: the replica uses it only
for processes started from the main thread. Run as a script (no package import: it starts in
milliseconds).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys

PR_SET_PDEATHSIG = 1


def main(argv: list[str]) -> None:
    if len(argv) < 2 or not argv[0].isdigit():
        sys.exit("usage: tied.py OWNER_PID COMMAND [ARGS...]")
    owner, command = int(argv[0]), argv[1:]
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        sys.exit(f"tied.py: prctl(PR_SET_PDEATHSIG) failed: {os.strerror(ctypes.get_errno())}")
    if os.getppid() != owner:
        sys.exit(f"tied.py: the process that started {command[0]} (PID {owner}) is gone")
    os.execvp(command[0], command)


if __name__ == "__main__":
    main(sys.argv[1:])
