"""Open enums: the base of every generated enum class.

An API adds enum values as it evolves; a deployed client must keep working. A
value the spec does not list becomes a member made on the spot (not cached, so a
server cannot grow the class), and every member is its wire value: it compares
equal to the string (or integer), hashes like it and prints as it.
"""

from __future__ import annotations

from enum import Enum
from typing import Any


class OpenStrEnum(str, Enum):
    """A string enum that also holds values the spec does not list."""

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if not isinstance(value, str):
            return None
        member = str.__new__(cls, value)
        member._name_ = value
        member._value_ = value
        return member

    def __str__(self) -> str:
        return str.__str__(self)

    def __format__(self, spec: str) -> str:
        return str.__format__(str(self), spec)

    @property
    def is_known(self) -> bool:
        """Whether the spec lists this value (False for a value the server added since)."""
        return self._value_ in type(self)._value2member_map_


class OpenIntEnum(int, Enum):
    """An integer enum that also holds values the spec does not list."""

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if not isinstance(value, int) or isinstance(value, bool):
            return None
        member = int.__new__(cls, value)
        member._name_ = f"VALUE_{value}".replace("-", "MINUS_")
        member._value_ = value
        return member

    def __str__(self) -> str:
        return str(int(self))

    def __format__(self, spec: str) -> str:
        return int.__format__(int(self), spec)

    @property
    def is_known(self) -> bool:
        """Whether the spec lists this value (False for a value the server added since)."""
        return self._value_ in type(self)._value2member_map_
