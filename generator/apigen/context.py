"""What the detectors of one spec share while the IR is built.

``paging``, ``envelope`` and ``webhooks`` read the spec through this context (refs
resolved, the schema registry, where to report what they skip) rather than through
``build.ApiBuilder``, so that no detector depends on the builder that calls it.
"""

from __future__ import annotations

from typing import Any

from .ir import Skipped
from .spec_walk import resolve_pointer
from .schemas import SchemaRegistry


def mapping(value: Any) -> dict[Any, Any]:
    """``value`` when it is a mapping, else an empty one: the spec is untrusted, and
    validation reports a wrong type where it matters (a string where content belongs)."""
    return value if isinstance(value, dict) else {}


def sequence(value: Any) -> list[Any]:
    """``value`` when it is a list, else an empty one (see ``mapping``)."""
    return value if isinstance(value, list) else []


class SpecContext:
    """One normalised spec, its schema registry, and the list of what was skipped."""

    def __init__(self, spec: dict[str, Any], env_prefix: str) -> None:
        self.spec = spec
        self.env_prefix = env_prefix
        self.registry = SchemaRegistry(spec)
        self.skipped: list[Skipped] = []

    def deref(self, node: Any, depth: int = 0) -> Any:
        """``node`` with local ``$ref``s followed; None for a ref that leads nowhere."""
        while isinstance(node, dict) and isinstance(node.get("$ref"), str) and depth < 50:
            try:
                node = resolve_pointer(self.spec, node["$ref"])
            except (KeyError, IndexError, ValueError, TypeError):
                return None  # a ref where check_refs does not look (an example, a default)
            depth += 1
        return node

    def skip(self, where: str, reason: str) -> None:
        """Record a part of the spec that the client does not express, and why."""
        self.skipped.append(Skipped(where, reason))
