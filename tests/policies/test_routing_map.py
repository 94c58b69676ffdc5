"""The routing map: what the DOT and Mermaid texts show, and the PNG/SVG rendering."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from livekit_sip_policies.routing_map import (
    build_map,
    format_of,
    objects_from_stack_export,
    render,
    room_pattern,
    to_dot,
    to_mermaid,
    write,
)

from .test_routing import AGENT, rule, trunk

ROOT = Path(__file__).resolve().parents[2]

TRUNKS = [
    trunk("support", numbers=["+1 510 555 0100"]),
    trunk("staff", numbers=["+15105550111"], allowed_addresses=["203.0.113.0/24"]),
]
RULES = [
    rule("support", "individual", trunks=("support",), hide_phone_number=True, **AGENT),
    rule("staff", "direct", trunks=("staff",), body={"pin": "4321"}),
    rule("fallback", "callee", body={"randomize": True}),
]


def test_map_links_numbers_trunks_rules_and_rooms() -> None:
    routing_map = build_map(TRUNKS, RULES)
    labels = {n.key: n.label for n in routing_map.nodes}
    # Numbers are shown normalized, as the server matches them.
    assert labels["number:+15105550100"] == "+15105550100"
    edges = {(e.source, e.target, e.fallback) for e in routing_map.edges}
    assert ("number:+15105550100", "trunk:ST_support", False) in edges
    assert ("trunk:ST_support", "rule:SDR_support", False) in edges
    assert ("trunk:ST_staff", "rule:SDR_support", False) not in edges
    # A rule without trunk_ids is reachable from every trunk, as a fallback.
    assert ("trunk:ST_support", "rule:SDR_fallback", True) in edges
    assert ("trunk:ST_staff", "rule:SDR_fallback", True) in edges
    assert labels["room:SDR_support"] == (
        "room call-_<caller's last 4 digits>_<random>\nagents: support-agent"
    )
    assert "PIN required" in labels["rule:SDR_staff"]
    assert "priority 2000" in labels["rule:SDR_staff"]


@pytest.mark.parametrize(
    ("kind", "fields", "expected"),
    [
        ("direct", {}, "room-r"),
        ("individual", {"body": {"no_randomness": True}}, "call-_<caller>"),
        ("callee", {"body": {"room_prefix": ""}}, "<called>"),
        ("callee", {"body": {"randomize": True}}, "callee-_<called>_<random>"),
    ],
)
def test_room_patterns(kind: str, fields: dict, expected: str) -> None:
    assert room_pattern(rule("r", kind, **fields)) == expected


def test_dot_and_mermaid_texts() -> None:
    routing_map = build_map(TRUNKS, RULES)
    dot = to_dot(routing_map, "demo")
    assert dot.startswith("digraph routing {") and 'label="demo"' in dot
    assert "style=dashed" in dot and '"trunk support"' in dot
    mermaid = to_mermaid(routing_map)
    assert mermaid.startswith("flowchart LR")
    assert "-.->" in mermaid and "agents: support-agent" in mermaid


def test_write_returns_text_or_writes_the_file(tmp_path: Path) -> None:
    """The one writer of `livekit-sip map` and scripts/routing-map.py."""
    mermaid = write(TRUNKS, RULES, "mermaid", None)
    assert mermaid == to_mermaid(build_map(TRUNKS, RULES))
    dot_file = tmp_path / "map.dot"
    assert write(TRUNKS, RULES, "dot", dot_file, "demo") is None
    assert dot_file.read_text() == to_dot(build_map(TRUNKS, RULES), "demo")
    with pytest.raises(ValueError, match="needs an output file"):
        write(TRUNKS, RULES, "png", None)
    with pytest.raises(ValueError, match="'pdf' is not one of svg, png, dot, mermaid"):
        write(TRUNKS, RULES, "pdf", tmp_path / "map.pdf")
    assert [format_of(Path(p)) for p in ("a.SVG", "a.png", "a.gv", "a.mmd")] == [
        "svg",
        "png",
        "dot",
        "mermaid",
    ]
    assert format_of(None, "svg") == "svg"


def test_stack_export_reader_skips_secrets() -> None:
    export = {
        "version": 3,
        "deployment": {
            "resources": [
                {
                    "urn": "urn:pulumi:dev::p::pulumi-python:dynamic/livekit:SipInboundTrunk::line",
                    "type": "pulumi-python:dynamic/livekit:SipInboundTrunk",
                    "outputs": {
                        "sip_trunk_id": "ST_1",
                        "numbers": ["+15105550100"],
                        "auth_password": {
                            "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
                            "ciphertext": "x",
                        },
                    },
                },
                {
                    "urn": "urn:pulumi:dev::p::pulumi-python:dynamic/livekit:SipDispatchRule::r",
                    "type": "pulumi-python:dynamic/livekit:SipDispatchRule",
                    "outputs": {"sip_dispatch_rule_id": "SDR_1", "trunk_ids": ["ST_1"]},
                },
            ]
        },
    }
    trunks, rules = objects_from_stack_export(export)
    assert trunks == [{"sip_trunk_id": "ST_1", "numbers": ["+15105550100"], "name": "line"}]
    assert rules[0]["name"] == "r"


def test_script_renders_png_and_svg(tmp_path: Path) -> None:
    source = tmp_path / "objects.json"
    source.write_text(json.dumps({"trunks": TRUNKS, "rules": RULES}))
    for fmt, magic in (("png", b"\x89PNG"), ("svg", b"<?xml")):
        out = tmp_path / f"map.{fmt}"
        done = subprocess.run(
            [
                sys.executable,
                str(ROOT / "scripts" / "routing-map.py"),
                str(source),
                "-f",
                fmt,
                "-o",
                str(out),
            ],
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, (
            f"{done.stderr}\nrendering needs `pip install graphviz` and `apt-get install graphviz`"
        )
        assert out.read_bytes().startswith(magic)
    mermaid = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "routing-map.py"), str(source), "-f", "mermaid"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert mermaid.stdout.startswith("flowchart LR")


def test_render_writes_the_file(tmp_path: Path) -> None:
    out = render(to_dot(build_map(TRUNKS, RULES)), tmp_path / "m.svg", "svg")
    assert b"agents: support&#45;agent" in out.read_bytes()  # "-" escaped by dot


HOSTILE = "\x1b[2J\x1b[31mEVIL\nFAKE LINE: all good\x07"
#: Graphviz decodes HTML entities in any label; Mermaid reads its entity codes, HTML and
#: Markdown strings.
MARKUP = '&#27;[31m &#10;x "q" <img src=x> `md` #quot; \\N'


def _hostile_objects() -> tuple[list[dict], list[dict]]:
    trunks = [
        trunk(
            HOSTILE,
            numbers=["+15105550100", "+1510555" + HOSTILE],
            allowed_numbers=[MARKUP],
            allowed_addresses=[HOSTILE],
            auth_username=HOSTILE,
        )
    ]
    rules = [
        rule(
            MARKUP,
            "direct",
            trunks=(HOSTILE,),
            body={"room_name": HOSTILE, "pin": "1234"},
            inbound_numbers=[HOSTILE],
            room_config={"agents": [{"agent_name": HOSTILE}]},
        ),
        rule("prefixed", "individual", body={"room_prefix": HOSTILE}),
    ]
    return trunks, rules


def test_labels_escape_what_the_objects_hold() -> None:
    trunks, rules = _hostile_objects()
    routing_map = build_map(trunks, rules)
    # The edges are found with the values as they are: the hostile trunk still leads to its rule.
    keys = {n.key: n for n in routing_map.nodes}
    assert ("trunk:ST_" + HOSTILE, "rule:SDR_" + MARKUP) in {
        (e.source, e.target) for e in routing_map.edges
    }
    for node in routing_map.nodes:
        lines = node.label.split("\n")
        assert all(line.isprintable() for line in lines), node
        assert not [line for line in lines if line.startswith("FAKE LINE")], node
    shown = r"trunk \x1b[2J\x1b[31mEVIL\nFAKE LINE: all good\x07"
    assert shown in keys["trunk:ST_" + HOSTILE].label
    for text in (to_dot(routing_map, HOSTILE), to_mermaid(routing_map)):
        assert all(line.isprintable() for line in text.splitlines()), text
        assert not [line for line in text.splitlines() if "FAKE" in line.split("EVIL")[0]]


def test_dot_and_mermaid_show_markup_literally() -> None:
    trunks, rules = _hostile_objects()
    routing_map = build_map(trunks, rules)
    dot = to_dot(routing_map)
    # HTML entities and DOT escapes written so that Graphviz shows them as they are.
    assert "&#27;" not in dot and "&amp;#27;[31m &amp;#10;x" in dot
    assert r"\"q\"" in dot and r"\\N" in dot
    mermaid = to_mermaid(routing_map)
    for raw in ("<img", "`md`", '"q"', "&#"):
        assert raw not in mermaid.replace('["', "").replace('"]', ""), (raw, mermaid)
    assert "#60;img src=x#62;" in mermaid and "#35;quot;" in mermaid and "#96;md#96;" in mermaid


def test_svg_shows_entities_and_control_characters_literally(tmp_path: Path) -> None:
    """Graphviz decodes HTML entities in any label (``&#27;`` would put an ESC in the SVG):
    the picture carries no control character, and shows the entity as text."""
    trunks, rules = _hostile_objects()
    svg = render(to_dot(build_map(trunks, rules)), tmp_path / "m.svg", "svg").read_text()
    assert not [c for c in svg if (ord(c) < 0x20 and c != "\n") or 0x7F <= ord(c) < 0xA0], svg
    assert "&amp;#27;[31m" in svg  # the text '&#27;[31m', as the name holds it
    assert "\\x1b[2J" in svg


@pytest.mark.parametrize(
    ("server", "label"),
    [
        (None, "no dispatch rule: rejected (SIP 404)"),
        ("v1.13.11", "no dispatch rule: rejected (SIP 404)"),
        ("v1.13.5", "no dispatch rule: dropped (no answer)"),
    ],
)
def test_a_trunk_no_rule_takes_leads_to_the_releases_answer(server: str | None, label: str) -> None:
    # RULES' fallback has no trunk_ids: it takes calls of every trunk.
    lonely = trunk("lonely", numbers=["+15105550199"])
    routing_map = build_map([*TRUNKS, lonely], RULES[:2], server=server)
    outcomes = [n for n in routing_map.nodes if n.kind == "outcome"]
    assert [n.label for n in outcomes] == [label]
    assert [e.source for e in routing_map.edges if e.target == outcomes[0].key] == [
        "trunk:ST_lonely"
    ]
    assert not [n for n in build_map([*TRUNKS, lonely], RULES).nodes if n.kind == "outcome"]
    assert label in to_mermaid(routing_map) and label in to_dot(routing_map)
