"""What LiveKit holds is untrusted: names, metadata, headers, attributes, room and agent names
with escape sequences, bells, carriage returns, line breaks and Rich markup, stored with
livekit-api in a real livekit-server, reach no terminal as they are. `livekit-sip doctor`,
`route`, `map` and `export` print them escaped on one line (``\\x1b[2J...\\nFAKE LINE``), Rich
markup literally; `--json` keeps the values exactly."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator

import pytest
from livekit import api

from tests.e2e.cli.livekit_sip_cli import Run, credentials, run

pytestmark = pytest.mark.e2e

#: Clears the screen, turns the text red and forges a line of its own.
HOSTILE = "\x1b[2J\x1b[31mEVIL\nFAKE LINE: all good"
#: Markup Rich would read in a string; a bell; a carriage return that would overwrite the line;
#: an HTML entity Graphviz would decode into an ESC.
MARKUP = "[bold red]RED[/bold red] :warning: \x07\rFAKE LINE: overwritten &#27;[31m"
#: How the commands show HOSTILE (livekit_sip_core.printable).
HOSTILE_SHOWN = r"\x1b[2J\x1b[31mEVIL\nFAKE LINE: all good"

TO, FROM = "+15105550100", "+14155550001"

#: Control characters no output may carry (line feeds aside): ESC, BEL, CR, the rest of C0, DEL
#: and C1, and the Unicode line and paragraph separators.
CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def forged_lines(text: str) -> list[str]:
    """Lines (past table borders and indentation) that begin with the hostile text's line."""
    return [line for line in text.split("\n") if line.lstrip(" │┃|#-*>").startswith("FAKE LINE")]


def assert_clean(result: Run) -> None:
    for stream, text in (("stdout", result.stdout), ("stderr", result.stderr)):
        assert not CONTROL.findall(text), f"{stream} carries {CONTROL.findall(text)}\n{result}"
        assert not forged_lines(text), f"{stream} has a forged line\n{result}"


@pytest.fixture(scope="module")
def hostile(livekit) -> Iterator[dict[str, str]]:
    """An inbound trunk and a dispatch rule whose every free-text field is hostile."""
    livekit.delete_everything()

    async def seed() -> dict[str, str]:
        async with api.LiveKitAPI(livekit.url, livekit.api_key, livekit.api_secret) as lk:
            trunk = await lk.sip.create_inbound_trunk(
                api.CreateSIPInboundTrunkRequest(
                    trunk=api.SIPInboundTrunkInfo(
                        name=HOSTILE,
                        metadata=HOSTILE,
                        # Not E.164: doctor's finding quotes it.
                        numbers=[TO, "5105550199" + HOSTILE],
                        allowed_numbers=[FROM, MARKUP],
                        headers_to_attributes={"X-Customer": HOSTILE},
                    )
                )
            )
            rule = await lk.sip.create_dispatch_rule(
                api.CreateSIPDispatchRuleRequest(
                    dispatch_rule=api.SIPDispatchRuleInfo(
                        name=MARKUP,
                        metadata=HOSTILE,
                        trunk_ids=[trunk.sip_trunk_id],
                        rule=api.SIPDispatchRule(
                            dispatch_rule_direct=api.SIPDispatchRuleDirect(room_name=HOSTILE)
                        ),
                        attributes={"line": HOSTILE},
                        room_config=api.RoomConfiguration(
                            agents=[api.RoomAgentDispatch(agent_name=HOSTILE, metadata=MARKUP)]
                        ),
                    )
                )
            )
            return {"trunk": trunk.sip_trunk_id, "rule": rule.sip_dispatch_rule_id}

    ids = asyncio.run(seed())
    yield ids
    livekit.delete_everything()


def test_doctor_prints_what_livekit_holds_escaped(livekit, hostile):
    result = run("doctor", env=credentials(livekit))
    assert result.returncode in (0, 1), result
    assert_clean(result)
    assert HOSTILE_SHOWN in result.stdout, result  # the trunk's name, recognisable
    assert "[bold red]RED[/bold red]" in result.stdout, result  # markup printed as it is
    assert hostile["trunk"] in result.stdout


def test_doctor_json_keeps_the_values(livekit, hostile):
    result = run("doctor", "--json", env=credentials(livekit))
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout, result
    document = json.loads(result.stdout)
    names = {o["id"]: o["name"] for o in document["objects"]}
    assert names.get(hostile["trunk"]) == HOSTILE, document


def test_route_prints_names_and_rooms_escaped(livekit, hostile):
    result = run("route", "--to", TO, "--from", FROM, env=credentials(livekit))
    assert result.returncode == 0, result  # accepted: into the hostile room
    assert_clean(result)
    assert f"room '{HOSTILE_SHOWN}'" in result.stdout, result
    assert "[bold red]RED[/bold red]" in result.stdout, result  # the rule's name
    document = json.loads(run("route", "--to", TO, "--from", FROM, "--json",
                              env=credentials(livekit)).stdout)
    assert document["room_pattern"] == HOSTILE


@pytest.mark.parametrize("fmt", ["mermaid", "dot"])
def test_map_labels_carry_no_control_character(livekit, hostile, fmt):
    result = run("map", "--format", fmt, env=credentials(livekit))
    assert result.returncode == 0, result
    assert_clean(result)
    assert "EVIL" in result.stdout and "x1b[2J" in result.stdout, result


def test_map_picture_carries_no_control_character(livekit, hostile, tmp_path):
    svg = tmp_path / "map.svg"
    result = run("map", "-o", str(svg), env=credentials(livekit))
    assert result.returncode == 0, result
    assert_clean(result)
    text = svg.read_text()
    assert not CONTROL.findall(text.replace("\t", " ")), CONTROL.findall(text)
    assert "x1b[2J" in text and "FAKE LINE" in text


def test_export_messages_are_escaped(livekit, hostile, tmp_path):
    result = run("export", "-o", str(tmp_path / "program"), env=credentials(livekit))
    assert result.returncode == 0, result
    assert_clean(result)
    assert HOSTILE_SHOWN in result.stderr, result  # the TODO line of the non-E.164 number
