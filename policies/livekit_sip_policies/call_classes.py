"""Every call the routing can tell apart, routed: the call classes of a set of trunks and rules.

Routing reads five things of a call: the called number, the caller, the source address (or
the caller's SIP host), and the PIN entered after a prompt. It compares each with values the
trunks and rules write: a called number with trunks' ``numbers`` (normalized) and rules'
``numbers`` (as written), a caller with trunks' ``allowed_numbers`` and rules'
``inbound_numbers``, an address with trunks' ``allowed_addresses``, a PIN with rules' PINs.
Two calls that agree on every comparison are routed alike, so one call per combination of
answers covers every call. Per called number, the classes are:

- **called number**: each number a trunk or a rule writes (as written), plus one no object
  names;
- **caller**: each number that an ``allowed_numbers`` or ``inbound_numbers`` of an object on
  that called number writes, plus one no list names;
- **address**: one address inside each ``allowed_addresses`` entry of a trunk on that called
  number (a host name entry: a call from that SIP host), plus one outside them all;
- **PIN**: no PIN; and, when a rule on that called number has a PIN, each such PIN and a wrong
  one (the bridge asks for a PIN only then).

Each class is routed with the simulator's public entry point (:func:`.routing.route`) over the
trunks the server lists for its called number and the rules it lists for those trunks, which is
what the server itself reads (``SelectSIPInboundTrunk``, ``SelectSIPDispatchRule``). A class
that no trunk takes is routed over the rules without trunk_ids once the whole list is known not
to conflict (the server lists every rule for it, and skips those naming trunks), else over every
rule.

**Growth.** The count is the sum, over the called numbers, of (addresses + 1) x (callers + 1)
x (PINs + 2, or 1 without PINs), counting only the values written by the objects on that
called number. A stack where each trunk has its own numbers grows linearly with its objects;
a default trunk (no numbers) or a rule without trunk_ids adds its values to every called
number. :data:`MAX_CALL_CLASSES` bounds the whole: beyond it :attr:`CallClasses.complete` is
False and the rules that need every call stay silent. ``bench/reachability.py`` measures it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from livekit_sip_core import normalize_number

from .routing import Call, Route, pin_and_room
from .routing import route as simulate_route

__all__ = [
    "MAX_CALL_CLASSES",
    "CallClasses",
    "RoutedCall",
    "call_classes",
    "unlisted_number",
]

#: The most call classes routed for one stack or project (see the module's "Growth").
MAX_CALL_CLASSES = 200_000

#: Addresses tried, in order, for "a call from outside every allowed_addresses".
_OUTSIDE_CANDIDATES = ("192.0.2.1", "198.51.100.1", "203.0.113.254", "2001:db8::1", "100.64.0.1")


def _strings(obj: Mapping[str, Any], key: str) -> list[str]:
    value = obj.get(key)
    if not isinstance(value, (list, tuple)):
        return []
    return [v if isinstance(v, str) else str(v) for v in value if v is not None]


def _id(obj: Mapping[str, Any], key: str) -> str:
    value = obj.get(key)
    return value if isinstance(value, str) else ""


@dataclass(frozen=True)
class RoutedCall:
    """One call class: a representative call, what it stands for, and its route."""

    call: Call
    #: The called number is written by no trunk or rule.
    unnamed_number: bool
    #: The caller is on no allowed_numbers or inbound_numbers list.
    unlisted_caller: bool
    #: The source address is outside every allowed_addresses entry of the stack.
    outside_address: bool
    route: Route


@dataclass
class CallClasses:
    """The routed call classes of a set of trunks and rules."""

    calls: list[RoutedCall] = field(default_factory=list)
    #: False when :data:`MAX_CALL_CLASSES` cut the enumeration short.
    complete: bool = True
    #: How many called numbers were enumerated.
    called_numbers: int = 0

    def __len__(self) -> int:
        return len(self.calls)

    def __iter__(self) -> Iterator[RoutedCall]:
        return iter(self.calls)


def unlisted_number(taken: Iterable[str]) -> str:
    """A phone number in E.164 shape that is none of ``taken`` (as written or normalized)."""
    used = set()
    for number in taken:
        used.add(number)
        used.add(normalize_number(number))
    suffix = 0
    while True:
        candidate = f"+1999555{suffix:04d}"
        if candidate not in used:
            return candidate
        suffix += 1


def _wrong_pin(pins: Iterable[str]) -> str:
    used = set(pins)
    length = max((len(p) for p in used), default=4) or 4
    digit = 0
    while True:
        candidate = str(digit % 10) * length
        if candidate not in used:
            return candidate
        digit += 1
        if digit % 10 == 0:
            length += 1


def _network(mask: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(mask, strict=False)
    except ValueError:
        return None


def _inside(mask: str) -> tuple[str, str] | None:
    """(source address, SIP host) of a call the ``allowed_addresses`` entry ``mask`` admits;
    None for an entry the server ignores."""
    if not mask or any(c in mask for c in "()+*;, \t\n\r") or "://" in mask:
        return None
    network = _network(mask)
    if network is not None:
        # The first host of a network (203.0.113.1 of 203.0.113.0/24), the address itself.
        first = network.network_address + (1 if network.num_addresses > 2 else 0)
        return str(first), ""
    return "", mask  # a host name: compared with the caller's SIP host


def _outside(masks: Iterable[str]) -> str:
    networks = [n for n in (_network(m) for m in masks) if n is not None]
    for candidate in _OUTSIDE_CANDIDATES:
        address = ipaddress.ip_address(candidate)
        if not any(address.version == n.version and address in n for n in networks):
            return candidate
    return _OUTSIDE_CANDIDATES[0]


class _Index:
    """Trunks by the numbers they list, rules by the trunks they name: built once."""

    def __init__(
        self, trunks: Sequence[Mapping[str, Any]], rules: Sequence[Mapping[str, Any]]
    ) -> None:
        self.trunks = list(trunks)
        self.rules = list(rules)
        self.default_trunks: list[int] = []
        self.by_number: dict[str, list[int]] = {}
        for position, trunk in enumerate(self.trunks):
            numbers = _strings(trunk, "numbers")
            if not numbers:
                self.default_trunks.append(position)
            for number in numbers:
                for key in {number, normalize_number(number)}:
                    self.by_number.setdefault(key, []).append(position)
        self.wildcard_rules: list[int] = []
        self.by_trunk: dict[str, list[int]] = {}
        for position, rule in enumerate(self.rules):
            named = _strings(rule, "trunk_ids")
            if not named:
                self.wildcard_rules.append(position)
            for trunk_id in dict.fromkeys(named):
                self.by_trunk.setdefault(trunk_id, []).append(position)

    def trunks_for(self, called: str) -> list[Mapping[str, Any]]:
        """The trunks the server lists for ``called`` (a superset does no harm)."""
        positions = {*self.default_trunks}
        for key in {called, normalize_number(called)}:
            positions.update(self.by_number.get(key, ()))
        return [self.trunks[p] for p in sorted(positions)]

    def rules_for(self, trunks: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        """The rules the server lists for any of ``trunks``: naming one, or naming none."""
        positions = {*self.wildcard_rules}
        for trunk in trunks:
            positions.update(self.by_trunk.get(_id(trunk, "sip_trunk_id"), ()))
        return [self.rules[p] for p in sorted(positions)]


def _stray_rules(
    index: _Index, trunks: Sequence[Mapping[str, Any]], call: Call
) -> list[Mapping[str, Any]]:
    """The rules to route a call that no trunk takes over.

    The server lists every rule for it and checks the whole list for conflicts; the rules
    naming trunks are then skipped ("names trunks and the call has none"). So when the whole
    list does not conflict (one route over it tells, for every such call alike), the rules
    without trunk_ids decide alone; otherwise every such call is refused like this one.
    """
    full = simulate_route(trunks, index.rules, call)
    if full.selection is not None and full.selection.error is not None:
        return index.rules
    return [index.rules[p] for p in index.wildcard_rules]


def _pin(rule: Mapping[str, Any]) -> str:
    pair = pin_and_room(rule)
    return pair[1] if pair is not None else ""


def call_classes(
    trunks: Sequence[Mapping[str, Any]],
    rules: Sequence[Mapping[str, Any]],
    *,
    limit: int = MAX_CALL_CLASSES,
) -> CallClasses:
    """Every call class of ``trunks`` and ``rules`` (the simulator's plain dicts, IDs set),
    each routed with :func:`.routing.route`, at most ``limit`` of them."""
    index = _Index(trunks, rules)
    written: dict[str, None] = {}
    for obj in (*trunks, *rules):
        for number in _strings(obj, "numbers"):
            written.setdefault(number)
    every_number = [
        n
        for obj in (*trunks, *rules)
        for key in ("numbers", "allowed_numbers", "inbound_numbers")
        for n in _strings(obj, key)
    ]
    stranger = unlisted_number(every_number)
    unnamed = unlisted_number([*every_number, stranger])
    outside = _outside(m for t in trunks for m in _strings(t, "allowed_addresses"))
    result = CallClasses()
    stray_rules: list[Mapping[str, Any]] | None = None
    for called in [*written, unnamed]:
        result.called_numbers += 1
        listed = index.trunks_for(called)
        candidates = index.rules_for(listed)
        addresses: dict[tuple[str, str], None] = {}
        for trunk in listed:
            for mask in _strings(trunk, "allowed_addresses"):
                inside = _inside(mask)
                if inside is not None:
                    addresses.setdefault(inside)
        addresses.setdefault((outside, ""))
        callers: dict[str, None] = {}
        for trunk in listed:
            callers.update(dict.fromkeys(_strings(trunk, "allowed_numbers")))
        for rule in candidates:
            callers.update(dict.fromkeys(_strings(rule, "inbound_numbers")))
        callers.setdefault(stranger)
        pins = list(dict.fromkeys(p for p in map(_pin, candidates) if p))
        pin_classes = ["", *pins, _wrong_pin(pins)] if pins else [""]
        for source_ip, host in addresses:
            for caller in callers:
                for pin in pin_classes:
                    if len(result.calls) >= limit:
                        result.complete = False
                        return result
                    call = Call(
                        to=called, from_=caller, source_ip=source_ip, from_host=host, pin=pin
                    )
                    routed = simulate_route(listed, candidates, call)
                    if not routed.trunk_id:
                        if stray_rules is None:
                            stray_rules = _stray_rules(index, listed, call)
                        routed = simulate_route(listed, stray_rules, call)
                    result.calls.append(
                        RoutedCall(
                            call,
                            unnamed_number=called == unnamed,
                            unlisted_caller=caller == stranger,
                            outside_address=source_ip == outside and not host,
                            route=routed,
                        )
                    )
    return result
