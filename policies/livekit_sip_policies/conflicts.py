"""Cross-object conflicts, ported from the LiveKit server.

Source: livekit/protocol ``sip/sip.go`` at v1.50.5-0.20260728075222-28e604c046c6, the version
livekit-server v1.13.5 builds with (read from its go.mod and the module cache), called by
livekit/livekit ``pkg/service/sip.go`` on every create and update (``sip.ValidateTrunksIter``,
``sip.ValidateDispatchRulesIter``). The Go code, abridged::

    func validateTrunkInbound(byInbound map[string]*SIPInboundTrunkInfo,
        t *SIPInboundTrunkInfo, ...) error {
        if len(t.AllowedNumbers) == 0 {
            if t2 := byInbound[""]; t2 != nil && t2.SipTrunkId != t.SipTrunkId {
                return twirp.NewErrorf(twirp.InvalidArgument,
                    "Conflicting inbound SIP Trunks: %q and %q, "+
                    "using the same number(s) %s without AllowedNumbers set", ...)
            }
            byInbound[""] = t
        } else {
            for _, num := range t.AllowedNumbers {
                inboundKey := NormalizeNumber(num)
                if seen[inboundKey] { continue }   // a trunk never collides with itself
                seen[inboundKey] = true
                if t2 := byInbound[inboundKey]; t2 != nil && t2.SipTrunkId != t.SipTrunkId {
                    return twirp.NewErrorf(twirp.InvalidArgument,
                        "Conflicting inbound SIP Trunks: %q and %q, "+
                        "using the same number(s) %s and AllowedNumber %q", ...)
                }
                byInbound[inboundKey] = t
            }
        }
        return nil
    }

    func ValidateTrunksIter(it iters.Iter[*SIPInboundTrunkInfo], ...) error {
        byOutboundAndInbound := make(map[string]map[string]*SIPInboundTrunkInfo)
        for each trunk t {
            if len(t.Numbers) == 0 {
                validateTrunkInbound(byOutboundAndInbound[""], t)
            } else {
                for _, num := range t.Numbers {
                    // Normalize so different forms of the same number (e.g. "+123" and
                    // "123") share a conflict bucket across trunks.
                    key := NormalizeNumber(num)
                    if seen[key] { continue }
                    seen[key] = true
                    validateTrunkInbound(byOutboundAndInbound[key], t)
                }
            }
        }
    }

    func (v *DispatchRuleValidator) Validate(r *SIPDispatchRuleInfo) error {
        _, pin, err := GetPinAndRoom(r)   // error when no rule kind is set
        trunks := r.TrunkIds              // [""] when empty: "matches all trunks, but
        inboundNumbers := r.InboundNumbers //  collides only with other default ones"
        numbers := r.Numbers              // [""] when empty, likewise
        for trunk, inboundNumber, number {
            key := dispatchRuleKey{Pin: pin, Trunk: trunk,
                Number: NormalizeNumber(number), InboundNumber: NormalizeNumber(inboundNumber)}
            if r2 := v.byRuleKey[key]; r2 != nil {   // no dedup: r2 can be r itself
                return twirp.NewErrorf(twirp.InvalidArgument,
                    "Dispatch rule for the same trunk, inbound number, number, and PIN "+
                    "combination already exists in dispatch rule %q %q", ...)
            }
            v.byRuleKey[key] = r
        }
    }

On create the server validates the new object after the stored ones it lists (filtered by the
new trunk's numbers, or the new rule's trunk_ids; the filter never hides an object the new one
can collide with), so a creation fails iff the new object collides with a stored one or, for
dispatch rules, with itself. tests/e2e/test_conflicts_differential.py checks the ports below
against a real livekit-server v1.13.5, case by case.

The ports below collect every conflict instead of stopping at the first (the Go code's
``AllowConflicts`` mode: the first holder of a key keeps it). Trunk identities are whatever the
caller uses to name a trunk (a URN for a trunk of the stack, the ID otherwise).

At call time ``MatchTrunkIter`` compares the called number *normalized* and filters trunks by
the caller against ``allowed_numbers`` (an empty list admits everyone): two trunks the create
check accepts still make calls fail ("Multiple SIP Trunks matched") when a call can match both.
:func:`inbound_trunk_overlaps` finds those pairs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from livekit_sip_core import normalize_number

__all__ = [
    "DispatchConflict",
    "DispatchRuleKeys",
    "InboundTrunkKeys",
    "TrunkConflict",
    "dispatch_rule_conflicts",
    "inbound_trunk_conflicts",
    "inbound_trunk_overlaps",
]


@dataclass(frozen=True)
class InboundTrunkKeys:
    """What the trunk checks read of an inbound trunk."""

    key: str
    numbers: Sequence[str]
    allowed_numbers: Sequence[str]


@dataclass(frozen=True)
class TrunkConflict:
    """``second`` collides with ``first`` (which came earlier) on a called number.

    ``number`` is '' for trunks without numbers; ``allowed_number`` is the shared allowed
    number, None when neither trunk sets allowed_numbers, '' when only one does.
    """

    first: str
    second: str
    number: str
    allowed_number: str | None


def _first_of_each(values: Sequence[str]) -> list[str]:
    """``values`` without later entries that normalize like an earlier one (Go's ``seen``)."""
    seen: set[str] = set()
    out: list[str] = []
    for value in values:
        key = normalize_number(value)
        if key not in seen:
            seen.add(key)
            out.append(value)
    return out


def _validate_trunk_inbound(
    by_inbound: dict[str, InboundTrunkKeys],
    trunk: InboundTrunkKeys,
    number: str,
    out: list[TrunkConflict],
) -> None:
    if not trunk.allowed_numbers:
        other = by_inbound.get("")
        if other is not None and other.key != trunk.key:
            out.append(TrunkConflict(other.key, trunk.key, number, None))
            return
        by_inbound[""] = trunk
    else:
        # Repeats are skipped: the server accepts allowed_numbers ['14155550199',
        # '+1 415 555 0199'] on one trunk (observed on v1.13.5).
        for allowed in _first_of_each(trunk.allowed_numbers):
            inbound_key = normalize_number(allowed)
            other = by_inbound.get(inbound_key)
            if other is not None and other.key != trunk.key:
                out.append(TrunkConflict(other.key, trunk.key, number, allowed))
                continue
            by_inbound[inbound_key] = trunk


def inbound_trunk_conflicts(trunks: Sequence[InboundTrunkKeys]) -> list[TrunkConflict]:
    """The conflicts the server rejects on create/update (``ValidateTrunksIter``).

    Called numbers are grouped *normalized*: livekit-server v1.13.5 rejects numbers
    ['15551234567'] after a trunk with numbers ['+15551234567'] ("Conflicting inbound SIP
    Trunks: ... using the same number(s) ["15551234567"] without AllowedNumbers set"), and
    skips a trunk's repeated numbers ('+15551234567' and '1-555-123-4567' on one trunk are
    accepted). Older protocol versions grouped the numbers as written.
    """
    out: list[TrunkConflict] = []
    by_number: dict[str, dict[str, InboundTrunkKeys]] = {}
    for trunk in trunks:
        for number in _first_of_each(trunk.numbers) or [""]:
            bucket = by_number.setdefault(normalize_number(number), {})
            _validate_trunk_inbound(bucket, trunk, number, out)
    return out


def inbound_trunk_overlaps(trunks: Sequence[InboundTrunkKeys]) -> list[TrunkConflict]:
    """Pairs a single call can match (``MatchTrunkIter``) that the create check lets through.

    Two trunks overlap on a called number when both list it (normalized) or both list no
    numbers, and a caller passes both allowed_numbers filters (one of them empty, or a shared
    normalized entry). ``allowed_addresses`` can still separate them at call time.
    """
    rejected = {(c.first, c.second) for c in inbound_trunk_conflicts(trunks)}
    out: list[TrunkConflict] = []
    for i, j in _pairs_sharing_called(trunks):
        first, second = trunks[i], trunks[j]
        if (first.key, second.key) in rejected or (second.key, first.key) in rejected:
            continue
        called = _shared_called(first, second)
        if called is None:
            continue
        overlap, allowed = _shared_allowed(first, second)
        if not overlap:
            continue
        out.append(TrunkConflict(first.key, second.key, called, allowed))
    return out


def _pairs_sharing_called(trunks: Sequence[InboundTrunkKeys]) -> list[tuple[int, int]]:
    """The pairs (i < j, in order) of trunks that list a common called number (normalized)
    or both list none: the only pairs _shared_called can accept. Grouping by number first
    keeps a stack of distinct numbers linear instead of comparing every pair."""
    groups: dict[str | None, list[int]] = {}
    for position, trunk in enumerate(trunks):
        keys: set[str | None] = (
            {normalize_number(n) for n in trunk.numbers} if trunk.numbers else {None}
        )
        for key in keys:
            groups.setdefault(key, []).append(position)
    pairs: set[tuple[int, int]] = set()
    for members in groups.values():
        for n, i in enumerate(members):
            pairs.update((i, j) for j in members[n + 1 :])
    return sorted(pairs)


def _shared_called(a: InboundTrunkKeys, b: InboundTrunkKeys) -> str | None:
    if not a.numbers and not b.numbers:
        return ""
    b_numbers = {normalize_number(n) for n in b.numbers}
    for number in a.numbers:
        if normalize_number(number) in b_numbers:
            return number
    return None


def _shared_allowed(a: InboundTrunkKeys, b: InboundTrunkKeys) -> tuple[bool, str | None]:
    """Whether some caller passes both allowed_numbers filters, and which one.

    The second item is None when neither trunk filters callers, '' when one does not, else
    the first shared entry.
    """
    if not a.allowed_numbers and not b.allowed_numbers:
        return True, None
    if not a.allowed_numbers or not b.allowed_numbers:
        return True, ""
    b_allowed = {normalize_number(n) for n in b.allowed_numbers}
    for number in a.allowed_numbers:
        if normalize_number(number) in b_allowed:
            return True, number
    return False, None


@dataclass(frozen=True)
class DispatchRuleKeys:
    """What the conflict check reads of a dispatch rule; ``trunks`` empty = every trunk."""

    key: str
    pin: str
    trunks: Sequence[str]
    inbound_numbers: Sequence[str]
    numbers: Sequence[str]


@dataclass(frozen=True)
class DispatchConflict:
    """``second`` has the same (pin, trunk, inbound number, number) key as ``first``.

    Empty strings stand for "any" (no trunk_ids, inbound_numbers or numbers).
    """

    first: str
    second: str
    pin: str
    trunk: str
    inbound_number: str
    number: str


def dispatch_rule_conflicts(rules: Sequence[DispatchRuleKeys]) -> list[DispatchConflict]:
    """The conflicts the server rejects on create/update (``DispatchRuleValidator.Validate``)."""
    out: list[DispatchConflict] = []
    by_key: dict[tuple[str, str, str, str], DispatchRuleKeys] = {}
    for rule in rules:
        for trunk in rule.trunks or [""]:
            for inbound_number in rule.inbound_numbers or [""]:
                for number in rule.numbers or [""]:
                    key = (
                        rule.pin,
                        trunk,
                        normalize_number(inbound_number),
                        normalize_number(number),
                    )
                    other = by_key.get(key)
                    if other is not None:
                        out.append(
                            DispatchConflict(
                                other.key, rule.key, rule.pin, trunk, inbound_number, number
                            )
                        )
                        continue
                    by_key[key] = rule
    return out
