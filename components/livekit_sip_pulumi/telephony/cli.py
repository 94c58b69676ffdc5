"""Command-line entry points of the telephony tests (typer-compatible functions).

    python -m livekit_sip_pulumi.telephony test-calls --program infra \\
        --calls policy-config.json --agent-cmd "python agent.py start"
    python -m livekit_sip_pulumi.telephony call --program infra --to +15105550100 \\
        --from +14155550001 --source-ip 203.0.113.7 --agent-cmd "python agent.py start"
    python -m livekit_sip_pulumi.telephony call --program infra --outbound \
        --trunk telnyx-out --to +15105550100

Both bring up the local replica (Redis, livekit-server and LiveKit's SIP bridge in a private
network namespace), apply the Pulumi program in ``--program`` to it (``pulumi up`` on a
throwaway stack in a temporary local backend), start the agent worker commands with
``LIVEKIT_URL``/``LIVEKIT_API_KEY``/``LIVEKIT_API_SECRET`` pointing at the replica, place the
calls and stop everything. Outbound calls (``call --outbound``, ``"direction": "outbound"``
entries of the calls file) are answered by the carrier stand-in (:mod:`.carrier`). The report
(each call and its outcome) goes to stdout; progress and errors go to stderr. Exit status: 0
all calls as expected, 1 a call was not, 2 the replica, the stack or a worker could not be
brought up (or SIGTERM: 143, after stopping everything).

Secret stack config: ``--secret-config KEY=VALUE`` shows in ``ps``; prefer
``--secret-config-file FILE`` (a JSON or YAML object KEY: VALUE) or the environment variable
``LKSP_SECRET_CONFIG`` (a JSON object). No message ever shows their values.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shlex
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from livekit_sip_core import printable

from .carrier import ANSWERS, CarrierAccount, default_accounts
from .outbound import (
    OUTBOUND_OUTCOMES,
    OutboundCheck,
    OutboundReport,
    OutboundSpec,
    find_outbound_trunk,
    place_outbound_call,
    run_outbound,
)
from .services import Replica, ReplicaError, sigterm_as_exit
from .suite import AppliedStack, CallCheck, apply_program, load_calls, run_expectations
from .verifier import CallReport, CallSpec, place_call

__all__ = ["call", "secret_config_of", "test_calls"]

OUTCOMES = ("answered", "ringing", "rejected", "dropped", "pin_prompt", "pin_rejected")
#: The password the carrier stand-in expects (``call --outbound --carrier-username``).
CARRIER_PASSWORD_ENV = "LKSP_CARRIER_PASSWORD"

ProgramOpt = Annotated[Path, typer.Option(
    "--program", help="Folder of the Pulumi program (Pulumi.yaml, __main__.py) to apply to "
    "the local replica.")]
AgentCmdOpt = Annotated[list[str] | None, typer.Option(
    "--agent-cmd", help="Command that starts an agent worker, e.g. \"python agent.py start\" "
    "(repeat for several workers). Runs in the current folder with LIVEKIT_URL, "
    "LIVEKIT_API_KEY, LIVEKIT_API_SECRET set to the replica.")]
ConfigOpt = Annotated[list[str] | None, typer.Option(
    "--config", help="Stack config KEY=VALUE for the program (repeatable).")]
SECRET_CONFIG_ENV = "LKSP_SECRET_CONFIG"
SecretOpt = Annotated[list[str] | None, typer.Option(
    "--secret-config", help="Secret stack config KEY=VALUE (repeatable). Visible to `ps`: "
    f"prefer --secret-config-file or {SECRET_CONFIG_ENV}.")]
SecretFileOpt = Annotated[Path | None, typer.Option(
    "--secret-config-file", help="Secret stack config from a file: a JSON or YAML object "
    "KEY: VALUE.")]
RingOpt = Annotated[float, typer.Option(
    "--ring-timeout", help="Seconds a call may ring before it counts as unanswered.")]
LogsOpt = Annotated[Path | None, typer.Option(
    "--logs", help="Keep the replica's logs (server, bridge, workers) in this folder.")]


def _pairs(values: Sequence[str] | None, what: str, secret: bool = False) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for number, item in enumerate(values or [], start=1):
        key, sep, value = item.partition("=")
        if not sep or not key:
            shown = f"item #{number} (value not shown)" if secret else repr(item)
            raise typer.BadParameter(f"{shown}: expected KEY=VALUE", param_hint=what)
        pairs[key] = value
    return pairs


def _secret_object(data: object, where: str) -> dict[str, str]:
    if not isinstance(data, dict) or not all(
            isinstance(k, str) and k and isinstance(v, str | int | float | bool)
            for k, v in data.items()):
        raise typer.BadParameter(f"{where}: expected an object of KEY: VALUE (strings); "
                                 "values not shown")
    return {k: str(v) for k, v in data.items()}


def secret_config_of(items: Sequence[str] | None, file: Path | None) -> dict[str, str]:
    """The secret stack config: ``LKSP_SECRET_CONFIG`` (JSON object), then ``file`` (JSON or
    YAML object), then ``--secret-config`` items (later ones win). Errors never show a value."""
    secrets: dict[str, str] = {}
    from_env = os.environ.get(SECRET_CONFIG_ENV, "")
    if from_env.strip():
        try:
            data = json.loads(from_env)
        except ValueError:
            raise typer.BadParameter(f"{SECRET_CONFIG_ENV} is not JSON (expected an object "
                                     "{\"KEY\": \"VALUE\"}); value not shown") from None
        secrets.update(_secret_object(data, SECRET_CONFIG_ENV))
    if file is not None:
        import yaml

        try:
            data = yaml.safe_load(file.read_text())
        except OSError as exc:
            raise typer.BadParameter(f"{file}: {exc.strerror}",
                                     param_hint="--secret-config-file") from None
        except yaml.YAMLError:
            raise typer.BadParameter(f"{file} is not JSON or YAML; content not shown",
                                     param_hint="--secret-config-file") from None
        secrets.update(_secret_object(data, str(file)))
    secrets.update(_pairs(items, "--secret-config", secret=True))
    return secrets


def _say(text: str) -> None:
    """Progress and errors: stderr (the report alone is on stdout)."""
    typer.echo(text, err=True)


def _report(text: str) -> None:
    typer.echo(text)


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
        _say("==> local replica stopped; " + (
            f"logs in {replica.run_dir}" if replica.keep_run_dir else
            f"its folder {replica.run_dir} removed (--logs keeps the logs)"))


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
    secret_config_file: SecretFileOpt = None,
    ring_timeout: RingOpt = 10.0,
    auth_password: Annotated[str, typer.Option(
        "--auth-password", envvar="LKSP_CALL_AUTH_PASSWORD", show_default=False,
        help="Password the caller answers a trunk's digest challenge with.")] = "",
    logs: LogsOpt = None,
) -> None:
    """Place one real call per expected call and check that the named agent answers."""
    secrets = secret_config_of(secret_config, secret_config_file)
    try:
        calls_file = load_calls(calls)
    except (OSError, ValueError) as exc:
        _say(f"error: {exc}")
        raise typer.Exit(2) from None
    t0 = time.monotonic()
    try:
        with _replica(logs) as replica:
            try:
                applied = _bring_up(replica, program, _pairs(config, "--config"), secrets,
                                    agent_cmd or [], _say)
            except ReplicaError as exc:
                _say(f"error: {exc}")
                raise typer.Exit(2) from None
            checks: list[CallCheck | OutboundCheck] = []
            if calls_file.inbound:
                checks += run_expectations(replica, calls_file.inbound, names=applied.names,
                                           auth_password=auth_password,
                                           ring_timeout=ring_timeout,
                                           log=lambda text: _report(text + "\n"))
            if calls_file.outbound:
                checks += run_outbound(replica, calls_file.outbound, calls_file.carrier,
                                       log=lambda text: _report(text + "\n"))
    except ReplicaError as exc:
        _say(f"error: {exc}")
        raise typer.Exit(2) from None
    failed = [c for c in checks if not c.ok]
    _report(f"==> {len(checks) - len(failed)} of {len(checks)} calls as expected "
            f"({time.monotonic() - t0:.1f} s)")
    for check in failed:
        _report(f"FAILED: {printable(check.expectation.label)}")
    if failed:
        raise typer.Exit(1)


def call(
    to: Annotated[str, typer.Option("--to", help="The called number.")],
    from_: Annotated[str, typer.Option(
        "--from", help="The caller's number (inbound: required; outbound: the caller ID, "
        "default the trunk's number).")] = "",
    program: ProgramOpt = Path("."),
    outbound: Annotated[bool, typer.Option(
        "--outbound", help="Dial out through an outbound trunk (--trunk) to --to; the carrier "
        "stand-in answers in the provider's place.")] = False,
    trunk: Annotated[str, typer.Option(
        "--trunk", help="The outbound trunk's LiveKit name or ID (with --outbound).")] = "",
    carrier_host: Annotated[list[str] | None, typer.Option(
        "--carrier-host", help="A SIP host the carrier stand-in serves (repeatable; default: "
        "the trunk's host if its provider serves it, see docs/telephony-tests.md).")] = None,
    carrier_username: Annotated[str, typer.Option(
        "--carrier-username", help="The digest username the carrier expects; its password "
        f"from {CARRIER_PASSWORD_ENV}.")] = "",
    carrier_number: Annotated[list[str] | None, typer.Option(
        "--carrier-number", help="A number the carrier knows (repeatable; default: all).")]
    = None,
    carrier_busy: Annotated[list[str] | None, typer.Option(
        "--carrier-busy", help="A number whose line is busy (repeatable).")] = None,
    carrier_answer: Annotated[str, typer.Option(
        "--carrier-answer", help=f"Whether the carrier answers: {', '.join(ANSWERS)}.")] = "yes",
    source_ip: Annotated[str, typer.Option(
        "--source-ip", help="The caller's IP address (e.g. your provider's, to pass a "
        "trunk's allowed_addresses); default: the namespace's caller address.")] = "",
    pin: Annotated[str, typer.Option("--pin", help="Digits to enter at a PIN prompt.")] = "",
    agent_cmd: AgentCmdOpt = None,
    config: ConfigOpt = None,
    secret_config: SecretOpt = None,
    secret_config_file: SecretFileOpt = None,
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
    outcomes = OUTBOUND_OUTCOMES if outbound else OUTCOMES
    if expect and expect not in outcomes:
        raise typer.BadParameter(f"{expect!r} is not one of {', '.join(outcomes)}",
                                 param_hint="--expect")
    if outbound and not trunk:
        raise typer.BadParameter("an outbound call needs the trunk's name or ID",
                                 param_hint="--trunk")
    if not outbound and not from_:
        raise typer.BadParameter("an inbound call needs the caller's number", param_hint="--from")
    if carrier_answer not in ANSWERS:
        raise typer.BadParameter(f"{carrier_answer!r} is not one of {', '.join(ANSWERS)}",
                                 param_hint="--carrier-answer")
    secrets = secret_config_of(secret_config, secret_config_file)
    try:
        with _replica(logs) as replica:
            _bring_up(replica, program, _pairs(config, "--config"), secrets, agent_cmd or [],
                      _say)
            report: CallReport | OutboundReport
            if outbound:
                stand_in = replica.start_carrier()
                hosts = list(carrier_host or [])
                accounts = [CarrierAccount(
                    h.lower(), username=carrier_username,
                    password=os.environ.get(CARRIER_PASSWORD_ENV, ""),
                    numbers=tuple(carrier_number or ()), busy=tuple(carrier_busy or ()),
                    answer=carrier_answer) for h in hosts]
                if not hosts:
                    address = find_outbound_trunk(replica, trunk).address
                    accounts = [dataclasses.replace(
                        a, username=carrier_username,
                        password=os.environ.get(CARRIER_PASSWORD_ENV, ""),
                        numbers=tuple(carrier_number or ()), busy=tuple(carrier_busy or ()),
                        answer=a.answer if a.answer != "yes" else carrier_answer)
                        for a in default_accounts([address])]
                stand_in.serve(*accounts)
                _say("==> carrier stand-in serving " + (", ".join(
                    a.host for a in accounts) or "no host"))
                report = place_outbound_call(replica, OutboundSpec(
                    trunk, to, from_, ring_timeout=ring_timeout))
            else:
                report = place_call(replica, CallSpec(
                    to=to, from_=from_, source_ip=source_ip, pin=pin,
                    auth_username=auth_username, auth_password=auth_password,
                    ring_timeout=ring_timeout))
            _report(report.summary())
    except ReplicaError as exc:
        _say(f"error: {exc}")
        raise typer.Exit(2) from None
    if expect and report.outcome != expect:
        _report(f"expected {expect.upper()}, got {report.outcome.upper()}")
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
