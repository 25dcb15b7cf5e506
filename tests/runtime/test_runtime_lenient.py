"""Lenient and strict responses, undeclared success statuses, and readable status errors."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import httpx
import pydantic
import pytest

from apigen.runtime import (
    APIResponseValidationError,
    APIStatusError,
    AsyncAPIClient,
    Endpoint,
    Pagination,
    RequestOptions,
    ResponseType,
    SyncAPIClient,
    response_problems,
)
from apigen.runtime import lenient as lenient_module
from rt_helpers import mock_ahttp, mock_http


class Owner(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="allow", populate_by_name=True)
    login: str
    id: int


class Repo(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="allow", populate_by_name=True)
    id: int
    full_name: str = pydantic.Field(alias="fullName")
    language: str | None
    owner: Owner
    topics: list[str] = []


GET_REPO = Endpoint("GET", "/repo", "repos/get", responses={"200": ResponseType("json", Repo)})
LIST_REPOS = Endpoint(
    "GET", "/repos", "repos/list", responses={"200": ResponseType("json", list[Repo])}
)
CREATE_REPO = Endpoint(
    "POST", "/repos", "repos/create", responses={"201": ResponseType("json", Repo)}
)

VALID = {
    "id": 1,
    "fullName": "o/r",
    "language": "Python",
    "owner": {"login": "o", "id": 7},
    "topics": ["a"],
}
DRIFTED = {  # language missing (required), id a string, one topic a number, a new field
    "id": "one",
    "fullName": "o/r",
    "owner": {"login": "o", "id": 7},
    "topics": ["a", 2],
    "new": True,
}


def answer(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Any:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            status,
            content=json.dumps(body).encode(),
            headers={"content-type": "application/json", **(headers or {})},
        )

    return handler


def client(handler: Any, **kw: Any) -> SyncAPIClient:
    return SyncAPIClient(
        base_url="https://api.test",
        package="pkg",
        version="1",
        http_client=mock_http(handler),
        circuit_breaker=None,
        max_retries=0,
        **kw,
    )


def aclient(handler: Any, **kw: Any) -> AsyncAPIClient:
    return AsyncAPIClient(
        base_url="https://api.test",
        package="pkg",
        version="1",
        http_client=mock_ahttp(handler),
        circuit_breaker=None,
        max_retries=0,
        **kw,
    )


def check_drifted(repo: Any) -> None:
    assert isinstance(repo, Repo)
    assert isinstance(repo.owner, Owner) and repo.owner.id == 7  # the part that validates is typed
    assert repo.id == "one"  # the part that does not keeps its JSON value
    assert repo.language is None  # missing required field
    assert repo.topics == ["a", 2] and repo.full_name == "o/r"
    assert repo.model_extra == {"new": True}
    paths = [p.path for p in response_problems(repo)]
    assert paths == ["$.id", "$.language", "$.topics[1]"]
    assert "required" in str(response_problems(repo)[1])


def test_drifted_response_is_returned_as_its_type_and_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    c = client(answer(DRIFTED))
    with caplog.at_level(logging.DEBUG, logger="pkg"):
        first = c.request(GET_REPO)
        second = c.request(GET_REPO)
    check_drifted(first)
    check_drifted(second)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1  # once per operation, the repeat at DEBUG
    text = warnings[0].getMessage()
    assert "repos/get" in text and "$.id" in text and "$.language" in text and "3 problems" in text
    assert (
        sum(
            "does not match" in r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG
        )
        == 1
    )


def test_drifted_response_async() -> None:
    async def go() -> Any:
        c = aclient(answer(DRIFTED))
        return await c.request(GET_REPO)

    check_drifted(asyncio.run(go()))


def test_valid_response_takes_the_fast_path(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def never(*a: Any) -> Any:
        raise AssertionError("lenient walk used for a valid response")

    monkeypatch.setattr(lenient_module._Walk, "value", never)
    with caplog.at_level(logging.WARNING, logger="pkg"):
        repo = client(answer(VALID)).request(GET_REPO)
    assert repo == Repo.model_validate(VALID) and response_problems(repo) == ()
    assert not caplog.records


def test_top_level_list_keeps_valid_items_typed() -> None:
    items = client(answer([VALID, DRIFTED])).request(LIST_REPOS)
    assert isinstance(items, list) and len(items) == 2
    assert items[0] == Repo.model_validate(VALID)
    check_drifted_paths = [p.path for p in response_problems(items)]
    assert check_drifted_paths == ["$[1].id", "$[1].language", "$[1].topics[1]"]
    assert isinstance(items[1], Repo) and items[1].id == "one"


def strict_error(exc: APIResponseValidationError) -> None:
    assert isinstance(exc, APIStatusError)  # caught with the other status errors
    assert exc.raw == json.dumps(DRIFTED).encode()
    assert exc.status_code == 200 and exc.response.status_code == 200
    assert exc.paths == ("$.id", "$.language", "$.topics[1]")
    assert exc.body == DRIFTED and exc.request_id == "req-1"
    text = str(exc)
    assert (
        "GET https://api.test/repo -> 200" in text and "$.id" in text and "request id req-1" in text
    )


def test_strict_client_raises_with_status_and_paths() -> None:
    c = client(answer(DRIFTED, headers={"x-request-id": "req-1"}), strict_responses=True)
    with pytest.raises(APIResponseValidationError) as info:
        c.request(GET_REPO)
    strict_error(info.value)
    # per call: False overrides the client's strict setting
    assert isinstance(c.request(GET_REPO, options=RequestOptions(strict_responses=False)), Repo)


def test_strict_per_call_sync_and_async() -> None:
    handler = answer(DRIFTED, headers={"x-request-id": "req-1"})
    with pytest.raises(APIResponseValidationError) as info:
        client(handler).request(GET_REPO, options=RequestOptions(strict_responses=True))
    strict_error(info.value)

    async def go() -> None:
        with pytest.raises(APIResponseValidationError) as ainfo:
            await aclient(handler).request(GET_REPO, options=RequestOptions(strict_responses=True))
        strict_error(ainfo.value)

    asyncio.run(go())


def test_body_that_is_not_json_raises_even_when_lenient() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, content=b"<html>oops", headers={"content-type": "application/json"}
        )

    with pytest.raises(APIResponseValidationError, match="not valid JSON"):
        client(handler).request(GET_REPO)


@pytest.mark.parametrize("status", [200, 202])
def test_undeclared_success_status_parses_with_the_declared_type(status: int) -> None:
    repo = client(answer(VALID, status=status)).request(CREATE_REPO)
    assert type(repo) is Repo and repo.owner.login == "o"

    async def go() -> Any:
        return await aclient(answer(VALID, status=status)).request(CREATE_REPO)

    assert type(asyncio.run(go())) is Repo


def test_undeclared_success_prefers_the_success_type_over_default() -> None:
    class Error(pydantic.BaseModel):
        message: str

    endpoint = Endpoint(
        "POST",
        "/x",
        "x",
        responses={"201": ResponseType("json", Repo), "default": ResponseType("json", Error)},
    )
    assert type(client(answer(VALID, status=200)).request(endpoint)) is Repo


def test_paginated_items_are_lenient_with_paths_from_the_body_root(
    caplog: pytest.LogCaptureFixture,
) -> None:
    paged = Endpoint(
        "GET",
        "/repos",
        "repos/page",
        responses={"200": ResponseType("json")},
        pagination=Pagination(
            style="cursor", items=("data",), cursor_param="cursor", next_cursor=("next",)
        ),
    )
    c = client(answer({"data": [VALID, DRIFTED], "next": None}))
    with caplog.at_level(logging.WARNING, logger="pkg"):
        items = list(c.paginate(paged, item_type=Repo))
    assert [type(i) for i in items] == [Repo, Repo] and items[1].language is None
    page_type = Endpoint(
        "GET",
        "/repos",
        "repos/page2",
        responses={"200": ResponseType("json", dict[str, list[Repo]])},
        pagination=paged.pagination,
    )
    (page,) = client(answer({"data": [DRIFTED]})).paginate(page_type, item_type=Repo).pages()
    assert (
        isinstance(page.data["data"][0], Repo) and page.data["data"][0].id == "one"
    )  # .data is lenient too
    assert "$.data[1].id" in caplog.records[0].getMessage()
    with pytest.raises(APIResponseValidationError) as strict:
        list(
            client(answer({"data": [DRIFTED]}), strict_responses=True).paginate(
                paged, item_type=Repo
            )
        )
    # the items' own problems, from the body's root (it said "$: Input should be a valid
    # list", the page body checked as the item list: Spotify's 19 paged operations)
    paths = [p.path for p in strict.value.problems]
    assert "$.data[0].id" in paths and "$" not in paths
    assert "$.data[0].id" in str(strict.value)


# ---------------------------------------------------------------- status errors

SHAPES = [
    (
        {"error": {"message": "Your card has insufficient funds.", "type": "card_error"}},
        "Your card has insufficient funds.",
    ),
    ({"message": "Not Found", "documentation_url": "https://docs"}, "Not Found"),
    (
        {"error": "invalid_grant", "error_description": "Token expired"},
        "invalid_grant: Token expired",
    ),
    ({"detail": "Bad thing"}, "Bad thing"),
    ({"detail": [{"loc": ["body", "x"], "msg": "field required"}]}, "field required"),
    ({"title": "Forbidden", "status": 403}, "Forbidden"),
    ({"errors": [{"message": "first problem"}, {"message": "second"}]}, "first problem"),
    ({"ok": False, "error": "channel_not_found"}, "channel_not_found"),
    ({"code": 20404, "more_info": "x", "status_message": "Twilio says no"}, "Twilio says no"),
]


@pytest.mark.parametrize("body,said", SHAPES)
def test_status_error_message_carries_the_servers_message(body: Any, said: str) -> None:
    c = client(answer(body, status=402, headers={"request-id": "req_9"}))
    with pytest.raises(APIStatusError) as info:
        c.request(GET_REPO)
    err = info.value
    assert type(err) is APIStatusError  # 402 has no class of its own
    assert (
        str(err) == f"GET https://api.test/repo -> 402 Payment Required: {said} "
        "(request id req_9, after 1 attempt)"
    )
    assert err.body == body


@pytest.mark.parametrize(
    "status,reason",
    [(405, "Method Not Allowed"), (410, "Gone"), (451, "Unavailable For Legal Reasons")],
)
def test_statuses_without_a_class_raise_api_status_error_with_the_reason(
    status: int, reason: str
) -> None:
    async def go() -> APIStatusError:
        with pytest.raises(APIStatusError) as info:
            await aclient(answer({}, status=status)).request(GET_REPO)
        return info.value

    err = asyncio.run(go())
    assert type(err) is APIStatusError and err.status_code == status
    assert str(err) == f"GET https://api.test/repo -> {status} {reason} (after 1 attempt)"


def test_declared_error_schema_field_is_the_message() -> None:
    class Fault(pydantic.BaseModel):
        fault_reason: str
        code: int

    endpoint = Endpoint(
        "GET",
        "/repo",
        "g",
        responses={"200": ResponseType("json", Repo), "default": ResponseType("json", Fault)},
    )
    with pytest.raises(APIStatusError) as info:
        client(answer({"code": 3, "fault_reason": "quota used up"}, status=403)).request(endpoint)
    assert isinstance(info.value.body, Fault)
    assert "403 Forbidden: quota used up (after 1 attempt)" in str(info.value)


def test_server_message_is_cleaned_and_bounded() -> None:
    body = {"message": "evil\x1b[31m\nline " + "x" * 1000}
    with pytest.raises(APIStatusError) as info:
        client(answer(body, status=400)).request(GET_REPO)
    text = str(info.value)
    assert "\x1b" not in text and "\n" not in text and len(text) < 420
