"""``livekit-sip map``: the routing map of the live project (numbers -> trunks -> rules ->
rooms and agents)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from livekit_sip_policies.reachability import unreachable
from livekit_sip_policies.routing_map import (
    DEFAULT_TITLE,
    FORMATS,
    IMAGE_FORMATS,
    Reach,
    format_of,
    write,
)

from .common import ApiKey, ApiSecret, Progress, Url, cannot_run, credentials, err, fetch, shown

__all__ = ["FORMATS", "map_command"]


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
        DEFAULT_TITLE
    ),
    reach: Annotated[
        bool,
        typer.Option(
            "--reach",
            help=(
                "Colour what no call reaches: dispatch rules that take no call (LKSSTK013) "
                "and trunk numbers whose ordinary caller reaches no agent (LKSSTK014), with a "
                "legend."
            ),
        ),
    ] = False,
    url: Url = "",
    api_key: ApiKey = "",
    api_secret: ApiSecret = "",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress on stderr.")] = False,
) -> None:
    """Draw the routing of the live project: numbers, inbound trunks, dispatch rules, rooms
    and agents; with --reach, what no call reaches in red. Exit code 2 when it cannot run
    (credentials, network, no --output for an image)."""
    fmt = fmt or format_of(output)
    if fmt not in FORMATS:
        cannot_run(f"--format '{fmt}' is not one of {', '.join(FORMATS)}")
    if fmt in IMAGE_FORMATS and output is None:
        cannot_run(f"--format {fmt} writes an image: give the file with -o/--output map.{fmt}")
    project = fetch(credentials(url, api_key, api_secret), Progress(quiet))
    marked = None
    if reach:
        found = unreachable([o.stack_resource() for o in project.all()])
        marked = Reach(found.rules, found.numbers)
    try:
        text = write(*project.routing_inputs(), fmt, output, title, marked)
    except (RuntimeError, OSError) as exc:
        cannot_run(str(exc))
    if text is not None:
        sys.stdout.write(text)
    else:
        err().print(shown(f"wrote {output}"))
