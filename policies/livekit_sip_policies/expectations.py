"""Routing expectations: calls the stack must route a certain way, checked with the simulator.

Configured on LKSSTK011 as ``calls``, a list of objects::

    {"from": "+14155550001", "to": "+15105550100", "sourceIp": "203.0.113.7",
     "expect": {"agent": "support-agent"}}

Call keys: ``from`` and ``to`` (required), ``sourceIp``, ``host`` (the caller's SIP host),
``pin`` (digits entered at the PIN prompt), ``noPin`` (the call cannot enter one),
``authUsername`` (the user name the caller authenticates with), ``name`` (a label).

``expect`` is ``"reject"`` or ``"drop"`` (one expectation, two words: no dispatch rule takes
the call; livekit-server v1.13.11 answers REJECT and the SIP bridge answers the caller 404,
v1.13.5 answers DROP and the bridge hangs up without an answer; either word is met by either
answer, so an expectation holds on every supported release), ``"refused"`` (the server
refuses it: several trunks match, or authentication fails), ``"accept"``, or an object of
any of: ``agent`` (dispatched to the room), ``agents`` (exactly these), ``room`` (the room name;
write ``{random}`` for the random suffix, e.g. ``call-_+14155550001_{random}``), ``pin``
(true: the caller is asked for a PIN), ``trunk`` and ``rule`` (the resource or LiveKit name of
the inbound trunk and dispatch rule), ``identity`` (the participant identity).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .routing import (
    ACCEPT,
    AUTH_FAILED,
    ERROR,
    NO_RULE_RESULTS,
    RANDOM,
    REQUEST_PIN,
    Call,
    Route,
    room_regex,
)

__all__ = ["CALL_KEYS", "EXPECT_KEYS", "Expectation", "parse_expectations", "unmet"]

CALL_KEYS = ("from", "to", "sourceIp", "host", "pin", "noPin", "authUsername", "name", "expect")
EXPECT_KEYS = ("agent", "agents", "room", "pin", "trunk", "rule", "identity")
EXPECT_WORDS = ("reject", "drop", "refused", "accept")
#: The words that mean "no dispatch rule takes the call", whatever the release answers.
NO_RULE_WORDS = ("reject", "drop")


@dataclass(frozen=True)
class Expectation:
    """One configured call and what must happen to it."""

    index: int
    label: str
    call: Call
    expect: str | Mapping[str, Any]


def _text(entry: Mapping[str, Any], key: str) -> str:
    value = entry.get(key, "")
    return value if isinstance(value, str) else str(value)


def parse_expectations(raw: Any) -> tuple[list[Expectation], list[tuple[int, str]]]:
    """The expectations of the ``calls`` knob, and (index, problem) for malformed entries."""
    expectations: list[Expectation] = []
    problems: list[tuple[int, str]] = []
    if raw is None:
        return expectations, problems
    if not isinstance(raw, Sequence) or isinstance(raw, str):
        return expectations, [(-1, "must be a list of calls")]
    for index, entry in enumerate(raw):
        problem = _problem(entry)
        if problem:
            problems.append((index, problem))
            continue
        call = Call(
            to=_text(entry, "to"),
            from_=_text(entry, "from"),
            source_ip=_text(entry, "sourceIp"),
            from_host=_text(entry, "host"),
            pin=_text(entry, "pin"),
            no_pin=entry.get("noPin") is True,
            auth_username=_text(entry, "authUsername") if "authUsername" in entry else None,
        )
        label = _text(entry, "name") or f"call #{index + 1}"
        expectations.append(Expectation(index, label, call, entry["expect"]))
    return expectations, problems


def _problem(entry: Any) -> str | None:
    if not isinstance(entry, Mapping):
        return "is not an object with from, to and expect"
    missing = [k for k in ("from", "to", "expect") if k not in entry]
    if missing:
        return f"misses {', '.join(missing)}"
    unknown = sorted(set(entry) - set(CALL_KEYS))
    if unknown:
        return f"has unknown keys {unknown} (known: {', '.join(CALL_KEYS)})"
    expect = entry["expect"]
    if isinstance(expect, str):
        if expect not in EXPECT_WORDS:
            return f"expect {expect!r} is not one of {', '.join(EXPECT_WORDS)} or an object"
        return None
    if not isinstance(expect, Mapping) or not expect:
        return "expect must be 'reject' (or 'drop'), 'refused', 'accept' or a non-empty object"
    unknown = sorted(set(expect) - set(EXPECT_KEYS))
    if unknown:
        return f"expect has unknown keys {unknown} (known: {', '.join(EXPECT_KEYS)})"
    return None


def _prediction(route: Route, names: Mapping[str, str]) -> str:
    trunk = names.get(route.trunk_id, route.trunk_id) or "no trunk"
    if route.result == ACCEPT:
        agents = f"agents {list(route.agents)}" if route.agents else "no agent"
        rule = names.get(route.rule_id, route.rule_id)
        return f"it is accepted into room '{route.room_pattern}' ({agents}) by rule '{rule}'"
    if route.result == REQUEST_PIN:
        return f"the caller is asked for the PIN of rule '{names.get(route.rule_id, '')}'"
    if route.result in NO_RULE_RESULTS:
        return (
            f"no dispatch rule takes it (trunk: {trunk}; livekit-server {route.server} answers "
            f"{route.result.upper()})"
        )
    return f"it is refused: {route.error}"


def unmet(expectation: Expectation, route: Route, names: Mapping[str, Sequence[str]]) -> str | None:
    """Why ``route`` does not meet ``expectation`` (None when it does).

    ``names`` maps a trunk or rule ID to the names it may be called by (resource name,
    LiveKit name); the first one is used in messages.
    """
    first = {key: values[0] for key, values in names.items() if values}
    expect = expectation.expect
    wanted: list[str] = []
    if isinstance(expect, str):
        ok = {
            "reject": route.result in NO_RULE_RESULTS,
            "drop": route.result in NO_RULE_RESULTS,
            "refused": route.result in (ERROR, AUTH_FAILED),
            "accept": route.result == ACCEPT,
        }[expect]
        if not ok:
            wanted.append(f"'{expect}'")
    else:
        wanted.extend(_unmet_fields(expect, route, names))
    if not wanted:
        return None
    return (
        f"{expectation.call.describe(expectation.label)}: expected {', '.join(wanted)}, "
        f"but {_prediction(route, first)}.\nWhy: {route.explain()}"
    )


def _unmet_fields(
    expect: Mapping[str, Any], route: Route, names: Mapping[str, Sequence[str]]
) -> list[str]:
    wanted: list[str] = []
    accepted = route.result == ACCEPT
    if "pin" in expect:
        asks = route.result == REQUEST_PIN
        if bool(expect["pin"]) != asks:
            wanted.append("a PIN prompt" if expect["pin"] else "no PIN prompt")
    if "agent" in expect and not (accepted and str(expect["agent"]) in route.agents):
        wanted.append(f"agent '{expect['agent']}'")
    if "agents" in expect:
        want = [str(a) for a in expect["agents"] or []]
        if not (accepted and list(route.agents) == want):
            wanted.append(f"agents {want}")
    if "room" in expect:
        room = str(expect["room"])
        ok = accepted and (
            room == route.room_pattern
            or (route.random_room and RANDOM not in room and route.room_regex().fullmatch(room))
            or (RANDOM in room and room_regex(room).pattern == route.room_regex().pattern)
        )
        if not ok:
            wanted.append(f"room '{room}'")
    if "identity" in expect and not (
        accepted and route.participant_identity == str(expect["identity"])
    ):
        wanted.append(f"identity '{expect['identity']}'")
    for key, id_ in (("trunk", route.trunk_id), ("rule", route.rule_id)):
        if key in expect and str(expect[key]) not in names.get(id_, ()):
            wanted.append(f"{key} '{expect[key]}'")
    return wanted
