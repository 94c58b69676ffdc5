"""Checks that run in the program process, before a resource reaches the engine.

Most bad input is refused by the providers' ``check`` during ``pulumi preview``. What cannot
wait for it is checked here and raised as :class:`InputError`, a ``pulumi.RunError``: the
Pulumi SDK shows its message and no Python traceback.

- arguments the resource cannot take (an unknown keyword, a dict or another class as ``args``);
- values the engine cannot be sent (a ``set``, whose order is arbitrary; a string with a lone
  surrogate, which is not UTF-8; objects that are not strings, numbers, lists or mappings);
- two resources of one kind with the same explicit ``name``, or two adopting the same object
  (``adopt_id``), in one program run. The registry belongs to the run: an Automation API
  program that runs several times in one Python process starts afresh each time.
"""

from __future__ import annotations

import dataclasses
import difflib
import inspect
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import pulumi
from pulumi import RunError
from pulumi.runtime import settings

from .errors import Problem, SpecError
from .specs import (
    ADOPT_ID,
    ADOPT_ONLY_IF_MATCHING,
    DISPATCH_RULE_ID_PREFIX,
    ErrorType,
    SipSpec,
    misplaced_field,
    quote,
)

__all__ = [
    "ADOPT_ID",
    "ADOPT_ONLY_IF_MATCHING",
    "InputError",
    "check_arguments",
    "check_values",
    "declare_unique",
    "resource_label",
]


class InputError(SpecError, RunError):
    """Bad input found in the program process, before the engine sees the resource.

    It is a :class:`pulumi.RunError`, which the Pulumi SDK reports as a plain error message,
    without the Python traceback it prints for other exceptions. ``resource`` names what was
    being declared (``SipInboundTrunk 'support'``, ``TelnyxOutbound``); each problem's message
    ends with the fix and the documentation link.
    """

    def __init__(self, resource: str, kind: str, problems: Iterable[Sequence[str]]) -> None:
        self.resource = resource
        super().__init__(kind, problems)
        lines = "\n".join(f"  - {field}: {message}" for field, message in self.problems)
        Exception.__init__(self, f"{resource}: invalid {kind}:\n{lines}")


def resource_label(class_name: str, resource_name: str) -> str:
    """How messages name a resource: ``SipInboundTrunk 'support'``."""
    return f"{class_name} {quote(resource_name, 80)}"


def _fail(label: str, spec_class: type[SipSpec], problems: list[Problem]) -> InputError:
    return InputError(
        label,
        spec_class.kind,
        [Problem(p.field, f"{p.message}. See {spec_class.docs_url}", p.code) for p in problems],
    )


# --- arguments --------------------------------------------------------------------------------


def check_arguments(
    label: str,
    spec_class: type[SipSpec],
    args_class: type[Any],
    args: Any,
    kwargs: Mapping[str, Any],
) -> None:
    """Refuse ``args`` that are not ``args_class`` and keyword arguments that are no field."""
    class_name = label.split(" ", 1)[0]
    if args is not None and not isinstance(args, args_class):
        if isinstance(args, Mapping):
            fix = (
                f"got a dict; pass the fields as keyword arguments ({class_name}(name, "
                f"**fields)) or as {args_class.__name__}(**fields)"
            )
        else:
            fix = f"must be {args_class.__name__}, not {type(args).__name__}"
        raise _fail(label, spec_class, [Problem("args", fix, ErrorType.ARGUMENTS)])
    known = sorted({*spec_class.model_fields, ADOPT_ID, ADOPT_ONLY_IF_MATCHING})
    problems = []
    for name in sorted(set(kwargs) - set(known), key=str):
        where = quote(name, 40) if not str(name).isidentifier() else str(name)
        is_rule = spec_class.id_prefix == DISPATCH_RULE_ID_PREFIX
        belongs = misplaced_field(str(name)) if is_rule else None
        if belongs is not None:
            message = f"is not an argument of {class_name}: it belongs in {belongs}"
        else:
            close = difflib.get_close_matches(str(name), known, n=1)
            hint = f"did you mean {close[0]}? " if close else ""
            message = (
                f"is not an argument of {class_name}; {hint}the arguments are the fields of "
                f"{spec_class.kind} ({', '.join(known)})"
            )
        problems.append(Problem(where, message, ErrorType.ARGUMENTS))
    if problems:
        raise _fail(label, spec_class, problems)


# --- values the engine cannot carry -----------------------------------------------------------


def _value_problems(value: Any, path: str) -> list[Problem]:
    if value is None or isinstance(value, (bool, int, float, Enum)):
        return []
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return [
                Problem(
                    path,
                    f"{quote(value)} contains a lone surrogate character, which cannot be sent "
                    "as UTF-8; remove it (it usually comes from decoding bytes with "
                    "'surrogateescape')",
                    ErrorType.STRING_UNENCODABLE,
                )
            ]
        return []
    if isinstance(value, pulumi.Output) or inspect.isawaitable(value):
        return []  # checked by the provider once known
    if isinstance(value, (set, frozenset)):
        return [
            Problem(
                path,
                "a set has no order, so every run would declare the entries in another order: "
                "pass a list (e.g. sorted(...))",
                "list_type",
            )
        ]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _values_problems(
            {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}, path
        )
    if isinstance(value, Mapping):
        problems = [
            Problem(path, f"keys must be strings, not {type(key).__name__}", "dict_type")
            for key in value
            if not isinstance(key, str)
        ]
        problems.extend(
            problem
            for key in value
            if isinstance(key, str)
            for problem in _value_problems(key, f"{path} (a key)")
        )
        return problems + _values_problems(
            {str(k): v for k, v in value.items() if isinstance(k, str)}, path
        )
    if isinstance(value, (list, tuple)):
        return [p for i, item in enumerate(value) for p in _value_problems(item, f"{path}[{i}]")]
    return [
        Problem(
            path,
            f"a {type(value).__name__} cannot be sent to the engine: give a string, number, "
            "boolean, list or mapping (or a Pulumi Output of one)",
            "invalid_type",
        )
    ]


def _values_problems(values: Mapping[str, Any], prefix: str) -> list[Problem]:
    return [
        problem
        for key, value in values.items()
        for problem in _value_problems(value, f"{prefix}.{key}" if prefix else key)
    ]


def check_values(label: str, spec_class: type[SipSpec], values: Mapping[str, Any]) -> None:
    """Refuse values that would crash the serialization to the engine (with a traceback)."""
    problems = _values_problems(values, "")
    if problems:
        raise _fail(label, spec_class, problems[:10])


# --- one name, one adopted object per resource ------------------------------------------------


@dataclass
class _Declared:
    """What one program run has declared: (kind, name) -> label, adopt_id -> label."""

    names: dict[tuple[str, str], str] = field(default_factory=dict)
    adopted: dict[str, str] = field(default_factory=dict)


_RUNS: weakref.WeakKeyDictionary[Any, _Declared] = weakref.WeakKeyDictionary()


def _declared() -> _Declared:
    """The registry of the program run in progress, keyed by its resource monitor (a new one
    each run: ``pulumi.runtime.settings.reset_options`` connects a new stub)."""
    monitor = settings.get_monitor()
    if monitor is None:
        return _Declared()  # not in a Pulumi run: nothing is deployed, nothing to compare
    declared = _RUNS.get(monitor)
    if declared is None:
        declared = _RUNS[monitor] = _Declared()
    return declared


def _register_name(label: str, spec_class: type[SipSpec], name: Any) -> None:
    if not isinstance(name, str) or not name:
        return
    # Keyed by the kind of object, so a subclass of SipInboundTrunk shares its names.
    names = _declared().names
    other = names.setdefault((spec_class.kind, name), label)
    if other != label:
        raise _fail(
            label,
            spec_class,
            [
                Problem(
                    "name",
                    f"{quote(name)} is also the name of {other} in this stack; give each "
                    f"{spec_class.kind} its own name (an interrupted `pulumi up` recognizes its "
                    "objects by name, and `lk sip` listings and the policy pack tell them apart "
                    "by name)",
                    ErrorType.DUPLICATE_NAME,
                )
            ],
        )


def _register_adopt_id(label: str, spec_class: type[SipSpec], adopt_id: Any) -> None:
    if not isinstance(adopt_id, str) or not adopt_id:
        return
    adopted = _declared().adopted
    other = adopted.setdefault(adopt_id, label)
    if other != label:
        raise _fail(
            label,
            spec_class,
            [
                Problem(
                    ADOPT_ID,
                    f"{quote(adopt_id)} is also adopted by {other} in this stack; two resources "
                    "managing one LiveKit object would overwrite each other on every update: "
                    "remove adopt_id from one of them",
                    ErrorType.DUPLICATE_ADOPT_ID,
                )
            ],
        )


def declare_unique(
    label: str,
    spec_class: type[SipSpec],
    explicit_name: Any,
    adopt_id: Any,
) -> tuple[Any, Any]:
    """Register an explicit ``name`` and an ``adopt_id`` for this run; refuse a second
    resource of the same kind with the same name, and a second adopter of an ID.

    Plain values are checked now. Outputs are checked when they resolve: the returned values
    (the same Outputs, passed through a check) replace them in the resource's inputs, so a
    duplicate fails the registration and the run, cleanly."""

    def deferred(value: Any, register: Callable[[Any], None]) -> Any:
        if isinstance(value, pulumi.Output) or inspect.isawaitable(value):

            def run(resolved: Any) -> Any:
                register(resolved)
                return resolved

            return pulumi.Output.from_input(value).apply(run)
        register(value)
        return value

    name = deferred(explicit_name, lambda v: _register_name(label, spec_class, v))
    adopt = deferred(adopt_id, lambda v: _register_adopt_id(label, spec_class, v))
    return name, adopt
