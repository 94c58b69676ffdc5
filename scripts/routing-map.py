#!/usr/bin/env python3
"""Draw the call routing of a stack: numbers -> trunks -> dispatch rules -> rooms and agents.

usage: scripts/routing-map.py INPUT [-f svg|png|dot|mermaid] [-o OUTPUT]

INPUT is a `pulumi stack export` JSON (`pulumi stack export > stack.json`), or the routing
simulator's inputs: {"trunks": [...], "rules": [...]} with the protocol's field names.
svg and png need the graphviz Python package and Graphviz's `dot`; dot and mermaid are text.
Without -o, text formats go to stdout and images next to INPUT (INPUT.routing.svg/png).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from livekit_sip_policies.routing_map import (
    DEFAULT_TITLE,
    FORMATS,
    IMAGE_FORMATS,
    load_objects,
    write,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("input", type=Path)
    parser.add_argument("-f", "--format", choices=FORMATS, default="svg")
    parser.add_argument("-o", "--output", type=Path)
    parser.add_argument("--title", default=DEFAULT_TITLE)
    args = parser.parse_args(argv)

    trunks, rules = load_objects(args.input)
    if not trunks and not rules:
        print(f"{args.input}: no inbound trunks or dispatch rules found", file=sys.stderr)
        return 1
    output = args.output
    if output is None and args.format in IMAGE_FORMATS:
        output = args.input.with_suffix(f".routing.{args.format}")
    try:
        text = write(trunks, rules, args.format, output, args.title)
    except (RuntimeError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if text is not None:
        sys.stdout.write(text)
    elif args.format in IMAGE_FORMATS:
        print(output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
