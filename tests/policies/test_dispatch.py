from __future__ import annotations

import pytest
from livekit_sip_policies import UNKNOWN, Finding
from livekit_sip_policies.catalogue import REGISTRY
from livekit_sip_policies.rule import DISPATCH_RULE

from .helpers import DELETE, DISPATCH, Case, changed, fail, ok, run


def rule(**changes):
    return changed(DISPATCH, changes)


def kind(name: str, **body):
    return changed(DISPATCH, {"rule": {name: body}})


DIRECT = "dispatch_rule_direct"
INDIVIDUAL = "dispatch_rule_individual"
CALLEE = "dispatch_rule_callee"
NO_AGENT = (
    "is empty: no agent is dispatched to the call's room (the call rings and no agent answers)"
)

PIN_MESSAGE = (
    "a PIN is entered on the phone keypad: digits only, ASCII 0-9 (e.g. '1234'), or empty for "
    "no PIN; got "
)
NO_ROOM = "a direct rule needs the name of the room callers join"


def nul(before: str) -> str:
    """The message about a NUL character after ``before``."""
    return f"'{before}\\x00' contains a NUL character ('\\x00'); remove it"


CASES = [
    # LKSDR001 one kind
    ok("LKSDR001", "baseline", DISPATCH),
    ok("LKSDR001", "direct", kind(DIRECT, room_name="lobby", pin="1234")),
    ok("LKSDR001", "other_kinds_none", rule(rule={DIRECT: None, CALLEE: {"randomize": True}})),
    ok("LKSDR001", "unknown_rule", rule(rule=UNKNOWN)),
    ok("LKSDR001", "unknown_kind", rule(rule={DIRECT: UNKNOWN})),
    fail(
        "LKSDR001",
        "missing",
        changed(DISPATCH, {"rule": DELETE}),
        Finding(
            "sets no rule kind; set one of dispatch_rule_direct, dispatch_rule_individual, "
            "dispatch_rule_callee",
            "rule",
        ),
    ),
    fail(
        "LKSDR001",
        "fields_at_top_level",
        rule(rule={"room_prefix": "call-"}),
        Finding(
            "sets no rule kind; set one of dispatch_rule_direct, dispatch_rule_individual, "
            "dispatch_rule_callee",
            "rule",
        ),
    ),
    fail(
        "LKSDR001",
        "two_kinds",
        rule(rule={DIRECT: {"room_name": "lobby"}, INDIVIDUAL: {"room_prefix": "call-"}}),
        Finding(
            "sets 2 rule kinds (dispatch_rule_direct, dispatch_rule_individual); exactly one is "
            "allowed",
            "rule",
        ),
    ),
    # LKSDR002 named, deployed agent
    ok("LKSDR002", "baseline", DISPATCH),
    ok("LKSDR002", "deployed", DISPATCH, agentNames=["support-agent", "sales-agent"]),
    ok("LKSDR002", "empty_knob_means_any", DISPATCH, agentNames=[]),
    ok("LKSDR002", "unknown_room_config", rule(room_config=UNKNOWN)),
    ok("LKSDR002", "unknown_agents", rule(room_config={"agents": UNKNOWN})),
    ok(
        "LKSDR002",
        "unknown_name",
        rule(room_config={"agents": [{"agent_name": UNKNOWN}]}),
        agentNames=["support-agent"],
    ),
    fail(
        "LKSDR002",
        "no_room_config",
        rule(room_config=None),
        Finding(NO_AGENT, "room_config.agents"),
    ),
    fail(
        "LKSDR002",
        "no_agents",
        rule(room_config={"agents": []}),
        Finding(NO_AGENT, "room_config.agents"),
    ),
    fail(
        "LKSDR002",
        "empty_name",
        rule(room_config={"agents": [{"agent_name": "support-agent"}, {"agent_name": " "}]}),
        Finding(
            "agent_name must be the agent_name the agent worker registers with; an empty "
            "name never matches, and the call rings with no agent",
            "room_config.agents[1].agent_name",
        ),
    ),
    fail(
        "LKSDR002",
        "invisible_characters",
        rule(room_config={"agents": [{"agent_name": "agent\n"}, {"agent_name": "\u200b"}]}),
        Finding(
            "'agent\\n' contains invisible or control characters (U+000A): no worker registers "
            "such a name, so the call would ring with no agent; write the name exactly as the "
            "worker registers it",
            "room_config.agents[0].agent_name",
        ),
        Finding(
            "'\\u200b' contains invisible or control characters (U+200B): no worker registers "
            "such a name, so the call would ring with no agent; write the name exactly as the "
            "worker registers it",
            "room_config.agents[1].agent_name",
        ),
    ),
    fail(
        "LKSDR002",
        "surrounding_whitespace",
        rule(room_config={"agents": [{"agent_name": " support-agent"}]}),
        Finding(
            "' support-agent' starts or ends with whitespace, so it never matches the worker's "
            "agent_name and the call would ring with no agent: write 'support-agent'",
            "room_config.agents[0].agent_name",
        ),
    ),
    ok(
        "LKSDR002",
        "inner_space_and_unicode",
        rule(room_config={"agents": [{"agent_name": "s\u00fc a"}]}),
    ),
    fail(
        "LKSDR002",
        "typo",
        rule(room_config={"agents": [{"agent_name": "suport-agent"}]}),
        Finding(
            "'suport-agent' is not a deployed agent (agentNames: support-agent)",
            "room_config.agents[0].agent_name",
        ),
        agentNames=["support-agent"],
    ),
    # Regression (found by tests/test_agreement.py): the components refuse a NUL or a lone
    # surrogate in any string, which no worker can register with.
    fail(
        "LKSDR002",
        "nul_in_agent_name",
        rule(room_config={"agents": [{"agent_name": "support\x00agent"}]}),
        Finding(
            "'support\\x00agent' contains a NUL character ('\\x00'); remove it",
            "room_config.agents[0].agent_name",
        ),
    ),
    # LKSDR003 agents on a direct rule
    ok("LKSDR003", "baseline", DISPATCH),
    ok(
        "LKSDR003",
        "direct_without_agents",
        changed(kind(DIRECT, room_name="lobby"), {"room_config": None}),
    ),
    ok("LKSDR003", "unknown_rule", rule(rule=UNKNOWN)),
    fail(
        "LKSDR003",
        "direct_with_agents",
        kind(DIRECT, room_name="lobby", pin="1234"),
        Finding(
            "names agents on a direct rule: only the call that creates the room gets one",
            "room_config.agents",
        ),
    ),
    # LKSDR004 shared rooms
    ok("LKSDR004", "baseline", DISPATCH),
    ok("LKSDR004", "direct_with_pin", kind(DIRECT, room_name="lobby", pin="4821")),
    ok("LKSDR004", "callee_randomized", kind(CALLEE, room_prefix="line", randomize=True)),
    ok("LKSDR004", "unknown_pin", kind(DIRECT, room_name="lobby", pin=UNKNOWN)),
    ok("LKSDR004", "unknown_randomize", kind(CALLEE, randomize=UNKNOWN)),
    fail(
        "LKSDR004",
        "direct_without_pin",
        kind(DIRECT, room_name="lobby"),
        Finding("has no pin: every caller joins the same room", "rule.dispatch_rule_direct.pin"),
    ),
    fail(
        "LKSDR004",
        "callee_not_randomized",
        kind(CALLEE, room_prefix="line", randomize=False),
        Finding(
            "is false: every caller of the same number joins the same room",
            "rule.dispatch_rule_callee.randomize",
        ),
    ),
    # LKSDR005 hide_phone_number
    ok("LKSDR005", "baseline", DISPATCH),
    ok("LKSDR005", "unknown", rule(hide_phone_number=UNKNOWN)),
    fail(
        "LKSDR005",
        "individual_shows_number",
        rule(hide_phone_number=False),
        Finding(
            "is not set: caller numbers appear in room names and participants",
            "hide_phone_number",
        ),
    ),
    fail(
        "LKSDR005",
        "callee_shows_number",
        changed(kind(CALLEE, randomize=True), {"hide_phone_number": DELETE}),
        Finding("is not set: caller numbers appear in participants", "hide_phone_number"),
    ),
    # LKSDR006 pin digits
    ok("LKSDR006", "baseline", DISPATCH),
    ok("LKSDR006", "digits", kind(DIRECT, room_name="lobby", pin="004821")),
    ok("LKSDR006", "unknown", kind(DIRECT, room_name="lobby", pin=UNKNOWN)),
    fail(
        "LKSDR006",
        "letters",
        kind(INDIVIDUAL, room_prefix="call-", pin="12a4"),
        Finding(PIN_MESSAGE + "'12a4'", "rule.dispatch_rule_individual.pin"),
    ),
    fail(
        "LKSDR006",
        "non_ascii_digits",
        kind(DIRECT, room_name="lobby", pin="١٢٣٤"),
        Finding(PIN_MESSAGE + "'١٢٣٤'", "rule.dispatch_rule_direct.pin"),
    ),
    # Regressions: full-width digits and a trailing newline are not keypad digits either.
    fail(
        "LKSDR006",
        "full_width_digits",
        kind(CALLEE, room_prefix="c-", pin="\uff11\uff12"),
        Finding(PIN_MESSAGE + "'\uff11\uff12'", "rule.dispatch_rule_callee.pin"),
    ),
    fail(
        "LKSDR006",
        "trailing_newline",
        kind(DIRECT, room_name="lobby", pin="1234\n"),
        Finding(PIN_MESSAGE + "'1234\\n'", "rule.dispatch_rule_direct.pin"),
    ),
    # LKSDR007 numbers strict E.164
    ok("LKSDR007", "baseline", DISPATCH),
    ok("LKSDR007", "set", rule(inbound_numbers=["+14155550100"], numbers=["+15105550100"])),
    ok("LKSDR007", "unknown", rule(inbound_numbers=UNKNOWN, numbers=[UNKNOWN])),
    fail(
        "LKSDR007",
        "caller_without_plus",
        rule(inbound_numbers=["14155550100"]),
        Finding(
            "'14155550100' is not an E.164 number: it must start with '+' and the country code "
            "(did you mean '+14155550100'?)",
            "inbound_numbers[0]",
        ),
    ),
    fail(
        "LKSDR007",
        "called_with_spaces",
        rule(numbers=["+1 510 555 0100"]),
        Finding(
            "'+1 510 555 0100' is not in strict E.164 form: write it as '+15105550100' (ASCII "
            "digits, no spaces, dashes or parentheses; LiveKit compares numbers as strings)",
            "numbers[0]",
        ),
    ),
    # LKSDR008 values the server takes
    ok("LKSDR008", "baseline", DISPATCH),
    fail(
        "LKSDR008",
        "entries_named_twice",
        rule(
            trunk_ids=["ST_a", "ST_b", "ST_a"],
            numbers=["+15105550100", "+15105550100"],
            inbound_numbers=["+15105550199", "+15105550199"],
        ),
        Finding(
            "'ST_a' repeats trunk_ids[0]: the server refuses a rule that lists an entry twice, "
            "as conflicting with itself (the same trunk, number and PIN twice); list each entry "
            "once",
            "trunk_ids[2]",
        ),
        Finding(
            "'+15105550199' repeats inbound_numbers[0]: the server refuses a rule that lists an "
            "entry twice, as conflicting with itself (the same trunk, number and PIN twice); "
            "list each entry once",
            "inbound_numbers[1]",
        ),
        Finding(
            "'+15105550100' repeats numbers[0]: the server refuses a rule that lists an entry "
            "twice, as conflicting with itself (the same trunk, number and PIN twice); list each "
            "entry once",
            "numbers[1]",
        ),
    ),
    ok("LKSDR008", "distinct_entries", rule(trunk_ids=["ST_a", "ST_b"], numbers=["+15105550100"])),
    ok("LKSDR008", "direct", kind(DIRECT, room_name="lobby \u00e9", pin="1234")),
    ok("LKSDR008", "direct_unknown_room", kind(DIRECT, room_name=UNKNOWN)),
    ok(
        "LKSDR008",
        "room_config",
        rule(
            room_config={
                "agents": [{"agent_name": "a", "attributes": {"k": "v"}}],
                "empty_timeout": 30.0,
                "max_participants": 4294967295.0,
            }
        ),
    ),
    ok("LKSDR008", "unknown_room_config", rule(room_config=UNKNOWN, attributes=UNKNOWN)),
    fail(
        "LKSDR008",
        "direct_empty_room",
        kind(DIRECT, room_name=""),
        Finding(NO_ROOM, f"rule.{DIRECT}.room_name"),
    ),
    fail(
        "LKSDR008",
        "direct_no_room",
        kind(DIRECT, pin="1234"),
        Finding(NO_ROOM, f"rule.{DIRECT}.room_name"),
    ),
    fail(
        "LKSDR008",
        "direct_whitespace_room",
        kind(DIRECT, room_name=" "),
        Finding(
            "a direct rule needs the name of the room callers join (got only whitespace: ' ')",
            f"rule.{DIRECT}.room_name",
        ),
    ),
    fail(
        "LKSDR008",
        "room_config",
        rule(
            room_config={
                "agents": [{"agent_name": "a", "metadata": "m\x00", "attributes": {"k\x00": "v"}}],
                "empty_timeout": -1.0,
                "max_participants": 1.5,
                "departure_timeout": 4294967296.0,
                "name": "x\x00",
            }
        ),
        Finding(nul("m"), "room_config.agents[0].metadata"),
        Finding(nul("k"), "room_config.agents[0].attributes"),
        Finding("'x\\x00' contains a NUL character ('\\x00'); remove it", "room_config.name"),
        Finding("must be greater than or equal to 0, got -1", "room_config.empty_timeout"),
        Finding(
            "must be at most 4294967295 (an unsigned 32-bit integer), got 4294967296",
            "room_config.departure_timeout",
        ),
        Finding("must be a whole number (an integer), not 1.5", "room_config.max_participants"),
    ),
    fail(
        "LKSDR008",
        "text",
        rule(
            attributes={"k": "\ud800"},
            room_preset="\x00",
            rule={INDIVIDUAL: {"room_prefix": "c\x00"}},
        ),
        Finding(nul("c"), f"rule.{INDIVIDUAL}.room_prefix"),
        Finding(
            "'\\ud800' contains a lone surrogate character, which cannot be sent as UTF-8; "
            "remove it (it usually comes from decoding bytes with 'surrogateescape')",
            "attributes.k",
        ),
        Finding("'\\x00' contains a NUL character ('\\x00'); remove it", "room_preset"),
    ),
    fail(
        "LKSDR008",
        "media",
        rule(media={"codecs": [{"name": "opus", "rate": True}]}),
        Finding("must be a whole number, not a boolean (True)", "media.codecs[0].rate"),
    ),
    ok(
        "LKSDR008",
        "judged_elsewhere",
        # PINs (LKSDR006), numbers (LKSDR007) and agent names (LKSDR002) are judged whole.
        rule(
            rule={DIRECT: {"room_name": "lobby", "pin": "1\x00"}},
            numbers=["+1\x00"],
            room_config={"agents": [{"agent_name": "a\x00"}]},
        ),
    ),
    fail(
        "LKSDR008",
        "trunk_ids",
        rule(trunk_ids=["ST_support", "TK0123456789abcdef", "ST_a b", UNKNOWN]),
        Finding(
            "'TK0123456789abcdef' is not a LiveKit trunk ID: they are 'ST_' and letters or digits "
            "(a provider's trunk SID, such as Twilio's 'TK...', is not a LiveKit ID); pass the "
            "sip_trunk_id output of a SipInboundTrunk",
            "trunk_ids[1]",
        ),
        Finding(
            "'ST_a b' is not a LiveKit trunk ID: they are 'ST_' and letters or digits "
            "(a provider's trunk SID, such as Twilio's 'TK...', is not a LiveKit ID); pass the "
            "sip_trunk_id output of a SipInboundTrunk",
            "trunk_ids[2]",
        ),
    ),
    fail(
        "LKSDR008",
        "media_encryption_name",
        rule(media_encryption="SIP_MEDIA_ENCRYPT_ON"),
        Finding(
            "Input should be 'SIP_MEDIA_ENCRYPT_DISABLE', 'SIP_MEDIA_ENCRYPT_ALLOW' or "
            "'SIP_MEDIA_ENCRYPT_REQUIRE'",
            "media_encryption",
        ),
    ),
    # LKSDR009 individual rooms stay individual
    ok("LKSDR009", "baseline_random_suffix", DISPATCH),
    ok(
        "LKSDR009",
        "no_randomness_false",
        rule(**{"rule.dispatch_rule_individual.no_randomness": False}),
    ),
    ok("LKSDR009", "unknown", rule(**{"rule.dispatch_rule_individual.no_randomness": UNKNOWN})),
    ok(
        "LKSDR009",
        "direct_rule",
        rule(rule={"dispatch_rule_direct": {"room_name": "r", "pin": "1"}}),
    ),
    fail(
        "LKSDR009",
        "hidden_numbers_last_four_digits",
        rule(**{"rule.dispatch_rule_individual.no_randomness": True}),
        Finding(
            "is true with hide_phone_number: rooms are named by the caller number's last 4 "
            "digits, so callers whose numbers end alike join one room",
            "rule.dispatch_rule_individual.no_randomness",
        ),
    ),
    fail(
        "LKSDR009",
        "same_caller_same_room",
        rule(hide_phone_number=False, **{"rule.dispatch_rule_individual.no_randomness": True}),
        Finding(
            "is true: every call from the same caller number joins one room",
            "rule.dispatch_rule_individual.no_randomness",
        ),
    ),
    # LKSDR010 each agent dispatched once
    ok("LKSDR010", "baseline_one_agent", DISPATCH),
    ok(
        "LKSDR010",
        "two_different_agents",
        rule(**{"room_config.agents": [{"agent_name": "a"}, {"agent_name": "b"}]}),
    ),
    ok("LKSDR010", "unknown_agents", rule(**{"room_config.agents": UNKNOWN})),
    fail(
        "LKSDR010",
        "same_agent_twice",
        rule(
            **{
                "room_config.agents": [
                    {"agent_name": "support-agent"},
                    {"agent_name": "triage"},
                    {"agent_name": "support-agent", "metadata": "{}"},
                ]
            }
        ),
        Finding(
            "dispatches 'support-agent' again (also room_config.agents[0]): two copies of the "
            "agent answer the call",
            "room_config.agents[2].agent_name",
        ),
    ),
    # LKSDR011 attributes outside LiveKit's sip.* names
    ok("LKSDR011", "baseline_no_attributes", DISPATCH),
    ok("LKSDR011", "own_names", rule(attributes={"app.queue": "support", "sip.queue": "x"})),
    ok("LKSDR011", "unknown", rule(attributes=UNKNOWN)),
    fail(
        "LKSDR011",
        "livekits_trunk_id",
        rule(attributes={"sip.trunkID": "support", "app.queue": "support"}),
        Finding(
            "is an attribute LiveKit writes itself: the rule's value is replaced or mistaken "
            "for LiveKit's",
            "attributes.sip.trunkID",
        ),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_rule_table(case: Case) -> None:
    assert run(case) == list(case.expected)


@pytest.mark.parametrize(
    "rule_",
    [r for r in REGISTRY if DISPATCH_RULE in getattr(r, "resource_types", ())],
    ids=lambda r: r.id,
)
def test_baseline_passes(rule_) -> None:
    assert list(rule_.check(DISPATCH, {"agentNames": ["support-agent"]})) == []


def test_numbers_remediation() -> None:
    fixed = REGISTRY.get("LKSDR007").remediate(rule(numbers=["+1 (510) 555-0100"]), {})
    assert fixed is not None and fixed["numbers"] == ["+15105550100"]
