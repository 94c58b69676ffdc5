"""Call classes and the rules over them (LKSSTK013-015), the first preview included.

The table joins tests/policies/test_stack.py's CASES: run there, and read by the meta-tests.
"""

from __future__ import annotations

from typing import Any

from livekit_sip_policies import UNKNOWN, Finding
from livekit_sip_policies.call_classes import call_classes, unlisted_number
from livekit_sip_policies.reachability import stack_call_classes
from livekit_sip_policies.routing import ACCEPT, REQUEST_PIN

from .helpers import dispatch, fail, inbound, ok

TO = "+15105550100"
OTHER = "+15105550199"
SALES = "+14155550100"
FROM = "+14155550001"
VIP = "+14155550199"
STRANGER = "+19995550000"  # the caller no list names
UNNAMED = "+19995550001"  # the called number no object names
INSIDE = "203.0.113.1"  # in the helpers' allowed_addresses 203.0.113.0/24
OUTSIDE = "192.0.2.1"

# The first preview of a new stack: every ID unknown, trunk_ids resolved through dependencies.
line = inbound("line", sip_trunk_id=UNKNOWN)
sales = inbound("sales", sip_trunk_id=UNKNOWN, numbers=[SALES])
default_line = inbound("line", sip_trunk_id=UNKNOWN, numbers=[], allowed_addresses=[])
restricted = inbound("line", sip_trunk_id=UNKNOWN, allowed_numbers=["+14155550002"])


def on(name: str, *trunks: Any, **props: Any):
    """A dispatch rule naming ``trunks`` through unknown IDs, as in the first preview."""
    return dispatch(
        name, {"trunk_ids": [t.urn for t in trunks]}, trunk_ids=[UNKNOWN] * len(trunks), **props
    )


PIN_RULE = {"dispatch_rule_direct": {"room_name": "staff", "pin": "4321"}}
NO_AGENT = {"agents": []}

open_rule = on("open", line)
staff = on("staff", line, rule=PIN_RULE)
catch_all = dispatch("catch-all", trunk_ids=[])
agentless = [line, on("calls", line, numbers=[OTHER]), on("plain", line, room_config=NO_AGENT)]


def call(to: str, at: str = INSIDE, caller: str = STRANGER) -> str:
    return f"the call from '{caller}' at {at} to '{to}'"


PIN_WINS = (
    "a rule with a PIN is preferred (priority 2000 < 2101), so the caller is asked for its "
    "PIN, and a caller who enters one no longer matches a rule without one"
)
NAMED_WINS = (
    "a rule naming the call's trunk beats every rule without trunk_ids, whatever their priorities"
)

REACHABILITY_CASES = [
    # LKSSTK013: every dispatch rule takes some call
    ok("LKSSTK013", "one_line_one_rule_preview", [line, open_rule]),
    ok(
        "LKSSTK013",
        "vip_rule_beside_the_open_one",
        [line, open_rule, on("vip", line, inbound_numbers=[VIP])],
    ),
    ok(
        "LKSSTK013",
        "pin_rule_on_its_own_line",
        [line, open_rule, sales, on("staff", sales, rule=PIN_RULE)],
    ),
    ok(
        "LKSSTK013",
        "unresolved_reference",
        [line, open_rule, dispatch("x", trunk_ids=[UNKNOWN], numbers=[SALES])],
    ),
    ok(
        "LKSSTK013",
        "trunk_outside_the_stack",
        [line, open_rule, dispatch("ext", trunk_ids=["ST_elsewhere"])],
    ),
    ok("LKSSTK013", "no_trunk_in_the_stack", [catch_all]),
    ok(
        "LKSSTK013",
        "trunks_in_conflict_are_lksstk002",
        [line, inbound("other", sip_trunk_id=UNKNOWN), on("calls", line, inbound("other"))],
    ),
    fail(
        "LKSSTK013",
        "open_rule_behind_a_pin_rule",
        [line, open_rule, staff],
        Finding(
            f"no call reaches it: {call(TO)} passes its filters, but rule 'staff' takes it: "
            + PIN_WINS,
            None,
            open_rule.urn,
        ),
    ),
    fail(
        "LKSSTK013",
        "catch_all_behind_a_rule_naming_the_trunk",
        [line, open_rule, catch_all],
        Finding(
            f"no call on a trunk reaches it: {call(TO)} passes its filters, but rule 'open' "
            f"takes it: {NAMED_WINS}",
            None,
            catch_all.urn,
        ),
    ),
    fail(
        "LKSSTK013",
        "catch_all_behind_a_rule_naming_the_default_trunk",
        [default_line, on("open", default_line), catch_all],
        Finding(
            f"no call reaches it: {call(UNNAMED, OUTSIDE)} passes its filters, but rule 'open' "
            f"takes it: {NAMED_WINS}",
            None,
            catch_all.urn,
        ),
    ),
    fail(
        "LKSSTK013",
        "numbers_of_no_trunk_of_the_rule",
        [line, open_rule, on("sales-calls", line, numbers=[SALES])],
        Finding(
            "no call reaches it: its numbers filter matches no number its trunks take (compared "
            f"as written); e.g. {call(TO)}: called number '{TO}' is not in numbers ['{SALES}']",
            "numbers",
            on("sales-calls").urn,
        ),
    ),
    fail(
        "LKSSTK013",
        "callers_the_trunk_turns_away",
        [restricted, on("calls", line, inbound_numbers=[FROM])],
        Finding(
            "no call reaches it: its inbound_numbers admit no caller its trunks accept; e.g. "
            f"{call(TO, caller='+14155550002')}: caller '+14155550002' is not in "
            f"inbound_numbers ['{FROM}']",
            "inbound_numbers",
            on("calls").urn,
        ),
    ),
    # LKSSTK014: an ordinary caller on each number reaches an agent
    ok("LKSSTK014", "one_line_one_rule_preview", [line, open_rule]),
    ok(
        "LKSSTK014",
        "vip_rule_beside_the_open_one",
        [line, open_rule, on("vip", line, inbound_numbers=[VIP])],
    ),
    ok(
        "LKSSTK014",
        "pin_line_listed",
        [line, staff, on("x", line, numbers=[OTHER])],
        pinNumbers=[TO],
    ),
    ok("LKSSTK014", "agentless_line_listed", agentless, agentlessNumbers=["+1 510 555 0100"]),
    ok("LKSSTK014", "no_rule_is_lksstk005", [line]),
    ok(
        "LKSSTK014",
        "no_agent_anywhere_is_lksdr002",
        [line, on("plain", line, room_config=NO_AGENT)],
    ),
    ok(
        "LKSSTK014",
        "restricted_trunk_admitted_caller",
        [
            inbound("line", sip_trunk_id=UNKNOWN, allowed_numbers=["+14155550002", VIP]),
            open_rule,
            on("vip", line, inbound_numbers=[VIP]),
        ],
    ),
    ok("LKSSTK014", "unknown_numbers", [inbound("line", numbers=UNKNOWN), open_rule]),
    fail(
        "LKSSTK014",
        "pin_rule_asks_everyone",
        [line, open_rule, staff],
        Finding(
            f"an ordinary caller, {call(TO)}, is asked for the PIN of rule 'staff'",
            "numbers[0]",
            line.urn,
        ),
    ),
    fail(
        "LKSSTK014",
        "room_without_agent",
        agentless,
        Finding(
            f"an ordinary caller, {call(TO)}, joins room 'call-_0000_{{random}}' without an "
            f"agent: rule 'plain' takes it ('calls': called number '{TO}' is not in numbers "
            f"['{OTHER}'])",
            "numbers[0]",
            line.urn,
        ),
    ),
    fail(
        "LKSSTK014",
        "rule_number_written_differently",
        [line, on("calls", line, numbers=["15105550100"])],
        Finding(
            f"an ordinary caller, {call(TO)}, is not answered: no dispatch rule takes it "
            f"('calls': called number '{TO}' is not in numbers ['15105550100'])",
            "numbers[0]",
            line.urn,
        ),
    ),
    # LKSSTK015: a rule without trunk_ids does not serve several trunks
    ok("LKSSTK015", "one_trunk", [line, catch_all]),
    ok("LKSSTK015", "rules_name_their_trunks", [line, sales, open_rule, on("sales-calls", sales)]),
    ok(
        "LKSSTK015", "catch_all_takes_one_trunk", [line, sales, catch_all, on("sales-calls", sales)]
    ),
    fail(
        "LKSSTK015",
        "catch_all_serves_two_trunks",
        [line, sales, catch_all],
        Finding(
            "has no trunk_ids and takes the calls of 2 trunks: 'line', 'sales', and calls no "
            f"trunk takes (e.g. {call(TO, OUTSIDE)})",
            "trunk_ids",
            catch_all.urn,
        ),
    ),
]


def test_call_classes_of_a_line_with_a_pin_rule() -> None:
    """Per called number: (addresses + 1) x (callers + 1) x (PINs + 2)."""
    analysis = stack_call_classes([line, open_rule, staff])
    assert analysis is not None
    _, classes = analysis
    assert classes.complete and classes.called_numbers == 2
    seen = {(c.call.to, c.call.source_ip, c.call.pin): c.route.result for c in classes.calls}
    assert seen == {
        (TO, INSIDE, ""): REQUEST_PIN,
        (TO, INSIDE, "4321"): ACCEPT,
        (TO, INSIDE, "0000"): seen[(TO, INSIDE, "0000")],
        (TO, OUTSIDE, ""): seen[(TO, OUTSIDE, "")],
        (TO, OUTSIDE, "4321"): seen[(TO, OUTSIDE, "4321")],
        (TO, OUTSIDE, "0000"): seen[(TO, OUTSIDE, "0000")],
        (UNNAMED, OUTSIDE, ""): seen[(UNNAMED, OUTSIDE, "")],
    }
    assert all(r not in (ACCEPT, REQUEST_PIN) for k, r in seen.items() if k[1] == OUTSIDE)


def test_call_classes_follow_the_values_written() -> None:
    trunks = [
        {
            "sip_trunk_id": "ST_a",
            "numbers": [TO],
            "allowed_numbers": [FROM, VIP],
            "allowed_addresses": ["203.0.113.0/24", "198.51.100.7", "pbx.example.com"],
        }
    ]
    rules = [
        {
            "sip_dispatch_rule_id": "SDR_a",
            "trunk_ids": ["ST_a"],
            "numbers": [TO],
            "inbound_numbers": [VIP],
            "rule": {"dispatch_rule_individual": {"room_prefix": "c", "pin": "12"}},
        }
    ]
    classes = call_classes(trunks, rules)
    # Called: TO and one unnamed. On TO: 3 masks + outside, 2 callers + stranger, PIN 12,
    # a wrong one and none; on the unnamed number no trunk: 1 address, 1 caller, no PIN.
    assert len(classes) == 4 * 3 * 3 + 1
    hosts = {c.call.from_host for c in classes.calls}
    assert hosts == {"", "pbx.example.com"}
    assert {c.call.pin for c in classes.calls} == {"", "12", "00"}
    taken = [c for c in classes.calls if c.route.result == ACCEPT]
    assert {c.call.from_ for c in taken} == {VIP} and {c.call.pin for c in taken} == {"12"}


def test_call_classes_are_bounded() -> None:
    trunks = [{"sip_trunk_id": f"ST_{i}", "numbers": [f"+1510555{i:04d}"]} for i in range(50)]
    classes = call_classes(trunks, [], limit=20)
    assert len(classes) == 20 and not classes.complete


def test_call_classes_grow_linearly_with_lines_of_their_own() -> None:
    def stack(n: int) -> int:
        trunks = [
            {
                "sip_trunk_id": f"ST_{i}",
                "numbers": [f"+1510555{i:04d}"],
                "allowed_addresses": ["203.0.113.0/24"],
            }
            for i in range(n)
        ]
        rules = [
            {
                "sip_dispatch_rule_id": f"SDR_{i}",
                "trunk_ids": [f"ST_{i}"],
                "rule": {"dispatch_rule_individual": {}},
            }
            for i in range(n)
        ]
        return len(call_classes(trunks, rules))

    assert [stack(n) for n in (1, 10, 100)] == [3, 21, 201]


def test_unlisted_number_avoids_every_written_form() -> None:
    assert unlisted_number([]) == "+19995550000"
    assert unlisted_number(["+1 999 555 0000", "19995550001"]) == "+19995550002"


def test_the_three_rules_share_one_analysis_of_the_same_objects() -> None:
    resources = [line, open_rule, staff]
    first = stack_call_classes(resources)
    assert stack_call_classes(list(resources)) is first  # the doctor: same objects, new list
    other = stack_call_classes([line, on("open", line), staff])  # the pack: new objects
    assert other is not first and other is not None and first is not None
    assert len(other[1]) == len(first[1])
