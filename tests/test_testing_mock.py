"""``<package>.testing.MockAPI`` as a user's test suite would use it, on the Petstore client."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

import pytest

from support import GENERATED, import_generated

petstore = import_generated("petstore")
from petstore import (  # noqa: E402
    AsyncClient,
    BadRequestError,
    Client,
    NotFoundError,
)
from petstore.models import Pet  # noqa: E402
from petstore.testing import MockAPI, MockRequest, MockResponse  # noqa: E402

BASE = "http://petstore.swagger.io/v2"
CREDENTIALS = {"api_key": "test-key", "Authorization": "Bearer t"}  # for raw requests


def client(mock: MockAPI) -> Client:
    # the spec names a plain-http server: credentials go there only when allowed
    return Client(
        api_key="test-key",
        petstore_auth="t",
        allow_insecure_http=True,
        http_client=mock.http_client(),
    )


def test_importing_the_client_does_not_import_the_mock() -> None:
    code = (
        "import sys, petstore; print([m for m in sys.modules if m.startswith('petstore.')"
        " and any(w in m for w in ('testing', 'mock', 'schema_values'))])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=GENERATED / "petstore",
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert out.stdout.strip() == "[]"


def test_answers_from_the_spec_typed_and_deterministic_by_seed() -> None:
    pet = client(MockAPI()).pet.retrieve(pet_id=3)
    assert isinstance(pet, Pet)
    assert pet.name == "doggie"  # the schema's example
    assert pet.status is not None and pet.photo_urls
    again = client(MockAPI()).pet.retrieve(pet_id=3)
    assert again == pet
    others = {client(MockAPI(seed=s)).pet.retrieve(pet_id=3).model_dump_json() for s in range(1, 6)}
    assert len(others) > 1  # another seed, other synthesised values
    pets = client(MockAPI()).pet.find_by_status(status=["available"])
    assert pets and all(isinstance(p, Pet) for p in pets)


def test_async_client_on_the_mock() -> None:
    async def run() -> tuple[Pet, int]:
        mock = MockAPI()
        mock.override("pet.retrieve", {"id": 9, "name": "Async", "photoUrls": []})
        async with AsyncClient(
            api_key="k",
            petstore_auth="t",
            allow_insecure_http=True,
            http_client=mock.async_http_client(),
        ) as api:
            pet = await api.pet.retrieve(pet_id=9)
            with pytest.raises(BadRequestError):
                await api.pet.find_by_status(status=["lost"])
        return pet, len(mock.calls)

    pet, calls = asyncio.run(run())
    assert (pet.id, pet.name, calls) == (9, "Async", 2)


def test_overrides_model_dict_status_function_and_response() -> None:
    mock = MockAPI()
    api = client(mock)
    mock.override("pet.retrieve", Pet(id=7, name="Rex", photo_urls=[]))
    assert (api.pet.retrieve(pet_id=1).id, api.pet.retrieve(pet_id=1).name) == (7, "Rex")
    mock.override("getPetById", {"id": 8, "name": "Dict", "photoUrls": ["u"]})  # operationId
    assert api.pet.retrieve(pet_id=1).photo_urls == ["u"]
    mock.override("GET /pet/{petId}", status=404)
    with pytest.raises(NotFoundError):
        api.pet.retrieve(pet_id=1)

    def echo(request: MockRequest) -> dict[str, object]:
        return {"id": int(request.path_params["petId"]), "name": request.operation, "photoUrls": []}

    mock.override("pet.retrieve", echo)
    assert api.pet.retrieve(pet_id=42).model_dump(include={"id", "name"}) == {
        "id": 42,
        "name": "pet.retrieve",
    }
    mock.override("pet.retrieve", MockResponse(400, {"message": "no such pet"}))
    with pytest.raises(BadRequestError, match="no such pet"):
        api.pet.retrieve(pet_id=1)
    with pytest.raises(KeyError, match="retrieve"):
        mock.override("pet.retrieved", {})
    mock.reset()
    assert api.pet.retrieve(pet_id=1).name == "doggie" and len(mock.calls) == 1


def test_records_calls_for_assertions() -> None:
    mock = MockAPI()
    api = client(mock)
    api.pet.find_by_status(status=["available", "sold"])
    api.pet.add(body={"name": "Tom", "photoUrls": ["p"]})
    (listed,) = mock.calls_to("pet.find_by_status")
    assert listed.query == {"status": ["available", "sold"]} and listed.valid
    (added,) = mock.calls_to("addPet")
    assert added.json == {"name": "Tom", "photoUrls": ["p"]}
    assert added.request.method == "POST" and added.response.status_code == 200
    assert [c.operation for c in mock.calls] == ["pet.find_by_status", "pet.add"]


def test_rejects_requests_the_spec_does_not_allow_naming_the_field() -> None:
    mock = MockAPI()
    api = client(mock)
    with pytest.raises(BadRequestError, match="query parameter 'status'.*not one of"):
        api.pet.find_by_status(status=["lost"])
    with pytest.raises(Exception, match=r"body\.name: required property is missing") as caught:
        api.pet.add(body={"photoUrls": []})
    assert caught.value.status_code == 405  # the error status addPet declares ("Invalid input")
    rejected = mock.calls[-1]
    assert not rejected.valid and rejected.problems == ["body.name: required property is missing"]

    raw = mock.http_client(base_url=BASE, headers=CREDENTIALS)
    assert raw.get("/pet/abc").status_code == 400  # petId is an integer
    assert "path parameter 'petId'" in raw.get("/pet/abc").json()["message"]
    assert raw.get("/pet/findByStatus").status_code == 400  # required query parameter missing
    assert "query parameter 'extra'" in raw.get("/pet/1", params={"extra": "1"}).text
    wrong_type = raw.post("/pet", json={"name": 5, "photoUrls": []})
    assert "body.name: expected string, got integer" in wrong_type.text
    assert (
        raw.post("/pet", content=b"{", headers={"content-type": "application/json"}).status_code
        >= 400
    )
    assert raw.get("/nowhere").status_code == 404
    not_allowed = raw.patch("/pet/1")
    assert not_allowed.status_code == 405 and "DELETE" in not_allowed.headers["allow"]
    assert raw.get("/pet/1").status_code == 200


def test_a_request_without_the_credentials_its_operation_requires_gets_401() -> None:
    # the generated client refuses to send such a request itself; other code may not
    mock = MockAPI()
    anonymous = mock.http_client(base_url=BASE)
    refused = anonymous.get("/pet/1")  # security: api_key
    assert refused.status_code == 401
    assert "api_key (header 'api_key')" in refused.json()["message"]
    adding = anonymous.post("/pet", json={"name": "Tom", "photoUrls": []})  # petstore_auth
    assert adding.status_code == 401 and "petstore_auth (Authorization header)" in adding.text
    assert mock.calls[0].problems[0].startswith("credentials: missing") and not mock.calls[0].valid
    assert anonymous.get("/user/logout").status_code == 200  # no security: answered
    wrong_kind = mock.http_client(base_url=BASE, headers={"Authorization": "Bearer t"})
    assert wrong_kind.get("/pet/1").status_code == 401  # a bearer token is not the api key
    assert mock.http_client(base_url=BASE, headers=CREDENTIALS).get("/pet/1").status_code == 200
    assert client(mock).pet.retrieve(pet_id=1).name == "doggie"  # the client sends them

    async def run() -> int:
        async with mock.async_http_client(base_url=BASE) as raw:
            return (await raw.get("/store/inventory")).status_code

    assert asyncio.run(run()) == 401


def test_validation_can_be_turned_off() -> None:
    raw = MockAPI(validate=False).http_client(base_url=BASE)
    assert raw.post("/pet", json={"photoUrls": 3}).status_code == 200


def test_the_mock_spec_is_valid_json_and_compact() -> None:
    data = json.loads((GENERATED / "petstore" / "petstore" / "_testing_spec.json").read_text())
    names = {op["name"] for op in data["operations"]}
    assert {"pet.retrieve", "store.order.place", "user.login"} <= names
    assert "description" not in json.dumps(data["schemas"])  # annotations stripped
