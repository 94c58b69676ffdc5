"""What a dispatch rule's ``trunk_ids`` refer to: the one reference resolution of the stack rules.

Each entry of a dispatch rule's ``trunk_ids`` is one of four cases:

(a) **an Output of a trunk of this stack**: unknown until the trunk exists (every first
    preview), but the engine's property dependencies name the trunk it comes from
    (``trunk_ids=[trunk.sip_trunk_id]``) -> that trunk (:data:`OUTPUT`);
(b) **a literal ID of a trunk of this stack**: a trunk's ``sip_trunk_id`` or ``adopt_id``, known
    after ``up`` or written by hand -> that trunk (:data:`STACK_ID`);
(c) **a literal ID of no trunk of this stack**: a trunk managed elsewhere (adopted by another
    stack, made by hand), a provider's trunk SID, or a typo -> the ID itself
    (:data:`EXTERNAL_ID`);
(d) **unknown and traceable to no trunk of this stack** (computed from something else) ->
    nothing: the entry is *unresolved*.

An empty or absent ``trunk_ids`` names no trunk and matches every inbound trunk (``wildcard``).

**Resolved.** A dispatch rule's references are *resolved* when none of its entries is case
(d): its ``refs`` (or, for a wildcard, every inbound trunk) are then exactly the trunks it
routes. When they are not resolved, ``refs`` still holds every entry that is known: trunks the
rule certainly names, perhaps not all of them. A dispatch rule whose properties are all unknown
is resolved only if its ``trunk_ids`` depend on trunks of the stack.

Every stack rule reads references the same way:

- a finding that a dispatch rule *names* something (an outbound trunk, an ID that is no trunk,
  a trunk whose number it filters as a caller, a trunk it shares with another rule, a trunk it
  routes without noise cancellation) reads ``refs``, and holds whether or not the rule is
  resolved;
- a finding that rests on what *no* rule names, or on the whole routing (a trunk no rule
  routes, a simulated call), needs every dispatch rule it depends on to be resolved: otherwise
  the stack rule stays silent, as rules stay silent on every unknown value.

:class:`StackReferences` resolves every dispatch rule of a stack once (linear in the stack's
size) and answers both questions: :meth:`StackReferences.routing` (certain) and
:attr:`StackReferences.resolved` (complete).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from .rule import DISPATCH_RULE, INBOUND_TRUNK, OUTBOUND_TRUNK, StackResource, is_unknown

__all__ = [
    "EXTERNAL_ID",
    "ID_PROPS",
    "OUTPUT",
    "STACK_ID",
    "TRUNK_TYPES",
    "StackReferences",
    "TrunkIndex",
    "TrunkRef",
    "TrunkRefs",
    "trunk_ids_of",
    "trunk_refs",
]

TRUNK_TYPES = (INBOUND_TRUNK, OUTBOUND_TRUNK)
#: Props under which a trunk resource carries its LiveKit ID.
ID_PROPS = ("sip_trunk_id", "adopt_id")

#: Case (a): an unknown entry traced through the property dependencies to a trunk of the stack.
OUTPUT: Final = "output"
#: Case (b): a literal ID that a trunk of the stack carries.
STACK_ID: Final = "stack-id"
#: Case (c): a literal ID that no trunk of the stack carries.
EXTERNAL_ID: Final = "external-id"


@dataclass(frozen=True)
class TrunkRef:
    """One trunk a dispatch rule names: a trunk of the stack, or an ID from elsewhere.

    ``field`` is where the reference is written (``trunk_ids[1]``, or ``trunk_ids`` for a
    reference found through the dependencies of unknown entries); ``via`` is its case
    (:data:`OUTPUT`, :data:`STACK_ID`, :data:`EXTERNAL_ID`).
    """

    field: str
    resource: StackResource | None = None
    trunk_id: str | None = None
    via: str = EXTERNAL_ID

    @property
    def identity(self) -> str:
        """The same string for every reference to the same trunk."""
        return self.resource.urn if self.resource is not None else (self.trunk_id or "")


@dataclass(frozen=True)
class TrunkRefs:
    """What one dispatch rule's trunk_ids resolve to.

    ``wildcard``: trunk_ids is empty or absent, the rule matches every inbound trunk.
    ``refs``: the entries that are known, in order. ``resolved``: no entry is unresolved, so
    ``refs`` (or every trunk, for a wildcard) is exactly what the rule routes.
    """

    wildcard: bool
    refs: tuple[TrunkRef, ...]
    resolved: bool

    def resources(self) -> list[StackResource]:
        """The trunks of the stack the rule certainly names, in the order of its entries."""
        return [ref.resource for ref in self.refs if ref.resource is not None]


def trunk_ids_of(resource: StackResource) -> set[str]:
    """The LiveKit IDs a trunk resource carries (its ``sip_trunk_id`` and ``adopt_id``)."""
    ids = set()
    props = resource.props
    if isinstance(props, Mapping):
        for key in ID_PROPS:
            value = props.get(key)
            if isinstance(value, str) and value:
                ids.add(value)
    return ids


@dataclass(frozen=True)
class TrunkIndex:
    """The trunks of a stack by URN and by ID, built once per check rather than once per
    dispatch rule (which made the stack rules quadratic in the stack's size)."""

    by_urn: Mapping[str, StackResource]
    #: LiveKit ID -> the first trunk (in stack order) that carries it.
    by_id: Mapping[str, StackResource]

    @classmethod
    def of(cls, resources: Sequence[StackResource]) -> TrunkIndex:
        trunks = [r for r in resources if r.type in TRUNK_TYPES]
        by_id: dict[str, StackResource] = {}
        for trunk in trunks:
            for trunk_id in trunk_ids_of(trunk):
                by_id.setdefault(trunk_id, trunk)
        return cls(by_urn={r.urn: r for r in trunks}, by_id=by_id)

    def refs_of(self, rule: StackResource) -> TrunkRefs:
        """Resolve ``rule``'s trunk_ids to the trunks of this index, through IDs and
        dependencies."""
        props = rule.props if isinstance(rule.props, Mapping) else {}
        raw = props.get("trunk_ids") if not is_unknown(rule.props) else rule.props
        by_urn = self.by_urn
        dep_trunks = [
            by_urn[urn] for urn in rule.property_dependencies.get("trunk_ids", ()) if urn in by_urn
        ]
        if raw is None or (isinstance(raw, list) and not raw):
            return TrunkRefs(wildcard=True, refs=(), resolved=True)
        if not isinstance(raw, list):
            # The whole list is unknown: it references whatever trunks it is computed from.
            refs = tuple(TrunkRef("trunk_ids", resource=r, via=OUTPUT) for r in dep_trunks)
            return TrunkRefs(wildcard=False, refs=refs, resolved=bool(dep_trunks))
        refs_list: list[TrunkRef] = []
        matched: set[str] = set()
        unknown_count = 0
        literals: list[tuple[int, str]] = []
        for position, value in enumerate(raw):
            if is_unknown(value):
                unknown_count += 1
                continue
            value = str(value)
            owner = self.by_id.get(value)
            if owner is not None:
                refs_list.append(TrunkRef(f"trunk_ids[{position}]", resource=owner, via=STACK_ID))
                matched.add(owner.urn)
            else:
                literals.append((position, value))
        remaining = [t for t in dep_trunks if t.urn not in matched]
        if literals and not unknown_count and remaining:
            # The IDs come from trunks of the stack whose props do not show them (e.g. replaced).
            unknown_count, literals = len(literals), []
        refs_list.extend(TrunkRef(f"trunk_ids[{i}]", trunk_id=v) for i, v in literals)
        if unknown_count:
            refs_list.extend(TrunkRef("trunk_ids", resource=t, via=OUTPUT) for t in remaining)
        resolved = not unknown_count or bool(remaining)
        return TrunkRefs(wildcard=False, refs=tuple(refs_list), resolved=resolved)


def trunk_refs(rule: StackResource, resources: Sequence[StackResource]) -> TrunkRefs:
    """Resolve ``rule``'s trunk_ids to trunks of ``resources``, through IDs and dependencies
    (to resolve many rules of one stack, build the :class:`TrunkIndex` once and call
    :meth:`TrunkIndex.refs_of`, as :class:`StackReferences` does)."""
    return TrunkIndex.of(resources).refs_of(rule)


class StackReferences:
    """Every dispatch rule of a stack with its :class:`TrunkRefs`, resolved once.

    ``rules`` holds every dispatch rule of the stack, in stack order, including one whose
    properties are all unknown (it is then resolved only through its dependencies).
    """

    def __init__(self, resources: Sequence[StackResource]) -> None:
        index = TrunkIndex.of(resources)
        self.rules: list[tuple[StackResource, TrunkRefs]] = [
            (r, index.refs_of(r)) for r in resources if r.type == DISPATCH_RULE
        ]
        #: Every dispatch rule is resolved: what no rule names is known.
        self.resolved: bool = all(refs.resolved for _, refs in self.rules)
        self._wildcards: list[int] = []
        self._named: dict[str, list[int]] = {}
        for position, (_, refs) in enumerate(self.rules):
            if refs.wildcard:
                self._wildcards.append(position)
                continue
            for ref in refs.refs:
                if ref.resource is not None:
                    positions = self._named.setdefault(ref.resource.urn, [])
                    if not positions or positions[-1] != position:
                        positions.append(position)

    def routing(self, trunk: StackResource) -> list[StackResource]:
        """The dispatch rules that certainly route calls from ``trunk``, in stack order: those
        naming it and those without trunk_ids. Complete only when :attr:`resolved`."""
        positions = sorted({*self._wildcards, *self._named.get(trunk.urn, ())})
        return [self.rules[p][0] for p in positions]

    def routed(self, trunk: StackResource) -> bool:
        """Some dispatch rule certainly routes calls from ``trunk``."""
        return bool(self._wildcards) or trunk.urn in self._named
