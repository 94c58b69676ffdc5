"""``livekit-sip map``: the routing map of the live project (numbers -> trunks -> rules ->
rooms and agents)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from livekit_sip_policies.routing_map import build_map, render, to_dot, to_mermaid

from .common import ApiKey, ApiSecret, Progress, Url, cannot_run, credentials, err, fetch
from .live import CannotRun

__all__ = ["FORMATS", "map_command"]

FORMATS = ("svg", "png", "dot", "mermaid")


def map_command(
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            help=(
                "svg, png, dot or mermaid. Default: from the -o suffix (.svg, .png, .dot, "
                ".mmd), else mermaid. svg and png need Graphviz's `dot` and the graphviz "
                "package (pip install 'livekit-sip-pulumi[map]')."
            ),
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write here; text formats go to stdout without it."),
    ] = None,
    title: Annotated[str, typer.Option("--title", help="Title of the DOT/SVG/PNG map.")] = (
        "LiveKit SIP routing"
    ),
    url: Url = "",
    api_key: ApiKey = "",
    api_secret: ApiSecret = "",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress on stderr.")] = False,
) -> None:
    """Draw the routing of the live project: numbers, inbound trunks, dispatch rules, rooms
    and agents. Exit code 2 when it cannot run (credentials, network, no --output for an
    image)."""
    if fmt is None:
        suffix = output.suffix.lower().lstrip(".") if output is not None else ""
        fmt = {"svg": "svg", "png": "png", "dot": "dot", "gv": "dot"}.get(suffix, "mermaid")
    if fmt not in FORMATS:
        cannot_run(f"--format '{fmt}' is not one of {', '.join(FORMATS)}")
    if fmt in ("svg", "png") and output is None:
        cannot_run(f"--format {fmt} writes an image: give the file with -o/--output map.{fmt}")
    try:
        project = fetch(credentials(url, api_key, api_secret), Progress(quiet))
    except CannotRun as exc:
        cannot_run(str(exc))
    trunks, rules = project.routing_inputs()
    routing_map = build_map(trunks, rules)
    if fmt in ("dot", "mermaid"):
        text = to_dot(routing_map, title) if fmt == "dot" else to_mermaid(routing_map)
        if output is None:
            sys.stdout.write(text)
        else:
            output.write_text(text, encoding="utf-8")
            err().print(f"wrote {output}", markup=False)
        return
    assert output is not None
    try:
        render(to_dot(routing_map, title), output, fmt)
    except (RuntimeError, OSError) as exc:
        cannot_run(str(exc))
    err().print(f"wrote {output}", markup=False)
