"""Automatic idempotency keys against a loopback server: a keyed POST is retried with the
same key; a POST without a key is never sent twice."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from apigen.runtime import (
    APIConnectionError,
    AsyncAPIClient,
    Endpoint,
    InternalServerError,
    RequestOptions,
    ResponseType,
    RetryPolicy,
    SyncAPIClient,
)
from rt_faultserver import FaultServer, Reply, Req

OK = {"200": ResponseType("json")}
KEYED = Endpoint(
    "POST",
    "/charges",
    "create_charge",
    responses=OK,
    body_kind="json",
    idempotency_header="Idempotency-Key",
)
KEYED_PATCH = Endpoint(
    "PATCH",
    "/charges",
    "update_charge",
    responses=OK,
    body_kind="json",
    idempotency_header="Idempotency-Key",
)
PLAIN = Endpoint("POST", "/plain", "create_plain", responses=OK, body_kind="json")


def _no_sleep(seconds: float) -> None:
    pass


async def _no_async_sleep(seconds: float) -> None:
    pass


def _settings(server: FaultServer, **kw: Any) -> dict[str, Any]:
    retry = RetryPolicy(sleep=_no_sleep, async_sleep=_no_async_sleep)
    return dict(
        base_url=server.url,
        package="t",
        version="1",
        retry=retry,
        max_retries=3,
        circuit_breaker=None,
        **kw,
    )


def _fail_then_succeed(*failures: Reply) -> Any:
    """Answer the n-th request to a path with the n-th failure, then 200."""

    def route(req: Req) -> Reply:
        if req.n <= len(failures):
            return failures[req.n - 1]
        return Reply(200, json={"n": req.n})

    return route


def _keys(server: FaultServer, path: str) -> list[str | None]:
    return [r.headers.get("idempotency-key") for r in server.requests(path)]


def test_keyed_post_is_retried_on_5xx_and_resets_with_one_generated_key(fault_server):
    fault_server.route(
        "/charges", _fail_then_succeed(Reply(500, json={}), Reply(reset=True), Reply(503, json={}))
    )
    with SyncAPIClient(**_settings(fault_server)) as client:
        assert client.request(KEYED, body={"amount": 1}) == {"n": 4}
        first = _keys(fault_server, "/charges")
        assert len(first) == 4 and first[0] and len(set(first)) == 1  # one key, every attempt
        client.request(KEYED_PATCH, body={"amount": 2})  # a second call: a new key
    keys = _keys(fault_server, "/charges")
    assert len(keys) == 5 and keys[4] not in (None, first[0])


def test_a_key_of_the_caller_is_kept(fault_server):
    fault_server.route("/charges", _fail_then_succeed(Reply(502, json={})))
    with SyncAPIClient(**_settings(fault_server)) as client:
        client.request(KEYED, body={}, options=RequestOptions(idempotency_key="mine-1"))
        client.request(KEYED, body={}, headers={"idempotency-key": "mine-2"})
    assert _keys(fault_server, "/charges") == ["mine-1", "mine-1", "mine-2"]


def test_post_without_a_key_is_never_sent_twice(fault_server):
    failures = [Reply(500, json={}), Reply(502, json={}), Reply(504, json={}), Reply(reset=True)]
    fault_server.route("/plain", lambda req: failures[req.n - 1])
    with SyncAPIClient(**_settings(fault_server)) as client:
        for expected in (InternalServerError, Exception, Exception, APIConnectionError):
            with pytest.raises(expected):
                client.request(PLAIN, body={"x": 1})
    sent = fault_server.requests("/plain")
    assert len(sent) == 4  # four calls, four requests: none repeated
    assert all("idempotency-key" not in r.headers for r in sent)


def test_async_keyed_post_retries_with_the_same_key_and_plain_post_does_not(fault_server):
    fault_server.route("/charges", _fail_then_succeed(Reply(500, json={}), Reply(reset=True)))
    fault_server.route("/plain", lambda req: Reply(500, json={}))

    async def main() -> Any:
        async with AsyncAPIClient(**_settings(fault_server)) as client:
            result = await client.request(KEYED, body={})
            with pytest.raises(InternalServerError):
                await client.request(PLAIN, body={})
            return result

    assert asyncio.run(main()) == {"n": 3}
    keys = _keys(fault_server, "/charges")
    assert len(keys) == 3 and keys[0] and len(set(keys)) == 1
    assert len(fault_server.requests("/plain")) == 1
