"""A map of the routing: numbers -> inbound trunks -> dispatch rules -> rooms and agents.

Built from the routing simulator's inputs (trunks and rules as plain dicts with the protocol's
field names), or from a ``pulumi stack export`` JSON (:func:`objects_from_stack_export`).
Written as Graphviz DOT (rendered to SVG/PNG with the ``graphviz`` package and Graphviz's
``dot``) or as Mermaid text. ``scripts/routing-map.py`` is the command-line front end.

The edges follow the server's rules (see :mod:`.routing`): a called number reaches the trunks
that list it (normalized) or list no numbers; a trunk reaches the rules that name it in
trunk_ids, and the rules without trunk_ids (dashed: they apply only when no rule naming the
trunk matches); each rule shows its filters, PIN and priority, and leads to its room pattern
and agents. A trunk no rule can take leads to what its calls get from the livekit-server
release mapped (``server``, default the newest): rejected with SIP 404 (v1.13.11) or dropped
unanswered (v1.13.5). With a :class:`Reach` (``livekit-sip map --reach``), the dispatch rules no
call reaches and the numbers whose ordinary caller reaches no agent are drawn in red, with a
legend.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from livekit_sip_core import PASSWORD_FIELD, normalize_number, printable, server_release

from .routing import (
    CALLEE,
    DIRECT,
    INDIVIDUAL,
    agents_of,
    dispatch_rule_priority,
    pin_and_room,
    rule_id,
    rule_kind,
    trunk_id,
)
from .rule import DISPATCH_RULE, INBOUND_TRUNK

__all__ = [
    "FORMATS",
    "Reach",
    "RoutingMap",
    "build_map",
    "format_of",
    "load_objects",
    "objects_from_stack_export",
    "render",
    "room_pattern",
    "to_dot",
    "to_mermaid",
    "write",
]

ANY_NUMBER = "any number"


@dataclass(frozen=True)
class Node:
    key: str
    kind: str  # number, trunk, rule, room, outcome
    label: str
    unreachable: bool = False  # --reach: a rule no call reaches, a number reaching no agent


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    label: str = ""
    fallback: bool = False
    unreachable: bool = False  # --reach: a number's line whose ordinary caller reaches no agent


@dataclass(frozen=True)
class Reach:
    """What to colour (``livekit-sip map --reach``): the rule IDs no call reaches (LKSSTK013)
    and the (trunk ID, number as written) whose ordinary caller reaches no agent (LKSSTK014);
    see :func:`.reachability.unreachable`."""

    rules: frozenset[str] = frozenset()
    numbers: frozenset[tuple[str, str]] = frozenset()


@dataclass(frozen=True)
class RoutingMap:
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    reach: Reach | None = None


def _strings(obj: Mapping[str, Any], key: str) -> list[str]:
    value = obj.get(key)
    return [str(v) for v in value] if isinstance(value, (list, tuple)) else []


def room_pattern(rule: Mapping[str, Any]) -> str:
    """The room a rule's calls join, with <caller>, <called> and <random> placeholders."""
    kind = rule_kind(rule)
    if kind is None:
        return "(no rule kind)"
    name, body = kind
    if name == DIRECT:
        return str(body.get("room_name") or "")
    hidden = bool(rule.get("hide_phone_number"))
    prefix = str(body.get("room_prefix") or "")
    if name == INDIVIDUAL:
        who = "<caller's last 4 digits>" if hidden else "<caller>"
        room = f"{prefix}_{who}" if prefix else who
        return room if body.get("no_randomness") else room + "_<random>"
    assert name == CALLEE
    room = f"{prefix}_<called>" if prefix else "<called>"
    return room + "_<random>" if body.get("randomize") else room


def _rule_label(rule: Mapping[str, Any]) -> str:
    name = str(rule.get("name") or rule_id(rule))
    lines = [f"rule {name}"]
    _, pin = pin_and_room(rule) or ("", "")
    if pin:
        lines.append("PIN required")
    callers = _strings(rule, "inbound_numbers")
    if callers:
        lines.append("callers: " + ", ".join(callers))
    numbers = _strings(rule, "numbers")
    if numbers:
        lines.append("called: " + ", ".join(numbers))
    lines.append(f"priority {dispatch_rule_priority(rule)}")
    return "\n".join(lines)


def _trunk_label(trunk: Mapping[str, Any]) -> str:
    lines = [f"trunk {trunk.get('name') or trunk_id(trunk)}"]
    allowed = _strings(trunk, "allowed_numbers")
    if allowed:
        lines.append("callers: " + ", ".join(allowed))
    addresses = _strings(trunk, "allowed_addresses")
    if addresses:
        lines.append("from: " + ", ".join(addresses))
    if trunk.get("auth_username"):
        lines.append(f"auth: {trunk['auth_username']}")
    return "\n".join(lines)


def _shown(value: Any) -> Any:
    """``value`` with every string in it :func:`printable`: what a label shows of an object.
    What LiveKit holds (names, numbers, rooms, agents) is untrusted: it cannot add a line to a
    label, nor carry ESC, BEL or another control character into the text or the picture. The
    nodes and edges are found with the values as they are."""
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, Mapping):
        return {k: _shown(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_shown(v) for v in value]
    return value


#: What a call no dispatch rule takes gets, by the release's answer (see routing.Route).
NO_RULE_LABELS = {
    "REJECT": "no dispatch rule: rejected (SIP 404)",
    "DROP": "no dispatch rule: dropped (no answer)",
}


def build_map(
    trunks: Sequence[Mapping[str, Any]],
    rules: Sequence[Mapping[str, Any]],
    server: str | None = None,
    reach: Reach | None = None,
) -> RoutingMap:
    """The routing map of these trunks and rules (the server's order: by ID), as livekit-server
    ``server`` (default: the newest supported) routes them; the labels escape what the objects
    hold (:func:`_shown`). With ``reach``, what it names is marked unreachable."""
    no_rule = NO_RULE_LABELS[server_release(server).no_rule_result]
    nodes: dict[str, Node] = {}
    edges: list[Edge] = []
    trunks = sorted(trunks, key=trunk_id)
    rules = sorted(rules, key=rule_id)
    for trunk in trunks:
        tkey = f"trunk:{trunk_id(trunk)}"
        nodes[tkey] = Node(tkey, "trunk", _trunk_label(_shown(trunk)))
        numbers = _strings(trunk, "numbers")
        for number in numbers or [ANY_NUMBER]:
            norm = normalize_number(number) if number != ANY_NUMBER else number
            nkey = f"number:{norm}"
            dead = reach is not None and (trunk_id(trunk), number) in reach.numbers
            node = nodes.setdefault(nkey, Node(nkey, "number", printable(norm)))
            if dead and not node.unreachable:
                nodes[nkey] = Node(nkey, "number", node.label, unreachable=True)
            edges.append(Edge(nkey, tkey, unreachable=dead))
    for rule in rules:
        rkey = f"rule:{rule_id(rule)}"
        label_of = _shown(rule)
        dead = reach is not None and rule_id(rule) in reach.rules
        nodes[rkey] = Node(rkey, "rule", _rule_label(label_of), unreachable=dead)
        agents = agents_of(label_of)
        room = room_pattern(label_of)
        okey = f"room:{rule_id(rule)}"
        agent_text = "agents: " + ", ".join(agents) if agents else "no agent"
        nodes[okey] = Node(okey, "room", f"room {room}\n{agent_text}")
        edges.append(Edge(rkey, okey))
        named = _strings(rule, "trunk_ids")
        for trunk in trunks:
            tkey = f"trunk:{trunk_id(trunk)}"
            if not named:
                edges.append(Edge(tkey, rkey, "no trunk_ids", fallback=True))
            elif trunk_id(trunk) in named:
                edges.append(Edge(tkey, rkey))
        if not named and not trunks:
            nodes.setdefault("trunk:", Node("trunk:", "trunk", "no trunk"))
            edges.append(Edge("trunk:", rkey, "no trunk_ids", fallback=True))
    routed = {edge.source for edge in edges if edge.target.startswith("rule:")}
    for trunk in trunks:
        tkey = f"trunk:{trunk_id(trunk)}"
        if tkey not in routed:
            nodes.setdefault("outcome:no-rule", Node("outcome:no-rule", "outcome", no_rule))
            edges.append(Edge(tkey, "outcome:no-rule"))
    return RoutingMap(tuple(nodes.values()), tuple(edges), reach)


_SHAPES = {
    "number": ("ellipse", "#e8f0fe"),
    "trunk": ("box", "#fef7e0"),
    "rule": ("box", "#e6f4ea"),
    "room": ("note", "#fce8e6"),
    "outcome": ("octagon", "#eeeeee"),
}


#: --reach: what no call reaches, in red; the legend's words.
UNREACHABLE_COLOR = ("#f4c7c3", "#c5221f")
LEGEND = (
    ("rule", "dispatch rule no call reaches (LKSSTK013)"),
    ("number", "number whose ordinary caller reaches no agent (LKSSTK014)"),
)


def _dot_quote(text: str) -> str:
    """A DOT string whose text Graphviz shows as it is: its own escapes (``\\N``, ``\\l``) and
    HTML entities (``&#27;``, which Graphviz decodes in any label) written literally, each
    line break a DOT line break."""
    text = text.replace("\\", "\\\\").replace('"', '\\"').replace("&", "&amp;")
    return '"' + text.replace("\n", "\\n") + '"'


def to_dot(routing_map: RoutingMap, title: str = "LiveKit SIP routing") -> str:
    """Graphviz DOT text: numbers, trunks, rules and rooms left to right."""
    ids = {node.key: f"n{i}" for i, node in enumerate(routing_map.nodes)}
    lines = [
        "digraph routing {",
        "  rankdir=LR;",
        f"  label={_dot_quote(printable(title))}; labelloc=t; fontname=Helvetica;",
        "  node [fontname=Helvetica, fontsize=11, style=filled];",
        "  edge [fontname=Helvetica, fontsize=9];",
    ]
    fill, pen = UNREACHABLE_COLOR
    for node in routing_map.nodes:
        shape, color = _SHAPES[node.kind]
        mark = f', color="{pen}", penwidth=2' if node.unreachable else ""
        lines.append(
            f"  {ids[node.key]} [label={_dot_quote(node.label)}, shape={shape}, "
            f'fillcolor="{fill if node.unreachable else color}"{mark}];'
        )
    if routing_map.reach is not None:
        lines.append('  subgraph cluster_legend { label="unreachable"; fontsize=10;')
        for i, (kind, words) in enumerate(LEGEND):
            shape = _SHAPES[kind][0]
            lines.append(
                f"    legend{i} [label={_dot_quote(words)}, shape={shape}, "
                f'fillcolor="{fill}", color="{pen}", penwidth=2];'
            )
        lines.append("  }")
    for edge in routing_map.edges:
        attrs = []
        if edge.label:
            attrs.append(f"label={_dot_quote(edge.label)}")
        if edge.fallback:
            attrs.append("style=dashed")
        if edge.unreachable:
            attrs.append(f'color="{pen}"')
        suffix = f" [{', '.join(attrs)}]" if attrs else ""
        lines.append(f"  {ids[edge.source]} -> {ids[edge.target]}{suffix};")
    lines.append("}")
    return "\n".join(lines) + "\n"


#: Characters Mermaid would read in a label (its entity codes, HTML, a Markdown string), written
#: as its entity codes: the label shows them as they are.
_MERMAID_ENTITIES = {
    "#": "#35;",
    "&": "#38;",
    '"': "#quot;",
    "<": "#60;",
    ">": "#62;",
    "`": "#96;",
}


def _mermaid_text(text: str) -> str:
    escaped = "".join(_MERMAID_ENTITIES.get(c, c) for c in text)
    return '"' + escaped.replace("\n", "<br/>") + '"'


def to_mermaid(routing_map: RoutingMap) -> str:
    """Mermaid flowchart text (paste into Markdown as a ```mermaid block)."""
    ids = {node.key: f"n{i}" for i, node in enumerate(routing_map.nodes)}
    shapes = {
        "number": ("([", "])"),
        "trunk": ("[", "]"),
        "rule": ("{{", "}}"),
        "room": ("[/", "/]"),
        "outcome": ("[[", "]]"),
    }
    lines = ["flowchart LR"]
    for node in routing_map.nodes:
        left, right = shapes[node.kind]
        lines.append(f"  {ids[node.key]}{left}{_mermaid_text(node.label)}{right}")
    for edge in routing_map.edges:
        arrow = "-.->" if edge.fallback else "-->"
        label = f"|{_mermaid_text(edge.label)}|" if edge.label else ""
        lines.append(f"  {ids[edge.source]} {arrow}{label} {ids[edge.target]}")
    if routing_map.reach is not None:
        fill, pen = UNREACHABLE_COLOR
        lines.append(f"  classDef unreachable fill:{fill},stroke:{pen},stroke-width:2px")
        for i, (kind, words) in enumerate(LEGEND):
            left, right = shapes[kind]
            lines.append(f"  legend{i}{left}{_mermaid_text('unreachable: ' + words)}{right}")
        marked = [ids[n.key] for n in routing_map.nodes if n.unreachable]
        marked += [f"legend{i}" for i in range(len(LEGEND))]
        lines.append(f"  class {','.join(marked)} unreachable")
    return "\n".join(lines) + "\n"


def render(dot: str, output: Path, fmt: str) -> Path:
    """Render DOT text to ``output`` (svg or png) with the graphviz package and ``dot``."""
    try:
        import graphviz  # type: ignore[import-not-found,unused-ignore]
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise RuntimeError(
            "rendering needs the graphviz Python package (pip install graphviz) and Graphviz's "
            "dot (apt-get install graphviz); DOT and Mermaid text need neither"
        ) from exc
    data = graphviz.Source(dot).pipe(format=fmt)
    output.write_bytes(data)
    return output


#: What :func:`write` writes: images (Graphviz) and text.
FORMATS = ("svg", "png", "dot", "mermaid")
IMAGE_FORMATS = ("svg", "png")
DEFAULT_TITLE = "LiveKit SIP routing"


def format_of(output: Path | None, default: str = "mermaid") -> str:
    """The format an output file's suffix asks for (.svg, .png, .dot/.gv, else ``default``)."""
    suffix = output.suffix.lower().lstrip(".") if output is not None else ""
    return {"svg": "svg", "png": "png", "dot": "dot", "gv": "dot"}.get(suffix, default)


def write(
    trunks: Sequence[Mapping[str, Any]],
    rules: Sequence[Mapping[str, Any]],
    fmt: str,
    output: Path | None,
    title: str = DEFAULT_TITLE,
    reach: Reach | None = None,
) -> str | None:
    """The routing map of ``trunks`` and ``rules`` in ``fmt`` (one of :data:`FORMATS`),
    written to ``output``; without ``output``, a text format's text is returned instead (for
    stdout) and None otherwise. Raises ValueError for an unknown format or an image without
    ``output``, RuntimeError or OSError when it cannot be rendered or written."""
    if fmt not in FORMATS:
        raise ValueError(f"format '{fmt}' is not one of {', '.join(FORMATS)}")
    if fmt in IMAGE_FORMATS and output is None:
        raise ValueError(f"format {fmt} is an image: it needs an output file (map.{fmt})")
    routing_map = build_map(trunks, rules, reach=reach)
    if fmt in IMAGE_FORMATS:
        assert output is not None
        render(to_dot(routing_map, title), output, fmt)
        return None
    text = to_dot(routing_map, title) if fmt == "dot" else to_mermaid(routing_map)
    if output is None:
        return text
    output.write_text(text, encoding="utf-8")
    return None


def objects_from_stack_export(
    export: Mapping[str, Any],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Inbound trunks and dispatch rules of a ``pulumi stack export`` (their outputs).

    Secret outputs (the trunk password) are not read.
    """
    deployment = export.get("deployment", export)
    trunks: list[dict[str, Any]] = []
    rules: list[dict[str, Any]] = []
    for resource in deployment.get("resources") or []:
        outputs = resource.get("outputs") or {}
        name = str(resource.get("urn", "")).rsplit("::", 1)[-1]
        plain = {
            k: v
            for k, v in outputs.items()
            if not (isinstance(v, Mapping) and "ciphertext" in v) and k != PASSWORD_FIELD
        }
        plain.setdefault("name", name)
        if resource.get("type") == INBOUND_TRUNK:
            trunks.append(plain)
        elif resource.get("type") == DISPATCH_RULE:
            rules.append(plain)
    return trunks, rules


def load_objects(path: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Trunks and rules from a stack export, or from ``{"trunks": [...], "rules": [...]}``."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if "trunks" in data or "rules" in data:
        return list(data.get("trunks") or []), list(data.get("rules") or [])
    return objects_from_stack_export(data)
