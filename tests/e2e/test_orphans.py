"""No provider process outlives its engine (livekit_sip_pulumi.lifeline).

An `up` (tests/e2e/interrupted_up.py, real engine, real livekit-server behind the fault proxy,
which holds the create so that the update is in the middle of it) gets its engine, and only its
engine, killed with SIGKILL: the engine can close nothing. Every ``python -m pulumi.dynamic``
of that run (and the ``pulumi-resource-pulumi-python`` shell that started it) must be gone
within BOUND seconds, checked by PID and start time.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.faults import FaultInjectingProxy

pytestmark = pytest.mark.e2e

RUNNER = Path(__file__).with_name("interrupted_up.py")
# The provider checks its engine every 0.5 s; a busy machine may take a while to schedule it.
BOUND = 30.0


def process_table() -> dict[int, tuple[int, str, list[str]]]:
    """PID -> (parent PID, start time, argv) of every process, from /proc."""
    table: dict[int, tuple[int, str, list[str]]] = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            argv = (entry / "cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        table[int(entry.name)] = (int(fields[1]), fields[19], argv)
    return table


def descendants(pid: int, table: dict[int, tuple[int, str, list[str]]]) -> list[int]:
    found: list[int] = []
    queue = [pid]
    while queue:
        parent = queue.pop(0)
        children = [p for p, (ppid, _, _) in table.items() if ppid == parent]
        found += children
        queue += children
    return found


def alive(pid: int, started: str) -> bool:
    """Whether the process ``pid`` that started at ``started`` still runs (not a zombie)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return fields[19] == started and fields[0] not in ("Z", "X")


def is_provider(argv: list[str]) -> bool:
    return "pulumi.dynamic" in argv or any(
        Path(a).name == "pulumi-resource-pulumi-python" for a in argv
    )


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
def test_providers_exit_when_their_engine_is_killed(tmp_path: Path, clean_livekit) -> None:
    proxy = FaultInjectingProxy(clean_livekit.url)
    proxy.hang("CreateSIPOutboundTrunk", seconds=300)
    runner = subprocess.Popen(
        [
            sys.executable,
            str(RUNNER),
            str(tmp_path / "state"),
            proxy.url,
            clean_livekit.api_key,
            clean_livekit.api_secret,
        ],
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    providers: dict[int, str] = {}
    try:
        deadline = time.monotonic() + 120
        while not proxy.events("CreateSIPOutboundTrunk"):
            assert runner.poll() is None, runner.stdout.read().decode() if runner.stdout else ""
            assert time.monotonic() < deadline, "the create never reached the proxy"
            time.sleep(0.2)
        table = process_table()
        below = descendants(runner.pid, table)
        engines = [p for p in below if Path(table[p][2][0]).name == "pulumi"]
        assert len(engines) == 1, [table[p][2] for p in below]
        providers = {p: table[p][1] for p in below if is_provider(table[p][2])}
        assert any("pulumi.dynamic" in table[p][2] for p in providers), [
            table[p][2] for p in below
        ]

        os.kill(engines[0], signal.SIGKILL)
        deadline = time.monotonic() + BOUND
        left = list(providers)
        while left and time.monotonic() < deadline:
            time.sleep(0.2)
            left = [p for p, started in providers.items() if alive(p, started)]
        assert left == [], (
            f"still running {BOUND:.0f} s after their engine (PID {engines[0]}) was killed: "
            + "; ".join(f"{p}: {' '.join(table[p][2])}" for p in left)
        )
        # The update itself reports the engine's death and ends.
        runner.wait(timeout=60)
    finally:
        proxy.close()
        for pid, started in providers.items():
            if alive(pid, started):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        if runner.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(runner.pid, signal.SIGKILL)
            runner.wait(timeout=30)
    assert clean_livekit.outbound_trunks() == []


# -- the suite's own services (tests/conftest.py's livekit fixture, scripts/services.sh) ----------

SERVICES = Path(__file__).resolve().parents[2] / "scripts" / "services.sh"

_SESSION = """
import os, subprocess, sys, time
env = {**os.environ, "LKSP_RUN": sys.argv[1], "LKSP_REDIS_PORT": sys.argv[2],
       "LKSP_LIVEKIT_PORT": sys.argv[3], "LKSP_OWNER_PID": str(os.getpid())}
subprocess.run([sys.argv[4], "start"], env=env, check=True, capture_output=True)
print("READY", flush=True)
while True:  # a session at work: running and sleeping in turn
    sum(range(100_000))
    time.sleep(0.01)
"""


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _identity(pid: int) -> str | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return None if fields[0] in ("Z", "X") else fields[19]


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
def test_the_suites_services_stop_when_the_session_is_killed(tmp_path: Path, toolchain) -> None:
    """A test session killed with SIGKILL runs no fixture finalizer: the watchdog services.sh
    starts for LKSP_OWNER_PID stops its Redis and livekit-server."""
    run_dir = tmp_path / "services"
    ports = [str(_free_port()), str(_free_port())]
    session = subprocess.Popen(
        [sys.executable, "-c", _SESSION, str(run_dir), *ports, str(SERVICES)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )
    services: dict[int, str | None] = {}
    try:
        assert session.stdout is not None
        assert "READY" in session.stdout.readline(), session.stdout.read()
        for name in ("redis", "livekit"):
            pid = int((run_dir / f"{name}.pid").read_text())
            services[pid] = _identity(pid)
            assert services[pid] is not None, f"{name} (PID {pid}) is not running"
        # While the session lives, the watchdog leaves them alone (a few of its checks).
        time.sleep(4)
        assert [p for p, started in services.items() if _identity(p) != started] == []
        os.kill(session.pid, signal.SIGKILL)
        session.wait(timeout=30)
        deadline = time.monotonic() + BOUND
        left = list(services)
        while left and time.monotonic() < deadline:
            time.sleep(0.2)
            left = [p for p, started in services.items() if _identity(p) == started]
        assert left == [], f"still running {BOUND:.0f} s after the session was killed: {left}"
    finally:
        if session.poll() is None:
            os.killpg(session.pid, signal.SIGKILL)
            session.wait()
        env = {**os.environ, "LKSP_RUN": str(run_dir)}
        subprocess.run([str(SERVICES), "stop"], env=env, capture_output=True)
