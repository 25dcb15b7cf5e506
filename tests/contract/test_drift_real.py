"""Stripe and Twilio clients on drifted responses: a new enum value and new fields.

The responses are synthesised from the specs in specs/real/ (neither spec carries
examples for these operations), then drifted the way these APIs routinely do. The
call must succeed, strict or not, sync and async, and the values compare equal to
their wire strings.
"""

from __future__ import annotations

import asyncio
import copy
import functools
import importlib
from typing import Any

import httpx
import pytest

from apigen.build import build_api
from apigen.loader import load
from apigen.normalize import normalize
from support import import_generated
from synth import SpecSchemas, Synth

# package -> (operationId, path arguments, the enum field, its new value, a value the spec lists)
CASES = {
    "contract_stripe": (
        "GetPaymentIntentsIntent",
        ("pi_123",),
        "status",
        "requires_new_step_2026",
        "succeeded",
    ),
    "contract_twilio": (
        "FetchMessage",
        ("AC123", "SM123"),
        "status",
        "queued_for_review_2026",
        "delivered",
    ),
}


_CASES_MADE: dict[str, tuple[Any, Any, dict[str, Any]]] = {}


def _case(name: str, real_clients: dict[str, Any]) -> tuple[Any, Any, dict[str, Any]]:
    """The package, the operation in the IR, and a response synthesised for it (made once)."""
    if name not in _CASES_MADE:
        _CASES_MADE[name] = _make_case(name, real_clients)
    pkg, where, answer = _CASES_MADE[name]
    return pkg, where, copy.deepcopy(answer)


def _make_case(name: str, real_clients: dict[str, Any]) -> tuple[Any, Any, dict[str, Any]]:
    spec_path, project = real_clients[name]
    normalized = normalize(load(str(spec_path)))
    schemas = SpecSchemas(copy.deepcopy(normalized))
    op_id = CASES[name][0]
    resource, op = next(
        (r, o)
        for r in build_api(normalized).resources
        for o in r.operations
        if o.operation_id == op_id
    )
    raw = next(
        o
        for item in schemas.doc["paths"].values()
        for o in item.values()
        if isinstance(o, dict) and o.get("operationId") == op_id
    )
    schema = schemas.deref(raw["responses"]["200"])["content"]["application/json"]["schema"]
    answer = Synth(schemas, direction="response").value(schema)
    return import_generated(name, project), (resource.attr_path, op.py_name), answer


# the operations need credentials (the client refuses to send without them)
CREDENTIALS: dict[str, dict[str, Any]] = {
    "contract_stripe": {"basic_auth": "sk_test_123"},
    "contract_twilio": {"api_key": ("AC123", "token")},
}


def _drifted(answer: dict[str, Any], field: str, value: str) -> dict[str, Any]:
    return {**answer, field: value, "apigen_new_field": {"added": ["later"]}, "risk_level": 3}


@pytest.mark.parametrize("name", list(CASES))
def test_a_new_enum_value_and_new_fields_keep_the_call_working(
    name: str, real_clients: dict[str, Any]
) -> None:
    pkg, (resource, method), answer = _case(name, real_clients)
    _, args, field, new_value, known = CASES[name]
    models = importlib.import_module(f"{name}.models")
    for body, expected in (
        (_drifted(answer, field, new_value), new_value),
        ({**answer, field: known}, known),
    ):
        http = httpx.Client(
            transport=httpx.MockTransport(lambda r, body=body: httpx.Response(200, json=body))
        )
        client = pkg.Client(
            base_url="https://api.test", http_client=http, max_retries=0, **CREDENTIALS[name]
        )
        for strict in (False, True):
            result = getattr(functools.reduce(getattr, resource, client), method)(
                *args, strict_responses=strict
            )
            status = getattr(result, field)
            assert status == expected and str(status) == expected
            enum_class = type(status)
            assert enum_class.__module__.startswith(f"{name}.models") and hasattr(
                models, enum_class.__name__
            )
            assert status.is_known is (expected == known)
            if expected == new_value:
                assert result.model_extra["apigen_new_field"] == {"added": ["later"]}
                assert (
                    result.model_dump(mode="json", by_alias=True)[field] == new_value
                )  # kept as it came


@pytest.mark.parametrize("name", list(CASES))
def test_the_async_client_keeps_the_new_enum_value(name: str, real_clients: dict[str, Any]) -> None:
    pkg, (resource, method), answer = _case(name, real_clients)
    _, args, field, new_value, _ = CASES[name]
    body = _drifted(answer, field, new_value)

    async def main() -> Any:
        http = httpx.AsyncClient(
            transport=httpx.MockTransport(lambda r: httpx.Response(200, json=body))
        )
        async with pkg.AsyncClient(
            base_url="https://api.test", http_client=http, max_retries=0, **CREDENTIALS[name]
        ) as client:
            return await getattr(functools.reduce(getattr, resource, client), method)(
                *args, strict_responses=True
            )

    result = asyncio.run(main())
    assert getattr(result, field) == new_value
