"""Generated clients called through httpx.MockTransport: the request sent, the value returned."""

from __future__ import annotations

import asyncio
import json
from datetime import date
from urllib.parse import parse_qs

import httpx
import pytest

from support import import_generated

petstore = import_generated("petstore")
bodies = import_generated("bodies")
from petstore.models import Pet  # noqa: E402
from bodies.models import (  # noqa: E402
    Error,
    FileInfo,
    Token,
    UploadFileRequest,
    Widget,
    WidgetCreated,
)


class Recorder:
    """A MockTransport handler that records requests and answers from a routing function."""

    def __init__(self, route):  # type: ignore[no-untyped-def]
        self.route = route
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        return self.route(request)

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]


PET = {
    "id": 1,
    "name": "doggie",
    "photoUrls": ["u"],
    "status": "available",
    "category": {"id": 7, "name": "dogs"},
}


def petstore_client(route):  # type: ignore[no-untyped-def]
    rec = Recorder(route)
    # the Petstore spec names a plain-http server: credentials go there only when allowed
    client = petstore.Client(
        api_key="secret-key",
        petstore_auth="oauth-token",
        allow_insecure_http=True,
        http_client=httpx.Client(transport=httpx.MockTransport(rec)),
    )
    return client, rec


def test_get_pet_by_id_sends_get_and_returns_pet():
    client, rec = petstore_client(lambda r: httpx.Response(200, json=PET))
    pet = client.pet.retrieve(pet_id=1)
    assert rec.last.method == "GET"
    assert rec.last.url == "http://petstore.swagger.io/v2/pet/1"
    assert rec.last.headers["api_key"] == "secret-key"
    assert isinstance(pet, Pet)
    assert (
        pet.name == "doggie"
        and pet.photo_urls == ["u"]
        and pet.category is not None
        and pet.category.name == "dogs"
    )
    assert pet.status is not None and pet.status.value == "available"


def test_query_array_and_list_of_models():
    client, rec = petstore_client(lambda r: httpx.Response(200, json=[PET, {**PET, "id": 2}]))
    pets = client.pet.find_by_status(status=["available", "sold"])
    assert rec.last.url.path == "/v2/pet/findByStatus"
    assert parse_qs(rec.last.url.query.decode())["status"] == ["available", "sold"]
    assert [p.id for p in pets] == [1, 2] and all(isinstance(p, Pet) for p in pets)


def test_json_body_from_model_and_from_dict():
    client, rec = petstore_client(lambda r: httpx.Response(200))
    client.pet.add(body=Pet(name="rex", photo_urls=[]))
    assert rec.last.method == "POST" and rec.last.headers["content-type"] == "application/json"
    assert json.loads(rec.last.content) == {
        "name": "rex",
        "photoUrls": [],
    }  # aliases, only fields set
    client.pet.add(body={"name": "tom", "photoUrls": ["x"]})
    assert json.loads(rec.last.content) == {"name": "tom", "photoUrls": ["x"]}


def test_not_found_raises_typed_error():
    client, _ = petstore_client(
        lambda r: httpx.Response(404, json={"message": "no pet"}, headers={"x-request-id": "req-9"})
    )
    with pytest.raises(petstore.NotFoundError) as info:
        client.pet.retrieve(404)
    assert info.value.status_code == 404 and info.value.request_id == "req-9"
    assert "secret-key" not in str(info.value) and "secret-key" not in repr(info.value)


def test_async_client_same_behaviour():
    async def main() -> Pet:
        rec = Recorder(lambda r: httpx.Response(200, json=PET))
        async with petstore.AsyncClient(
            api_key="k",
            allow_insecure_http=True,
            http_client=httpx.AsyncClient(transport=httpx.MockTransport(rec)),
        ) as client:
            pet = await client.pet.retrieve(1)
        assert rec.last.url.path == "/v2/pet/1"
        return pet

    assert isinstance(asyncio.run(main()), Pet)


def test_credentials_default_to_environment(monkeypatch):
    monkeypatch.setenv("PETSTORE_API_KEY", "from-env")
    rec = Recorder(lambda r: httpx.Response(200, json=PET))
    client = petstore.Client(
        allow_insecure_http=True, http_client=httpx.Client(transport=httpx.MockTransport(rec))
    )
    client.pet.retrieve(1)
    assert rec.last.headers["api_key"] == "from-env"
    assert "from-env" not in repr(client)


# ----------------------------------------------------------------- bodies.yaml


def bodies_client(route):  # type: ignore[no-untyped-def]
    rec = Recorder(route)
    return bodies.Client(
        api_key="K", http_client=httpx.Client(transport=httpx.MockTransport(rec))
    ), rec


WIDGET = {"id": "w1", "name": "gear", "color": "red"}


def test_header_cookie_and_array_styles():
    client, rec = bodies_client(lambda r: httpx.Response(200, json=[WIDGET]))
    widgets = client.widgets.list(
        x_tenant="acme", ids=[1, 2], colors=["red", "green"], session_id="s1", sort_by="name"
    )
    sent = rec.last
    assert sent.url.path == "/api/widgets"
    query = parse_qs(sent.url.query.decode())
    assert query["ids"] == ["1", "2"]  # explode: repeated keys
    assert query["colors"] == ["red,green"]  # explode false: one comma-joined value
    assert query["sort-by"] == ["name"]
    assert sent.headers["X-Tenant"] == "acme" and "X-Request-ID" not in sent.headers
    assert "session_id=s1" in sent.headers["cookie"]
    assert isinstance(widgets[0], Widget)


def test_several_success_responses_pick_model_by_status():
    client, _ = bodies_client(
        lambda r: httpx.Response(201, json={"widget": WIDGET, "created": True})
    )
    created = client.widgets.upsert(body={"name": "gear"})
    assert (
        isinstance(created, WidgetCreated)
        and isinstance(created.widget, Widget)
        and created.created is True
    )
    client, _ = bodies_client(lambda r: httpx.Response(200, json=WIDGET))
    assert isinstance(client.widgets.upsert(body={"name": "gear"}), Widget)


def test_no_content_returns_none_and_error_model_is_parsed():
    client, rec = bodies_client(lambda r: httpx.Response(204))
    assert client.widgets.delete("w1") is None
    assert rec.last.method == "DELETE"
    client, _ = bodies_client(lambda r: httpx.Response(404, json={"code": 404, "message": "gone"}))
    with pytest.raises(bodies.NotFoundError) as info:
        client.widgets.delete("w1")
    assert isinstance(info.value.body, Error) and info.value.body.message == "gone"


def test_path_parameters_are_typed_and_encoded_per_segment():
    client, rec = bodies_client(lambda r: httpx.Response(200, json=WIDGET))
    client.widgets.versions.at.flag.ratio.retrieve(
        "../../etc/passwd", 3, date(2024, 5, 6), True, 0.5
    )
    raw_path = rec.last.url.raw_path.decode()
    assert (
        raw_path
        == "/api/widgets/..%2F..%2Fetc%2Fpasswd/versions/3/at/2024-05-06/flag/true/ratio/0.5"
    )


def test_form_body_and_operation_without_security():
    client, rec = bodies_client(
        lambda r: httpx.Response(200, json={"access_token": "t", "token_type": "bearer"})
    )
    token = client.login.create(body={"username": "u", "password": "p", "scopes": ["a", "b"]})
    assert isinstance(token, Token)
    assert rec.last.headers["content-type"] == "application/x-www-form-urlencoded"
    assert parse_qs(rec.last.content.decode()) == {
        "username": ["u"],
        "password": ["p"],
        "scopes": ["a", "b"],
    }
    assert "K" not in rec.last.headers.values() and "x-api-key" not in {
        k.lower() for k in rec.last.headers
    }


def test_multipart_upload_with_file_part():
    client, rec = bodies_client(
        lambda r: httpx.Response(201, json={"id": "f1", "name": "a.txt", "size": 5})
    )
    info = client.files.upload(body=UploadFileRequest(file=b"hello", description="greeting"))
    assert isinstance(info, FileInfo)
    sent = rec.last
    assert sent.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert (
        b"hello" in sent.content
        and b'name="description"' in sent.content
        and b"greeting" in sent.content
    )


def test_binary_and_text_bodies_and_responses():
    client, rec = bodies_client(
        lambda r: httpx.Response(200, content=b"\x89PNG..", headers={"content-type": "image/png"})
    )
    assert client.files.content.retrieve("f1") == b"\x89PNG.."
    client, rec = bodies_client(lambda r: httpx.Response(204))
    client.files.content.update("f1", body=b"\x00\x01")
    assert (
        rec.last.content == b"\x00\x01"
        and rec.last.headers["content-type"] == "application/octet-stream"
    )
    client, rec = bodies_client(
        lambda r: httpx.Response(200, text="plain words", headers={"content-type": "text/plain"})
    )
    assert client.files.text("f1") == "plain words"


def test_response_not_matching_its_model_is_lenient_unless_strict():
    drifted = {"id": "not-a-number", "photoUrls": []}
    client, _ = petstore_client(lambda r: httpx.Response(200, json=drifted))
    pet = client.pet.retrieve(1)  # lenient by default: still a Pet
    assert isinstance(pet, Pet) and pet.id == "not-a-number" and pet.name is None
    assert pet.photo_urls == []
    assert [p.path for p in petstore.response_problems(pet)] == ["$.id", "$.name"]
    with pytest.raises(petstore.APIResponseValidationError) as info:
        client.pet.retrieve(1, strict_responses=True)  # per call
    assert isinstance(info.value, petstore.APIError) and info.value.paths == ("$.id", "$.name")
    assert info.value.status_code == 200 and info.value.body == drifted
    assert "GET http://petstore.swagger.io/v2/pet/1 -> 200" in str(info.value)
    transport = httpx.MockTransport(lambda r: httpx.Response(200, json=drifted))
    strict = petstore.Client(
        api_key="k",
        strict_responses=True,
        allow_insecure_http=True,
        http_client=httpx.Client(transport=transport),
    )
    with pytest.raises(petstore.APIResponseValidationError):
        strict.pet.retrieve(1)
    assert isinstance(strict.pet.retrieve(1, strict_responses=False), Pet)


@pytest.mark.parametrize("base_url", ["/v2", "petstore.example/v2", "ftp://host/v2"])
def test_relative_or_foreign_base_url_is_refused_at_construction(base_url):
    with pytest.raises(ValueError, match="not an absolute http"):
        petstore.Client(base_url=base_url, api_key="k")
