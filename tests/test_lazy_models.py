"""Models built only when the data needs them (runtime/lazy.py, split.py).

A model module refers to the models of its fields through stand-ins: importing it
imports none of them, a response whose expandable field holds an id never creates
the expanded model, and one that holds the object gets the real, typed class.
Each check runs in a fresh interpreter, so ``sys.modules`` says what was loaded.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from apigen.pipeline import generate
from apigen.split import split_models


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _expandable(name: str) -> dict[str, Any]:
    return {"anyOf": [{"type": "string"}, _ref(name)], "nullable": True}


SCHEMAS: dict[str, Any] = {
    "payment": {
        "type": "object",
        "required": ["id", "amount"],
        "properties": {
            "id": {"type": "string"},
            "amount": {"type": "integer"},
            "customer": _expandable("customer"),
            "invoice": _expandable("invoice"),
        },
    },
    "customer": {
        "type": "object",
        "required": ["id"],
        "properties": {
            "id": {"type": "string"},
            "email": {"type": "string"},
            "address": _ref("address"),
            "invoices": {"type": "array", "items": _ref("invoice")},
        },
    },
    "invoice": {
        "type": "object",
        "required": ["id"],
        "properties": {"id": {"type": "string"}, "customer": _expandable("customer")},
    },
    "address": {
        "type": "object",
        "properties": {"line1": {"type": "string"}, "postalCode": {"type": "string"}},
    },
}


def _spec() -> dict[str, Any]:
    ok = {"description": "ok", "content": {"application/json": {"schema": _ref("payment")}}}
    body = {
        "type": "object",
        "properties": {"email": {"type": "string"}, "shippingAddress": _ref("address")},
    }
    created = {"description": "ok", "content": {"application/json": {"schema": _ref("customer")}}}
    return {
        "openapi": "3.0.3",
        "info": {"title": "shop", "version": "1"},
        "servers": [{"url": "https://api.shop.example"}],
        "paths": {
            "/payments/{id}": {
                "get": {
                    "operationId": "getPayment",
                    "parameters": [
                        {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
                    ],
                    "responses": {"200": ok},
                }
            },
            "/customers": {
                "post": {
                    "operationId": "createCustomer",
                    "requestBody": {"content": {"application/json": {"schema": body}}},
                    "responses": {"200": created},
                }
            },
        },
        "components": {"schemas": json.loads(json.dumps(SCHEMAS))},
    }


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("lazy")
    spec = root / "shop.json"
    spec.write_text(json.dumps(_spec()), encoding="utf-8")
    generate(str(spec), root / "out", "shop")
    return root / "out"


PRELUDE = """
import json, sys
import httpx
import shop

def client(body, sent=None):
    def handler(request):
        if sent is not None:
            sent.append(json.loads(request.content or b"null"))
        return httpx.Response(200, json=body)
    transport = httpx.MockTransport(handler)
    return shop.Client(api_key="k", http_client=httpx.Client(transport=transport))

def loaded():
    names = (m.rsplit(".", 1)[1] for m in sys.modules if m.startswith("shop.models."))
    return sorted(n for n in names if n != "_index")
"""


def _run(project: Path, code: str, prelude: str = PRELUDE) -> Any:
    """Run ``code`` after ``prelude`` in a fresh interpreter; it prints one JSON value."""
    script = prelude + textwrap.dedent(code)
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PYTHONPATH": str(project), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_importing_a_model_imports_none_of_the_models_it_refers_to(shop: Path) -> None:
    got = _run(
        shop,
        """
        from shop.models import Payment
        print(json.dumps(loaded()))
    """,
    )
    assert got == ["payment"]


def test_an_id_in_an_expandable_field_never_creates_the_expanded_model(shop: Path) -> None:
    got = _run(
        shop,
        """
        payment = client({"id": "py_1", "amount": 5, "customer": "cus_1"}).payments.retrieve("py_1")
        print(json.dumps([type(payment).__name__, payment.customer, payment.invoice, loaded()]))
    """,
    )
    assert got == ["Payment", "cus_1", None, ["payment"]]


def test_an_expanded_object_is_the_real_typed_class(shop: Path) -> None:
    got = _run(
        shop,
        """
        body = {"id": "py_1", "amount": 5, "customer": {"id": "cus_1", "email": "a@b.c",
                "address": {"line1": "Main St", "postalCode": "123"},
                "invoices": [{"id": "in_1", "customer": "cus_1"}]}}
        payment = client(body).payments.retrieve("py_1")
        customer = payment.customer
        from shop.models import Address, Customer, Invoice
        print(json.dumps([
            type(customer) is Customer, type(customer.address) is Address,
            type(customer.invoices[0]) is Invoice, customer.address.postal_code,
            payment.model_dump(mode="json", by_alias=True, exclude_none=True) == body,
            loaded(),
        ]))
    """,
    )
    assert got == [True, True, True, "123", True, ["address", "customer", "invoice", "payment"]]


def test_errors_inside_a_lazily_built_model_keep_their_place(shop: Path) -> None:
    got = _run(
        shop,
        """
        import pydantic
        from shop.models import Payment
        try:
            Payment.model_validate({"id": "p", "amount": 1, "customer": {"id": 7}})
        except pydantic.ValidationError as e:
            print(json.dumps([list(map(str, err["loc"])) for err in e.errors()]))
    """,
    )
    # the union's branch label names the class (pydantic: "function-plain[Customer()]")
    assert ["customer", "str"] in got
    assert any(len(loc) == 3 and "Customer" in loc[1] and loc[2] == "id" for loc in got), got


def test_a_drifted_expanded_object_is_parsed_leniently_down_to_its_fields(shop: Path) -> None:
    got = _run(
        shop,
        """
        body = {"id": "py_1", "amount": 5, "customer": {"id": "cus_1", "email": 42}}
        payment = client(body).payments.retrieve("py_1")
        problems = [p.path for p in shop.response_problems(payment)]
        print(json.dumps([type(payment.customer).__name__, payment.customer.email, problems]))
    """,
    )
    assert got == ["Customer", 42, ["$.customer.email"]]


def test_a_nested_dict_body_takes_wire_names_through_a_stand_in(shop: Path) -> None:
    got = _run(
        shop,
        """
        sent = []
        c = client({"id": "cus_1"}, sent)
        c.customers.create(email="a@b.c", shipping_address={"line1": "x", "postal_code": "9"})
        print(json.dumps(sent))
    """,
    )
    assert got == [{"email": "a@b.c", "shippingAddress": {"line1": "x", "postalCode": "9"}}]


HEADER = "# header\n"
MODELS = """from __future__ import annotations

from pydantic import BaseModel, Field, RootModel


class Cat(BaseModel):
    kind: str
    owner: Person | None = None


class Dog(BaseModel):
    kind: str


class Person(BaseModel):
    pets: list[Cat] | None = None
    best: Cat | Dog | None = Field(None, discriminator="kind")


class Kitten(Cat):
    toy: Person | None = None


class Litter(RootModel[list[Kitten]]):
    root: list[Kitten]


class Shelter(BaseModel):
    litter: Litter | None = None
"""


def test_only_field_annotations_refer_through_stand_ins() -> None:
    split = split_models(MODELS, HEADER)
    person = split.modules[split.module_of["Person"]]
    cat = split.modules[split.module_of["Cat"]]
    kitten = split.modules[split.module_of["Kitten"]]
    shelter = split.modules[split.module_of["Shelter"]]
    # Cat and Person refer to each other in plain fields: two modules, no import cycle
    assert split.module_of["Cat"] != split.module_of["Person"]
    assert 'Person = lazy_model(__package__, "person", "Person")' in cat
    assert "Cat = lazy_model(" not in person  # the discriminated union needs the real Cat
    assert "from .cat import Cat" in person and "from .dog import Dog" in person
    assert "from .cat import Cat" in kitten.split("if TYPE_CHECKING")[0]  # a base class
    assert "from .litter import Litter" in shelter  # a root model: its values are not objects
    for source in split.modules.values():
        compile(source, "<split>", "exec")


def test_a_response_type_in_steady_use_stops_going_through_stand_ins(shop: Path) -> None:
    got = _run(
        shop,
        """
        from shop._runtime import responses
        from shop.models import Payment

        def through_loaded_stand_ins(cls):
            found, todo = [], [cls.__pydantic_core_schema__]
            while todo:
                node = todo.pop()
                if isinstance(node, list):
                    todo.extend(node)
                elif isinstance(node, dict):
                    f = node.get("function", {})
                    s = getattr(f.get("function") if isinstance(f, dict) else None,
                                "_apigen_stand_in", None)
                    if s is not None and s._apigen_target is not None:
                        found.append(s._apigen_target.__name__)
                    todo.extend(v for v in node.values() if isinstance(v, (dict, list)))
            return sorted(set(found))

        from shop.models import Customer

        body = {"id": "py_1", "amount": 5, "customer": {"id": "cus_1", "address": {"line1": "x"}}}
        c = client(body)
        first = c.payments.retrieve("py_1")
        before = through_loaded_stand_ins(Customer)
        for _ in range(responses.REFRESH_AFTER + 1):
            last = c.payments.retrieve("py_1")
        after = through_loaded_stand_ins(Customer)
        same = last.model_dump() == first.model_dump()
        print(json.dumps([before, after, same, type(last.customer.address).__name__]))
    """,
    )
    # Customer now validates its Address in place; Payment still reaches Customer (which
    # holds another model now) through its stand-in: validators never copy whole graphs
    assert got == [["Address"], [], True, "Address"]


def _entities_spec() -> dict[str, Any]:
    """vmware.local/vrni.json's shape: an enum with a member named like a model (``VPC``),
    a base holding the enum, and subclasses (allOf) of the base in other modules."""
    entity_type = {"type": "string", "enum": ["Cluster", "VPC"]}
    base = {"type": "object", "properties": {"id": {"type": "string"}, "kind": _ref("EntityType")}}

    def derived(field: str) -> dict[str, Any]:
        extra = {"type": "object", "properties": {field: {"type": "integer"}}}
        return {"allOf": [_ref("BaseEntity"), extra]}

    ok = {"description": "ok", "content": {"application/json": {"schema": _ref("Cluster")}}}
    param = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
    return {
        "openapi": "3.0.3",
        "info": {"title": "entities", "version": "1"},
        "servers": [{"url": "https://api.entities.example"}],
        "paths": {
            "/clusters/{id}": {
                "get": {
                    "operationId": "getCluster",
                    "parameters": [param],
                    "responses": {"200": ok},
                }
            }
        },
        "components": {
            "schemas": {
                "EntityType": entity_type,
                "BaseEntity": base,
                "Cluster": derived("hosts"),
                "VPC": derived("subnets"),
            }
        },
    }


def test_a_subclass_of_a_base_holding_an_enum_parses_sync_and_async(tmp_path: Path) -> None:
    spec = tmp_path / "entities.json"
    spec.write_text(json.dumps(_entities_spec()), encoding="utf-8")
    generate(str(spec), tmp_path / "out", "entities")
    got = _run(
        tmp_path / "out",
        """
        import asyncio
        import entities
        from entities.testing import MockAPI

        url = "https://api.entities.example"
        sync = entities.Client(api_key="k", base_url=url, http_client=MockAPI().http_client())
        first = sync.clusters.retrieve("c1")

        async def call():
            http = MockAPI().async_http_client()
            client = entities.AsyncClient(api_key="k", base_url=url, http_client=http)
            return await client.clusters.retrieve("c1")

        second = asyncio.run(call())
        print(json.dumps([type(first).__name__, type(second).__name__,
                          type(first.kind).__name__, isinstance(first.hosts, int)]))
    """,
        prelude="import json\n",
    )
    assert got == ["Cluster", "Cluster", "EntityType", True]


ENUM_MODELS = """
from __future__ import annotations

from enum import Enum
from pydantic import BaseModel


class EntityType(Enum):
    Cluster = "Cluster"
    VPC = "VPC"


class BaseEntity(BaseModel):
    kind: EntityType | None = None


class VPC(BaseEntity):
    subnets: int | None = None
"""


def test_an_enum_member_named_like_a_model_is_no_dependency() -> None:
    split = split_models(ENUM_MODELS, HEADER)
    # the member ``VPC = "VPC"`` once read as a use of class VPC: enum, base and
    # subclass became one cycle, one module, the enum's alias written below the base
    assert split.module_of["EntityType"] != split.module_of["BaseEntity"]
    assert split.module_of["VPC"] != split.module_of["BaseEntity"]


def test_a_model_whose_base_module_defines_a_name_late_is_built_before_use(
    tmp_path: Path,
) -> None:
    got = _run(
        tmp_path,
        """
        import sys, types
        from apigen.runtime import responses

        def module(name, source):
            m = types.ModuleType(name)
            sys.modules[name] = m
            exec(source, m.__dict__)
            return m

        module("late_base", "from __future__ import annotations\\n"
               "from pydantic import BaseModel\\n"
               "class Base(BaseModel):\\n    kind: Kind | None = None\\n"
               "Kind = int\\n")
        child = module("late_child", "from __future__ import annotations\\n"
                       "from late_base import Base\\n"
                       "class Child(Base):\\n    size: int = 0\\n").Child
        before = child.__pydantic_complete__
        value = responses.adapter(child).validate_python({"kind": "3", "size": 2})
        print(json.dumps([before, value.kind, value.size]))
    """,
        prelude="import json\n",
    )
    # pydantic resolves the inherited ``Kind`` in late_child only: incomplete until rebuilt
    assert got == [False, 3, 2]
