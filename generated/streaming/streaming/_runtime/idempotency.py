"""Automatic idempotency keys: what makes a POST or PATCH safe to send again.

An operation whose API takes an idempotency key (a declared ``Idempotency-Key`` header,
Stripe, or the generator's configuration) names the header in its ``Endpoint``. A call
without a key of its own then gets a fresh random one, written once into the request's
headers, so every retry of that call carries the same key and the server applies it at
most once. Such a call is retried on 5xx and connection errors like a GET; a POST to an
API that takes no key is never sent twice unless the server cannot have seen it.
"""

from __future__ import annotations

import uuid
from typing import MutableMapping

__all__ = ["ensure_idempotency_key", "new_idempotency_key"]


def new_idempotency_key() -> str:
    """A random version-4 UUID, the form Stripe and the IETF draft suggest."""
    return str(uuid.uuid4())


def ensure_idempotency_key(headers: MutableMapping[str, str], header: str) -> bool:
    """Keep the caller's key under ``header`` (any spelling of the name), or add one;
    True: the call is now safe to retry."""
    wanted = header.lower()
    for name, value in headers.items():
        if name.lower() == wanted and value:
            return True
    headers[header] = new_idempotency_key()
    return True
