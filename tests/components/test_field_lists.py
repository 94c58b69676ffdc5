"""The field lists that editors and type checkers read (the ``...Args`` dataclasses and the
resources' ``Output`` annotations) agree with the specs, the one declaration of each protocol
field; and every Args field carries a docstring (editors show it on hover)."""

from __future__ import annotations

import ast
import dataclasses
import inspect
from typing import Any

import pytest
from livekit_sip_pulumi import resources
from livekit_sip_pulumi.messages import MessageSpec
from livekit_sip_pulumi.resources import (
    RoomAgentDispatchArgs,
    RoomConfigurationArgs,
    SipCodecArgs,
    SipDispatchRule,
    SipDispatchRuleArgs,
    SipDispatchRuleCalleeArgs,
    SipDispatchRuleDirectArgs,
    SipDispatchRuleIndividualArgs,
    SipInboundTrunk,
    SipInboundTrunkArgs,
    SipMediaConfigArgs,
    SipOutboundTrunk,
    SipOutboundTrunkArgs,
)
from livekit_sip_pulumi.specs import (
    RoomAgentDispatchSpec,
    RoomConfigurationSpec,
    SipCodecSpec,
    SipDispatchRuleCalleeSpec,
    SipDispatchRuleDirectSpec,
    SipDispatchRuleIndividualSpec,
    SipDispatchRuleKindSpec,
    SipDispatchRuleSpec,
    SipInboundTrunkSpec,
    SipMediaConfigSpec,
    SipOutboundTrunkSpec,
)

ADOPTION = {"adopt_id", "adopt_only_if_matching"}

OBJECTS = [
    (SipInboundTrunk, SipInboundTrunkArgs, SipInboundTrunkSpec, "sip_trunk_id"),
    (SipOutboundTrunk, SipOutboundTrunkArgs, SipOutboundTrunkSpec, "sip_trunk_id"),
    (SipDispatchRule, SipDispatchRuleArgs, SipDispatchRuleSpec, "sip_dispatch_rule_id"),
]
NESTED = [
    (SipCodecArgs, SipCodecSpec),
    (SipMediaConfigArgs, SipMediaConfigSpec),
    (SipDispatchRuleDirectArgs, SipDispatchRuleDirectSpec),
    (SipDispatchRuleIndividualArgs, SipDispatchRuleIndividualSpec),
    (SipDispatchRuleCalleeArgs, SipDispatchRuleCalleeSpec),
    (RoomAgentDispatchArgs, RoomAgentDispatchSpec),
    (RoomConfigurationArgs, RoomConfigurationSpec),
]


def field_names(args_class: type[Any]) -> set[str]:
    return {f.name for f in dataclasses.fields(args_class)}


@pytest.mark.parametrize(("resource", "args", "spec", "id_field"), OBJECTS)
def test_object_field_lists_agree(
    resource: type[Any], args: type[Any], spec: type[MessageSpec], id_field: str
) -> None:
    fields = set(spec.model_fields)
    assert field_names(args) == fields | ADOPTION
    assert set(inspect.get_annotations(resource)) == fields | ADOPTION | {id_field}
    # The outputs hold every field, set or not (the state of an empty and of a full object).
    assert set(spec.outputs_from_proto(spec.proto())) == fields


@pytest.mark.parametrize(("args", "spec"), NESTED)
def test_nested_field_lists_agree(args: type[Any], spec: type[MessageSpec]) -> None:
    assert field_names(args) == set(spec.model_fields)
    assert set(spec.message_outputs(spec.proto())) == set(spec.model_fields)


def test_rule_kinds_agree() -> None:
    kinds = {args.rule_key for args, _spec in NESTED if hasattr(args, "rule_key")}
    assert kinds == set(SipDispatchRuleKindSpec.model_fields)


def args_docstrings() -> dict[str, dict[str, str | None]]:
    """For each ``...Args`` class of resources.py, each field's docstring (None if it has
    none): the string literal right after the field, as editors read it."""
    tree = ast.parse(inspect.getsource(resources))
    found: dict[str, dict[str, str | None]] = {}
    for node in tree.body:
        if not (isinstance(node, ast.ClassDef) and node.name.endswith("Args")):
            continue
        docs: dict[str, str | None] = {}
        for statement, following in zip(node.body, [*node.body[1:], None], strict=True):
            if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
                if "ClassVar" in ast.unparse(statement.annotation):
                    continue
                is_doc = (
                    isinstance(following, ast.Expr)
                    and isinstance(following.value, ast.Constant)
                    and isinstance(following.value.value, str)
                )
                doc = following.value.value if is_doc else None  # type: ignore[union-attr]
                docs[statement.target.id] = doc
        found[node.name] = docs
    return found


def test_every_args_field_has_a_docstring() -> None:
    docs = args_docstrings()
    assert set(docs) >= {args.__name__ for _r, args, _s, _i in OBJECTS} | {
        args.__name__ for args, _spec in NESTED
    }
    missing = [
        f"{cls}.{name}" for cls, fields in docs.items() for name, doc in fields.items() if not doc
    ]
    assert missing == []
    for cls, fields in docs.items():
        assert set(fields) == field_names(getattr(resources, cls)), cls
