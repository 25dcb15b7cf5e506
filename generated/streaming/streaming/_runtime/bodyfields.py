"""Keyword bodies: the top-level fields of a request body given as keyword arguments.

Generated methods pass every field keyword as ``{wire_name: value}``, with ``OMIT``
for the ones the caller left out, next to the optional whole ``body=`` (a model or
a dict). Here the two become the one body that is encoded: the given fields win
over the same keys of ``body``; ``None`` stays, to send an explicit JSON null.
"""

from __future__ import annotations

from typing import Any, Mapping

import pydantic

from .endpoint import Endpoint
from .options import Omit

__all__ = ["merge_fields"]


def merge_fields(endpoint: Endpoint[Any], body: Any, fields: Mapping[str, Any]) -> Any:
    """The body to send; TypeError when required fields are missing and no ``body=`` came."""
    given = {name: value for name, value in fields.items() if not isinstance(value, Omit)}
    if body is None:
        if not given and not endpoint.body_required:
            return None
        missing = [py for wire, py in endpoint.body_required_fields if wire not in given]
        if missing:
            names = ", ".join(missing)
            raise TypeError(
                f"{endpoint.operation_id}: missing required body field(s) {names} "
                f"(pass them as keyword arguments, or the whole body)"
            )
        return given
    if not given:
        return body
    if isinstance(body, pydantic.BaseModel):
        merged: dict[str, Any] = body.model_dump(mode="python", by_alias=True, exclude_unset=True)
    elif isinstance(body, Mapping):
        merged = dict(body)
    else:
        raise TypeError(
            f"{endpoint.operation_id}: body fields given as keywords need a model or a "
            f"mapping as body, not {type(body).__name__}"
        )
    merged.update(given)
    return merged
