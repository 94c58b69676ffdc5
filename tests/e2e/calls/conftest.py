"""The call suite's fixtures: the telephony pytest plugin's, and a replica with the demo stack
(examples/routing-expectations) applied by `pulumi up` and one probe worker per agent."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from livekit_sip_pulumi.telephony.pytest_plugin import sip_replica, telephony_calls
from livekit_sip_pulumi.telephony.services import Replica, ReplicaError, sigterm_as_exit
from livekit_sip_pulumi.telephony.suite import AppliedStack, apply_program

__all__ = ["sip_replica", "telephony_calls"]

ROOT = Path(__file__).resolve().parents[3]
DEMO = ROOT / "examples" / "routing-expectations"
DEMO_AGENTS = ["support-agent", "vip-agent", "staff-agent"]
# A test-only worker (needs the dev extra's livekit-agents): run by path in the namespace.
PROBE_AGENT = Path(__file__).resolve().parent / "probe_agent.py"


def probe_worker(name: str) -> list[str]:
    return [sys.executable, str(PROBE_AGENT), "start", "--agent-name", name]


def report(request: pytest.FixtureRequest, text: str) -> None:
    """Print past pytest's capture: figures for the run's log."""
    capture = request.config.pluginmanager.getplugin("capturemanager")
    if capture is None:
        print(text, flush=True)
        return
    with capture.global_and_fixture_disabled():
        print(text, flush=True)


@dataclass
class Demo:
    replica: Replica
    applied: AppliedStack


@pytest.fixture(scope="module")
def demo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
         toolchain: Path) -> Iterator[Demo]:
    with sigterm_as_exit(_end_session):
        yield from _demo(request, tmp_path_factory)


def _end_session() -> None:
    pytest.exit("SIGTERM: stopping the local replica and ending the session", returncode=143)


def _demo(request: pytest.FixtureRequest,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    t0 = time.monotonic()
    try:
        replica = Replica.start(tmp_path_factory.mktemp("demo-replica"))
    except ReplicaError as exc:
        pytest.fail(f"the local replica could not start: {exc}", pytrace=False)
    try:
        t1 = time.monotonic()
        applied = apply_program(replica, DEMO, state_dir=tmp_path_factory.mktemp("demo-stack"))
        t2 = time.monotonic()
        registered = [replica.start_worker(probe_worker(name)) for name in DEMO_AGENTS]
        t3 = time.monotonic()
        report(request, (
            f"\n[calls] replica up in {t1 - t0:.1f} s, namespace {replica.ns.name}:\n  "
            + "\n  ".join(replica.ns.commands)
            + f"\n[calls] pulumi up of {DEMO.name}: {t2 - t1:.1f} s; workers registered: "
            + ", ".join(f"{w.agent_names[0]} {w.registered_after:.1f} s" for w in registered)
            + f" ({t3 - t2:.1f} s)"
        ))
        yield Demo(replica, applied)
    except ReplicaError as exc:
        pytest.fail(str(exc), pytrace=False)
    finally:
        replica.stop()
