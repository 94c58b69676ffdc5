"""Cross-object conflicts, ported from the LiveKit server.

Source: livekit/protocol ``sip/sip.go`` (the version with ``dispatchRuleKey{Pin, Trunk,
InboundNumber, Number}``), called by livekit/livekit ``pkg/service/sip.go`` on every create and
update (``sip.ValidateTrunksIter``, ``sip.ValidateDispatchRulesIter``) and at call time
(``MatchTrunkIter``). The Go code, abridged::

    func validateTrunkInbound(byInbound map[string]*SIPInboundTrunkInfo,
        t *SIPInboundTrunkInfo, ...) error {
        if len(t.AllowedNumbers) == 0 {
            if t2 := byInbound[""]; t2 != nil {
                return twirp.NewErrorf(twirp.InvalidArgument,
                    "Conflicting inbound SIP Trunks: %q and %q, "+
                    "using the same number(s) %s without AllowedNumbers set", ...)
            }
            byInbound[""] = t
        } else {
            for _, num := range t.AllowedNumbers {
                inboundKey := NormalizeNumber(num)
                if t2 := byInbound[inboundKey]; t2 != nil {
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
                for _, num := range t.Numbers {     // NOTE: the raw number, not normalized
                    validateTrunkInbound(byOutboundAndInbound[num], t)
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
            if r2 := v.byRuleKey[key]; r2 != nil {
                return twirp.NewErrorf(twirp.InvalidArgument,
                    "Dispatch rule for the same trunk, inbound number, number, and PIN "+
                    "combination already exists in dispatch rule %q %q", ...)
            }
            v.byRuleKey[key] = r
        }
    }

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

from .numbers import normalize_number

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


def _validate_trunk_inbound(
    by_inbound: dict[str, InboundTrunkKeys],
    trunk: InboundTrunkKeys,
    number: str,
    out: list[TrunkConflict],
) -> None:
    if not trunk.allowed_numbers:
        other = by_inbound.get("")
        if other is not None:
            out.append(TrunkConflict(other.key, trunk.key, number, None))
            return
        by_inbound[""] = trunk
    else:
        for allowed in trunk.allowed_numbers:
            inbound_key = normalize_number(allowed)
            other = by_inbound.get(inbound_key)
            if other is not None:
                out.append(TrunkConflict(other.key, trunk.key, number, allowed))
                continue
            by_inbound[inbound_key] = trunk


def inbound_trunk_conflicts(trunks: Sequence[InboundTrunkKeys]) -> list[TrunkConflict]:
    """The conflicts the server rejects on create/update (``ValidateTrunksIter``)."""
    out: list[TrunkConflict] = []
    by_number: dict[str, dict[str, InboundTrunkKeys]] = {}
    for trunk in trunks:
        for number in trunk.numbers or [""]:
            _validate_trunk_inbound(by_number.setdefault(number, {}), trunk, number, out)
    return out


def inbound_trunk_overlaps(trunks: Sequence[InboundTrunkKeys]) -> list[TrunkConflict]:
    """Pairs a single call can match (``MatchTrunkIter``) that the create check lets through.

    Two trunks overlap on a called number when both list it (normalized) or both list no
    numbers, and a caller passes both allowed_numbers filters (one of them empty, or a shared
    normalized entry). ``allowed_addresses`` can still separate them at call time.
    """
    rejected = {(c.first, c.second) for c in inbound_trunk_conflicts(trunks)}
    out: list[TrunkConflict] = []
    for i, first in enumerate(trunks):
        for second in trunks[i + 1 :]:
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
