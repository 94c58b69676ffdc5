"""Reference resolution (``references.py``): the four cases of a trunk_ids entry, and mixes.

Each row gives a dispatch rule and the stack it is resolved in, and the exact outcome:
``wildcard``, the known references in order as ``(field, trunk name or ID, case)``, and
``resolved``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from livekit_sip_policies import UNKNOWN
from livekit_sip_policies.references import (
    EXTERNAL_ID,
    OUTPUT,
    STACK_ID,
    StackReferences,
    trunk_refs,
)
from livekit_sip_policies.rule import DISPATCH_RULE, INBOUND_TRUNK, StackResource

from .helpers import DISPATCH, INBOUND, changed, dispatch, inbound, outbound, resource

support = inbound("support", sip_trunk_id="ST_support")
sales = inbound("sales", sip_trunk_id="ST_sales", numbers=["+14155550100"])
out = outbound("out", sip_trunk_id="ST_out")
# First preview: nothing exists, every ID is unknown.
new_support = inbound("support", sip_trunk_id=UNKNOWN)
new_sales = inbound("sales", sip_trunk_id=UNKNOWN, numbers=["+14155550100"])
new_out = outbound("out", sip_trunk_id=UNKNOWN)
# An adopted trunk in its first preview: its adopt_id is known, its sip_trunk_id is not.
adopted = inbound("adopted", sip_trunk_id=UNKNOWN, adopt_id="ST_adopted")
# Not a trunk: a value computed from it is no reference to a trunk.
suffix = resource("random:index:RandomString", "suffix", {"result": UNKNOWN})

# Children of an AgentPhoneLine component: URNs carry the parent's type.
LINE = "livekit-sip:index:AgentPhoneLine"
line_trunk = StackResource(
    f"urn:pulumi:dev::demo::{LINE}${INBOUND_TRUNK}::line-inbound",
    "line-inbound",
    INBOUND_TRUNK,
    changed(INBOUND, {"name": "line", "sip_trunk_id": UNKNOWN}),
)

line_trunk_after_up = StackResource(
    line_trunk.urn,
    line_trunk.name,
    INBOUND_TRUNK,
    changed(line_trunk.props, {"sip_trunk_id": "ST_line"}),
)


def line_rule(trunk_ids: Any) -> StackResource:
    return StackResource(
        f"urn:pulumi:dev::demo::{LINE}${DISPATCH_RULE}::line-rule",
        "line-rule",
        DISPATCH_RULE,
        changed(DISPATCH, {"name": "line", "trunk_ids": trunk_ids}),
        {"trunk_ids": [line_trunk.urn]},
    )


def deps(*resources: StackResource) -> dict[str, list[str]]:
    return {"trunk_ids": [r.urn for r in resources]}


@dataclass(frozen=True)
class Row:
    name: str
    rule: StackResource
    stack: Sequence[StackResource]
    refs: Sequence[tuple[str, str, str]] = ()
    resolved: bool = True
    wildcard: bool = False

    def __str__(self) -> str:
        return self.name


ROWS = [
    # (a) an Output of a trunk of this stack: unknown, traced through the dependencies.
    Row(
        "a_output_first_preview",
        dispatch("calls", deps(new_support), trunk_ids=[UNKNOWN]),
        [new_support],
        [("trunk_ids", "support", OUTPUT)],
    ),
    Row(
        "a_whole_list_unknown",
        dispatch("calls", deps(new_support), trunk_ids=UNKNOWN),
        [new_support],
        [("trunk_ids", "support", OUTPUT)],
    ),
    Row(
        "a_outbound_trunk_output",
        dispatch("calls", deps(new_out), trunk_ids=[UNKNOWN]),
        [new_support, new_out],
        [("trunk_ids", "out", OUTPUT)],
    ),
    Row(
        "a_component_child_sibling_trunk",
        line_rule([UNKNOWN]),
        [line_trunk],
        [("trunk_ids", "line-inbound", OUTPUT)],
    ),
    Row(
        "a_props_all_unknown_traced",
        resource(DISPATCH_RULE, "calls", UNKNOWN, deps(new_support)),
        [new_support],
        [("trunk_ids", "support", OUTPUT)],
    ),
    # (b) a literal ID a trunk of this stack carries.
    Row(
        "b_sip_trunk_id",
        dispatch("calls", trunk_ids=["ST_support"]),
        [support, sales],
        [("trunk_ids[0]", "support", STACK_ID)],
    ),
    Row(
        "b_adopt_id_before_the_trunk_is_read",
        dispatch("calls", trunk_ids=["ST_adopted"]),
        [adopted],
        [("trunk_ids[0]", "adopted", STACK_ID)],
    ),
    Row(
        "b_outbound_trunk_id",
        dispatch("calls", trunk_ids=["ST_out"]),
        [support, out],
        [("trunk_ids[0]", "out", STACK_ID)],
    ),
    Row(
        "b_literal_and_its_dependency_count_once",
        dispatch("calls", deps(support), trunk_ids=["ST_support"]),
        [support],
        [("trunk_ids[0]", "support", STACK_ID)],
    ),
    Row(
        "b_component_child_known_id",
        line_rule(["ST_line"]),
        [line_trunk_after_up],
        [("trunk_ids[0]", "line-inbound", STACK_ID)],
    ),
    # (c) a literal ID no trunk of this stack carries: managed elsewhere, or a typo.
    Row(
        "c_external_id",
        dispatch("calls", trunk_ids=["ST_elsewhere"]),
        [support],
        [("trunk_ids[0]", "ST_elsewhere", EXTERNAL_ID)],
    ),
    Row(
        "c_provider_sid",
        dispatch("calls", trunk_ids=["TK0123456789abcdef"]),
        [],
        [("trunk_ids[0]", "TK0123456789abcdef", EXTERNAL_ID)],
    ),
    Row(
        "c_unknown_id_is_no_trunk_id",
        dispatch("calls", trunk_ids=["ST_support"]),
        [new_support],
        [("trunk_ids[0]", "ST_support", EXTERNAL_ID)],
    ),
    # (d) unknown and traceable to no trunk of this stack: unresolved.
    Row(
        "d_unknown_without_dependencies",
        dispatch("calls", trunk_ids=[UNKNOWN]),
        [support],
        resolved=False,
    ),
    Row(
        "d_unknown_from_a_non_trunk",
        dispatch("calls", deps(suffix), trunk_ids=[UNKNOWN]),
        [suffix, support],
        resolved=False,
    ),
    Row(
        "d_whole_list_unknown_without_dependencies",
        dispatch("calls", trunk_ids=UNKNOWN),
        [support],
        resolved=False,
    ),
    Row(
        "d_props_all_unknown",
        resource(DISPATCH_RULE, "calls", UNKNOWN),
        [support],
        resolved=False,
    ),
    Row(
        "d_dependency_on_a_trunk_outside_the_check",
        dispatch("calls", deps(new_sales), trunk_ids=[UNKNOWN]),
        [new_support],
        resolved=False,
    ),
    # Empty or absent: every inbound trunk.
    Row("wildcard_empty", dispatch("calls", trunk_ids=[]), [support, sales], wildcard=True),
    Row("wildcard_none", dispatch("calls", trunk_ids=None), [support], wildcard=True),
    Row(
        "wildcard_absent",
        resource(DISPATCH_RULE, "calls", {"name": "calls", "rule": DISPATCH["rule"]}),
        [support],
        wildcard=True,
    ),
    # Mixes.
    Row(
        "mix_known_external_and_unknown",
        dispatch("calls", deps(new_sales), trunk_ids=["ST_support", "ST_ext", UNKNOWN]),
        [support, new_sales],
        [
            ("trunk_ids[0]", "support", STACK_ID),
            ("trunk_ids[1]", "ST_ext", EXTERNAL_ID),
            ("trunk_ids", "sales", OUTPUT),
        ],
    ),
    Row(
        "mix_two_outputs",
        dispatch("calls", deps(new_support, new_sales), trunk_ids=[UNKNOWN, UNKNOWN]),
        [new_support, new_sales],
        [("trunk_ids", "support", OUTPUT), ("trunk_ids", "sales", OUTPUT)],
    ),
    Row(
        "mix_known_id_and_untraceable_unknown",
        dispatch("calls", trunk_ids=["ST_support", UNKNOWN]),
        [support, sales],
        [("trunk_ids[0]", "support", STACK_ID)],
        resolved=False,
    ),
    Row(
        "mix_dependency_on_trunk_and_non_trunk",
        dispatch("calls", deps(suffix, new_support), trunk_ids=[UNKNOWN]),
        [suffix, new_support],
        [("trunk_ids", "support", OUTPUT)],
    ),
    Row(
        # The ID comes from a trunk of the stack whose props do not show it (being replaced).
        "mix_replaced_trunk_id_not_visible",
        dispatch("calls", deps(new_support), trunk_ids=["ST_old"]),
        [new_support],
        [("trunk_ids", "support", OUTPUT)],
    ),
    Row(
        "mix_same_trunk_twice",
        dispatch("calls", trunk_ids=["ST_support", "ST_support"]),
        [support],
        [("trunk_ids[0]", "support", STACK_ID), ("trunk_ids[1]", "support", STACK_ID)],
    ),
]


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_reference_table(row: Row) -> None:
    refs = trunk_refs(row.rule, [*row.stack, row.rule])
    got = [(r.field, r.resource.name if r.resource else r.trunk_id, r.via) for r in refs.refs]
    assert (refs.wildcard, got, refs.resolved) == (row.wildcard, list(row.refs), row.resolved)
    # The stack-wide resolution gives every rule the same answer.
    stack_refs = dict((r.urn, refs) for r, refs in StackReferences([*row.stack, row.rule]).rules)
    assert stack_refs[row.rule.urn] == refs


def test_every_case_has_rows() -> None:
    cases = {via for row in ROWS for _, _, via in row.refs}
    assert cases == {OUTPUT, STACK_ID, EXTERNAL_ID}
    assert any(not row.resolved for row in ROWS)
    assert any(row.wildcard for row in ROWS)


def test_resources_are_the_named_trunks_of_the_stack_in_order() -> None:
    rule = dispatch("calls", deps(new_sales), trunk_ids=["ST_support", "ST_ext", UNKNOWN])
    refs = trunk_refs(rule, [support, new_sales, rule])
    assert [r.name for r in refs.resources()] == ["support", "sales"]


def test_identity_is_the_same_for_every_way_of_naming_a_trunk() -> None:
    by_id = trunk_refs(dispatch("a", trunk_ids=["ST_support"]), [support])
    by_output = trunk_refs(dispatch("b", deps(support), trunk_ids=[UNKNOWN]), [support])
    external = trunk_refs(dispatch("c", trunk_ids=["ST_elsewhere"]), [support])
    assert by_id.refs[0].identity == by_output.refs[0].identity == support.urn
    assert external.refs[0].identity == "ST_elsewhere"


# StackReferences: which rules certainly route a trunk, and whether that is all of them.


def _names(rules: Sequence[StackResource]) -> list[str]:
    return [r.name for r in rules]


def test_stack_routing_by_id_output_and_wildcard() -> None:
    by_id = dispatch("by-id", trunk_ids=["ST_support"])
    by_output = dispatch("by-output", deps(sales), trunk_ids=[UNKNOWN])
    catch_all = dispatch("catch-all", trunk_ids=[])
    stack = StackReferences([support, sales, out, by_id, by_output, catch_all])
    assert stack.resolved
    assert _names(stack.routing(support)) == ["by-id", "catch-all"]
    assert _names(stack.routing(sales)) == ["by-output", "catch-all"]
    assert stack.routed(support) and stack.routed(sales)


def test_stack_without_wildcard_leaves_a_trunk_unrouted() -> None:
    stack = StackReferences([support, sales, dispatch("calls", trunk_ids=["ST_support"])])
    assert stack.resolved
    assert stack.routing(sales) == [] and not stack.routed(sales)


def test_stack_with_one_unresolved_rule_is_not_resolved() -> None:
    known = dispatch("known", trunk_ids=["ST_support"])
    partial = dispatch("partial", trunk_ids=["ST_sales", UNKNOWN])
    stack = StackReferences([support, sales, known, partial])
    assert not stack.resolved
    # What is known still holds: each trunk is certainly routed by the rule naming it.
    assert _names(stack.routing(support)) == ["known"]
    assert _names(stack.routing(sales)) == ["partial"]


def test_stack_rule_naming_a_trunk_twice_is_listed_once() -> None:
    rule = dispatch("calls", deps(support), trunk_ids=["ST_support", UNKNOWN, "ST_support"])
    assert _names(StackReferences([support, rule]).routing(support)) == ["calls"]


def test_stack_includes_rules_whose_props_are_all_unknown() -> None:
    unknown = resource(DISPATCH_RULE, "unknown", UNKNOWN)
    stack = StackReferences([support, unknown])
    assert [r.name for r, _ in stack.rules] == ["unknown"] and not stack.resolved


def test_component_children_route_like_any_resource() -> None:
    rule = line_rule([UNKNOWN])
    stack = StackReferences([line_trunk, rule, support])
    assert stack.resolved
    assert _names(stack.routing(line_trunk)) == ["line-rule"]
    assert not stack.routed(support)
