"""Command-line entry points of the telephony tests (typer-compatible functions).

    python -m livekit_sip_pulumi.telephony test-calls --program infra \\
        --calls policy-config.json --agent-cmd "python agent.py start"
    python -m livekit_sip_pulumi.telephony call --program infra --to +15105550100 \\
        --from +14155550001 --source-ip 203.0.113.7 --agent-cmd "python agent.py start"

Both bring up the local replica (Redis, livekit-server and LiveKit's SIP bridge in a private
network namespace), apply the Pulumi program in ``--program`` to it (``pulumi up`` on a
throwaway stack in a temporary local backend), start the agent worker commands with
``LIVEKIT_URL``/``LIVEKIT_API_KEY``/``LIVEKIT_API_SECRET`` pointing at the replica, place the
calls and stop everything. Exit status: 0 all calls as expected, 1 a call was not, 2 the
replica, the stack or a worker could not be brought up.
"""

from __future__ import annotations

import os
import shlex
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from .services import Replica, ReplicaError, sigterm_as_exit
from .suite import AppliedStack, apply_program, load_expectations, run_expectations
from .verifier import CallSpec, place_call

__all__ = ["call", "test_calls"]

OUTCOMES = ("answered", "ringing", "rejected", "dropped", "pin_prompt", "pin_rejected")

ProgramOpt = Annotated[Path, typer.Option(
    "--program", help="Folder of the Pulumi program (Pulumi.yaml, __main__.py) to apply to "
    "the local replica.")]
AgentCmdOpt = Annotated[list[str] | None, typer.Option(
    "--agent-cmd", help="Command that starts an agent worker, e.g. \"python agent.py start\" "
    "(repeat for several workers). Runs in the current folder with LIVEKIT_URL, "
    "LIVEKIT_API_KEY, LIVEKIT_API_SECRET set to the replica.")]
ConfigOpt = Annotated[list[str] | None, typer.Option(
    "--config", help="Stack config KEY=VALUE for the program (repeatable).")]
SecretOpt = Annotated[list[str] | None, typer.Option(
    "--secret-config", help="Secret stack config KEY=VALUE (repeatable).")]
RingOpt = Annotated[float, typer.Option(
    "--ring-timeout", help="Seconds a call may ring before it counts as unanswered.")]
LogsOpt = Annotated[Path | None, typer.Option(
    "--logs", help="Keep the replica's logs (server, bridge, workers) in this folder.")]


def _pairs(values: Sequence[str] | None, what: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for item in values or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"{item!r}: expected KEY=VALUE", param_hint=what)
        pairs[key] = value
    return pairs


def _say(text: str) -> None:
    typer.echo(text, err=False)


@contextmanager
def _replica(logs: Path | None) -> Iterator[Replica]:
    with sigterm_as_exit(), _started(logs) as replica:
        yield replica


@contextmanager
def _started(logs: Path | None) -> Iterator[Replica]:
    t0 = time.monotonic()
    replica = Replica.start(logs)
    try:
        _say(f"==> local replica up in {time.monotonic() - t0:.1f} s (network namespace "
             f"{replica.ns.name}: {', '.join(replica.ns.commands[1:])})")
        yield replica
    finally:
        replica.stop()
        _say(f"==> local replica stopped; logs in {replica.run_dir}")


def _bring_up(replica: Replica, program: Path, config: dict[str, str],
              secrets: dict[str, str], agent_cmds: Sequence[str],
              echo: Callable[[str], None]) -> AppliedStack:
    t0 = time.monotonic()
    applied = apply_program(replica, program, config=config, secret_config=secrets)
    echo(f"==> pulumi up of {program} on the replica: {len(applied.names)} trunks and rules "
         f"in {time.monotonic() - t0:.1f} s")
    for command in agent_cmds:
        worker = replica.start_worker(shlex.split(command))
        echo(f"==> worker `{command}` registered agent_name {worker.agent_names} in "
             f"{worker.registered_after:.1f} s")
    return applied


def test_calls(
    calls: Annotated[Path, typer.Option(
        "--calls", help="The calls and their expected outcome: a policy-pack config with "
        "LKSSTK011.calls (as for `pulumi preview --policy-pack-config`), or a JSON/YAML list "
        "of calls.")],
    program: ProgramOpt = Path("."),
    agent_cmd: AgentCmdOpt = None,
    config: ConfigOpt = None,
    secret_config: SecretOpt = None,
    ring_timeout: RingOpt = 10.0,
    auth_password: Annotated[str, typer.Option(
        "--auth-password", envvar="LKSP_CALL_AUTH_PASSWORD", show_default=False,
        help="Password the caller answers a trunk's digest challenge with.")] = "",
    logs: LogsOpt = None,
) -> None:
    """Place one real call per expected call and check that the named agent answers."""
    try:
        expectations = load_expectations(calls)
    except (OSError, ValueError) as exc:
        _say(f"error: {exc}")
        raise typer.Exit(2) from None
    t0 = time.monotonic()
    try:
        with _replica(logs) as replica:
            try:
                applied = _bring_up(replica, program, _pairs(config, "--config"),
                                    _pairs(secret_config, "--secret-config"), agent_cmd or [],
                                    _say)
            except ReplicaError as exc:
                _say(f"error: {exc}")
                raise typer.Exit(2) from None
            checks = run_expectations(replica, expectations, names=applied.names,
                                      auth_password=auth_password, ring_timeout=ring_timeout,
                                      log=lambda text: _say(text + "\n"))
    except ReplicaError as exc:
        _say(f"error: {exc}")
        raise typer.Exit(2) from None
    failed = [c for c in checks if not c.ok]
    _say(f"==> {len(checks) - len(failed)} of {len(checks)} calls as expected "
         f"({time.monotonic() - t0:.1f} s)")
    for check in failed:
        _say(f"FAILED: {check.expectation.label}")
    if failed:
        raise typer.Exit(1)


def call(
    to: Annotated[str, typer.Option("--to", help="The called number.")],
    from_: Annotated[str, typer.Option("--from", help="The caller's number.")],
    program: ProgramOpt = Path("."),
    source_ip: Annotated[str, typer.Option(
        "--source-ip", help="The caller's IP address (e.g. your provider's, to pass a "
        "trunk's allowed_addresses); default: the namespace's caller address.")] = "",
    pin: Annotated[str, typer.Option("--pin", help="Digits to enter at a PIN prompt.")] = "",
    agent_cmd: AgentCmdOpt = None,
    config: ConfigOpt = None,
    secret_config: SecretOpt = None,
    ring_timeout: RingOpt = 10.0,
    auth_username: Annotated[str, typer.Option("--auth-username")] = "",
    auth_password: Annotated[str, typer.Option(
        "--auth-password", envvar="LKSP_CALL_AUTH_PASSWORD", show_default=False)] = "",
    expect: Annotated[str, typer.Option(
        "--expect", help=f"Fail (exit 1) unless the outcome is this: {', '.join(OUTCOMES)}.")]
    = "",
    logs: LogsOpt = None,
) -> None:
    """Place one SIP call on the local replica of the stack and report what happened."""
    if expect and expect not in OUTCOMES:
        raise typer.BadParameter(f"{expect!r} is not one of {', '.join(OUTCOMES)}",
                                 param_hint="--expect")
    try:
        with _replica(logs) as replica:
            _bring_up(replica, program, _pairs(config, "--config"),
                      _pairs(secret_config, "--secret-config"), agent_cmd or [], _say)
            report = place_call(replica, CallSpec(
                to=to, from_=from_, source_ip=source_ip, pin=pin, auth_username=auth_username,
                auth_password=auth_password, ring_timeout=ring_timeout))
            _say(report.summary())
    except ReplicaError as exc:
        _say(f"error: {exc}")
        raise typer.Exit(2) from None
    if expect and report.outcome != expect:
        _say(f"expected {expect.upper()}, got {report.outcome.upper()}")
        raise typer.Exit(1)


def app() -> typer.Typer:
    """A typer app with both commands (``livekit-sip`` mounts the functions itself)."""
    application = typer.Typer(add_completion=False, no_args_is_help=True,
                              help="Real SIP calls against a local replica of a stack.")
    application.command("test-calls")(test_calls)
    application.command("call")(call)
    return application


def main() -> None:
    if os.name != "posix" or sys.platform != "linux":
        typer.echo("error: the telephony tests need Linux (network namespaces)", err=True)
        raise SystemExit(2)
    app()()
