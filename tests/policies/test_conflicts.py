"""The conflict ports against the LiveKit server's own test tables.

Cases from livekit/protocol ``sip/sip_test.go`` (``trunkCases`` with their ``invalid`` flag, run
by ``TestSIPValidateTrunks``; ``dispatchCases`` with ``invalid``, run by the dispatch-rule
validation test), translated to inbound trunks the way ``SIPTrunkInfo.AsInbound`` does:
OutboundNumber -> numbers, InboundNumbers -> allowed_numbers. Regex-only cases are left out
(regexes are rejected by the server today).
"""

from __future__ import annotations

import pytest
from livekit_sip_policies.conflicts import (
    DispatchRuleKeys,
    InboundTrunkKeys,
    dispatch_rule_conflicts,
    inbound_trunk_conflicts,
    inbound_trunk_overlaps,
)
from livekit_sip_policies.numbers import normalize_number

N1, N2, N3 = "1111 1111", "2222 2222", "3333 3333"
T1, T2 = "aaa", "bbb"


def trunk(key: str, number: str = "", allowed: tuple[str, ...] = ()) -> InboundTrunkKeys:
    return InboundTrunkKeys(key, [number] if number else [], list(allowed))


TRUNK_CASES = [
    ("one wildcard", [trunk("aaa")], False),
    ("matching", [trunk("aaa", N2)], False),
    ("matching inbound", [trunk("aaa", N2, (N1,))], False),
    ("not matching", [trunk("aaa", N3)], False),
    ("one match", [trunk("aaa", N3), trunk("bbb", N2)], False),
    ("many matches", [trunk("aaa", N3), trunk("bbb", N2), trunk("ccc", N2)], True),
    (
        "many matches default",
        [trunk("aaa", N3), trunk("bbb"), trunk("ccc", N2), trunk("ddd")],
        True,
    ),
    ("inbound", [trunk("aaa", N3), trunk("bbb", N2), trunk("ccc", N2, (N1 + "1",))], False),
    ("multiple defaults", [trunk("aaa", N3), trunk("bbb"), trunk("ccc")], True),
    ("inbound with plus", [trunk("aaa", "+" + N3), trunk("bbb", "+" + N2)], False),
]


@pytest.mark.parametrize(
    ("name", "trunks", "invalid"), TRUNK_CASES, ids=[c[0] for c in TRUNK_CASES]
)
def test_trunk_conflicts_match_server_tests(name, trunks, invalid) -> None:
    assert bool(inbound_trunk_conflicts(trunks)) is invalid


def test_trunk_create_check_keys_called_numbers_verbatim() -> None:
    # ValidateTrunksIter groups by the raw number; only call-time matching normalizes.
    trunks = [trunk("a", "+15105550100"), trunk("b", "+1 510 555 0100")]
    assert inbound_trunk_conflicts(trunks) == []
    assert [(o.first, o.second) for o in inbound_trunk_overlaps(trunks)] == [("a", "b")]


def test_trunk_allowed_numbers_are_normalized() -> None:
    trunks = [trunk("a", N2, ("+12125550100",)), trunk("b", N2, ("1 212 555 0100",))]
    [conflict] = inbound_trunk_conflicts(trunks)
    assert (conflict.first, conflict.second, conflict.allowed_number) == (
        "a",
        "b",
        "1 212 555 0100",
    )


def rule(key, trunks=(), pin="", inbound=(), numbers=()) -> DispatchRuleKeys:
    return DispatchRuleKeys(key, pin, list(trunks), list(inbound), list(numbers))


DISPATCH_CASES = [
    ("one rule/no trunk", [rule("r0")], False),
    ("one rule/specific trunk", [rule("r0", (T1, T2))], False),
    ("direct pin/correct", [rule("r0", (T1,), "123"), rule("r1", (T2,), "456")], False),
    ("direct pin/conflict", [rule("r0", (T1,), "123"), rule("r1", (T1, T2), "123")], True),
    (
        "direct pin/no conflict on different trunk",
        [rule("r0", (T1,), "123"), rule("r1", (T2,), "123")],
        False,
    ),
    ("direct pin/default and specific", [rule("r0", (), "123"), rule("r1", (T1,), "123")], False),
    ("direct/default and specific", [rule("r0"), rule("r1", (T1,))], False),
    ("direct/default and specific/mixed 1", [rule("r0", (), "123"), rule("r1", (T1,))], False),
    ("direct/multiple defaults", [rule("r0"), rule("r1")], True),
    ("direct/number specific", [rule("r0"), rule("r1", inbound=(N1,))], False),
    ("direct/number specific pin", [rule("r0", pin="123"), rule("r1", (), "123", (N1,))], False),
    (
        "direct/number specific conflict",
        [rule("r0", inbound=(N1,)), rule("r1", inbound=(N1, N2))],
        True,
    ),
    (
        "direct/open specific vs pin generic",
        [rule("r0", pin="123"), rule("r1", inbound=(N1,))],
        False,
    ),
    ("direct vs individual/private", [rule("r0", pin="123"), rule("r1", pin="123")], True),
    ("direct vs individual/open", [rule("r0"), rule("r1")], True),
    ("direct vs individual/priority", [rule("r0", pin="123"), rule("r1", pin="456")], False),
    # The called-number filter (numbers) is part of the key too.
    ("called numbers differ", [rule("r0", numbers=(N1,)), rule("r1", numbers=(N2,))], False),
    ("called numbers equal", [rule("r0", numbers=(N1,)), rule("r1", numbers=("+11111111",))], True),
]


@pytest.mark.parametrize(
    ("name", "rules", "invalid"), DISPATCH_CASES, ids=[c[0] for c in DISPATCH_CASES]
)
def test_dispatch_conflicts_match_server_tests(name, rules, invalid) -> None:
    assert bool(dispatch_rule_conflicts(rules)) is invalid


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("", ""),
        ("123", "+123"),
        ("+123", "+123"),
        ("user", "user"),
        ("(123) 456 7890", "+1234567890"),
    ],
)
def test_normalize_number_matches_server_tests(number: str, expected: str) -> None:
    assert normalize_number(number) == expected
