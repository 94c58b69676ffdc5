"""The protocol mapping of the specs, derived from LiveKit's protobuf descriptors.

A spec declares each protocol field once, as a pydantic field named as in the message
(:attr:`MessageSpec.proto`). The conversions are not written per field: ``to_proto`` hands the
spec's values to the message's constructor (which takes nested messages as dicts and enums by
name), and ``outputs_from_proto`` walks the message's descriptor. The outputs have the shape of
``json_format.MessageToDict(preserving_proto_field_name=True)`` with default values printed,
except:

- a ``google.protobuf.Duration`` is a number of seconds (a float), None when unset;
- a field with presence (a nested message, an ``optional`` scalar) is None when unset, and a
  spec with :attr:`MessageSpec.empty_is_none` reads back as None when its message is empty (the
  server does not tell an empty room configuration from none);
- of a ``oneof`` group (a dispatch rule's kind), only the member that is set appears;
- secrets (``SecretStr``) go to the message in plain text; the providers keep a digest of
  ``auth_password`` in the outputs, never the password.

``json_format`` (``ParseDict``, ``MessageToDict``) gives the same messages and outputs at about
three times the cost, and the providers convert every resource on every check and diff.

Protocol fields a spec does not expose are listed in :attr:`MessageSpec.omitted` with the reason;
a test walks the descriptors and fails on a field that is neither exposed nor listed.

To expose a field: move it from ``omitted`` to the spec's fields (the protocol's name, the type
that validates it), and add it to the ``...Args`` dataclass in resources.py with a docstring
(and, on a top-level object, to the resource's ``Output`` annotations: editors and type checkers
read those, and a test holds them to the spec). Then regenerate the golden record of the
conversions (``python -m tests.components.test_fields``) and add an end-to-end test that reads
the field back from the server.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping
from enum import Enum
from typing import Any, ClassVar

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.duration_pb2 import Duration
from google.protobuf.message import Message
from livekit_sip_core import duration_nanoseconds
from pydantic import BaseModel, SecretStr

__all__ = ["SERVER_ASSIGNED", "MessageSpec", "nested_spec"]

#: The :attr:`MessageSpec.omitted` reason of the fields LiveKit fills in (IDs, timestamps).
SERVER_ASSIGNED = "assigned by the server"

_DURATION = Duration.DESCRIPTOR.full_name


class MessageSpec(BaseModel):
    """A spec of one protocol message: its fields are the message's, by name."""

    #: The protobuf message class this spec declares.
    proto: ClassVar[type[Message]]
    #: The message's fields this spec does not expose, each with the reason.
    omitted: ClassVar[Mapping[str, str]] = {}
    #: Whether an empty message reads back as None (the server does not tell empty from unset).
    empty_is_none: ClassVar[bool] = False

    # -- to the protocol ---------------------------------------------------------------------

    def to_proto(self) -> Any:
        """The protocol message of this spec (fields left None are left unset)."""
        return self.proto(**self.proto_fields())

    def proto_fields(self) -> dict[str, Any]:
        """The message's constructor arguments: nested specs as dicts, enums by name, seconds
        as ``Duration``, secrets in plain text; fields left None are left out."""
        fields = self.proto.DESCRIPTOR.fields_by_name
        return {
            name: _to_proto(fields[name], value)
            for name in type(self).model_fields
            if (value := getattr(self, name)) is not None
        }

    # -- from the protocol -------------------------------------------------------------------

    @classmethod
    def outputs_from_proto(cls, message: Any) -> dict[str, Any] | None:
        """The plain values of ``message`` (every field this spec exposes), as outputs keep them;
        None for an empty message when :attr:`empty_is_none`."""
        if cls.empty_is_none and message.ByteSize() == 0:
            return None
        return cls.message_outputs(message)

    @classmethod
    def message_outputs(cls, message: Any) -> dict[str, Any]:
        """:meth:`outputs_from_proto`, also for an empty message."""
        fields = message.DESCRIPTOR.fields_by_name
        outputs: dict[str, Any] = {}
        for name in cls.model_fields:
            field = fields[name]
            oneof = field.containing_oneof
            # Of a oneof group, only the member that is set (a proto3 `optional` is a oneof of
            # one field: not a group).
            if oneof and len(oneof.fields) > 1 and message.WhichOneof(oneof.name) != name:
                continue
            outputs[name] = _output(cls, field, message)
        return outputs

    # -- state written by an earlier version -------------------------------------------------

    @classmethod
    def with_defaults(cls, recorded: Mapping[str, Any]) -> dict[str, Any]:
        """``recorded`` outputs with the fields they lack (state written before this version
        exposed them) filled in with the field's default, nested outputs included."""
        defaults = _defaults(cls)
        filled = dict(recorded)
        for name in cls.model_fields:
            nested = nested_spec(cls, name)
            if name not in filled:
                if name in defaults:
                    filled[name] = defaults[name]
            elif nested is not None:
                filled[name] = _nested_with_defaults(nested, filled[name])
        return filled


_DEFAULTS: dict[type[MessageSpec], dict[str, Any]] = {}


def _defaults(cls: type[MessageSpec]) -> dict[str, Any]:
    if cls not in _DEFAULTS:
        _DEFAULTS[cls] = cls.message_outputs(cls.proto())
    return _DEFAULTS[cls]


def _nested_with_defaults(spec: type[MessageSpec], value: Any) -> Any:
    if isinstance(value, Mapping):
        return spec.with_defaults(value)
    if isinstance(value, list):
        return [_nested_with_defaults(spec, item) for item in value]
    return value


def _to_proto(field: Any, value: Any) -> Any:
    if isinstance(value, MessageSpec):
        return value.proto_fields()
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list):
        return [_to_proto(field, item) for item in value]
    if field.message_type is not None and field.message_type.full_name == _DURATION:
        duration = Duration()
        duration.FromNanoseconds(duration_nanoseconds(value))
        return duration
    return value


def _output(cls: type[MessageSpec], field: Any, message: Any) -> Any:
    """The output of ``field`` of ``message``."""
    value = getattr(message, field.name)
    repeated = field.label == FieldDescriptor.LABEL_REPEATED
    kind = field.message_type
    if kind is not None and kind.GetOptions().map_entry:
        return dict(value)
    if field.has_presence and not message.HasField(field.name):
        return None
    if kind is not None:
        if kind.full_name == _DURATION:
            return value.ToNanoseconds() / 1e9
        nested = nested_spec(cls, field.name)
        assert nested is not None, f"{cls.__name__}.{field.name} needs a nested spec"
        if repeated:
            return [nested.message_outputs(item) for item in value]
        return nested.outputs_from_proto(value)
    if field.enum_type is not None:
        names = field.enum_type.values_by_number
        if repeated:
            return [names[item].name if item in names else item for item in value]
        return names[value].name if value in names else value
    return list(value) if repeated else value


_NESTED: dict[tuple[type[MessageSpec], str], type[MessageSpec] | None] = {}


def nested_spec(cls: type[MessageSpec], name: str) -> type[MessageSpec] | None:
    """The spec of field ``name`` of ``cls`` when it is a nested message (or a list of them),
    read from the field's annotation."""
    key = (cls, name)
    if key not in _NESTED:
        _NESTED[key] = _spec_in(cls.model_fields[name].annotation)
    return _NESTED[key]


def _spec_in(annotation: Any) -> type[MessageSpec] | None:
    if isinstance(annotation, type) and issubclass(annotation, MessageSpec):
        return annotation
    for argument in typing.get_args(annotation):  # X | None, list[X], Annotated[X, ...]
        found = _spec_in(argument)
        if found is not None:
            return found
    return None
