"""Stack rules, including the first preview: trunk IDs unknown, resolved via dependencies."""

from __future__ import annotations

import pytest
from livekit_sip_core import nonexistent_number_problem
from livekit_sip_policies import UNKNOWN, Finding
from livekit_sip_policies.references import trunk_refs
from livekit_sip_policies.rule import DISPATCH_RULE, INBOUND_TRUNK, OUTBOUND_TRUNK
from livekit_sip_policies.stack_routing import routing_objects

from .helpers import (
    DISPATCH,
    INBOUND,
    OUTBOUND,
    SECRET,
    Case,
    changed,
    dispatch,
    fail,
    inbound,
    ok,
    outbound,
    resource,
    run,
    urn,
)
from .test_reachability import REACHABILITY_CASES
from .test_routing import ROUTING_RULE_CASES

A = "+15105550100"
B = "+14155550100"
CALLER = "+12125550100"

support = inbound("support", sip_trunk_id="ST_support")
sales = inbound("sales", sip_trunk_id="ST_sales", numbers=[B])
out = outbound("out")
# First preview: nothing exists, every ID is unknown.
new_support = inbound("support", sip_trunk_id=UNKNOWN)
new_sales = inbound("sales", sip_trunk_id=UNKNOWN, numbers=[B])
new_out = outbound("out", sip_trunk_id=UNKNOWN)


def named(type_: str, resource_name: str, name: object):
    """A resource whose LiveKit ``name`` differs from its Pulumi resource name."""
    baseline = {INBOUND_TRUNK: INBOUND, OUTBOUND_TRUNK: OUTBOUND, DISPATCH_RULE: DISPATCH}[type_]
    return resource(type_, resource_name, changed(baseline, {"name": name}))


def deps(*resources) -> dict[str, list[str]]:
    return {"trunk_ids": [r.urn for r in resources]}


def routed(name: str, *trunks, **props):
    """A dispatch rule referencing ``trunks`` through unknown IDs, as in the first preview."""
    return dispatch(name, deps(*trunks), trunk_ids=[UNKNOWN] * len(trunks), **props)


NOT_IN_STACK = "is not an inbound trunk of this stack nor listed in externalTrunkIds"
NEITHER = "neither restricting callers with allowed_numbers"
ANY = "any caller, any called number, no pin"

CASES = [
    # LKSSTK001 references
    ok("LKSSTK001", "known_ids", [support, dispatch("calls", trunk_ids=["ST_support"])]),
    ok("LKSSTK001", "preview_resolved", [new_support, routed("calls", new_support)]),
    ok("LKSSTK001", "wildcard", [support, dispatch("calls", trunk_ids=[])]),
    ok("LKSSTK001", "unresolvable_unknown", [support, dispatch("calls", trunk_ids=[UNKNOWN])]),
    ok(
        "LKSSTK001",
        "external_declared",
        [dispatch("calls", trunk_ids=["ST_elsewhere"])],
        externalTrunkIds=["ST_elsewhere"],
    ),
    ok(
        "LKSSTK001",
        "replaced_trunk_id_not_visible",
        [new_support, dispatch("calls", deps(new_support), trunk_ids=["ST_old"])],
    ),
    ok(
        "LKSSTK001",
        "whole_list_unknown",
        [new_support, dispatch("calls", deps(new_support), trunk_ids=UNKNOWN)],
    ),
    fail(
        "LKSSTK001",
        "missing_trunk",
        [support, dispatch("calls", trunk_ids=["ST_support", "ST_gone"])],
        Finding(f"'ST_gone' {NOT_IN_STACK}", "trunk_ids[1]", urn(dispatch("calls").type, "calls")),
    ),
    fail(
        "LKSSTK001",
        "provider_sid",
        [dispatch("calls", trunk_ids=["TK0123456789abcdef"])],
        Finding(
            f"'TK0123456789abcdef' {NOT_IN_STACK} (LiveKit trunk IDs start with 'ST_'; this "
            "looks like a provider's ID)",
            "trunk_ids[0]",
            dispatch("calls").urn,
        ),
    ),
    fail(
        "LKSSTK001",
        "outbound_known_id",
        [out, dispatch("calls", trunk_ids=["ST_out"])],
        Finding(
            "references outbound trunk 'out': dispatch rules match inbound trunks only, so this "
            "entry never matches",
            "trunk_ids[0]",
            dispatch("calls").urn,
        ),
    ),
    fail(
        "LKSSTK001",
        "preview_outbound",
        [new_support, new_out, routed("calls", new_out)],
        Finding(
            "references outbound trunk 'out': dispatch rules match inbound trunks only, so this "
            "entry never matches",
            "trunk_ids",
            dispatch("calls").urn,
        ),
    ),
    # LKSSTK002 inbound trunk conflicts (create check)
    ok("LKSSTK002", "different_numbers", [support, sales]),
    ok(
        "LKSSTK002",
        "disjoint_allowed_numbers",
        [inbound("a", allowed_numbers=[CALLER]), inbound("b", allowed_numbers=[B])],
    ),
    ok(
        "LKSSTK002",
        "one_filtered_one_open_passes_create_check",
        [inbound("a"), inbound("b", allowed_numbers=[CALLER])],
    ),
    # The server compares numbers normalized on create (livekit-server v1.13.5).
    fail(
        "LKSSTK002",
        "formatting_differs",
        [inbound("a"), inbound("b", numbers=["+1 510 555 0100"])],
        Finding(
            f"conflicts with inbound trunk 'a': both take number '+1 510 555 0100', {NEITHER}",
            "numbers",
            inbound("b").urn,
        ),
    ),
    ok("LKSSTK002", "unknown_numbers", [inbound("a"), inbound("b", numbers=UNKNOWN)]),
    fail(
        "LKSSTK002",
        "same_number",
        [inbound("a"), inbound("b", allowed_addresses=["198.51.100.0/24"])],
        Finding(
            f"conflicts with inbound trunk 'a': both take number '{A}', {NEITHER}",
            "numbers",
            inbound("b").urn,
        ),
    ),
    fail(
        "LKSSTK002",
        "both_without_numbers",
        [inbound("a", numbers=[]), inbound("b", numbers=None)],
        Finding(
            f"conflicts with inbound trunk 'a': both take any called number (no numbers set), "
            f"{NEITHER}",
            "numbers",
            inbound("b").urn,
        ),
    ),
    fail(
        "LKSSTK002",
        "shared_allowed_number",
        [
            inbound("a", allowed_numbers=[CALLER]),
            inbound("b", allowed_numbers=[B, "+1 212 555 0100"]),
        ],
        Finding(
            f"conflicts with inbound trunk 'a': both take number '{A}' and allowed number "
            "'+1 212 555 0100'",
            "allowed_numbers",
            inbound("b").urn,
        ),
    ),
    # LKSSTK003 call-time overlaps the create check lets through
    ok("LKSSTK003", "different_numbers", [support, sales]),
    ok("LKSSTK003", "rejected_pairs_are_LKSSTK002", [inbound("a"), inbound("b")]),
    ok(
        "LKSSTK003",
        "disjoint_allowed_numbers",
        [inbound("a", allowed_numbers=[CALLER]), inbound("b", allowed_numbers=[B])],
    ),
    # Refused at create already (LKSSTK002), so not reported again as a call-time overlap.
    ok(
        "LKSSTK003",
        "formatting_differs_is_LKSSTK002",
        [inbound("a"), inbound("b", numbers=["+1 510 555 0100"])],
    ),
    fail(
        "LKSSTK003",
        "one_filtered_one_open",
        [inbound("a"), inbound("b", allowed_numbers=[CALLER])],
        Finding(
            f"a call can match both this trunk and 'a': both take number '{A}', one of them "
            "admitting every caller",
            "numbers",
            inbound("b").urn,
        ),
    ),
    # LKSSTK004 dispatch rule conflicts
    ok(
        "LKSSTK004",
        "different_pins",
        [
            dispatch("a", trunk_ids=[]),
            dispatch(
                "b", trunk_ids=[], rule={"dispatch_rule_direct": {"room_name": "x", "pin": "1"}}
            ),
        ],
    ),
    ok("LKSSTK004", "wildcard_and_specific", [support, dispatch("a", trunk_ids=[]), dispatch("b")]),
    ok(
        "LKSSTK004",
        "different_called_numbers",
        [support, dispatch("a", numbers=[A]), dispatch("b", numbers=[B])],
    ),
    ok(
        "LKSSTK004",
        "preview_different_trunks",
        [new_support, new_sales, routed("a", new_support), routed("b", new_sales)],
    ),
    ok(
        "LKSSTK004",
        "unresolvable_is_skipped",
        [support, dispatch("a"), dispatch("b", trunk_ids=[UNKNOWN])],
    ),
    ok("LKSSTK004", "unknown_kind", [support, dispatch("a"), dispatch("b", rule=UNKNOWN)]),
    fail(
        "LKSSTK004",
        "two_catch_alls",
        [dispatch("a", trunk_ids=[]), dispatch("b", trunk_ids=None)],
        Finding(
            f"conflicts with dispatch rule 'a': both cover any trunk, {ANY}",
            "trunk_ids",
            dispatch("b").urn,
        ),
    ),
    fail(
        "LKSSTK004",
        "preview_same_trunk",
        [new_support, routed("a", new_support), routed("b", new_support)],
        Finding(
            f"conflicts with dispatch rule 'a': both cover trunk 'support', {ANY}",
            "trunk_ids",
            dispatch("b").urn,
        ),
    ),
    fail(
        "LKSSTK004",
        "known_id_and_dependency_name_the_same_trunk",
        [support, dispatch("a"), routed("b", support)],
        Finding(
            f"conflicts with dispatch rule 'a': both cover trunk 'support', {ANY}",
            "trunk_ids",
            dispatch("b").urn,
        ),
    ),
    # Regression: a rule with one unresolved entry certainly names its known trunks, and the
    # server refuses its keys on them (once silent: only fully resolved rules were compared).
    fail(
        "LKSSTK004",
        "partly_resolved_rule_on_a_shared_trunk",
        [support, dispatch("a"), dispatch("b", trunk_ids=["ST_support", UNKNOWN])],
        Finding(
            f"conflicts with dispatch rule 'a': both cover trunk 'support', {ANY}",
            "trunk_ids",
            dispatch("b").urn,
        ),
    ),
    ok(
        "LKSSTK004",
        "whole_list_unknown_may_be_a_catch_all",
        [support, dispatch("a", trunk_ids=[]), dispatch("b", trunk_ids=UNKNOWN)],
    ),
    fail(
        "LKSSTK004",
        "caller_numbers_equal_after_normalization",
        [
            support,
            dispatch("a", inbound_numbers=[CALLER]),
            dispatch("b", inbound_numbers=["+1 (212) 555-0100"]),
        ],
        Finding(
            "conflicts with dispatch rule 'a': both cover trunk 'support', caller "
            "'+1 (212) 555-0100', any called number, no pin",
            "trunk_ids",
            dispatch("b").urn,
        ),
    ),
    # LKSSTK005 reachability
    ok("LKSSTK005", "routed_by_id", [support, dispatch("calls")]),
    ok("LKSSTK005", "routed_by_wildcard", [support, sales, dispatch("calls", trunk_ids=[])]),
    ok("LKSSTK005", "preview", [new_support, routed("calls", new_support)]),
    ok("LKSSTK005", "cannot_tell", [support, dispatch("calls", trunk_ids=[UNKNOWN])]),
    ok("LKSSTK005", "outbound_needs_no_rule", [out]),
    # Regression: a dispatch rule whose props are all unknown may route any trunk (it was
    # skipped, and the trunk reported as unrouted).
    ok("LKSSTK005", "rule_props_all_unknown", [support, resource(DISPATCH_RULE, "calls", UNKNOWN)]),
    fail(
        "LKSSTK005",
        "no_rule",
        [support],
        Finding(
            "no dispatch rule routes calls from this trunk, so they are turned away "
            "(rejected with 404, or dropped by older servers)",
            None,
            support.urn,
        ),
    ),
    fail(
        "LKSSTK005",
        "preview_other_trunk_only",
        [new_support, new_sales, routed("calls", new_support)],
        Finding(
            "no dispatch rule routes calls from this trunk, so they are turned away "
            "(rejected with 404, or dropped by older servers)",
            None,
            new_sales.urn,
        ),
    ),
    # LKSSTK006 noise cancellation
    ok("LKSSTK006", "on_trunk", [support]),
    ok(
        "LKSSTK006",
        "on_every_rule",
        [inbound("support", krisp_enabled=False), dispatch("calls", krisp_enabled=True)],
    ),
    ok(
        "LKSSTK006",
        "unknown",
        [inbound("support", krisp_enabled=UNKNOWN), dispatch("calls", krisp_enabled=False)],
    ),
    # Regression: a rule routing the trunk whose props are all unknown may turn krisp on (it
    # was skipped, and the trunk reported as routed by no rule).
    ok(
        "LKSSTK006",
        "rule_props_all_unknown",
        [
            inbound("support", krisp_enabled=False),
            resource(DISPATCH_RULE, "calls", UNKNOWN, deps(support)),
        ],
    ),
    fail(
        "LKSSTK006",
        "partly_resolved_rule_off",
        [
            inbound("support", krisp_enabled=False),
            dispatch("calls", krisp_enabled=False, trunk_ids=["ST_support", UNKNOWN]),
        ],
        Finding("is off on the trunk and on its dispatch rules", "krisp_enabled", support.urn),
    ),
    fail(
        "LKSSTK006",
        "off_everywhere",
        [inbound("support", krisp_enabled=False), dispatch("calls", krisp_enabled=None)],
        Finding("is off on the trunk and on its dispatch rules", "krisp_enabled", support.urn),
    ),
    fail(
        "LKSSTK006",
        "off_and_unrouted",
        [inbound("support", krisp_enabled=False)],
        Finding(
            "is off on the trunk (and no dispatch rule routes it)", "krisp_enabled", support.urn
        ),
    ),
    # LKSSTK007 Telnyx REFER
    ok("LKSSTK007", "attested", [out], telnyxReferEnabled=True),
    ok("LKSSTK007", "twilio", [outbound("out", address="acme.pstn.twilio.com")]),
    ok("LKSSTK007", "unknown_address", [outbound("out", address=UNKNOWN)]),
    fail(
        "LKSSTK007",
        "telnyx_not_attested",
        [support, out],
        Finding(
            "is a Telnyx host: transfers fail with 408 unless SIP REFER is enabled on the "
            "connection (attest it with telnyxReferEnabled: true)",
            "address",
            out.urn,
        ),
    ),
    # LKSSTK008 uninspectable objects
    ok("LKSSTK008", "ours", [support, out, dispatch("calls")]),
    ok(
        "LKSSTK008",
        "component_without_props",
        [resource("livekit-sip:index:SipTelephony", "tel", {})],
    ),
    ok(
        "LKSSTK008",
        "own_component_with_outputs",
        [
            resource(
                "livekit-sip:index:AgentPhoneLine",
                "support",
                {"inbound_trunk_id": "ST_1", "dispatch_rule_id": "SDR_1", "sip_uri": None},
            )
        ],
    ),
    ok("LKSSTK008", "partly_unknown", [inbound("support", numbers=UNKNOWN)]),
    fail(
        "LKSSTK008",
        "foreign_type",
        [resource("livekit:index:SipInboundTrunk", "other", {"numbers": [A]})],
        Finding(
            "type 'livekit:index:SipInboundTrunk' is a LiveKit SIP object the pack cannot inspect",
            None,
            urn("livekit:index:SipInboundTrunk", "other"),
        ),
    ),
    fail(
        "LKSSTK008",
        "all_unknown",
        [resource(INBOUND_TRUNK, "x", {"numbers": UNKNOWN, "name": UNKNOWN, "__provider": "p"})],
        Finding(
            "every property is unknown, so this object is not checked",
            None,
            urn(INBOUND_TRUNK, "x"),
        ),
    ),
    # LKSSTK009 inbound_numbers used as a called-number filter
    ok("LKSSTK009", "caller_filter", [support, dispatch("calls", inbound_numbers=[CALLER])]),
    ok("LKSSTK009", "called_filter", [support, dispatch("calls", numbers=[A])]),
    ok("LKSSTK009", "other_trunk", [support, sales, dispatch("calls", inbound_numbers=[B])]),
    ok("LKSSTK009", "unknown", [support, dispatch("calls", inbound_numbers=UNKNOWN)]),
    fail(
        "LKSSTK009",
        "own_number_preview",
        [new_support, routed("calls", new_support, inbound_numbers=["+1 510 555 0100"])],
        Finding(
            "'+1 510 555 0100' is a number of trunk 'support' (the number called), but "
            "inbound_numbers filters callers: calls from anyone else never match; put it in "
            "numbers",
            "inbound_numbers[0]",
            dispatch("calls").urn,
        ),
    ),
    fail(
        "LKSSTK009",
        "wildcard_rule",
        [support, sales, dispatch("calls", trunk_ids=[], inbound_numbers=[CALLER, B])],
        Finding(
            f"'{B}' is a number of trunk 'sales' (the number called), but inbound_numbers "
            "filters callers: calls from anyone else never match; put it in numbers",
            "inbound_numbers[1]",
            dispatch("calls").urn,
        ),
    ),  # LKSSTK010 distinct names
    ok("LKSSTK010", "distinct", [support, sales, out, dispatch("calls")]),
    ok(
        "LKSSTK010",
        "same_name_other_kinds",
        [
            inbound("line"),
            named(OUTBOUND_TRUNK, "line2", "line"),
            named(DISPATCH_RULE, "r", "line"),
        ],
    ),
    ok("LKSSTK010", "unknown_name", [support, named(INBOUND_TRUNK, "support2", UNKNOWN)]),
    ok("LKSSTK010", "unnamed", [named(INBOUND_TRUNK, "a", ""), named(INBOUND_TRUNK, "b", "")]),
    fail(
        "LKSSTK010",
        "two_trunks_one_name",
        [support, sales, named(INBOUND_TRUNK, "support-copy", "support")],
        Finding(
            "'support' is also the name of inbound trunk 'support'",
            "name",
            inbound("support-copy").urn,
        ),
    ),
    fail(
        "LKSSTK010",
        "dispatch_rules",
        [
            named(DISPATCH_RULE, "a", "calls"),
            named(DISPATCH_RULE, "b", "calls"),
            named(DISPATCH_RULE, "c", "calls"),
        ],
        Finding("'calls' is also the name of dispatch rule 'a'", "name", dispatch("b").urn),
        Finding("'calls' is also the name of dispatch rule 'a'", "name", dispatch("c").urn),
    ),
]

# LKSSTK016 numbers that cannot exist (the messages are the core's, tested in tests/core)
UNASSIGNED = "+19995550100"  # area code 999 is not assigned
UK_DRAMA = "+447700900123"  # Ofcom's range for drama: reserved, never assigned
UK_LOCAL = "+4420794600"  # a London number missing two digits: only a local length


def cannot_exist(number: str) -> str:
    problem = nonexistent_number_problem(number)
    assert problem is not None
    return problem.message


CASES += [
    ok("LKSSTK016", "baselines", [support, out, dispatch("calls", numbers=[A])]),
    ok(
        "LKSSTK016",
        "other_countries",
        [inbound("in", numbers=["+442071838750", "+919876543210"], allowed_numbers=[CALLER])],
    ),
    ok(
        "LKSSTK016",
        "wildcard_and_not_e164_are_other_rules",
        [outbound("out", numbers=["*", "19995550100", "+1 999 555 0100", "+1999", ""])],
    ),
    ok(
        "LKSSTK016",
        "unknown",
        [
            inbound("in", numbers=UNKNOWN, allowed_numbers=[UNKNOWN]),
            dispatch("calls", numbers=UNKNOWN, inbound_numbers=[UNKNOWN, None]),
        ],
    ),
    ok(
        "LKSSTK016",
        "test_numbers_exempt",
        [inbound("in", numbers=[UNASSIGNED]), outbound("out", numbers=[UK_DRAMA])],
        testNumbers=["+1999*", UK_DRAMA],
    ),
    fail(
        "LKSSTK016",
        "inbound_unassigned_range",
        [inbound("in", numbers=[A, UNASSIGNED])],
        Finding(
            "'+19995550100' is in no assigned range of +1 (US, AG, AI and 22 more) numbers: "
            "its length fits, but the range is unassigned or reserved (a typo, or a made-up "
            "number)",
            "numbers[1]",
            inbound("in").urn,
        ),
    ),
    fail(
        "LKSSTK016",
        "inbound_allowed_caller_too_short",
        [inbound("in", allowed_numbers=[UK_LOCAL])],
        Finding(
            "'+4420794600' is too short for a +44 (GB, GG, IM, JE) number (that length is "
            "dialled only inside an area, without the country code): a digit is probably "
            "missing",
            "allowed_numbers[0]",
            inbound("in").urn,
        ),
    ),
    fail(
        "LKSSTK016",
        "outbound_caller_id",
        [outbound("out", numbers=["*", UK_DRAMA])],
        Finding(cannot_exist(UK_DRAMA), "numbers[1]", outbound("out").urn),
    ),
    fail(
        "LKSSTK016",
        "dispatch_filters_and_test_numbers_not_matching",
        [dispatch("calls", numbers=[UNASSIGNED], inbound_numbers=[CALLER, UK_LOCAL])],
        Finding(cannot_exist(UNASSIGNED), "numbers[0]", dispatch("calls").urn),
        Finding(cannot_exist(UK_LOCAL), "inbound_numbers[1]", dispatch("calls").urn),
        testNumbers=["+1555*"],
    ),
]

# LKSSTK017-019 (media of every object)
PCMU_ONLY = {"only_listed_codecs": True, "codecs": [{"name": "PCMU", "rate": 8000}]}
CASES += [
    ok("LKSSTK017", "no_media", [inbound("line"), outbound("out"), dispatch("calls")]),
    ok(
        "LKSSTK017",
        "bridge_codecs",
        [
            inbound("line", media={"codecs": [{"name": "PCMU"}, {"name": "g722", "rate": 8000}]}),
            outbound("out", media={"codecs": [{"name": "AMR-WB", "rate": 16000}]}),
            dispatch("calls", media={"codecs": [{"name": "telephone-event", "rate": 8000}]}),
        ],
    ),
    fail(
        "LKSSTK017",
        "default_rate_needs_the_exact_name",
        [inbound("line", media={"codecs": [{"name": "pcmu"}]})],
        Finding(
            "'pcmu' has no rate and the bridge knows no default one: every call this object "
            "handles fails ('sample rate not specified for codec')",
            "media.codecs[0]",
            inbound("line").urn,
        ),
    ),
    ok("LKSSTK017", "unknown_codecs", [inbound("line", media={"codecs": UNKNOWN})]),
    fail(
        "LKSSTK017",
        "g722_at_16000_and_opus",
        [
            inbound("line", media={"codecs": [{"name": "G722", "rate": 16000}]}),
            dispatch("calls", media={"codecs": [{"name": "PCMU"}, {"name": "opus"}]}),
        ],
        Finding(
            "'G722/16000' is no codec of the SIP bridge (G722's SDP rate is 8000): the entry "
            "is ignored (the bridge has PCMU/8000, PCMA/8000, G722/8000, AMR-WB/16000)",
            "media.codecs[0]",
            inbound("line").urn,
        ),
        Finding(
            "'opus' has no rate and the bridge knows no default one: every call this object "
            "handles fails ('sample rate not specified for codec')",
            "media.codecs[1]",
            dispatch("calls").urn,
        ),
    ),
    ok("LKSSTK018", "pcmu_only", [inbound("line", media=PCMU_ONLY)]),
    ok(
        "LKSSTK018",
        "not_only_listed",
        [inbound("line", media={"codecs": [{"name": "G729", "rate": 8000}]})],
    ),
    ok("LKSSTK018", "unknown_flag", [outbound("out", media={"only_listed_codecs": UNKNOWN})]),
    fail(
        "LKSSTK018",
        "g729_only",
        [
            outbound(
                "out",
                media={"only_listed_codecs": True, "codecs": [{"name": "G729", "rate": 8000}]},
            )
        ],
        Finding(
            "is true but media.codecs lists no audio codec of the bridge (PCMU/8000, "
            "PCMA/8000, G722/8000, AMR-WB/16000): no codec is left in common with the "
            "provider (488 or no audio)",
            "media.only_listed_codecs",
            outbound("out").urn,
        ),
    ),
    fail(
        "LKSSTK018",
        "empty_list",
        [dispatch("calls", media={"only_listed_codecs": True, "codecs": []})],
        Finding(
            "is true with no codecs: every call this object handles fails ('no codecs specified')",
            "media.only_listed_codecs",
            dispatch("calls").urn,
        ),
    ),
    ok("LKSSTK019", "unset", [inbound("line", media={"codecs": []})]),
    ok("LKSSTK019", "longer", [inbound("line", media={"media_timeout": 60.0})]),
    ok("LKSSTK019", "unknown", [dispatch("calls", media={"media_timeout": UNKNOWN})]),
    fail(
        "LKSSTK019",
        "five_seconds",
        [dispatch("calls", media={"media_timeout": 5.0})],
        Finding(
            "is 5 seconds, shorter than the bridge's 15: a caller silent that long is hung up "
            "on when the provider sends no RTP in silence",
            "media.media_timeout",
            dispatch("calls").urn,
        ),
    ),
]

# LKSSTK011-012 (routing): their table lives with the routing simulator's tests.
CASES += ROUTING_RULE_CASES
# LKSSTK013-015 (every call): their table lives with the call classes' tests.
CASES += REACHABILITY_CASES


@pytest.mark.parametrize("case", CASES, ids=str)
def test_rule_table(case: Case) -> None:
    assert run(case) == list(case.expected)


def test_refs_resolve_mixed_known_external_and_unknown() -> None:
    rule = dispatch("calls", deps(new_sales), trunk_ids=["ST_support", "ST_ext", UNKNOWN])
    refs = trunk_refs(rule, [support, new_sales, rule])
    assert refs.resolved and not refs.wildcard
    assert [(r.field, r.resource.name if r.resource else r.trunk_id) for r in refs.refs] == [
        ("trunk_ids[0]", "support"),
        ("trunk_ids[1]", "ST_ext"),
        ("trunk_ids", "sales"),
    ]


def test_refs_unknown_list_depending_on_two_trunks_references_both() -> None:
    rule = dispatch("calls", deps(new_support, new_sales), trunk_ids=[UNKNOWN, UNKNOWN])
    refs = trunk_refs(rule, [new_support, new_sales, rule])
    assert {r.resource.name for r in refs.refs if r.resource} == {"support", "sales"}


def test_refs_ignore_dependencies_on_non_trunks() -> None:
    other = resource("random:index:RandomString", "suffix", {"result": UNKNOWN})
    rule = dispatch("calls", deps(other), trunk_ids=[UNKNOWN])
    assert not trunk_refs(rule, [other, rule]).resolved


def test_routing_objects_need_every_rule_resolved() -> None:
    assert routing_objects([support, dispatch("calls")]) is not None
    assert routing_objects([support, dispatch("calls"), dispatch("x", trunk_ids=[UNKNOWN])]) is None


def test_routing_objects_need_every_object_inspectable() -> None:
    # Regression: an object whose props are all unknown was left out of the simulation, which
    # then predicted calls as if it did not exist.
    for unknown in (
        resource(DISPATCH_RULE, "x", UNKNOWN),
        resource(INBOUND_TRUNK, "x", UNKNOWN),
    ):
        assert routing_objects([support, dispatch("calls"), unknown]) is None


def test_secrets_never_in_stack_messages() -> None:
    for case in CASES:
        for finding in run(case):
            assert SECRET not in finding.message
