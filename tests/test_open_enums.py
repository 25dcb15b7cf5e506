"""Open enums: unknown values from the server are kept, values equal their wire strings,
and parameters and model fields take the plain strings, checked by mypy."""

from __future__ import annotations

import asyncio
import copy
import subprocess
import sys
import textwrap

import httpx

from support import GENERATED, REPO, import_generated

petstore = import_generated("petstore")
from petstore.models import Order, OrderStatus, Pet, PetStatus  # noqa: E402

PET = {"id": 1, "name": "rex", "photoUrls": [], "status": "available"}


def _client(answer: dict) -> tuple[petstore.Client, list[httpx.Request]]:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(
            200, json=[answer] if request.url.path.endswith("findByStatus") else answer
        )

    # the spec's server is plain http: credentials go there only when allowed
    client = petstore.Client(
        api_key="k",
        petstore_auth="t",
        allow_insecure_http=True,
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
    )
    return client, sent


def test_an_unknown_enum_value_is_kept_and_the_call_succeeds() -> None:
    client, _ = _client({**PET, "status": "adopted_2026"})
    pet = client.pet.retrieve(pet_id=1)
    assert isinstance(pet, Pet)
    assert pet.status == "adopted_2026"
    assert isinstance(pet.status, PetStatus) and not pet.status.is_known
    assert str(pet.status) == "adopted_2026" and f"{pet.status}" == "adopted_2026"
    assert pet.model_dump(mode="json", by_alias=True)["status"] == "adopted_2026"


def test_an_unknown_enum_value_is_kept_async() -> None:
    async def main() -> object:
        def handler(request: httpx.Request) -> httpx.Response:
            return httpx.Response(200, json={"id": 3, "status": "lost_in_transit"})

        http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
        async with petstore.AsyncClient(
            api_key="k", petstore_auth="t", allow_insecure_http=True, http_client=http
        ) as client:
            return await client.store.order.retrieve(order_id=3)

    order = asyncio.run(main())
    assert isinstance(order, Order)
    assert order.status == "lost_in_transit" and isinstance(order.status, OrderStatus)


def test_a_known_value_is_the_member_and_equals_its_wire_string() -> None:
    client, _ = _client(PET)
    pet = client.pet.retrieve(pet_id=1)
    assert pet.status is PetStatus.AVAILABLE
    assert pet.status == "available" and pet.status != "sold"
    assert pet.status.is_known
    assert {pet.status: 1}["available"] == 1  # hashes like the string


def test_parameters_and_model_fields_take_plain_strings() -> None:
    client, sent = _client(PET)
    client.pet.find_by_status(status=["available", "brand_new"])
    assert sent[-1].url.params.get_list("status") == ["available", "brand_new"]
    pet = Pet(name="rex", photo_urls=[], status="sold")
    assert pet.status is PetStatus.SOLD  # validated into the enum at run time
    client.pet.add(body=pet)
    assert b'"status":"sold"' in sent[-1].content.replace(b" ", b"")


MYPY_SNIPPET = """
from petstore import Client
from petstore.models import Pet, PetStatus

client = Client(api_key="k")
client.pet.find_by_status(status=["available", "sold"])
Pet(name="rex", photoUrls=[], tags=None, status="pending")
pet = client.pet.retrieve(pet_id=1)
if pet.status == "available":
    pass
client.pet.find_by_status(status=["availabel"])  # BAD
Pet(name="rex", photoUrls=[], tags=None, status="adopted")  # BAD
client.pet.add(name="rex", photo_urls=[], status="sold")  # a keyword body field takes them too
client.pet.add(name="rex", photo_urls=[], status="sould")  # BAD
"""


def test_mypy_checks_plain_strings_against_the_allowed_values(tmp_path) -> None:
    snippet = tmp_path / "use_petstore.py"
    snippet.write_text(textwrap.dedent(MYPY_SNIPPET))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--cache-dir=/dev/null",
            str(snippet),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={"MYPYPATH": str(GENERATED / "petstore"), "PATH": ""},
    )
    bad = {
        i + 1
        for i, line in enumerate(textwrap.dedent(MYPY_SNIPPET).splitlines())
        if line.endswith("# BAD")
    }
    flagged = {int(line.split(":")[1]) for line in result.stdout.splitlines() if ": error:" in line}
    assert flagged == bad, result.stdout


def test_an_enum_copy_survives_deepcopy_and_comparison() -> None:
    member = PetStatus("surprise")
    again = copy.deepcopy(member)
    assert again == member == "surprise" and isinstance(again, PetStatus)
    assert PetStatus("available") is PetStatus.AVAILABLE
