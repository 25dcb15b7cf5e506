"""``<package>.testing.MockAPI`` on the real Stripe and GitHub clients, as a user's tests use it.

Methods are reached through the mock's own operation table (operationId -> the
client's ``resource.method``), so the tests follow the client's naming rules.
"""

from __future__ import annotations

import asyncio
import functools
import importlib
from pathlib import Path
from typing import Any

import pytest

from support import import_generated


def _method(api: Any, mock: Any, operation_id: str) -> Any:
    return functools.reduce(getattr, mock.operation(operation_id).name.split("."), api)


def _stripe(real_clients: dict[str, tuple[Path, Path]]) -> tuple[Any, Any]:
    _, project = real_clients["contract_stripe"]
    pkg = import_generated("contract_stripe", project)
    return pkg, importlib.import_module("contract_stripe.testing")


def _github(real_clients: dict[str, tuple[Path, Path]]) -> tuple[Any, Any]:
    _, project = real_clients["contract_github"]
    pkg = import_generated("contract_github", project)
    return pkg, importlib.import_module("contract_github.testing")


def test_stripe_form_bodies_pagination_and_rejection(
    real_clients: dict[str, tuple[Path, Path]],
) -> None:
    pkg, testing = _stripe(real_clients)
    mock = testing.MockAPI()
    api = pkg.Client(bearer_auth="sk_test_x", http_client=mock.http_client())
    customers = list(_method(api, mock, "GetCustomers")(limit=3, email="a@example.com"))
    assert customers and type(customers[0]).__name__ == "Customer"
    assert len(mock.calls_to("GetCustomers")) == 1  # the synthesised page says has_more: false
    created = _method(api, mock, "PostCustomers")(
        body={"email": "x@example.com", "metadata": {"plan": "pro"}, "address": {"city": "Paris"}}
    )
    assert type(created).__name__ == "Customer" and pkg.response_problems(created) == ()
    call = mock.calls_to("PostCustomers")[-1]
    assert call.valid and b"metadata%5Bplan%5D=pro" in call.request.content
    with pytest.raises(pkg.BadRequestError, match=r"body\.tax_exempt: 'bogus' is not one of"):
        _method(api, mock, "PostCustomers")(body={"tax_exempt": "bogus"})
    with pytest.raises(
        pkg.BadRequestError, match=r"body\.invoice_settings\.footer: expected string"
    ):
        _method(api, mock, "PostCustomers")(body={"invoice_settings": {"footer": {"x": "1"}}})
    mock.override("GetCustomersCustomer", status=404)
    with pytest.raises(pkg.NotFoundError):
        _method(api, mock, "GetCustomersCustomer")(customer="cus_404")


def test_github_sync_async_overrides_and_calls(real_clients: dict[str, tuple[Path, Path]]) -> None:
    pkg, testing = _github(real_clients)
    mock = testing.MockAPI(seed=3)
    api = pkg.Client(http_client=mock.http_client())
    repo = _method(api, mock, "repos/get")(owner="octocat", repo="Hello-World")
    assert type(repo).__name__ == "FullRepository" and pkg.response_problems(repo) == ()
    mock.override(
        "repos/get", lambda request: {**_repo_dict(mock), "name": request.path_params["repo"]}
    )
    assert _method(api, mock, "repos/get")(owner="o", repo="renamed").name == "renamed"
    with pytest.raises(
        pkg.UnprocessableEntityError, match=r"body\.title: required property is missing"
    ):
        _method(api, mock, "issues/create")(owner="o", repo="r", request_body={"body": "no title"})

    async def run() -> Any:
        async with pkg.AsyncClient(http_client=mock.async_http_client()) as client:
            listing = _method(client, mock, "issues/list-for-repo")
            issues = [
                i
                async for i in await _paginator(
                    listing(owner="o", repo="r", state="open", per_page=5)
                )
            ]
            with pytest.raises(pkg.APIStatusError, match="query parameter 'state'"):
                _ = [
                    i
                    async for i in await _paginator(listing(owner="o", repo="r", state="sideways"))
                ]
            return issues

    issues = asyncio.run(run())
    assert issues and type(issues[0]).__name__ == "Issue"
    listed = mock.calls_to("issues/list-for-repo")
    assert [c.valid for c in listed] == [True, False]
    assert listed[0].query == {"state": ["open"], "per_page": ["5"]}
    assert listed[0].path_params == {"owner": "o", "repo": "r"}


async def _paginator(made: Any) -> Any:
    """An async paginator (which is also awaitable: awaiting it gives the first page)."""
    return made if hasattr(made, "__aiter__") else await made


def _repo_dict(mock: Any) -> dict[str, Any]:
    """The mock's own default answer for repos/get, as JSON."""
    fresh = type(mock)(seed=mock.seed)
    response = fresh.http_client().get("https://api.github.com/repos/a/b")
    data: dict[str, Any] = response.json()
    return data


def test_stripe_async_typed_model_dict_function_overrides_and_credentials(
    real_clients: dict[str, tuple[Path, Path]],
) -> None:
    pkg, testing = _stripe(real_clients)
    models = importlib.import_module("contract_stripe.models")
    mock = testing.MockAPI(seed=2)
    retrieve = mock.operation("GetCustomersCustomer").name
    default = (
        mock.http_client(headers={"Authorization": "Bearer sk_test_x"})
        .get("https://api.stripe.com/v1/customers/cus_1")
        .json()
    )
    mock.override(retrieve, models.Customer.model_validate({**default, "email": "typed@x.io"}))
    mock.override("PostCustomers", lambda request: {**default, "email": request.json or "form"})
    mock.override("DeleteCustomersCustomer", {"id": "cus_1", "object": "customer", "deleted": True})

    async def run() -> tuple[Any, Any, Any]:
        http = mock.async_http_client()
        async with pkg.AsyncClient(bearer_auth="sk_test_x", http_client=http) as api:
            got = await _method(api, mock, "GetCustomersCustomer")(customer="cus_1")
            made = await _method(api, mock, "PostCustomers")(body={"email": "a@b.c"})
            gone = await _method(api, mock, "DeleteCustomersCustomer")(customer="cus_1")
            return got, made, gone

    got, made, gone = asyncio.run(run())
    assert type(got).__name__ == "Customer" and got.email == "typed@x.io"  # the typed model
    assert made.email == "form"  # a form body: the function saw no JSON
    assert gone.id == "cus_1" and getattr(gone.deleted, "value", None) is True  # an enum of True
    assert [c.operation for c in mock.calls[1:]] == [
        retrieve,
        mock.operation("PostCustomers").name,
        mock.operation("DeleteCustomersCustomer").name,
    ]
    assert mock.calls_to("PostCustomers")[0].request.content == b"email=a%40b.c"
    anonymous = mock.http_client().get("https://api.stripe.com/v1/customers/cus_1")
    assert anonymous.status_code == 401 and "credentials: missing" in anonymous.text
