"""pytest fixtures for telephony tests: real calls against a local replica of your stack.

In your ``conftest.py`` (the root one)::

    pytest_plugins = ["livekit_sip_pulumi.telephony.pytest_plugin"]

and a test::

    def test_the_agent_answers(telephony_calls):
        telephony_calls(program="infra", calls="calls.json",
                        agent_cmds=["python agent.py start"])

``telephony_calls`` brings the stack up on the replica, starts the workers, places one call per
expected call (outbound ones, ``"direction": "outbound"``, answered by the carrier stand-in)
and fails the test (never skips) with every unmet expectation, naming the rule's and the
worker's agent_name when the agent does not answer. ``sip_replica`` is the bare replica
(:class:`~.services.Replica`) for tests of your own. Both stop every process they started and
remove the network namespace when the test ends, whatever happened. """

from __future__ import annotations

import os
import shlex
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import pytest

from .outbound import OutboundCheck, run_outbound
from .services import Replica, ReplicaError, sigterm_as_exit
from .suite import CallCheck, apply_program, load_calls, run_expectations

__all__ = ["sip_replica", "telephony_calls"]


def _end_session() -> None:
    pytest.exit("SIGTERM: stopping the local replica and ending the session", returncode=143)


@pytest.fixture
def sip_replica(tmp_path: Path) -> Iterator[Replica]:
    """Redis, livekit-server and LiveKit's SIP bridge in a private network namespace.
    A SIGTERM to pytest ends the session (``pytest.exit``) and stops the replica on the way."""
    with sigterm_as_exit(_end_session):
        try:
            replica = Replica.start(tmp_path / "replica")
        except ReplicaError as exc:
            pytest.fail(f"the local replica could not start: {exc}", pytrace=False)
        try:
            yield replica
        finally:
            replica.stop()


RunCalls = Callable[..., list[CallCheck | OutboundCheck]]


@pytest.fixture
def telephony_calls(sip_replica: Replica) -> RunCalls:
    """``run(program, calls, agent_cmds, config=None, secret_config=None, ring_timeout=10,
    auth_password="", cwd=None)``: see the module doc. Returns the checks when all pass."""

    def run(
        program: str | Path,
        calls: str | Path,
        agent_cmds: Sequence[str | Sequence[str]],
        config: Mapping[str, str] | None = None,
        secret_config: Mapping[str, str] | None = None,
        ring_timeout: float = 10.0,
        auth_password: str = "",
        cwd: str | Path | None = None,
    ) -> list[CallCheck | OutboundCheck]:
        try:
            calls_file = load_calls(Path(calls))
            applied = apply_program(sip_replica, Path(program), config=config,
                                    secret_config=secret_config)
            for command in agent_cmds:
                argv = shlex.split(command) if isinstance(command, str) else list(command)
                sip_replica.start_worker(argv, cwd=Path(cwd or os.getcwd()))
        except (ReplicaError, ValueError, OSError) as exc:
            pytest.fail(f"telephony test setup failed: {exc}", pytrace=False)
        checks: list[CallCheck | OutboundCheck] = []
        if calls_file.inbound:
            checks += run_expectations(sip_replica, calls_file.inbound, names=applied.names,
                                       auth_password=auth_password, ring_timeout=ring_timeout)
        if calls_file.outbound:
            # Answered by the carrier stand-in (see livekit_sip_pulumi.telephony.carrier).
            checks += run_outbound(sip_replica, calls_file.outbound, calls_file.carrier)
        failed = [c for c in checks if not c.ok]
        if failed:
            pytest.fail(
                f"{len(failed)} of {len(checks)} calls not as expected:\n\n"
                + "\n\n".join(c.describe() for c in failed),
                pytrace=False,
            )
        return checks

    return run
