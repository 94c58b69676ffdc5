"""A run of the call tests killed with SIGKILL (it can clean up nothing) leaves no process of its
replica running: the kernel kills the services with their owner (telephony/tied.py). Its
network namespace stays until the next run removes it (netns.remove_stale_namespaces,
tested in test_calls.py).

Both ways a user runs the replica: ``livekit-sip test-calls``' replica context (the CLI) and
the pytest plugin's ``sip_replica`` fixture. The killed run's namespace is named after this
test's process (alive), not the killed one: any other run on the machine would otherwise remove
it as stale, and kill its processes, while the test watches them.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.calls]

# Redis, livekit-server and the bridge get SIGKILL from the kernel; a busy machine may take a
# while to reap them.
BOUND = 30.0

# Run in the killed process: its replica's namespace is owned by the test (argv[1]).
_OWNED_BY_THE_TEST = """
import secrets, sys
from livekit_sip_pulumi.telephony import netns, services

class _Owned(netns.NetNamespace):
    def __init__(self, name=None):
        super().__init__(name or f"{netns.PREFIX}{sys.argv[1]}-{secrets.token_hex(3)}")

services.NetNamespace = _Owned
"""

# Both runs also start the carrier stand-in and have it serve a provider host (written to the
# namespace's own /etc/netns/<namespace>/hosts).
_CLI_RUN = _OWNED_BY_THE_TEST + """
import time
from livekit_sip_pulumi.telephony.carrier import CarrierAccount
from livekit_sip_pulumi.telephony.cli import _replica
with _replica(None) as replica:
    replica.start_carrier().serve(CarrierAccount("sip.telnyx.com"))
    print("READY", replica.ns.name, *(p.pid for p in replica.processes.values()), flush=True)
    time.sleep(600)
"""

_PYTEST_RUN = """
import time
from livekit_sip_pulumi.telephony.carrier import CarrierAccount


def test_waits(sip_replica):
    sip_replica.start_carrier().serve(CarrierAccount("sip.telnyx.com"))
    pids = [p.pid for p in sip_replica.processes.values()]
    print("READY", sip_replica.ns.name, *pids, flush=True)
    time.sleep(600)
"""


def _namespaces() -> list[str]:
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    return [line.split(" ", 1)[0] for line in listed.splitlines()]


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def _kill_and_check(run: subprocess.Popen[str]) -> None:
    assert run.stdout is not None
    ready = next((line for line in run.stdout if "READY" in line), "")
    assert ready, "the run never reached its replica"
    name, *texts = ready.split("READY", 1)[1].split()
    pids = [int(p) for p in texts]
    assert name in _namespaces() and len(pids) == 3
    hosts = Path("/etc/netns", name, "hosts")
    assert "sip.telnyx.com" in hosts.read_text()
    started = {pid: Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
               for pid in pids}
    os.kill(run.pid, signal.SIGKILL)
    run.wait(timeout=30)
    deadline = time.monotonic() + BOUND
    left = pids
    while left and time.monotonic() < deadline:
        time.sleep(0.2)
        left = [p for p in pids if _running(p) and Path(f"/proc/{p}/stat").read_text()
                .rsplit(")", 1)[1].split()[19] == started[p]]
    try:
        assert left == [], f"still running {BOUND:.0f} s after their owner was killed: {left}"
        assert name in _namespaces()  # nobody removed it: the kernel killed the services
        # Its hosts file stays with it (the next run removes both, see
        # test_a_stale_namespace_whose_owner_died_is_removed); the carrier stand-in was a
        # thread of the killed process.
        assert hosts.exists()
    finally:
        subprocess.run(["ip", "netns", "del", name], capture_output=True)
        shutil.rmtree(hosts.parent, ignore_errors=True)
        with contextlib.suppress(OSError):
            os.rmdir("/etc/netns")
        for pid in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def test_sigkill_to_a_cli_run_leaves_no_replica_process() -> None:
    run = subprocess.Popen([sys.executable, "-c", _CLI_RUN, str(os.getpid())],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                           start_new_session=True)
    try:
        _kill_and_check(run)
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait()


def test_sigkill_to_pytest_leaves_no_replica_process(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(
        _OWNED_BY_THE_TEST.replace("sys.argv[1]", repr(str(os.getpid())))
        + 'pytest_plugins = ["livekit_sip_pulumi.telephony.pytest_plugin"]\n')
    (tmp_path / "test_killed.py").write_text(_PYTEST_RUN)
    run = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-s", "-q", "-p", "no:cacheprovider", "test_killed.py"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True)
    try:
        _kill_and_check(run)
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait()
