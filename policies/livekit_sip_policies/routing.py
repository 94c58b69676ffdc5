"""Call routing, simulated: which trunk, which dispatch rule, which room, which agent.

A port of what livekit-server answers the SIP bridge for an incoming call, so that "a call from
+14155550001 at 203.0.113.7 to +15105550100: what happens?" has an answer before anything is
dialled. Inputs are plain dicts with the protocol's field names (as the rules and
``SIPInboundTrunkInfo``/``SIPDispatchRuleInfo`` spell them); nothing here needs Pulumi.

Each prediction is for one server release (``server=``, a version of
``livekit_sip_core.SERVER_RELEASES``; default the newest, ``NEWEST_SERVER``). The releases
differ in three places, each quoted where it is ported:

- a call no dispatch rule takes: v1.13.5 answers ``DROP`` (:data:`DROP`), v1.13.11 ``REJECT``
  (:data:`REJECT`; livekit-server ``pkg/service/ioservice_sip.go``,
  ``Result: rpc.SIPDispatchResult_REJECT``);
- the trunk's ``ringing_timeout_status`` is in the answer from v1.13.11 on (protocol
  ``sip/sip.go``: ``resp.RingingTimeoutStatus = trunk.RingingTimeoutStatus``);
- ``hide_phone_number`` with an empty caller: v1.13.5 panics (the call is refused), v1.13.11
  accepts it (``n = min(1, len(from))``).

Sources, read from the module cache of the livekit-server builds (v1.13.5 and v1.13.11; the
code quoted below is the same in both releases unless a quote says otherwise):

- livekit/protocol ``sip/sip.go`` at v1.50.5-0.20260728075222-28e604c046c6 (the version
  livekit-server v1.13.5 pins) and v1.53.1-0.20261023175527-46332a036e25 (v1.13.11):
  ``MatchTrunkDetailed``, ``matchNumbers``, ``matchAddrMasks``, ``MatchDispatchRuleIter``,
  ``DispatchRulePriority``, ``hasHigherPriority``, ``EvaluateDispatchRule``,
  ``InboundTrunkAuthPrompt``; ``livekit/sip.go`` for the list filters and
  ``SIPMediaConfig.Merge``; ``utils/guid`` for the random room suffix.
- livekit/livekit ``pkg/service/ioservice_sip.go`` at v1.13.5 and v1.13.11:
  ``EvaluateSIPDispatchRules``, ``GetSIPTrunkAuthentication``, ``matchSIPTrunk``,
  ``SelectSIPInboundTrunk``, ``SelectSIPDispatchRule``; ``redisstore_sip.go``/``redisstore.go``:
  lists are sorted by ID.

tests/e2e/test_routing_differential.py holds this port equal to the real server (through
``tools/sip-oracle``, which calls the server's IOInfo service as the SIP bridge does) on
thousands of random calls; tests/policies/test_routing.py pins each disagreement found.

The flow of one call, as the bridge drives it::

    GetSIPTrunkAuthentication(call)        -> trunk (matchSIPTrunk(ctx, "", call)); the bridge
                                              challenges the caller when it has credentials
    EvaluateSIPDispatchRules(call, trunk)  -> matchSIPTrunk(ctx, trunkID, call)
                                              matchSIPDispatchRule(trunk, req)
                                              EvaluateDispatchRule(trunk, rule, req)

:func:`authenticate` and :func:`evaluate` port the two server calls; :func:`route` chains them
like the bridge does.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from livekit_sip_core import (
    DISPATCH_RULE_KINDS,
    NEWEST_SERVER,
    RULE_CALLEE,
    RULE_DIRECT,
    RULE_INDIVIDUAL,
    SERVER_RELEASES,
    SipMediaEncryption,
    match_addr_mask,
    normalize_number,
    parse_addr,
    printable,
    server_drops_address,
    server_release,
)

from .conflicts import DispatchRuleKeys, dispatch_rule_conflicts

__all__ = [
    "ACCEPT",
    "AUTH_FAILED",
    "DROP",
    "ERROR",
    "NEWEST_SERVER",
    "NO_RULE_RESULTS",
    "RANDOM",
    "RANDOM_ALPHABET",
    "REJECT",
    "REQUEST_PIN",
    "AuthResult",
    "Call",
    "Route",
    "RuleCandidate",
    "RuleSelection",
    "TrunkCheck",
    "TrunkMatch",
    "admits_caller",
    "agents_of",
    "authenticate",
    "dispatch_rule_priority",
    "evaluate",
    "match_dispatch_rule",
    "match_trunk",
    "room_regex",
    "route",
]

ACCEPT = "accept"
REQUEST_PIN = "request_pin"
DROP = "drop"
REJECT = "reject"
ERROR = "error"
AUTH_FAILED = "auth_failed"
#: What a call that no dispatch rule takes gets: ``DROP`` (livekit-server v1.13.5) or
#: ``REJECT`` (v1.13.11), by :attr:`ServerRelease.no_rule_result`.
NO_RULE_RESULTS = (DROP, REJECT)

#: Stands for the random suffix of a room name in :attr:`Route.room_pattern`.
RANDOM = "{random}"
#: ``guid.New("")``: 12 characters of shortuuid's alphabet (livekit/protocol utils/guid).
RANDOM_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
RANDOM_SIZE = 12

DIRECT, INDIVIDUAL, CALLEE = RULE_DIRECT, RULE_INDIVIDUAL, RULE_CALLEE
_KINDS = DISPATCH_RULE_KINDS

ENCRYPT_DISABLE = SipMediaEncryption.SIP_MEDIA_ENCRYPT_DISABLE.value


@dataclass(frozen=True)
class Call:
    """An incoming call as the SIP bridge reports it.

    ``trunk_id`` is the trunk the bridge already resolved (``SipTrunkId``: the bridge passes
    the trunk of ``GetSIPTrunkAuthentication``); ``auth_username`` is the user name the caller
    authenticates with (None: the caller answers the challenge correctly, if there is one).
    ``pin``/``no_pin``: the digits entered after a PIN prompt, or "this call cannot enter one".
    """

    to: str
    from_: str
    source_ip: str = ""
    from_host: str = ""
    to_host: str = ""
    trunk_id: str = ""
    pin: str = ""
    no_pin: bool = False
    auth_username: str | None = None
    call_id: str = ""

    def describe(self, label: str = "call") -> str:
        where = f" at {self.source_ip}" if self.source_ip else ""
        pin = f" with PIN {self.pin!r}" if self.pin else ""
        return f"{label} from {self.from_!r}{where} to {self.to!r}{pin}"


# --- reading plain dicts ------------------------------------------------------------------------


def _s(obj: Mapping[str, Any] | None, key: str) -> str:
    value = obj.get(key) if isinstance(obj, Mapping) else None
    return value if isinstance(value, str) else ("" if value is None else str(value))


def _list(obj: Mapping[str, Any], key: str) -> list[str]:
    value = obj.get(key)
    if not isinstance(value, (list, tuple)):
        return []
    return [v if isinstance(v, str) else str(v) for v in value if v is not None]


def _bool(obj: Mapping[str, Any] | None, key: str) -> bool:
    value = obj.get(key) if isinstance(obj, Mapping) else None
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def trunk_id(trunk: Mapping[str, Any]) -> str:
    return _s(trunk, "sip_trunk_id")


def rule_id(rule: Mapping[str, Any]) -> str:
    return _s(rule, "sip_dispatch_rule_id")


def _label(obj: Mapping[str, Any], id_: str) -> str:
    name = _s(obj, "name")
    return f"'{name}' ({id_})" if name and id_ else f"'{name}'" if name else id_ or "<new>"


def rule_kind(rule: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]] | None:
    """``(kind, body)`` of the rule's one kind; None when it has none (GetPinAndRoom fails)."""
    body = rule.get("rule")
    if not isinstance(body, Mapping):
        return None
    for kind in _KINDS:
        value = body.get(kind)
        if isinstance(value, Mapping):
            return kind, value
    return None


def pin_and_room(rule: Mapping[str, Any]) -> tuple[str, str] | None:
    """``GetPinAndRoom``: (room name or prefix, pin), None for a rule without a kind."""
    kind = rule_kind(rule)
    if kind is None:
        return None
    name, body = kind
    room = _s(body, "room_name") if name == DIRECT else _s(body, "room_prefix")
    return room, _s(body, "pin")


# --- trunks -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrunkCheck:
    """One trunk examined for a call: which filter it failed, if any.

    ``failed_on`` is 'allowed_numbers' (the caller is not allowed), 'allowed_addresses' (nor its
    source address or host), 'numbers' (the called number is not the trunk's) or None.
    ``default``: the trunk lists no numbers and takes any called number.
    """

    trunk_id: str
    name: str
    failed_on: str | None
    detail: str
    default: bool

    @property
    def passed(self) -> bool:
        return self.failed_on is None


@dataclass(frozen=True)
class TrunkMatch:
    """``matchSIPTrunk``: the trunk of the call, or None, and why.

    ``error`` is set when the server refuses the call ('Multiple SIP Trunks matched ...').
    ``match_type``: 'empty' (no trunk examined), 'none', 'default' or 'specific'.
    """

    trunk: Mapping[str, Any] | None
    match_type: str
    checks: tuple[TrunkCheck, ...]
    error: str | None = None
    by_trunk_id: bool = False

    @property
    def trunk_id(self) -> str:
        return trunk_id(self.trunk) if self.trunk is not None else ""

    def explain(self) -> str:
        if self.error:
            return self.error
        if self.trunk is not None:
            how = "by the call's trunk ID" if self.by_trunk_id else f"({self.match_type})"
            return f"trunk {_label(self.trunk, self.trunk_id)} matched {how}"
        if not self.checks:
            return "no inbound trunk takes this called number"
        reasons = "; ".join(
            f"{_label({'name': c.name}, c.trunk_id)} failed on {c.failed_on}: {c.detail}"
            for c in self.checks
            if c.failed_on
        )
        return f"no inbound trunk matched: {reasons}"


def _is_valid_mask(mask: str) -> bool:
    """``isValidMask``: masks with these characters are ignored, not errors."""
    return not server_drops_address(mask)


def _match_addr_masks(source_ip: str, host: str, masks: Sequence[str]) -> bool:
    """``matchAddrMasks``: no parsable source address, or no valid mask, admits the call."""
    ip = parse_addr(source_ip)
    if ip is None:
        return True
    valid = [m for m in masks if _is_valid_mask(m)]
    if not valid:
        return True
    return any(mask == host or match_addr_mask(ip, mask) for mask in valid)


def admits_caller(number: str, allowed: Sequence[str]) -> bool:
    """Whether a trunk's ``allowed_numbers`` admit the caller ``number``."""
    return _match_numbers(number, allowed)


def _match_numbers(number: str, allowed: Sequence[str]) -> bool:
    """``matchNumbers``: as written or normalized; an empty list admits every caller."""
    if not allowed:
        return True
    norm = normalize_number(number)
    return any(number == a or norm == normalize_number(a) for a in allowed)


def _check_trunk(trunk: Mapping[str, Any], call: Call) -> TrunkCheck:
    """The filters of ``MatchTrunkDetailed``, in its order."""
    tid, name = trunk_id(trunk), _s(trunk, "name")
    numbers = _list(trunk, "numbers")
    default = not numbers
    allowed_numbers = _list(trunk, "allowed_numbers")
    if not _match_numbers(call.from_, allowed_numbers):
        detail = f"caller {call.from_!r} is not in allowed_numbers {allowed_numbers}"
        return TrunkCheck(tid, name, "allowed_numbers", detail, default)
    addresses = _list(trunk, "allowed_addresses")
    if not _match_addr_masks(call.source_ip, call.from_host, addresses):
        detail = f"source {call.source_ip!r} is not in allowed_addresses {addresses}"
        return TrunkCheck(tid, name, "allowed_addresses", detail, default)
    if numbers:
        called = normalize_number(call.to)
        if not any(n == call.to or normalize_number(n) == called for n in numbers):
            detail = f"called number {call.to!r} is not in numbers {numbers}"
            return TrunkCheck(tid, name, "numbers", detail, default)
    return TrunkCheck(tid, name, None, "", default)


def _listed_for(trunks: Sequence[Mapping[str, Any]], called: str) -> list[Mapping[str, Any]]:
    """``SelectSIPInboundTrunk``: ``ListSIPInboundTrunkRequest{Numbers: [called]}.Filter``,
    sorted by ID (``sortPage``). Trunks without numbers are always listed."""
    norm_called = normalize_number(called)
    listed = [
        t
        for t in trunks
        if not _list(t, "numbers")
        or any(n == called or normalize_number(n) == norm_called for n in _list(t, "numbers"))
    ]
    return sorted(listed, key=trunk_id)


def _match_trunk_detailed(trunks: Sequence[Mapping[str, Any]], call: Call) -> TrunkMatch:
    """``MatchTrunkDetailed`` (without AllowConflicts)::

        calledNorm := NormalizeNumber(call.To.User)
        for each trunk tr {
            if !matchNumbers(call.From.User, tr.AllowedNumbers) { continue }
            if !matchAddrMasks(call.SourceIp, call.From.Host, tr.AllowedAddresses) { continue }
            if len(tr.Numbers) == 0 {
                defaultTrunkPrev = defaultTrunk; defaultTrunk = tr; DefaultTrunkCount++
            } else {
                for _, num := range tr.Numbers {
                    if num == call.To.User || NormalizeNumber(num) == calledNorm {
                        if selectedTrunk != nil {
                            return nil, twirp.NewErrorf(twirp.FailedPrecondition,
                                "Multiple SIP Trunks matched for %q", call.To.User)
                        }
                        selectedTrunk = tr
                        break
                    }
                }
            }
        }
        if selectedTrunk != nil { return selectedTrunk (TrunkMatchSpecific) }
        if DefaultTrunkCount > 1 { return twirp.NewErrorf(twirp.FailedPrecondition,
            "Multiple default SIP Trunks matched for %q", call.To.User) }
        return defaultTrunk (TrunkMatchDefault, or nil)

    ``trunks`` are the listed ones, in the server's order (by ID).
    """
    checks = tuple(_check_trunk(t, call) for t in trunks)
    selected: Mapping[str, Any] | None = None
    defaults: list[Mapping[str, Any]] = []
    for trunk, check in zip(trunks, checks, strict=True):
        if not check.passed:
            continue
        if check.default:
            defaults.append(trunk)
            continue
        if selected is not None:
            error = (
                f"Multiple SIP Trunks matched for {call.to!r}: "
                f"{_label(selected, trunk_id(selected))} and {_label(trunk, trunk_id(trunk))}"
            )
            return TrunkMatch(None, "none", checks, error)
        selected = trunk
    if selected is not None:
        return TrunkMatch(selected, "specific", checks)
    if len(defaults) > 1:
        names = " and ".join(_label(t, trunk_id(t)) for t in defaults[-2:])
        return TrunkMatch(
            None, "none", checks, f"Multiple default SIP Trunks matched for {call.to!r}: {names}"
        )
    if defaults:
        return TrunkMatch(defaults[0], "default", checks)
    return TrunkMatch(None, "none" if trunks else "empty", checks)


def match_trunk(trunks: Sequence[Mapping[str, Any]], call: Call) -> TrunkMatch:
    """``IOInfoService.matchSIPTrunk``::

        if trunkID != "" {
            // This is a best-effort optimization. Fallthrough to listing trunks if it doesn't
            if tr, err := s.ss.LoadSIPInboundTrunk(ctx, trunkID); err == nil {
                tr, err = sip.MatchTrunkIter(iters.Slice([]*livekit.SIPInboundTrunkInfo{tr}), call)
                if err == nil { return tr, nil }     // tr is nil when the trunk does not match
            }
        }
        it := s.SelectSIPInboundTrunk(ctx, call.To.User)
        return sip.MatchTrunkIter(it, call)

    A call with the ID of an existing trunk that the call does not pass gets no trunk at all
    (only dispatch rules without trunk_ids can take it).
    """
    if call.trunk_id:
        known = [t for t in trunks if trunk_id(t) == call.trunk_id]
        if known:
            result = _match_trunk_detailed(known[:1], call)
            return TrunkMatch(result.trunk, result.match_type, result.checks, None, True)
    return _match_trunk_detailed(_listed_for(trunks, call.to), call)


@dataclass(frozen=True)
class AuthResult:
    """``GetSIPTrunkAuthentication``: the trunk the bridge authenticates the call against.

    ``username`` is the user name the bridge challenges the caller for ('' = no challenge).
    The password is never read or returned here.
    """

    match: TrunkMatch
    username: str

    @property
    def trunk_id(self) -> str:
        return self.match.trunk_id

    @property
    def error(self) -> str | None:
        return self.match.error


def _bad_source(call: Call) -> str | None:
    """Both server calls refuse a source address that is set and not an IP::

        _, err := netip.ParseAddr(call.SourceIp)
        if call.SourceIp != "" && err != nil {
            return nil, twirp.WrapError(twirp.NewError(twirp.InvalidArgument, err.Error()), err)
        }

    An empty source address is let through (with a warning in the server's log).
    """
    if call.source_ip and parse_addr(call.source_ip) is None:
        return f"source address {call.source_ip!r} is not an IP address"
    return None


def authenticate(trunks: Sequence[Mapping[str, Any]], call: Call) -> AuthResult:
    """``GetSIPTrunkAuthentication``: ``matchSIPTrunk(ctx, "", call)`` then
    ``InboundTrunkAuthPrompt(trunk)`` (ID, username, password, realm of the trunk).

    A refused call (source address not an IP, several trunks matched) has ``error`` set.
    """
    bad_source = _bad_source(call)
    if bad_source is not None:
        return AuthResult(TrunkMatch(None, "empty", (), bad_source), "")
    match = match_trunk(trunks, dataclasses.replace(call, trunk_id=""))
    username = _s(match.trunk, "auth_username") if match.trunk is not None else ""
    return AuthResult(match, username)


# --- dispatch rules -----------------------------------------------------------------------------

_MAX_INT32 = 2**31 - 1


def dispatch_rule_priority(rule: Mapping[str, Any]) -> int:
    """``DispatchRulePriority``: lower is preferred::

        // - 0: Direct or Pin (both pin-protected)  - 100: Direct (open)
        // - 1: Caller, aka Individual (pin)         - 101: Caller, aka Individual (open)
        // - 2: Callee (pin-protected)               - 102: Callee (open)
        // Also, add 1K penalty for not specifying the calling number.
        if len(info.InboundNumbers) == 0 { priority += 1000 }
        if len(info.Numbers) == 0 { priority += 1000 }

    A rule without a kind gets ``math.MaxInt32``.
    """
    kind = rule_kind(rule)
    if kind is None:
        return _MAX_INT32
    name, body = kind
    priority = _KINDS.index(name) + (0 if _s(body, "pin") else 100)
    if not _list(rule, "inbound_numbers"):
        priority += 1000
    if not _list(rule, "numbers"):
        priority += 1000
    return priority


def _has_higher_priority(r1: Mapping[str, Any], r2: Mapping[str, Any]) -> bool:
    """``hasHigherPriority``: by priority, then by room name/prefix; a tie keeps the earlier."""
    p1, p2 = dispatch_rule_priority(r1), dispatch_rule_priority(r2)
    if p1 != p2:
        return p1 < p2
    room1 = (pin_and_room(r1) or ("", ""))[0]
    room2 = (pin_and_room(r2) or ("", ""))[0]
    return _go_less(room1, room2)


def _go_less(a: str, b: str) -> bool:
    """Go compares strings bytewise."""
    return a.encode("utf-8", "surrogateescape") < b.encode("utf-8", "surrogateescape")


@dataclass(frozen=True)
class RuleCandidate:
    """A dispatch rule examined for the call: ``skipped`` says why it was not a candidate.

    ``scope`` is 'specific' (trunk_ids names the call's trunk) or 'default' (no trunk_ids).
    """

    rule_id: str
    name: str
    priority: int
    scope: str
    skipped: str | None


@dataclass(frozen=True)
class RuleSelection:
    """``matchSIPDispatchRule``: the selected rule, the candidates, and the reason."""

    rule: Mapping[str, Any] | None
    candidates: tuple[RuleCandidate, ...]
    reason: str
    error: str | None = None
    #: Another candidate had the same priority and room: the first by ID won.
    tie: bool = False

    @property
    def rule_id(self) -> str:
        return rule_id(self.rule) if self.rule is not None else ""


def _listed_rules(
    rules: Sequence[Mapping[str, Any]], trunk: Mapping[str, Any] | None
) -> list[Mapping[str, Any]]:
    """``SelectSIPDispatchRule``: ``ListSIPDispatchRuleRequest{TrunkIds: [trunkID]}.Filter``
    (rules without trunk_ids are always listed; no filter without a trunk), sorted by ID."""
    tid = trunk_id(trunk) if trunk is not None else ""
    listed = [
        r for r in rules if not tid or not _list(r, "trunk_ids") or tid in _list(r, "trunk_ids")
    ]
    return sorted(listed, key=rule_id)


def _conflict_error(rules: Sequence[Mapping[str, Any]]) -> str | None:
    """``NewDispatchRuleValidator().ValidateIter``: the listed rules must not conflict."""
    keys = []
    for rule in rules:
        pr = pin_and_room(rule)
        if pr is None:
            return f"unsupported SIP Dispatch Rule {_label(rule, rule_id(rule))}: no rule kind"
        keys.append(
            DispatchRuleKeys(
                rule_id(rule),
                pr[1],
                _list(rule, "trunk_ids"),
                _list(rule, "inbound_numbers"),
                _list(rule, "numbers"),
            )
        )
    conflicts = dispatch_rule_conflicts(keys)
    if conflicts:
        return (
            "Dispatch rule for the same trunk, inbound number, number, and PIN combination "
            f"already exists in dispatch rule {conflicts[0].first!r}"
        )
    return None


def match_dispatch_rule(
    trunk: Mapping[str, Any] | None, rules: Sequence[Mapping[str, Any]], call: Call
) -> RuleSelection:
    """``MatchDispatchRuleIter`` over the rules ``SelectSIPDispatchRule`` lists::

        for each rule info {
            if len(info.InboundNumbers) != 0 &&
                !slices.Contains(info.InboundNumbers, req.CallingNumber) { continue }
            if len(info.Numbers) != 0 && !slices.Contains(info.Numbers, req.CalledNumber) {
                continue }
            _, rulePin, err := GetPinAndRoom(info)
            if noPin { if rulePin != "" { continue } }
            else if sentPin != "" { if rulePin == "" || sentPin != rulePin { continue } }
            if len(info.TrunkIds) == 0 {      // Default/wildcard dispatch rule.
                defaultRuleCnt++
                if defaultRule == nil || hasHigherPriority(info, defaultRule) {
                    defaultRule = info }
                continue
            }
            if trunk == nil { continue }
            if !slices.Contains(info.TrunkIds, trunk.SipTrunkId) { continue }
            specificRuleCnt++
            if specificRule == nil || hasHigherPriority(info, specificRule) {
                specificRule = info }
        }
        if specificRuleCnt == 0 && defaultRuleCnt == 0 { -> ErrNoDispatchMatched (DROP) }
        if specificRule != nil { return specificRule }
        return defaultRule

    Note: inbound_numbers and numbers are compared *as written* here (the conflict check and
    the trunk match normalize), and a rule naming the call's trunk always wins over a rule
    without trunk_ids, whatever their priorities.
    """
    listed = _listed_rules(rules, trunk)
    error = _conflict_error(listed)
    if error is not None:
        return RuleSelection(None, (), error, error)
    tid = trunk_id(trunk) if trunk is not None else ""
    candidates: list[RuleCandidate] = []
    best: dict[str, Mapping[str, Any]] = {}
    tie = {"specific": False, "default": False}
    for rule in listed:
        pr = pin_and_room(rule)
        assert pr is not None  # checked by _conflict_error
        rule_pin = pr[1]
        trunk_ids = _list(rule, "trunk_ids")
        scope = "specific" if trunk_ids else "default"
        skipped: str | None = None
        inbound = _list(rule, "inbound_numbers")
        numbers = _list(rule, "numbers")
        if inbound and call.from_ not in inbound:
            skipped = f"caller {call.from_!r} is not in inbound_numbers {inbound}"
        elif numbers and call.to not in numbers:
            skipped = f"called number {call.to!r} is not in numbers {numbers}"
        elif call.no_pin and rule_pin:
            skipped = "needs a PIN and the call cannot enter one"
        elif not call.no_pin and call.pin and not rule_pin:
            skipped = "has no PIN and the call sent one"
        elif not call.no_pin and call.pin and call.pin != rule_pin:
            skipped = "the call's PIN is not this rule's"
        elif trunk_ids and trunk is None:
            skipped = "names trunks and the call has none"
        elif trunk_ids and tid not in trunk_ids:
            skipped = f"trunk_ids {trunk_ids} do not name the call's trunk {tid}"
        candidates.append(
            RuleCandidate(
                rule_id(rule), _s(rule, "name"), dispatch_rule_priority(rule), scope, skipped
            )
        )
        if skipped is not None:
            continue
        current = best.get(scope)
        if current is None or _has_higher_priority(rule, current):
            best[scope] = rule
        elif not _has_higher_priority(current, rule):
            tie[scope] = True
    open_ = [c for c in candidates if c.skipped is None]
    if not open_:
        return RuleSelection(None, tuple(candidates), "no dispatch rule matched the call")
    scope = "specific" if "specific" in best else "default"
    chosen = best[scope]
    reason = (
        "the highest-priority rule naming the call's trunk"
        if scope == "specific"
        else "the highest-priority rule without trunk_ids"
    )
    # A tie matters only when the tied rule had the same priority as the winner.
    tied = tie[scope] and any(
        c.skipped is None
        and c.scope == scope
        and c.rule_id != rule_id(chosen)
        and c.priority == dispatch_rule_priority(chosen)
        for c in candidates
    )
    return RuleSelection(chosen, tuple(candidates), reason, None, tied)


# --- the answer ---------------------------------------------------------------------------------


def room_regex(pattern: str) -> re.Pattern[str]:
    """The room names ``pattern`` stands for (:data:`RANDOM` = the server's random suffix)."""
    random = f"[{re.escape(RANDOM_ALPHABET)}]{{{RANDOM_SIZE}}}"
    return re.compile(random.join(re.escape(p) for p in pattern.split(RANDOM)))


@dataclass(frozen=True)
class Route:
    """What the server answers for a call (``EvaluateSIPDispatchRulesResponse``), explained.

    ``result``: 'accept' (the call joins ``room_name``), 'request_pin' (the caller is asked for
    a PIN), 'reject' or 'drop' (no dispatch rule takes the call: ``server`` v1.13.11 answers
    REJECT, the bridge answers 404; v1.13.5 answers DROP, the bridge hangs up without an
    answer), 'error' (the server refuses the call: ``error``), 'auth_failed' (:func:`route`
    only: the caller's user name is not the trunk's). ``room_name`` is exact when
    deterministic; ``room_pattern`` has :data:`RANDOM` where the server appends a random
    suffix. ``server`` is the livekit-server release predicted; ``ringing_timeout_status`` the
    trunk's (an ``SIPStatusCode`` name, '' when unset or when the release has no such field).
    """

    call: Call
    result: str
    trunk: TrunkMatch
    selection: RuleSelection | None = None
    error: str | None = None
    room_pattern: str = ""
    participant_identity: str = ""
    participant_name: str = ""
    participant_metadata: str = ""
    attributes: Mapping[str, str] = field(default_factory=dict)
    agents: tuple[str, ...] = ()
    room_config: Mapping[str, Any] | None = None
    room_preset: str = ""
    krisp: bool = False
    media_encryption: str = ENCRYPT_DISABLE
    auth: AuthResult | None = None
    server: str = NEWEST_SERVER
    ringing_timeout_status: str = ""

    @property
    def trunk_id(self) -> str:
        return self.trunk.trunk_id

    @property
    def rule_id(self) -> str:
        return self.selection.rule_id if self.selection is not None else ""

    @property
    def rule(self) -> Mapping[str, Any] | None:
        return self.selection.rule if self.selection is not None else None

    @property
    def random_room(self) -> bool:
        return RANDOM in self.room_pattern

    @property
    def room_name(self) -> str | None:
        """The room, None when it has a random part (see :attr:`room_pattern`)."""
        return None if self.random_room else self.room_pattern

    def room_regex(self) -> re.Pattern[str]:
        return room_regex(self.room_pattern)

    def explain(self) -> str:
        """One paragraph: trunk, rule, outcome and why."""
        lines = [f"{self.call.describe()}:", self.trunk.explain()]
        if self.selection is not None:
            if self.selection.rule is not None:
                rule = self.selection.rule
                lines.append(
                    f"dispatch rule {_label(rule, self.rule_id)} selected "
                    f"(priority {dispatch_rule_priority(rule)}: {self.selection.reason})"
                    + (
                        " - tied with another rule, the first by ID wins"
                        if self.selection.tie
                        else ""
                    )
                )
            elif self.selection.error is None:
                others = ", ".join(
                    f"{_label({'name': c.name}, c.rule_id)} {c.skipped}"
                    for c in self.selection.candidates
                )
                lines.append(
                    "no dispatch rule matched" + (f": {others}" if others else " (none listed)")
                )
        if self.result == ACCEPT:
            room = (
                f"room '{self.room_pattern}'"
                if not self.random_room
                else f"a new room '{self.room_pattern}' ({RANDOM} = random suffix)"
            )
            agents = f", agents {list(self.agents)}" if self.agents else ", no agent dispatched"
            lines.append(
                f"ACCEPT: {room}, participant '{self.participant_identity}'{agents}"
                + (", krisp on" if self.krisp else "")
            )
        elif self.result == REQUEST_PIN:
            lines.append("REQUEST_PIN: the caller is asked for the rule's PIN")
        elif self.result in NO_RULE_RESULTS:
            lines.append(_no_rule_words(self.server))
        else:
            lines.append(f"{self.result.upper()}: {self.error}")
        # The names, rooms and messages in a line are what LiveKit holds: escaped, so that a
        # line break or an escape sequence in one cannot start a line or recolour the terminal.
        return "\n  ".join(printable(line) for line in lines)


def _no_rule_words(server: str) -> str:
    """What a call no dispatch rule takes gets from ``server``, and from the other releases."""
    release = server_release(server)
    others = [r for r in SERVER_RELEASES if r.no_rule_result != release.no_rule_result]
    other = "; ".join(f"{r.version} answers {r.no_rule_result}" for r in others)
    return (
        f"{release.no_rule_result}: no dispatch rule takes the call, "
        f"{_NO_RULE_BRIDGE[release.no_rule_result]} (livekit-server {release.version}"
        + (f"; {other})" if other else ")")
    )


#: What the SIP bridge (livekit/sip v1.8.0, ``pkg/sip/inbound.go``) does with each answer.
_NO_RULE_BRIDGE = {
    "DROP": "the SIP bridge hangs up without answering the caller",
    "REJECT": "the SIP bridge answers 404 'Does not match Trunks or Dispatch Rules'",
}


def _status_name(value: Any) -> str:
    """A ``SIPStatusCode`` as its name ('' for unset or SIP_STATUS_UNKNOWN)."""
    if value is None or value == "" or value == 0 or value == "SIP_STATUS_UNKNOWN":
        return ""
    return str(value)


def _encryption(obj: Mapping[str, Any] | None) -> str | None:
    """``SIPMediaConfig.UpgradeWith``: media.encryption, else media_encryption unless DISABLE."""
    if obj is None:
        return None
    media = obj.get("media")
    encryption = _s(media, "encryption") if isinstance(media, Mapping) else ""
    if encryption:
        return encryption
    legacy = _s(obj, "media_encryption")
    return legacy if legacy and legacy != ENCRYPT_DISABLE else None


def _merge_encryption(first: str | None, second: str | None) -> str | None:
    """``SIPMediaEncryption.Merge``/``MergeValue``: the rule's wins unless it is DISABLE."""
    if first is None:
        return second
    if second is None:
        return first
    if first == second:
        return second
    return first if second == ENCRYPT_DISABLE else second


def agents_of(rule: Mapping[str, Any]) -> tuple[str, ...]:
    """The agent names a dispatch rule's ``room_config.agents`` dispatches."""
    return _agents(rule)


def _agents(rule: Mapping[str, Any]) -> tuple[str, ...]:
    room_config = rule.get("room_config")
    if not isinstance(room_config, Mapping):
        return ()
    agents = room_config.get("agents")
    if not isinstance(agents, (list, tuple)):
        return ()
    return tuple(_s(a, "agent_name") for a in agents if isinstance(a, Mapping))


def evaluate(
    trunks: Sequence[Mapping[str, Any]],
    rules: Sequence[Mapping[str, Any]],
    call: Call,
    server: str | None = None,
) -> Route:
    """``IOInfoService.EvaluateSIPDispatchRules`` then ``EvaluateDispatchRule``, as the release
    ``server`` runs them (default: the newest supported)::

        trunk, err := s.matchSIPTrunk(ctx, req.SipTrunkId, call)      // err: refused
        best, err := s.matchSIPDispatchRule(ctx, trunk, req)
        if ErrNoDispatchMatched { return {SipTrunkId: trunkID, Result: DROP} }      // v1.13.5
        if ErrNoDispatchMatched { return {SipTrunkId: trunkID, Result: REJECT} }    // v1.13.11

        // EvaluateDispatchRule(projectID, trunk, rule, req):
        attrs := maps.Clone(rule.Attributes)
        attrs["sip.callID"] = call.LkCallId; attrs["sip.trunkID"] = trunkID
        fromName := "Phone " + from; fromID := "sip_" + from
        if rule.HidePhoneNumber {
            h := sha256.Sum256([]byte(call.From.User))
            fromID = "sip_" + hex.EncodeToString(h[:8])
            n := 4; if len(from) <= 4 { n = 1 }                   // v1.13.5
            n := 4; if len(from) <= 4 { n = min(1, len(from)) }   // v1.13.11
            from = from[len(from)-n:]; fromName = "Phone " + from
        } else {
            attrs["sip.phoneNumber"] = call.From.User; attrs["sip.hostname"] = call.From.Host
            attrs["sip.trunkPhoneNumber"] = call.To.User
        }
        if rulePin != "" && sentPin == "" { return {Result: REQUEST_PIN, RequestPin: true} }
        case Individual: room = from; if pref != "" { room = pref + "_" + from }
                         if !NoRandomness { room += "_" + guid.New("") }
        case Callee:     room = to; if pref != "" { room = pref + "_" + to }
                         if Randomize { room += "_" + guid.New("") }
        attrs["sip.ruleID"] = rule.SipDispatchRuleId
        resp := {Result: ACCEPT, RoomName: room, ParticipantIdentity: fromID, ...,
                 RoomConfig: rule.RoomConfig, MediaEncryption: enc}
        krispEnabled = trunk.KrispEnabled || rule.KrispEnabled
        resp.RingingTimeoutStatus = trunk.RingingTimeoutStatus    // v1.13.11

    The random suffix of a room name is :data:`RANDOM` in :attr:`Route.room_pattern`.
    Raises ValueError for a ``server`` that is not a supported release.
    """
    release = server_release(server)
    version = release.version
    bad_source = _bad_source(call)
    if bad_source is not None:
        return Route(
            call, ERROR, TrunkMatch(None, "empty", ()), error=bad_source, server=version
        )
    trunk_match = match_trunk(trunks, call)
    if trunk_match.error is not None:
        return Route(call, ERROR, trunk_match, error=trunk_match.error, server=version)
    trunk = trunk_match.trunk
    selection = match_dispatch_rule(trunk, rules, call)
    if selection.error is not None:
        return Route(
            call, ERROR, trunk_match, selection, error=selection.error, server=version
        )
    rule = selection.rule
    if rule is None:
        no_rule = DROP if release.no_rule_result == "DROP" else REJECT
        return Route(call, no_rule, trunk_match, selection, server=version)
    tid = trunk_id(trunk) if trunk is not None else call.trunk_id
    room, rule_pin = pin_and_room(rule) or ("", "")
    encryption = _merge_encryption(_encryption(trunk), _encryption(rule)) or ENCRYPT_DISABLE
    if rule_pin and not call.pin:
        return Route(
            call,
            REQUEST_PIN,
            trunk_match,
            selection,
            media_encryption=encryption,
            server=version,
        )
    attributes = {
        str(k): str(v)
        for k, v in (rule.get("attributes") or {}).items()
        if isinstance(rule.get("attributes"), Mapping)
    }
    attributes["sip.callID"] = call.call_id
    attributes["sip.trunkID"] = tid
    from_ = call.from_
    identity = "sip_" + from_
    if _bool(rule, "hide_phone_number"):
        if not from_ and not release.hides_empty_caller:
            # from[len(from)-1:] panics in Go for an empty caller: measured, the whole server
            # exits (the bridge's request times out).
            return Route(
                call,
                ERROR,
                trunk_match,
                selection,
                error=(
                    f"empty caller number: livekit-server {version} panics on a rule with "
                    "hide_phone_number and exits"
                ),
                server=version,
            )
        digest = hashlib.sha256(from_.encode("utf-8", "surrogateescape")).hexdigest()
        identity = "sip_" + digest[:16]
        raw = from_.encode("utf-8", "surrogateescape")
        n = min(1, len(raw)) if len(raw) <= 4 else 4
        from_ = raw[len(raw) - n :].decode("utf-8", "replace")
    else:
        attributes["sip.phoneNumber"] = call.from_
        attributes["sip.hostname"] = call.from_host
        attributes["sip.trunkPhoneNumber"] = call.to
    kind, body = rule_kind(rule) or (DIRECT, {})
    if kind == INDIVIDUAL:
        prefix = _s(body, "room_prefix")
        room = f"{prefix}_{from_}" if prefix else from_
        if not _bool(body, "no_randomness"):
            room += "_" + RANDOM
    elif kind == CALLEE:
        prefix = _s(body, "room_prefix")
        room = f"{prefix}_{call.to}" if prefix else call.to
        if _bool(body, "randomize"):
            room += "_" + RANDOM
    attributes["sip.ruleID"] = rule_id(rule)
    room_config = rule.get("room_config")
    return Route(
        call,
        ACCEPT,
        trunk_match,
        selection,
        room_pattern=room,
        participant_identity=identity,
        participant_name="Phone " + from_,
        participant_metadata=_s(rule, "metadata"),
        attributes=attributes,
        agents=_agents(rule),
        room_config=room_config if isinstance(room_config, Mapping) else None,
        room_preset=_s(rule, "room_preset"),
        krisp=(trunk is not None and _bool(trunk, "krisp_enabled")) or _bool(rule, "krisp_enabled"),
        media_encryption=encryption,
        server=version,
        ringing_timeout_status=(
            _status_name(trunk.get("ringing_timeout_status"))
            if trunk is not None and release.ringing_timeout_status
            else ""
        ),
    )


def route(
    trunks: Sequence[Mapping[str, Any]],
    rules: Sequence[Mapping[str, Any]],
    call: Call,
    server: str | None = None,
) -> Route:
    """The whole call as the bridge drives it: authentication, then evaluation, as the release
    ``server`` answers them (default: the newest supported).

    The bridge asks for the trunk's credentials first (:func:`authenticate`); when the trunk
    has an auth_username and the call's ``auth_username`` is given and differs, the caller
    fails the challenge. Otherwise the call is evaluated with that trunk's ID.
    """
    version = server_release(server).version
    auth = authenticate(trunks, call)
    if auth.error is not None:
        return Route(call, ERROR, auth.match, error=auth.error, auth=auth, server=version)
    if auth.username and call.auth_username is not None and call.auth_username != auth.username:
        error = (
            f"trunk {_label(auth.match.trunk or {}, auth.trunk_id)} challenges the caller for "
            f"user '{auth.username}', the call authenticates as '{call.auth_username}'"
        )
        failed = TrunkMatch(
            None,
            "none",
            (
                TrunkCheck(
                    auth.trunk_id,
                    _s(auth.match.trunk, "name"),
                    "auth",
                    error,
                    not _list(auth.match.trunk or {}, "numbers"),
                ),
            ),
        )
        return Route(call, AUTH_FAILED, failed, error=error, auth=auth, server=version)
    result = evaluate(
        trunks, rules, dataclasses.replace(call, trunk_id=auth.trunk_id), server=version
    )
    # The trunk is the one authentication matched; its checks explain the match better.
    trunk = auth.match if auth.trunk_id == result.trunk_id else result.trunk
    return dataclasses.replace(result, auth=auth, trunk=trunk)
