"""Differential test: the policy pack's conflict port against a real livekit-server.

Hundreds of random, seeded cases; each case creates 2-4 inbound trunks (or dispatch rules) one
after another on an empty server and records which creations the server rejects as conflicts.
The port (``livekit_sip_policies.conflicts``) must predict exactly the same rejections: the i-th
object conflicts iff the port reports a conflict whose ``second`` is that object, given the
objects the server accepted before it (a rejected object is not stored, so it takes no part in
later checks).

Any other server error fails the test: it means a generated object is invalid on its own, which
the generator must avoid.

The tests that create objects run once per supported livekit-server release (the newest and
the oldest the toolchain builds).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
from livekit import api
from livekit_sip_policies.conflicts import (
    DispatchRuleKeys,
    InboundTrunkKeys,
    dispatch_rule_conflicts,
    inbound_trunk_conflicts,
)

pytestmark = pytest.mark.e2e

SEED = 20261124
CASES = 300

TRUNK_CONFLICT = "Conflicting inbound SIP Trunks"
RULE_CONFLICT = "Dispatch rule for the same trunk, inbound number, number, and PIN"

# Few base numbers, so that cases collide often.
CALLED = ["15551230001", "15551230002"]
CALLERS = ["14155550100", "14155550199"]
TRUNK_IDS = ["ST_aaaaaaaaaaaa", "ST_bbbbbbbbbbbb", "ST_cccccccccccc"]
PINS = ["", "", "", "123", "4567"]
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def _grouped(d: str, sep: str) -> str:
    return sep.join([d[:1], d[1:4], d[4:7], d[7:]])


# (weight, format): the ways a user writes one number. The rare ones probe the edges of the
# server's NormalizeNumber (a Go regexp: ASCII digits, ' ', '-', '(', ')', '$' = end of text).
FORMATS: list[tuple[int, Callable[[str], str]]] = [
    (6, lambda d: "+" + d),
    (6, lambda d: d),
    (3, lambda d: "+" + _grouped(d, " ")),
    (3, lambda d: _grouped(d, "-")),
    (2, lambda d: f"+{d[0]} ({d[1:4]}) {d[4:7]}-{d[7:]}"),
    (2, lambda d: f"({d[1:4]}) {d[4:7]}-{d[7:]}"),
    (1, lambda d: d + "\n"),
    (1, lambda d: "+" + d.translate(ARABIC_INDIC)),
    (1, lambda d: d.translate(ARABIC_INDIC)),
    (1, lambda d: "+" + d[:4] + "\t" + d[4:]),
    (1, lambda d: "sip-" + d[-4:]),
    (1, lambda d: ""),
]


def _number(rng: random.Random, pool: Sequence[str]) -> str:
    weights = [w for w, _ in FORMATS]
    fmt = rng.choices([f for _, f in FORMATS], weights)[0]
    return fmt(rng.choice(pool))


def _numbers(rng: random.Random, pool: Sequence[str], p_empty: float) -> list[str]:
    if rng.random() < p_empty:
        return []
    return [_number(rng, pool) for _ in range(rng.choice([1, 1, 1, 2]))]


@dataclass
class TrunkSpec:
    numbers: list[str]
    allowed_numbers: list[str]
    allowed_addresses: list[str] = field(default_factory=list)
    auth: bool = False

    def request(self, name: str) -> api.CreateSIPInboundTrunkRequest:
        return api.CreateSIPInboundTrunkRequest(
            trunk=api.SIPInboundTrunkInfo(
                name=name,
                numbers=self.numbers,
                allowed_numbers=self.allowed_numbers,
                allowed_addresses=self.allowed_addresses,
                auth_username="user" if self.auth else "",
                auth_password="secret" if self.auth else "",
            )
        )

    def keys(self, key: str) -> InboundTrunkKeys:
        return InboundTrunkKeys(key, list(self.numbers), list(self.allowed_numbers))


@dataclass
class RuleSpec:
    kind: str
    pin: str
    trunk_ids: list[str]
    inbound_numbers: list[str]
    numbers: list[str]

    def request(self, name: str) -> api.CreateSIPDispatchRuleRequest:
        if self.kind == "direct":
            rule = api.SIPDispatchRule(
                dispatch_rule_direct=api.SIPDispatchRuleDirect(room_name="room", pin=self.pin)
            )
        elif self.kind == "individual":
            rule = api.SIPDispatchRule(
                dispatch_rule_individual=api.SIPDispatchRuleIndividual(
                    room_prefix="call-", pin=self.pin
                )
            )
        else:
            rule = api.SIPDispatchRule(
                dispatch_rule_callee=api.SIPDispatchRuleCallee(room_prefix="callee-", pin=self.pin)
            )
        # The full SIPDispatchRuleInfo: the legacy request fields have no `numbers`.
        return api.CreateSIPDispatchRuleRequest(
            dispatch_rule=api.SIPDispatchRuleInfo(
                name=name,
                rule=rule,
                trunk_ids=self.trunk_ids,
                inbound_numbers=self.inbound_numbers,
                numbers=self.numbers,
            )
        )

    def keys(self, key: str) -> DispatchRuleKeys:
        return DispatchRuleKeys(
            key, self.pin, list(self.trunk_ids), list(self.inbound_numbers), list(self.numbers)
        )


def random_trunk(rng: random.Random) -> TrunkSpec:
    spec = TrunkSpec(_numbers(rng, CALLED, 0.3), _numbers(rng, CALLERS, 0.5))
    # Per-object validation wants numbers, allowed_addresses or auth; none of them matters to
    # the conflict check, so they are also added at random.
    if not spec.numbers or rng.random() < 0.2:
        if rng.random() < 0.5:
            spec.allowed_addresses = ["10.0.0.1"]
        else:
            spec.auth = True
    return spec


def random_rule(rng: random.Random) -> RuleSpec:
    if rng.random() < 0.4:
        trunk_ids: list[str] = []
    else:
        # choices, not sample: a repeated trunk ID is a case too.
        trunk_ids = rng.choices(TRUNK_IDS, k=rng.choice([1, 1, 2]))
    return RuleSpec(
        kind=rng.choice(["direct", "individual", "callee"]),
        pin=rng.choice(PINS),
        trunk_ids=trunk_ids,
        inbound_numbers=_numbers(rng, CALLERS, 0.5),
        numbers=_numbers(rng, CALLED, 0.5),
    )


def generate(make: Callable[[random.Random], Any], salt: int) -> list[list[Any]]:
    rng = random.Random(SEED + salt)
    return [[make(rng) for _ in range(rng.randint(2, 4))] for _ in range(CASES)]


# --- the server ------------------------------------------------------------------------------


@dataclass
class Outcome:
    rejected: list[bool]
    messages: list[str]


async def _run_trunk_case(lk: Any, specs: Sequence[TrunkSpec]) -> Outcome:
    outcome = Outcome([], [])
    created: list[str] = []
    try:
        for i, spec in enumerate(specs):
            try:
                info = await lk.sip.create_inbound_trunk(spec.request(f"t{i}"))
            except api.ServerError as e:
                if (
                    e.code != api.ServerErrorCode.INVALID_ARGUMENT
                    or TRUNK_CONFLICT not in e.message
                ):
                    raise AssertionError(f"unexpected error for {spec}: {e}") from e
                outcome.rejected.append(True)
                outcome.messages.append(e.message)
            else:
                created.append(info.sip_trunk_id)
                outcome.rejected.append(False)
                outcome.messages.append("")
    finally:
        for tid in created:
            await lk.sip.delete_trunk(api.DeleteSIPTrunkRequest(sip_trunk_id=tid))
    return outcome


async def _run_rule_case(lk: Any, specs: Sequence[RuleSpec]) -> Outcome:
    outcome = Outcome([], [])
    created: list[str] = []
    try:
        for i, spec in enumerate(specs):
            try:
                info = await lk.sip.create_dispatch_rule(spec.request(f"r{i}"))
            except api.ServerError as e:
                if e.code != api.ServerErrorCode.INVALID_ARGUMENT or RULE_CONFLICT not in e.message:
                    raise AssertionError(f"unexpected error for {spec}: {e}") from e
                outcome.rejected.append(True)
                outcome.messages.append(e.message)
            else:
                created.append(info.sip_dispatch_rule_id)
                outcome.rejected.append(False)
                outcome.messages.append("")
    finally:
        for rid in created:
            await lk.sip.delete_dispatch_rule(
                api.DeleteSIPDispatchRuleRequest(sip_dispatch_rule_id=rid)
            )
    return outcome


def run_on_server(server: Any, cases: Sequence[Sequence[Any]], runner: Any) -> list[Outcome]:
    """All cases in one client session; each case cleans up the objects it created."""

    async def run_all(lk: Any) -> list[Outcome]:
        return [await runner(lk, specs) for specs in cases]

    return server.call(run_all)


# --- the port --------------------------------------------------------------------------------


def port_verdict(specs: Sequence[Any], conflicts: Callable[[list[Any]], list[Any]]) -> list[bool]:
    """Which creations the port rejects, creating ``specs`` in order."""
    accepted: list[Any] = []
    rejected: list[bool] = []
    for i, spec in enumerate(specs):
        keys = spec.keys(f"o{i}")
        hit = any(c.second == keys.key for c in conflicts([*accepted, keys]))
        rejected.append(hit)
        if not hit:
            accepted.append(keys)
    return rejected


def compare(
    label: str,
    cases: Sequence[Sequence[Any]],
    outcomes: Sequence[Outcome],
    conflicts: Callable[[list[Any]], list[Any]],
) -> tuple[int, list[str]]:
    agree = 0
    reports: list[str] = []
    for n, (specs, outcome) in enumerate(zip(cases, outcomes, strict=True)):
        predicted = port_verdict(specs, conflicts)
        if predicted == outcome.rejected:
            agree += 1
            continue
        lines = [f"{label} case #{n}:"]
        for i, spec in enumerate(specs):
            lines.append(
                f"  o{i} {spec!r}\n"
                f"     server rejects={outcome.rejected[i]} port rejects={predicted[i]}"
                + (f"\n     server: {outcome.messages[i]}" if outcome.messages[i] else "")
            )
        reports.append("\n".join(lines))
    return agree, reports


def _check(
    label: str,
    cases: Sequence[Sequence[Any]],
    outcomes: Sequence[Outcome],
    conflicts: Callable[[list[Any]], list[Any]],
    elapsed: float,
    capsys: pytest.CaptureFixture[str],
) -> None:
    agree, reports = compare(label, cases, outcomes, conflicts)
    rejections = sum(sum(o.rejected) for o in outcomes)
    objects = sum(len(o.rejected) for o in outcomes)
    summary = (
        f"{label}: {agree}/{len(cases)} cases agree "
        f"({objects} creations, {rejections} rejected by the server, {elapsed:.1f}s)"
    )
    with capsys.disabled():
        print(f"\n{summary}")
        for report in reports[:5]:
            print(report)
    assert not reports, summary + "\n" + "\n".join(reports[:5])


def test_inbound_trunks_agree_with_server(clean_release_server: Any, capsys: Any) -> None:
    cases = generate(random_trunk, 1)
    start = time.monotonic()
    outcomes = run_on_server(clean_release_server, cases, _run_trunk_case)
    _check(
        f"inbound trunks (livekit-server {clean_release_server.version})",
        cases,
        outcomes,
        inbound_trunk_conflicts,
        time.monotonic() - start,
        capsys,
    )
    assert clean_release_server.inbound_trunks() == []


def test_dispatch_rules_agree_with_server(clean_release_server: Any, capsys: Any) -> None:
    cases = generate(random_rule, 2)
    start = time.monotonic()
    outcomes = run_on_server(clean_release_server, cases, _run_rule_case)
    _check(
        f"dispatch rules (livekit-server {clean_release_server.version})",
        cases,
        outcomes,
        dispatch_rule_conflicts,
        time.monotonic() - start,
        capsys,
    )
    assert clean_release_server.dispatch_rules() == []


def test_generated_cases_exercise_both_outcomes() -> None:
    # Guard against a generator that never collides (or always does): both verdicts must be
    # common, per the port, which the tests above hold equal to the server.
    for cases, conflicts in (
        (generate(random_trunk, 1), inbound_trunk_conflicts),
        (generate(random_rule, 2), dispatch_rule_conflicts),
    ):
        verdicts = [v for specs in cases for v in port_verdict(specs, conflicts)]
        assert 0.1 < sum(verdicts) / len(verdicts) < 0.9


# --- Hand-written regressions: each was a disagreement (or pins a surprising server rule) ------

A, B = "15551230001", "14155550199"
TRUNK_REGRESSIONS: list[tuple[str, list[TrunkSpec], list[bool]]] = [
    # The port grouped called numbers as written; the server normalizes them.
    ("called numbers normalized", [TrunkSpec(["+" + A], []), TrunkSpec([A], [])], [False, True]),
    (
        "called numbers normalized, formatted",
        [TrunkSpec(["+" + A], ["+" + B]), TrunkSpec(["1-555-123-0001"], [B])],
        [False, True],
    ),
    (
        "called numbers normalized, E.164 vs spaced",
        [TrunkSpec(["+15105550100"], []), TrunkSpec(["+1 510 555 0100"], [])],
        [False, True],
    ),
    # Repeats within one trunk are skipped by the server; the port flagged them.
    ("repeated numbers", [TrunkSpec(["+" + A, "1-555-123-0001"], [])], [False]),
    ("repeated allowed numbers", [TrunkSpec([A], [B, "+1 (415) 555-0199"])], [False]),
    # NormalizeNumber is a Go regexp: `$` = end of text, `\d` = ASCII.
    (
        "newline is not stripped",
        [TrunkSpec([A + "\n"], []), TrunkSpec(["+" + A], [])],
        [False, False],
    ),
    (
        "non-ASCII digits are not numbers",
        [
            TrunkSpec([A.translate(ARABIC_INDIC)], []),
            TrunkSpec(["+" + A.translate(ARABIC_INDIC)], []),
        ],
        [False, False],
    ),
]

RULE_REGRESSIONS: list[tuple[str, list[RuleSpec], list[bool]]] = [
    (
        "newline is not stripped",
        [RuleSpec("direct", "", [], ["+" + B, B + "\n"], [])],
        [False],
    ),
    (
        "called numbers normalized",
        [RuleSpec("direct", "", [], [], [A]), RuleSpec("callee", "", [], [], ["+1 555 123 0001"])],
        [False, True],
    ),
    # No dedup for dispatch rules: a repeated key collides with the rule itself.
    ("repeated trunk id", [RuleSpec("direct", "1", [TRUNK_IDS[0]] * 2, [], [])], [True]),
    ("repeated number", [RuleSpec("individual", "", [], [], [A, "+" + A])], [True]),
]


@pytest.mark.parametrize(
    ("name", "specs", "expected"), TRUNK_REGRESSIONS, ids=[c[0] for c in TRUNK_REGRESSIONS]
)
def test_trunk_regressions(clean_release_server: Any, name: str, specs: Any, expected: Any) -> None:
    [outcome] = run_on_server(clean_release_server, [specs], _run_trunk_case)
    assert outcome.rejected == expected, outcome.messages
    assert port_verdict(specs, inbound_trunk_conflicts) == expected


@pytest.mark.parametrize(
    ("name", "specs", "expected"), RULE_REGRESSIONS, ids=[c[0] for c in RULE_REGRESSIONS]
)
def test_rule_regressions(clean_release_server: Any, name: str, specs: Any, expected: Any) -> None:
    [outcome] = run_on_server(clean_release_server, [specs], _run_rule_case)
    assert outcome.rejected == expected, outcome.messages
    assert port_verdict(specs, dispatch_rule_conflicts) == expected
