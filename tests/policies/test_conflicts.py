"""The conflict ports against the LiveKit server's own test tables.

Cases from livekit/protocol ``sip/sip_test.go`` at v1.50.5-0.20260728075222-28e604c046c6 (the
version livekit-server v1.13.5 builds with): ``trunkCases`` with their ``invalid`` flag, run by
``TestSIPValidateTrunks``; ``TestSIPValidateTrunksNormalizedNumbers``; ``dispatchCases`` with
``invalid``, run by ``TestSIPValidateDispatchRules``. Trunks are translated to inbound trunks the
way ``SIPTrunkInfo.AsInbound`` does: OutboundNumber -> numbers, InboundNumbers ->
allowed_numbers. Regex-only cases are left out (regexes are rejected by the server today).

The regression cases at the end come from tests/e2e/test_conflicts_differential.py, where the
port disagreed with a real livekit-server v1.13.5; the real server wins.
"""

from __future__ import annotations

import pytest
from livekit_sip_core import normalize_number
from livekit_sip_policies.conflicts import (
    DispatchRuleKeys,
    InboundTrunkKeys,
    dispatch_rule_conflicts,
    inbound_trunk_conflicts,
    inbound_trunk_overlaps,
)

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
    ("inbound without plus", [trunk("aaa", N3), trunk("bbb", N2)], False),
    # TestSIPValidateTrunksNormalizedNumbers
    (
        "same trunk duplicate Numbers forms",
        [InboundTrunkKeys("aaa", ["+" + N2, N2], [])],
        False,
    ),
    (
        "same trunk duplicate AllowedNumbers forms",
        [trunk("aaa", N2, ("+" + N1, N1))],
        False,
    ),
    ("different trunks different Numbers forms", [trunk("aaa", "+" + N2), trunk("bbb", N2)], True),
    (
        "different trunks different AllowedNumbers forms",
        [trunk("aaa", N2, ("+" + N1,)), trunk("bbb", N2, (N1,))],
        True,
    ),
]


@pytest.mark.parametrize(
    ("name", "trunks", "invalid"), TRUNK_CASES, ids=[c[0] for c in TRUNK_CASES]
)
def test_trunk_conflicts_match_server_tests(name, trunks, invalid) -> None:
    assert bool(inbound_trunk_conflicts(trunks)) is invalid


def test_trunk_create_check_normalizes_called_numbers() -> None:
    # livekit-server v1.13.5 rejects the second trunk: "Conflicting inbound SIP Trunks: "<new>"
    # and "ST_...", using the same number(s) ["+1 510 555 0100"] without AllowedNumbers set".
    # (The port used to group called numbers as written, as older protocol versions did.)
    trunks = [trunk("a", "+15105550100"), trunk("b", "+1 510 555 0100")]
    [conflict] = inbound_trunk_conflicts(trunks)
    assert (conflict.first, conflict.second, conflict.number) == ("a", "b", "+1 510 555 0100")
    assert conflict.allowed_number is None
    assert inbound_trunk_overlaps(trunks) == []


def test_trunk_overlap_left_to_call_time() -> None:
    # Same called number, one trunk filtering callers and one not: the create check accepts it,
    # a call from the allowed caller matches both.
    trunks = [trunk("a", "+15105550100", ("+14155550100",)), trunk("b", "15105550100")]
    assert inbound_trunk_conflicts(trunks) == []
    [overlap] = inbound_trunk_overlaps(trunks)
    assert (overlap.first, overlap.second, overlap.allowed_number) == ("a", "b", "")


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
    ("direct/inbound number specific", [rule("r0"), rule("r1", inbound=(N1,))], False),
    (
        "direct/inbound number specific pin",
        [rule("r0", pin="123"), rule("r1", (), "123", (N1,))],
        False,
    ),
    (
        "direct/inbound number specific conflict",
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
    ("direct/number specific", [rule("r0"), rule("r1", numbers=(N2,))], False),
    (
        "direct/number specific pin",
        [rule("r0", pin="123"), rule("r1", pin="123", numbers=(N2,))],
        False,
    ),
    (
        "direct/number specific conflict",
        [rule("r0", numbers=(N1,)), rule("r1", numbers=(N1, N2))],
        True,
    ),
    (
        "direct/number + inbound number specific conflict",
        [rule("r0", inbound=(N1,), numbers=(N1,)), rule("r1", inbound=(N1,), numbers=(N1, N2))],
        True,
    ),
    (
        "direct/open specific vs pin generic/numbers",
        [rule("r0", pin="123"), rule("r1", numbers=(N2,))],
        False,
    ),
    (
        "direct/open specific vs pin generic/numbers and inbound",
        [rule("r0", pin="123"), rule("r1", inbound=(N1,), numbers=(N2,))],
        False,
    ),
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


# --- Regressions: cases where the port disagreed with livekit-server v1.13.5 -------------------


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        # Go's `$` is the end of the text; Python's also matched before a final newline.
        ("14155550199\n", "14155550199\n"),
        ("+14155550199\n", "+14155550199\n"),
        # Go's `\d` is ASCII only; Python's matched Arabic-Indic digits.
        ("١٤١٥", "١٤١٥"),
        ("+١٤١٥", "+١٤١٥"),
        # Only ' ' is stripped, other whitespace makes the string a non-number.
        ("+1415\t5550100", "+1415\t5550100"),
        ("1-415-555-0199", "+14155550199"),
    ],
)
def test_normalize_number_edges_match_server(number: str, expected: str) -> None:
    assert normalize_number(number) == expected


def test_trunk_repeated_numbers_do_not_conflict_with_themselves() -> None:
    # Accepted by the server: numbers ['(555) 123-0001', '+15551230002'] and allowed_numbers
    # ['14155550199', '14155550199'] on one trunk.
    one = InboundTrunkKeys("a", ["(555) 123-0001", "+15551230002"], ["14155550199"] * 2)
    assert inbound_trunk_conflicts([one]) == []
    two = InboundTrunkKeys("a", ["+15551230001", "1-555-123-0001"], [])
    assert inbound_trunk_conflicts([two]) == []


def test_trunk_number_with_newline_is_its_own_number() -> None:
    # Accepted by the server: '15551230001\n' does not normalize, so it is not '+15551230001'.
    trunks = [trunk("a", "15551230001\n"), trunk("b", "+15551230001")]
    assert inbound_trunk_conflicts(trunks) == []


def test_dispatch_rule_repeats_conflict_with_themselves() -> None:
    # The server has no dedup for dispatch rules: it rejects a rule whose keys repeat with
    # "... already exists in dispatch rule "<new>"", e.g. trunk_ids [T, T] or numbers
    # ['15551230002', '15551230002'].
    assert dispatch_rule_conflicts([rule("r0", (T1, T1), "123")])
    assert dispatch_rule_conflicts([rule("r0", numbers=("15551230002", "+15551230002"))])
    # ... but '14155550100\n' is not '+14155550100' (accepted by the server).
    assert not dispatch_rule_conflicts([rule("r0", inbound=("+14155550100", "14155550100\n"))])
