"""The protocol mapping of the specs, derived from LiveKit's protobuf descriptors.

A spec declares each protocol field once, as a pydantic field named as in the message
(:attr:`MessageSpec.proto`). The conversions are not written per field: ``to_proto`` hands the
spec's values to ``json_format.ParseDict`` and ``outputs_from_proto`` reads the message back with
``json_format.MessageToDict``, walking the descriptor only where the plain JSON form is not the
outputs' form:

- a ``google.protobuf.Duration`` is a number of seconds (a float), None when unset;
- a nested message is the nested spec's outputs, None when the field is unset (or, for a spec
  with :attr:`MessageSpec.empty_is_none`, when the message is empty: the server treats an empty
  room configuration as none);
- of a ``oneof`` group (a dispatch rule's kind), only the member that is set appears;
- enums are their protocol names, secrets (``SecretStr``) their plain value: the providers keep a
  digest of ``auth_password`` in the outputs, never the password.

Protocol fields a spec does not expose are listed in :attr:`MessageSpec.omitted` with the reason;
a test walks the descriptors and fails on a field that is neither exposed nor listed.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping
from enum import Enum
from typing import Any, ClassVar

from google.protobuf import json_format
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.duration_pb2 import Duration
from google.protobuf.message import Message
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
        return json_format.ParseDict(self.proto_dict(), self.proto())

    def proto_dict(self) -> dict[str, Any]:
        """This spec in the protocol's JSON form (what ``json_format.ParseDict`` reads)."""
        fields = self.proto.DESCRIPTOR.fields_by_name
        return {
            name: _to_json(fields[name], value)
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
        data = json_format.MessageToDict(
            message,
            preserving_proto_field_name=True,
            always_print_fields_with_no_presence=True,
        )
        fields = message.DESCRIPTOR.fields_by_name
        outputs: dict[str, Any] = {}
        for name in cls.model_fields:
            field = fields[name]
            if _in_oneof_group(field) and message.WhichOneof(field.containing_oneof.name) != name:
                continue
            if field.message_type is not None and not _is_map(field):
                outputs[name] = _message_output(cls, field, message)
            else:  # absent: a field with presence (``optional``) that is not set
                outputs[name] = data.get(name)
        return outputs

    # -- state written by an earlier version -------------------------------------------------

    @classmethod
    def with_defaults(cls, recorded: Mapping[str, Any]) -> dict[str, Any]:
        """``recorded`` outputs with the fields they lack (state written before this version
        exposed them) filled in with the field's default, nested outputs included."""
        defaults = cls.message_outputs(cls.proto())
        filled = dict(recorded)
        for name in cls.model_fields:
            nested = nested_spec(cls, name)
            if name not in filled:
                if name in defaults:
                    filled[name] = defaults[name]
            elif nested is not None:
                filled[name] = _nested_with_defaults(nested, filled[name])
        return filled


def _nested_with_defaults(spec: type[MessageSpec], value: Any) -> Any:
    if isinstance(value, Mapping):
        return spec.with_defaults(value)
    if isinstance(value, list):
        return [_nested_with_defaults(spec, item) for item in value]
    return value


def _to_json(field: Any, value: Any) -> Any:
    if isinstance(value, MessageSpec):
        return value.proto_dict()
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list):
        return [_to_json(field, item) for item in value]
    if field.message_type is not None and field.message_type.full_name == _DURATION:
        duration = Duration()
        duration.FromNanoseconds(round(value * 1e9))
        return duration.ToJsonString()
    return value


def _message_output(cls: type[MessageSpec], field: Any, parent: Any) -> Any:
    """The output of a message-typed field (not a map) of ``parent``: seconds, a nested spec's
    outputs, or a list of them."""
    value = getattr(parent, field.name)
    if field.message_type.full_name == _DURATION:
        if not parent.HasField(field.name):
            return None
        return value.ToNanoseconds() / 1e9
    nested = nested_spec(cls, field.name)
    assert nested is not None, f"{cls.__name__}.{field.name} needs a nested spec"
    if _is_repeated(field):
        return [nested.message_outputs(item) for item in value]
    if not parent.HasField(field.name):
        return None
    return nested.outputs_from_proto(value)


def _is_repeated(field: Any) -> bool:
    return field.label == FieldDescriptor.LABEL_REPEATED


def _is_map(field: Any) -> bool:
    message: Descriptor | None = field.message_type
    return message is not None and message.GetOptions().map_entry


def _in_oneof_group(field: Any) -> bool:
    """A member of a real ``oneof`` (a proto3 ``optional`` is a oneof of one: not a group)."""
    oneof = field.containing_oneof
    return oneof is not None and len(oneof.fields) > 1


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
