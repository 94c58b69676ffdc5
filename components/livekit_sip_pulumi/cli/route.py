"""``livekit-sip route``: where a call to a number of the live project goes, and why."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer
from livekit_sip_core import NEWEST_SERVER, SERVER_RELEASES, server_release
from livekit_sip_policies.call_classes import CallClasses, call_classes
from livekit_sip_policies.routing import ACCEPT, REQUEST_PIN, Call, Route, dispatch_rule_priority
from livekit_sip_policies.routing import route as simulate
from rich.table import Table
from rich.text import Text

from .common import (
    EXIT_CANNOT_RUN,
    EXIT_FINDINGS,
    EXIT_OK,
    ApiKey,
    ApiSecret,
    Progress,
    Url,
    credentials,
    err,
    fetch,
    out,
    shown,
)

__all__ = ["classes_json", "route", "route_json"]


def route_json(result: Route) -> dict[str, Any]:
    """The ``--json`` document of ``route`` (docs/cli.md)."""
    selection = result.selection
    return {
        "schema": "livekit-sip-route/v1",
        "call": {
            "to": result.call.to,
            "from": result.call.from_,
            "source_ip": result.call.source_ip,
            "pin": result.call.pin,
        },
        "server": result.server,
        "result": result.result,
        "error": result.error,
        "trunk_id": result.trunk_id,
        "trunk_checks": [
            {
                "trunk_id": c.trunk_id,
                "name": c.name,
                "matched": c.passed,
                "failed_on": c.failed_on,
                "detail": c.detail,
            }
            for c in result.trunk.checks
        ],
        "rule_id": result.rule_id,
        "rule_candidates": [
            {
                "rule_id": c.rule_id,
                "name": c.name,
                "priority": c.priority,
                "scope": c.scope,
                "skipped": c.skipped,
            }
            for c in (selection.candidates if selection is not None else ())
        ],
        "room_pattern": result.room_pattern,
        "agents": list(result.agents),
        "ringing_timeout_status": result.ringing_timeout_status,
        "explanation": result.explain(),
    }


def _print(result: Route) -> None:
    console = out()
    console.print(shown(result.call.describe(), style="bold"))
    console.print(shown(f"as livekit-server {result.server} routes it", style="dim"))
    trunks = Table(title="1. inbound trunks (which trunk takes the call)", title_justify="left")
    for column in ("trunk", "name", "result", "why"):
        trunks.add_column(column)
    for check in result.trunk.checks:
        verdict = "matched" if check.passed else f"no: {check.failed_on}"
        if check.passed and check.trunk_id != result.trunk_id:
            verdict = "passed, not chosen"
        trunks.add_row(shown(check.trunk_id), shown(check.name), verdict, shown(check.detail))
    if not result.trunk.checks:
        trunks.add_row("-", "-", "no trunk", shown(result.trunk.explain()))
    console.print(trunks)
    rules = Table(
        title="2. dispatch rules of the trunk (highest priority wins; lower number = higher)",
        title_justify="left",
    )
    for column in ("rule", "name", "priority", "scope", "result"):
        rules.add_column(column)
    selection = result.selection
    for candidate in selection.candidates if selection is not None else ():
        chosen = candidate.rule_id == result.rule_id and candidate.skipped is None
        rules.add_row(
            shown(candidate.rule_id),
            shown(candidate.name),
            str(candidate.priority),
            shown(candidate.scope),
            shown("selected" if chosen else (candidate.skipped or "lower priority")),
        )
    if selection is not None and selection.error is not None:
        rules.add_row("-", "-", "-", "-", "refused before any rule is chosen (see the outcome)")
    elif selection is None or not selection.candidates:
        rules.add_row("-", "-", "-", "-", "no rule examined")
    console.print(rules)
    if result.rule is not None:
        console.print(
            Text(f"selected rule priority: {dispatch_rule_priority(result.rule)}", style="dim")
        )
    console.print(Text("3. outcome", style="italic"))
    # One line per step of the explanation; the values in a step are escaped where they are
    # written (livekit_sip_policies.routing), and any control character left here too.
    for line in result.explain().split("\n"):
        console.print(shown(line))


def _outcome(result: Route) -> str:
    if result.result == ACCEPT:
        agents = ", ".join(result.agents) if result.agents else "no agent"
        return f"room {result.room_pattern} ({agents})"
    if result.result == REQUEST_PIN:
        return "PIN prompt"
    if result.error:
        return f"{result.result}: {result.error}"
    return f"{result.result}: no dispatch rule takes it"


def classes_json(classes: CallClasses) -> dict[str, Any]:
    """The ``--all --json`` document (docs/cli.md)."""
    return {
        "schema": "livekit-sip-route-all/v1",
        "complete": classes.complete,
        "called_numbers": classes.called_numbers,
        "calls": [
            {
                "to": c.call.to,
                "from": c.call.from_,
                "source_ip": c.call.source_ip,
                "host": c.call.from_host,
                "pin": c.call.pin,
                "unnamed_number": c.unnamed_number,
                "unlisted_caller": c.unlisted_caller,
                "outside_address": c.outside_address,
                "result": c.route.result,
                "error": c.route.error,
                "trunk_id": c.route.trunk_id,
                "rule_id": c.route.rule_id,
                "room_pattern": c.route.room_pattern,
                "agents": list(c.route.agents),
            }
            for c in classes.calls
        ],
    }


def _print_all(classes: CallClasses, names: dict[str, str]) -> None:
    console = out()
    table = Table(
        title=f"{len(classes)} call classes over {classes.called_numbers} called numbers "
        "(every call the routing tells apart; '(none)': a value no object writes)",
        title_justify="left",
    )
    for column in ("to", "from", "source", "pin", "trunk", "rule", "outcome"):
        table.add_column(column)
    for c in classes.calls:
        table.add_row(
            shown(c.call.to + (" (none)" if c.unnamed_number else "")),
            shown(c.call.from_ + (" (none)" if c.unlisted_caller else "")),
            shown(c.call.from_host or c.call.source_ip)
            + (Text(" (outside)") if c.outside_address else Text("")),
            shown(c.call.pin or "-"),
            shown(names.get(c.route.trunk_id, c.route.trunk_id) or "-"),
            shown(names.get(c.route.rule_id, c.route.rule_id) or "-"),
            shown(_outcome(c.route)),
        )
    console.print(table)
    if not classes.complete:
        console.print(Text("cut at the bound: not every call class is listed", style="yellow"))


def route(
    to: Annotated[str, typer.Option("--to", help="The called number, e.g. +15105550100.")] = "",
    from_: Annotated[
        str, typer.Option("--from", help="The caller's number, e.g. +14155550001.")
    ] = "",
    source_ip: Annotated[
        str, typer.Option("--source-ip", help="The IP address the call comes from.")
    ] = "",
    pin: Annotated[str, typer.Option("--pin", help="The PIN the caller enters.")] = "",
    server: Annotated[
        str,
        typer.Option(
            "--server",
            help="The livekit-server release to simulate: "
            + ", ".join(r.version for r in SERVER_RELEASES)
            + " (they differ on a call no dispatch rule takes: REJECT from v1.13.11, DROP "
            "before).",
        ),
    ] = NEWEST_SERVER,
    url: Url = "",
    api_key: ApiKey = "",
    api_secret: ApiSecret = "",
    as_json: Annotated[bool, typer.Option("--json", help="The route as JSON on stdout.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress on stderr.")] = False,
    every_call: Annotated[
        bool,
        typer.Option(
            "--all",
            help="Every call the routing tells apart (each called number, caller, address and "
            "PIN the objects write, plus one of each that none writes) and its outcome.",
        ),
    ] = False,
) -> None:
    """Simulate a call against the live project, step by step: the trunk candidates and why
    each matched or not, the dispatch rules with their priorities, the outcome (room, agents).
    Exit code: 0 the call is accepted (or asked for a PIN), 1 it is rejected, dropped or refused,
    2 cannot run. With --all: every call class and its outcome (exit code 0)."""
    if not every_call and not (to and from_):
        err().print(Text("route needs --to and --from (or --all for every call class)"))
        raise typer.Exit(EXIT_CANNOT_RUN)
    try:
        release = server_release(server).version
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--server") from None
    project = fetch(credentials(url, api_key, api_secret), Progress(quiet))
    trunks, rules = project.routing_inputs()
    if every_call:
        classes = call_classes(trunks, rules)
        if as_json:
            sys.stdout.write(json.dumps(classes_json(classes), indent=2) + "\n")
        else:
            names = {
                str(o.get("sip_trunk_id") or o.get("sip_dispatch_rule_id")): str(
                    o.get("name") or ""
                )
                for o in [*trunks, *rules]
            }
            _print_all(classes, {k: v for k, v in names.items() if v})
        raise typer.Exit(EXIT_OK)
    result = simulate(
        trunks, rules, Call(to=to, from_=from_, source_ip=source_ip, pin=pin), server=release
    )
    if as_json:
        sys.stdout.write(json.dumps(route_json(result), indent=2) + "\n")
    else:
        _print(result)
    raise typer.Exit(EXIT_OK if result.result in (ACCEPT, REQUEST_PIN) else EXIT_FINDINGS)
