"""The base classes of the generated models (``_generated/models.py``)."""

from __future__ import annotations

import enum
from typing import Any, ClassVar, Generic, Optional, TypeVar, cast

from google.protobuf import text_format
from google.protobuf.message import Message

__all__ = ["ProtoEnum", "ProtoView"]

M = TypeVar("M", bound=Message)

# Format specs that ask for a number: `f"{status:d}"` is the number, `f"{status}"` the name.
_NUMBER_FORMATS = frozenset("bcdeEfFgGnoxX%")


class ProtoEnum(enum.IntEnum):
    """A proto enum: an ``int`` (equal to the wire value and the ``pb`` constant)
    whose ``str()`` and ``print()`` give the name, e.g. ``HEALTHY``.

    A value this SDK does not know (a newer server) is still a member, named
    ``UNKNOWN_<n>``, rather than an error.
    """

    def __str__(self) -> str:
        return self.name

    def __format__(self, spec: str) -> str:
        if spec and spec[-1] in _NUMBER_FORMATS:
            return int.__format__(int(self), spec)
        return format(self.name, spec)

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if not isinstance(value, int) or isinstance(value, bool):
            return None
        member = int.__new__(cls, value)
        member._name_ = f"UNKNOWN_{value}"
        member._value_ = value
        return member


class ProtoView(Generic[M]):
    """A read-only view of one protobuf message, as the client hands it out:
    every field is a property, proto enums are :class:`ProtoEnum` members,
    sub-messages are views, repeated fields are lists, and the well-known types
    (``Timestamp``, ``Duration``) are the protobuf messages themselves.

    ``to_proto()`` gives the message underneath.
    """

    __slots__ = ("_proto",)
    _proto_class: ClassVar[type[Message]]

    def __init__(self, proto: Optional[M] = None) -> None:
        self._proto: M = proto if proto is not None else cast(M, self._proto_class())

    def to_proto(self) -> M:
        """The protobuf message this view reads."""
        return self._proto

    def HasField(self, field_name: str) -> bool:  # noqa: N802 (protobuf's name)
        """Whether a message field, an optional field or a oneof is set."""
        return self._proto.HasField(field_name)

    def WhichOneof(self, oneof_group: str) -> Optional[str]:  # noqa: N802 (protobuf's name)
        """The name of the field set in the oneof, or None."""
        return cast(Optional[str], self._proto.WhichOneof(oneof_group))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ProtoView):
            return type(self) is type(other) and self._proto == other._proto
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # like the messages: mutable underneath

    def __repr__(self) -> str:
        return f"{type(self).__name__}({text_format.MessageToString(self._proto, as_one_line=True)})"

    def __str__(self) -> str:
        return str(self._proto)
