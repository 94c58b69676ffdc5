"""The routing simulator on hand-written cases.

Each case of :data:`CASES` pins a behaviour of livekit-server's routing, several of them
surprising (rule numbers compared as written, a rule naming the trunk beating a better rule
without trunk_ids, a trunk ID that yields no trunk at all), for every supported release: a
value that differs between releases is a :class:`PerServer` (see :data:`NO_RULE`).
tests/e2e/test_routing_differential.py runs the same table against the real server (each
release the toolchain builds), so the expectations below are the server's answers, not the
simulator's.

Trunk and rule IDs here are placeholders ('ST_<name>', 'SDR_<name>'); the e2e test replaces
them with the IDs the server assigns.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest
from livekit_sip_core import NEWEST_SERVER, OLDEST_SERVER, SERVER_RELEASES
from livekit_sip_policies import UNKNOWN, Finding, routing
from livekit_sip_policies.routing import Call
from livekit_sip_policies.stack_routing import routing_objects

from .helpers import dispatch, fail, inbound, ok

TO = "+15105550100"
FROM = "+14155550001"
IP = "203.0.113.7"


def trunk(name: str, **fields: Any) -> dict[str, Any]:
    return {"sip_trunk_id": f"ST_{name}", "name": name, **fields}


def rule(name: str, kind: str, *, trunks: tuple[str, ...] = (), **fields: Any) -> dict[str, Any]:
    bodies = {
        "direct": ("dispatch_rule_direct", {"room_name": f"room-{name}"}),
        "individual": ("dispatch_rule_individual", {"room_prefix": "call-"}),
        "callee": ("dispatch_rule_callee", {"room_prefix": "callee-"}),
    }
    key, body = bodies[kind]
    body = {**body, **fields.pop("body", {})}
    return {
        "sip_dispatch_rule_id": f"SDR_{name}",
        "name": name,
        "rule": {key: body},
        "trunk_ids": [f"ST_{t}" for t in trunks],
        **fields,
    }


AGENT = {"room_config": {"agents": [{"agent_name": "support-agent", "metadata": ""}]}}

SERVERS = [r.version for r in SERVER_RELEASES]


class PerServer(dict[str, Any]):
    """An expected value that differs between livekit-server releases: version -> value."""


#: A call that no dispatch rule takes: DROP on v1.13.5, REJECT on v1.13.11.
NO_RULE = PerServer({OLDEST_SERVER: "drop", NEWEST_SERVER: "reject"})


@dataclass(frozen=True)
class Case:
    """A project, a call, and what the server answers (only the keys given are compared).

    ``expect`` keys: result, trunk (name, '' for none), rule (name), room (a pattern with
    ``{random}``), identity, name, agents, krisp, encryption, error (a part of the message),
    attributes (a subset; 'ST_x' values stand for trunk x's ID).
    """

    name: str
    trunks: list[dict[str, Any]]
    rules: list[dict[str, Any]]
    call: Call
    expect: Mapping[str, Any]
    notes: str = ""
    auth: Mapping[str, Any] = field(default_factory=dict)

    def expect_for(self, server: str) -> dict[str, Any]:
        """``expect`` as release ``server`` answers (each :class:`PerServer` resolved)."""
        return {k: v[server] if isinstance(v, PerServer) else v for k, v in self.expect.items()}


QUICKSTART_TRUNK = trunk("support", numbers=[TO], krisp_enabled=True)
QUICKSTART_RULE = rule("support", "individual", trunks=("support",), **AGENT)

CASES: list[Case] = [
    Case(
        "quickstart: a room per caller, the agent dispatched",
        [QUICKSTART_TRUNK],
        [QUICKSTART_RULE],
        Call(TO, FROM, IP, call_id="SCL_test"),
        {
            "result": "accept",
            "trunk": "support",
            "rule": "support",
            "room": "call-_+14155550001_{random}",
            "identity": "sip_+14155550001",
            "name": "Phone +14155550001",
            "agents": ["support-agent"],
            "krisp": True,
            "attributes": {
                "sip.phoneNumber": FROM,
                "sip.trunkPhoneNumber": TO,
                "sip.trunkID": "ST_support",
                "sip.callID": "SCL_test",
            },
        },
    ),
    Case(
        "trunk numbers are compared normalized",
        [trunk("t", numbers=["1 (510) 555-0100"])],
        [rule("r", "callee", trunks=("t",), body={"randomize": True})],
        Call(TO, FROM, IP),
        {"result": "accept", "trunk": "t", "room": "callee-_+15105550100_{random}"},
    ),
    Case(
        "rule numbers are compared as written",
        [trunk("t", numbers=[TO])],
        [rule("r", "direct", trunks=("t",), numbers=["15105550100"])],
        Call(TO, FROM, IP),
        {"result": NO_RULE, "trunk": "t", "rule": ""},
        "the trunk matches the normalized number, the rule's numbers must be written as called",
    ),
    Case(
        "rule inbound_numbers are compared as written",
        [trunk("t", numbers=[TO])],
        [rule("r", "direct", trunks=("t",), inbound_numbers=["1 415 555 0001"])],
        Call(TO, FROM, IP),
        {"result": NO_RULE, "trunk": "t"},
    ),
    Case(
        "a rule naming the trunk beats a better rule without trunk_ids",
        [trunk("t", numbers=[TO])],
        [
            rule("specific", "callee", trunks=("t",)),
            rule("wildcard", "direct", numbers=[TO], inbound_numbers=[FROM]),
        ],
        Call(TO, FROM, IP),
        {"result": "accept", "rule": "specific", "room": "callee-_+15105550100"},
        "priority 2102 beats 100: specific rules are preferred before priorities count",
    ),
    Case(
        "a PIN rule asks for the PIN",
        [trunk("t", numbers=[TO])],
        [rule("pin", "direct", trunks=("t",), body={"pin": "1234"})],
        Call(TO, FROM, IP),
        {"result": "request_pin", "trunk": "t", "rule": "pin"},
    ),
    Case(
        "the right PIN joins the room",
        [trunk("t", numbers=[TO])],
        [rule("pin", "direct", trunks=("t",), body={"pin": "1234"})],
        Call(TO, FROM, IP, pin="1234"),
        {"result": "accept", "rule": "pin", "room": "room-pin"},
    ),
    Case(
        "a wrong PIN matches no rule, not even an open one",
        [trunk("t", numbers=[TO])],
        [
            rule("pin", "direct", trunks=("t",), body={"pin": "1234"}),
            rule("open", "individual", trunks=("t",), numbers=[TO]),
        ],
        Call(TO, FROM, IP, pin="0000"),
        {"result": NO_RULE, "trunk": "t"},
    ),
    Case(
        "one PIN rule on the trunk prompts every caller",
        [trunk("t", numbers=[TO])],
        [
            rule("pin", "direct", trunks=("t",), body={"pin": "1234"}),
            rule("open", "individual", trunks=("t",), **AGENT),
        ],
        Call(TO, FROM, IP),
        {"result": "request_pin", "rule": "pin"},
        "pin-protected rules have priorities 0-2 (+1000 per missing filter): 2000 beats 2101",
    ),
    Case(
        "a call that cannot enter a PIN gets the open rule",
        [trunk("t", numbers=[TO])],
        [
            rule("pin", "direct", trunks=("t",), body={"pin": "1234"}),
            rule("open", "individual", trunks=("t",), numbers=[TO]),
        ],
        Call(TO, FROM, IP, no_pin=True),
        {"result": "accept", "rule": "open", "room": "call-_+14155550001_{random}"},
    ),
    Case(
        "the ID of a trunk the call does not pass gives no trunk at all",
        [trunk("t", numbers=[TO], allowed_numbers=["+14155550002"])],
        [rule("specific", "direct", trunks=("t",)), rule("wildcard", "callee")],
        Call(TO, FROM, IP, trunk_id="ST_t"),
        {
            "result": "accept",
            "trunk": "",
            "rule": "wildcard",
            "attributes": {"sip.trunkID": "ST_t"},
        },
        "matchSIPTrunk returns the (nil) result of matching the one trunk; the attribute still "
        "carries the requested ID",
    ),
    Case(
        "two trunks take the call: refused",
        [trunk("open", numbers=[TO]), trunk("filtered", numbers=[TO], allowed_numbers=[FROM])],
        [rule("r", "direct")],
        Call(TO, FROM, IP),
        {"result": "error", "error": "Multiple SIP Trunks matched"},
        "the server accepts both trunks (one has allowed_numbers), not a call that passes both",
        {"error": "Multiple SIP Trunks matched"},
    ),
    Case(
        "two default trunks take the call: refused",
        [
            trunk("any", allowed_addresses=["203.0.113.0/24"]),
            trunk("filtered", allowed_addresses=[IP], allowed_numbers=[FROM]),
        ],
        [rule("r", "direct")],
        Call(TO, FROM, IP),
        {"result": "error", "error": "Multiple default SIP Trunks matched"},
    ),
    Case(
        "a trunk with numbers wins over a default trunk",
        [trunk("any", allowed_addresses=["203.0.113.0/24"]), trunk("t", numbers=[TO])],
        [rule("r", "direct")],
        Call(TO, FROM, IP),
        {"result": "accept", "trunk": "t"},
    ),
    Case(
        "a CIDR in allowed_addresses admits the call",
        [trunk("t", numbers=[TO], allowed_addresses=["198.51.100.0/24"])],
        [rule("r", "direct", trunks=("t",))],
        Call(TO, FROM, "198.51.100.77"),
        {"result": "accept", "trunk": "t"},
    ),
    Case(
        "an address outside allowed_addresses finds no trunk",
        [trunk("t", numbers=[TO], allowed_addresses=["198.51.100.0/24"])],
        [rule("r", "direct", trunks=("t",))],
        Call(TO, FROM, IP),
        {"result": NO_RULE, "trunk": ""},
    ),
    Case(
        "a host name in allowed_addresses matches the caller's host",
        [trunk("t", numbers=[TO], allowed_addresses=["sip.telnyx.com"])],
        [rule("r", "direct", trunks=("t",))],
        Call(TO, FROM, IP, from_host="sip.telnyx.com"),
        {"result": "accept", "trunk": "t", "attributes": {"sip.hostname": "sip.telnyx.com"}},
    ),
    Case(
        "no source address passes allowed_addresses",
        [trunk("t", numbers=[TO], allowed_addresses=["198.51.100.0/24"])],
        [rule("r", "direct", trunks=("t",))],
        Call(TO, FROM, ""),
        {"result": "accept", "trunk": "t"},
    ),
    Case(
        "a source address that is not an IP is refused",
        [trunk("t", numbers=[TO])],
        [rule("r", "direct")],
        Call(TO, FROM, "not-an-ip"),
        {"result": "error", "error": "not an IP"},
        "",
        {"error": "not an IP"},
    ),
    Case(
        "hide_phone_number hashes the identity and keeps four digits",
        [trunk("t", numbers=[TO])],
        [rule("r", "individual", trunks=("t",), hide_phone_number=True)],
        Call(TO, FROM, IP),
        {
            "result": "accept",
            "room": "call-_0001_{random}",
            "identity": "sip_653b70552e9e4b88",
            "name": "Phone 0001",
            "attributes": {"sip.phoneNumber": None},
        },
    ),
    Case(
        "hide_phone_number keeps one digit of a short caller",
        [trunk("t", numbers=[TO])],
        [rule("r", "individual", trunks=("t",), hide_phone_number=True)],
        Call(TO, "4321", IP),
        {"result": "accept", "room": "call-_1_{random}", "name": "Phone 1"},
    ),
    Case(
        "equal priorities: the smaller room name wins",
        [trunk("t", numbers=[TO])],
        [
            rule("b", "direct", numbers=[TO]),
            rule("a", "direct", inbound_numbers=[FROM]),
        ],
        Call(TO, FROM, IP),
        {"result": "accept", "rule": "a", "room": "room-a"},
    ),
    Case(
        "no trunk: only rules without trunk_ids apply",
        [trunk("t", numbers=["+15105550199"])],
        [rule("r", "direct", trunks=("t",)), rule("w", "callee", body={"room_prefix": ""})],
        Call(TO, FROM, IP),
        {"result": "accept", "trunk": "", "rule": "w", "room": TO},
    ),
    Case(
        "the rule's encryption wins over the trunk's, unless DISABLE",
        [trunk("t", numbers=[TO], media_encryption="SIP_MEDIA_ENCRYPT_REQUIRE")],
        [
            rule(
                "r",
                "direct",
                trunks=("t",),
                media_encryption="SIP_MEDIA_ENCRYPT_ALLOW",
                media={"encryption": "SIP_MEDIA_ENCRYPT_DISABLE"},
            )
        ],
        Call(TO, FROM, IP),
        {"result": "accept", "encryption": "SIP_MEDIA_ENCRYPT_REQUIRE"},
    ),
    Case(
        "trunk credentials: the auth answer names the trunk and its user",
        [trunk("t", numbers=[TO], auth_username="acme", auth_password="pw-not-shown")],
        [rule("r", "direct", trunks=("t",))],
        Call(TO, FROM, IP),
        {"result": "accept", "trunk": "t"},
        "",
        {"trunk": "t", "username": "acme", "password": True},
    ),
]


def observed(route: routing.Route, names: Mapping[str, str]) -> dict[str, Any]:
    """The simulator's answer in the shape of :attr:`Case.expect` (IDs -> names)."""
    view: dict[str, Any] = {
        "result": route.result,
        "trunk": names.get(route.trunk_id, route.trunk_id),
        "rule": names.get(route.rule_id, route.rule_id),
        "room": route.room_pattern,
        "identity": route.participant_identity,
        "name": route.participant_name,
        "agents": list(route.agents),
        "krisp": route.krisp,
        "encryption": route.media_encryption,
        "error": route.error or "",
        "attributes": dict(route.attributes),
    }
    return view


def matches(expect: Mapping[str, Any], view: Mapping[str, Any]) -> list[str]:
    """The expectations ``view`` does not meet (room patterns and error parts allowed)."""
    misses = []
    for key, want in expect.items():
        got = view.get(key)
        if key == "error":
            ok = want in (got or "")
        elif key == "attributes":
            ok = all((got or {}).get(k) == v for k, v in want.items())
        elif key == "room" and routing.RANDOM in want and got and routing.RANDOM not in got:
            ok = routing.room_regex(want).fullmatch(got) is not None
        else:
            ok = got == want
        if not ok:
            misses.append(f"{key}: expected {want!r}, got {got!r}")
    return misses


def _names(case: Case) -> dict[str, str]:
    out = {t["sip_trunk_id"]: t["name"] for t in case.trunks}
    out.update({r["sip_dispatch_rule_id"]: r["name"] for r in case.rules})
    return out


@pytest.mark.parametrize("server", SERVERS)
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_simulator_answers_like_the_server(case: Case, server: str) -> None:
    route = routing.evaluate(case.trunks, case.rules, case.call, server=server)
    assert route.server == server
    assert matches(case.expect_for(server), observed(route, _names(case))) == [], route.explain()


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.auth], ids=[c.name for c in CASES if c.auth]
)
def test_authentication_answers_like_the_server(case: Case) -> None:
    auth = routing.authenticate(case.trunks, case.call)
    names = _names(case)
    view = {
        "error": auth.error or "",
        "trunk": names.get(auth.trunk_id, auth.trunk_id),
        "username": auth.username,
        "password": bool((auth.match.trunk or {}).get("auth_password")),
    }
    assert matches(case.auth, view) == []


# --- explanations and the bridge's flow ---------------------------------------------------------


def test_explain_names_trunk_rule_room_and_agent() -> None:
    route = routing.route([QUICKSTART_TRUNK], [QUICKSTART_RULE], Call(TO, FROM, IP))
    text = route.explain()
    assert "'support' (ST_support) matched (specific)" in text
    assert "dispatch rule 'support' (SDR_support) selected (priority 2101" in text
    assert "ACCEPT: a new room 'call-_+14155550001_{random}'" in text
    assert "agents ['support-agent']" in text
    assert route.room_name is None and route.random_room


def test_explain_says_which_filter_each_trunk_failed() -> None:
    trunks = [
        trunk("a", numbers=[TO], allowed_numbers=["+14155550002"]),
        trunk("b", numbers=[TO], allowed_addresses=["198.51.100.0/24"]),
        trunk("c", numbers=["+15105550199"]),
    ]
    route = routing.evaluate(trunks, [rule("r", "direct", trunks=("a",))], Call(TO, FROM, IP))
    assert route.result == routing.REJECT
    failed = {c.name: c.failed_on for c in route.trunk.checks}
    assert failed == {"a": "allowed_numbers", "b": "allowed_addresses"}
    text = route.explain()
    assert "'a' (ST_a) failed on allowed_numbers" in text
    assert "'b' (ST_b) failed on allowed_addresses" in text
    assert "trunk_ids" in text or "names trunks and the call has none" in text


def test_trunk_not_listed_for_another_number_is_not_examined() -> None:
    # SelectSIPInboundTrunk lists trunks for the called number only (and default trunks).
    match = routing.match_trunk([trunk("c", numbers=["+15105550199"])], Call(TO, FROM, IP))
    assert match.trunk is None and match.checks == () and match.match_type == "empty"


def test_drop_lists_candidates_and_why_they_were_skipped() -> None:
    rules = [
        rule("numbers", "direct", trunks=("t",), numbers=["15105550100"]),
        rule("pin", "direct", trunks=("t",), body={"pin": "1"}),
    ]
    route = routing.evaluate([trunk("t", numbers=[TO])], rules, Call(TO, FROM, IP, pin="2"))
    assert route.result == routing.REJECT
    skipped = {c.name: c.skipped for c in route.selection.candidates}  # type: ignore[union-attr]
    assert skipped == {
        "numbers": "called number '+15105550100' is not in numbers ['15105550100']",
        "pin": "the call's PIN is not this rule's",
    }


@pytest.mark.parametrize(
    ("server", "result", "words"),
    [
        (OLDEST_SERVER, routing.DROP, "DROP: no dispatch rule takes the call, the SIP bridge "
         "hangs up without answering the caller (livekit-server v1.13.5; v1.13.11 answers "
         "REJECT)"),
        (NEWEST_SERVER, routing.REJECT, "REJECT: no dispatch rule takes the call, the SIP "
         "bridge answers 404 'Does not match Trunks or Dispatch Rules' (livekit-server "
         "v1.13.11; v1.13.5 answers DROP)"),
    ],
)
def test_a_call_no_rule_takes_is_dropped_or_rejected_by_release(
    server: str, result: str, words: str
) -> None:
    rules = [rule("r", "direct", trunks=("t",), numbers=["+15105550199"])]
    for simulate in (routing.evaluate, routing.route):
        route = simulate([trunk("t", numbers=[TO])], rules, Call(TO, FROM, IP), server=server)
        assert (route.result, route.server, route.trunk_id) == (result, server, "ST_t")
        assert route.explain().endswith(words)


def test_the_newest_release_is_the_default() -> None:
    route = routing.evaluate([trunk("t", numbers=[TO])], [], Call(TO, FROM, IP))
    assert route.server == NEWEST_SERVER == SERVERS[-1] and route.result == routing.REJECT


def test_an_unknown_release_is_refused_not_guessed() -> None:
    with pytest.raises(ValueError, match=r"'v1\.12\.0' is not a supported release.*v1\.13\.5"):
        routing.evaluate([], [], Call(TO, FROM, IP), server="v1.12.0")
    assert routing.evaluate([], [], Call(TO, FROM, IP), server="1.13.5").server == "v1.13.5"


@pytest.mark.parametrize(
    ("server", "expect"),
    [
        # Measured: the v1.13.5 process exits on this call (a panic), v1.13.11 accepts it.
        (OLDEST_SERVER, {"result": "error", "error": "panics on a rule with hide_phone_number"}),
        # sha256("")[:8] as hex; the number itself is empty.
        (NEWEST_SERVER, {"result": "accept", "identity": "sip_e3b0c44298fc1c14",
                         "name": "Phone ", "room": "room-r"}),
    ],
)
def test_hide_phone_number_with_an_empty_caller(server: str, expect: dict[str, Any]) -> None:
    rules = [rule("r", "direct", trunks=("t",), hide_phone_number=True)]
    route = routing.evaluate([trunk("t", numbers=[TO])], rules, Call(TO, "", IP), server=server)
    assert matches(expect, observed(route, {})) == [], route.explain()


@pytest.mark.parametrize(
    ("server", "status"), [(OLDEST_SERVER, ""), (NEWEST_SERVER, "SIP_STATUS_BUSY_HERE")]
)
def test_ringing_timeout_status_is_in_the_answer_from_v1_13_11(server: str, status: str) -> None:
    trunks = [trunk("t", numbers=[TO], ringing_timeout_status="SIP_STATUS_BUSY_HERE")]
    route = routing.evaluate(trunks, [rule("r", "direct")], Call(TO, FROM, IP), server=server)
    assert route.result == routing.ACCEPT and route.ringing_timeout_status == status
    unset = routing.evaluate(
        [trunk("t", numbers=[TO], ringing_timeout_status="SIP_STATUS_UNKNOWN")],
        [rule("r", "direct")],
        Call(TO, FROM, IP),
        server=server,
    )
    assert unset.ringing_timeout_status == ""


def test_route_rejects_a_caller_with_the_wrong_user_name() -> None:
    trunks = [trunk("t", numbers=[TO], auth_username="acme", auth_password="x")]
    rules = [rule("r", "direct", trunks=("t",))]
    bad = routing.route(trunks, rules, Call(TO, FROM, IP, auth_username="other"))
    assert bad.result == routing.AUTH_FAILED
    assert "user 'acme'" in (bad.error or "") and "'other'" in (bad.error or "")
    assert "x" not in (bad.error or "").replace("'", " ").split()
    good = routing.route(trunks, rules, Call(TO, FROM, IP, auth_username="acme"))
    assert good.result == routing.ACCEPT and good.trunk_id == "ST_t"
    assert good.auth is not None and good.auth.username == "acme"


def test_route_passes_the_authenticated_trunk_to_evaluation() -> None:
    trunks = [trunk("t", numbers=[TO])]
    result = routing.route(trunks, [rule("r", "direct", trunks=("t",))], Call(TO, FROM, IP))
    assert result.call.trunk_id == "ST_t" and result.result == routing.ACCEPT


def test_priorities_follow_the_server_table() -> None:
    assert routing.dispatch_rule_priority(rule("a", "direct", body={"pin": "1"})) == 2000
    assert routing.dispatch_rule_priority(rule("a", "individual", numbers=[TO])) == 1101
    assert (
        routing.dispatch_rule_priority(
            rule("a", "callee", numbers=[TO], inbound_numbers=[FROM], body={"pin": "1"})
        )
        == 2
    )
    assert routing.dispatch_rule_priority({"rule": {}}) == 2**31 - 1


@pytest.mark.parametrize(
    ("source", "mask", "expected"),
    [
        ("198.51.100.77", "198.51.100.0/24", True),
        ("198.51.100.77", "198.51.100.77", True),
        ("198.51.100.77", "198.51.100.7", False),
        ("2001:db8::5", "2001:db8::/32", True),
        ("::ffff:198.51.100.77", "198.51.100.0/24", False),  # Go: 4in6 is not in a v4 prefix
        ("198.51.100.77", "198.51.100.0/255.255.255.0", False),  # ParsePrefix wants bits
        ("198.51.100.77", "198.51.100.0/024", False),
        ("198.51.100.77", "198.51.100.0/33", False),
        ("198.51.100.77", "sip.example.com", False),
        ("198.51.100.77", "10.0.0.0/8 ", True),  # invalid masks are ignored: none left
    ],
)
def test_address_masks(source: str, mask: str, expected: bool) -> None:
    t = trunk("t", numbers=[TO], allowed_addresses=[mask])
    assert (routing.match_trunk([t], Call(TO, FROM, source)).trunk is not None) == expected


# --- LKSSTK011 (routing expectations) and LKSSTK012 (numbers reach agents) -----------------------
# The table joins tests/policies/test_stack.py's CASES: run there, and read by the meta-tests.


# The first preview of a new stack: every ID unknown, trunk_ids resolved through dependencies.
new_line = inbound("support", sip_trunk_id=UNKNOWN)
new_rule = dispatch("calls", {"trunk_ids": [new_line.urn]}, trunk_ids=[UNKNOWN])
pin_rule = dispatch(
    "pin-calls",
    {"trunk_ids": [new_line.urn]},
    trunk_ids=[UNKNOWN],
    rule={"dispatch_rule_direct": {"room_name": "staff", "pin": "4321"}},
)
NEW_STACK = [new_line, new_rule]


def calls(*entries: dict[str, Any]) -> dict[str, Any]:
    return {"calls": list(entries)}


CUSTOMER = {"from": FROM, "to": TO, "sourceIp": IP}
OUTSIDER = {"from": FROM, "to": TO, "sourceIp": "198.51.100.1"}

ROUTING_RULE_CASES = [
    ok("LKSSTK011", "no_calls_configured", NEW_STACK),
    ok(
        "LKSSTK011",
        "agent_room_trunk_rule",
        NEW_STACK,
        **calls(
            {
                **CUSTOMER,
                "expect": {
                    "agent": "support-agent",
                    "room": "call-_0001_{random}",
                    "trunk": "support",
                    "rule": "calls",
                    "identity": "sip_653b70552e9e4b88",
                },
            },
            # One expectation, two words: met by REJECT (v1.13.11) and DROP (v1.13.5) alike.
            {**OUTSIDER, "expect": "drop"},
            {**OUTSIDER, "expect": "reject"},
        ),
    ),
    ok(
        "LKSSTK011",
        "pin_prompt_then_room",
        [new_line, new_rule, pin_rule],
        **calls(
            {**CUSTOMER, "expect": {"pin": True, "rule": "pin-calls"}},
            {**CUSTOMER, "pin": "4321", "expect": {"room": "staff", "agents": ["support-agent"]}},
        ),
    ),
    ok(
        "LKSSTK011",
        "unknown_numbers_cannot_tell",
        [inbound("support", sip_trunk_id=UNKNOWN, numbers=UNKNOWN), new_rule],
        **calls({**CUSTOMER, "expect": "drop"}),
    ),
    fail(
        "LKSSTK011",
        "dropped_by_allowed_addresses",
        NEW_STACK,
        Finding(
            "call #1 from '+14155550001' at 198.51.100.1 to '+15105550100': expected agent "
            "'support-agent', but no dispatch rule takes it (trunk: no trunk; livekit-server "
            "v1.13.11 answers REJECT).\n"
            "Why: call from '+14155550001' at 198.51.100.1 to '+15105550100':\n"
            "  no inbound trunk matched: 'support' (<support>) failed on allowed_addresses: "
            "source '198.51.100.1' is not in allowed_addresses ['203.0.113.0/24']\n"
            "  no dispatch rule matched: 'calls' (<calls>) names trunks and the call has none\n"
            "  REJECT: no dispatch rule takes the call, the SIP bridge answers 404 'Does not "
            "match Trunks or Dispatch Rules' (livekit-server v1.13.11; v1.13.5 answers DROP)",
            "calls[0]",
            new_line.urn,
        ),
        **calls({**OUTSIDER, "expect": {"agent": "support-agent"}}),
    ),
    fail(
        "LKSSTK011",
        "pin_rule_takes_every_call",
        [new_line, new_rule, pin_rule],
        Finding(
            "open line from '+14155550001' at 203.0.113.7 to '+15105550100': expected agent "
            "'support-agent', but the caller is asked for the PIN of rule 'pin-calls'.\n"
            "Why: call from '+14155550001' at 203.0.113.7 to '+15105550100':\n"
            "  trunk 'support' (<support>) matched (specific)\n"
            "  dispatch rule 'pin-calls' (<pin-calls>) selected (priority 2000: the "
            "highest-priority rule naming the call's trunk)\n"
            "  REQUEST_PIN: the caller is asked for the rule's PIN",
            "calls[0]",
            pin_rule.urn,
        ),
        **calls({**CUSTOMER, "name": "open line", "expect": {"agent": "support-agent"}}),
    ),
    fail(
        "LKSSTK011",
        "malformed_entries",
        NEW_STACK,
        Finding("policy config entry misses to, expect", "calls[0]"),
        Finding(
            "policy config entry expect 'dropped' is not one of reject, drop, refused, accept or "
            "an object",
            "calls[1]",
        ),
        Finding(
            "policy config entry expect has unknown keys ['agnt'] (known: agent, agents, room, "
            "pin, trunk, rule, identity)",
            "calls[2]",
        ),
        **calls(
            {"from": FROM},
            {**CUSTOMER, "expect": "dropped"},
            {**CUSTOMER, "expect": {"agnt": "x"}},
        ),
    ),
]

two_numbers = inbound("support", sip_trunk_id=UNKNOWN, numbers=[TO, "+15105550199"])
only_199 = dispatch(
    "calls", {"trunk_ids": [two_numbers.urn]}, trunk_ids=[UNKNOWN], numbers=["+15105550199"]
)
no_agent = dispatch(
    "plain", {"trunk_ids": [two_numbers.urn]}, trunk_ids=[UNKNOWN], room_config={"agents": []}
)
ROUTING_RULE_CASES += [
    ok("LKSSTK012", "agent_rule_for_the_trunk", NEW_STACK),
    ok("LKSSTK012", "no_rule_is_lksstk005", [two_numbers]),
    ok("LKSSTK012", "no_agent_anywhere_is_lksdr002", [two_numbers, no_agent]),
    ok(
        "LKSSTK012",
        "number_written_differently_may_match",
        [
            two_numbers,
            dispatch(
                "calls",
                {"trunk_ids": [two_numbers.urn]},
                trunk_ids=[UNKNOWN],
                numbers=["15105550100", "+1 510 555 0199"],
            ),
        ],
    ),
    ok(
        "LKSSTK012",
        "pin_rules_count",
        [new_line, pin_rule],
    ),
    fail(
        "LKSSTK012",
        "rule_scoped_to_the_other_number",
        [two_numbers, only_199, no_agent],
        Finding(
            "calls to '+15105550100' never reach an agent: rule 'calls' takes only calls to "
            "['+15105550199']; rule 'plain' dispatches no agent",
            "numbers[0]",
            two_numbers.urn,
        ),
    ),
    fail(
        "LKSSTK012",
        "callers_the_trunk_turns_away",
        [
            inbound("support", sip_trunk_id=UNKNOWN, allowed_numbers=["+14155550002"]),
            dispatch(
                "calls", {"trunk_ids": [new_line.urn]}, trunk_ids=[UNKNOWN], inbound_numbers=[FROM]
            ),
        ],
        Finding(
            "calls to '+15105550100' never reach an agent: rule 'calls' takes only callers "
            "['+14155550001'], which the trunk's allowed_numbers ['+14155550002'] turn away",
            "numbers[0]",
            new_line.urn,
        ),
    ),
]


def test_routing_objects_resolve_new_stack_references() -> None:
    objects = routing_objects(NEW_STACK)
    assert objects is not None
    assert [t["sip_trunk_id"] for t in objects.trunks] == ["<support>"]
    assert [r["trunk_ids"] for r in objects.rules] == [["<support>"]]
    assert "auth_password" not in objects.trunks[0]
    assert objects.names["<calls>"] == ["calls", "calls"]


def test_routing_objects_use_known_ids() -> None:
    line = inbound("support", sip_trunk_id="ST_support")
    rule = dispatch("calls", trunk_ids=["ST_support"], sip_dispatch_rule_id="SDR_x")
    objects = routing_objects([line, rule])
    assert objects is not None
    assert objects.rules[0]["trunk_ids"] == ["ST_support"]
    assert objects.rules[0]["sip_dispatch_rule_id"] == "SDR_x"


def test_explanation_escapes_names_and_rooms_livekit_holds() -> None:
    """One line per step, whatever the names and rooms hold: a line break or an escape sequence
    in one is written as its escape (the structured fields keep the values)."""
    hostile = "\x1b[2J\x1b[31mEVIL\nFAKE LINE: all good\x07"
    trunks = [trunk(hostile, numbers=["+15105550100"])]
    rules = [rule(hostile, "direct", trunks=(hostile,), body={"room_name": hostile}, **AGENT)]
    route = routing.route(trunks, rules, Call(to="+15105550100", from_="+14155550001"))
    assert route.result == routing.ACCEPT and route.room_pattern == hostile
    lines = route.explain().split("\n")
    assert len(lines) == 4, lines  # the call, the trunk, the rule, the outcome
    assert all(line.isprintable() for line in lines), lines
    assert not [line for line in lines if line.lstrip().startswith("FAKE")], lines
    shown = r"\x1b[2J\x1b[31mEVIL\nFAKE LINE: all good\x07"
    assert lines[3] == f"  ACCEPT: room '{shown}', participant 'sip_+14155550001', agents" + (
        " ['support-agent']"
    )


@pytest.mark.parametrize("server", SERVERS)
@pytest.mark.parametrize("word", ["drop", "reject"])
def test_drop_and_reject_are_one_expectation_on_every_release(server: str, word: str) -> None:
    from livekit_sip_policies.expectations import parse_expectations, unmet

    (expectation,), problems = parse_expectations([{"from": FROM, "to": TO, "expect": word}])
    assert problems == []
    turned_away = routing.route([trunk("t", numbers=[TO])], [], expectation.call, server=server)
    assert turned_away.result in routing.NO_RULE_RESULTS
    assert unmet(expectation, turned_away, {}) is None
    accepted = routing.route(
        [trunk("t", numbers=[TO])], [rule("r", "direct")], expectation.call, server=server
    )
    assert f"expected '{word}', but it is accepted" in (unmet(expectation, accepted, {}) or "")
