"""``apigen contract`` as a subprocess: against ``apigen mock`` serving a spec with
non-conformance injected (one kind per test), against a loopback server that drifts,
passing on a conforming server; rate limit and budget with an injected clock."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

from apigen.contract import Contract, Settings
from apigen.mockspec import mock_spec
from loopback import serve
from support import REPO
from test_mock_server import MockProcess

PETSTORE = json.loads((REPO / "specs" / "petstore.json").read_text(encoding="utf-8"))
CREDENTIALS = ["--header", "api_key: k", "--header", "Authorization: Bearer t"]


def contract(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "apigen", "contract", *args, "--rate", "0"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )


def _write(tmp: Path, name: str, spec: dict[str, Any]) -> Path:
    path = tmp / name
    path.write_text(json.dumps(spec), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def drifted_mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """``apigen mock`` serving Petstore changed three ways; the report of checking it
    against a Petstore that also requires a response header the mock never sends."""
    tmp = tmp_path_factory.mktemp("contract")
    served = copy.deepcopy(PETSTORE)
    inventory = served["paths"]["/store/inventory"]["get"]["responses"]
    inventory["201"] = inventory.pop("200")  # answers a status the truth does not declare
    served["components"]["schemas"]["Pet"]["properties"]["name"] = {"type": "integer", "example": 7}
    truth = copy.deepcopy(PETSTORE)
    truth["paths"]["/user/login"]["get"]["responses"]["200"]["headers"]["X-Request-Id"] = {
        "required": True,
        "schema": {"type": "string"},
    }
    server = MockProcess(_write(tmp, "served.json", served))
    try:
        run = contract(
            str(_write(tmp, "truth.json", truth)),
            "--base-url",
            server.url + "/v2",
            *CREDENTIALS,
            "--param",
            "orderId=1",
            "--param",
            "username=u",
            "--format",
            "json",
        )
    finally:
        server.proc.kill()
        server.proc.wait(timeout=10)
    report = json.loads(run.stdout)
    yield {
        "run": run,
        "report": report,
        "by_op": {op["operation"]: op for op in report["operations"]},
    }


def test_finds_a_status_the_spec_does_not_declare(drifted_mock: dict[str, Any]) -> None:
    assert drifted_mock["run"].returncode == 1, drifted_mock["run"].stderr
    inventory = drifted_mock["by_op"]["getInventory"]
    assert inventory["status"] == 201
    assert inventory["findings"] == ["status 201 is not declared (the spec declares 200)"]


def test_finds_a_body_that_does_not_match_its_schema(drifted_mock: dict[str, Any]) -> None:
    # the pet id came from the list answer of /pet/findByStatus: no --param petId given
    pet = drifted_mock["by_op"]["getPetById"]
    assert pet["url"].endswith("/v2/pet/25") and pet["status"] == 200
    assert "body.name: expected string, got integer" in pet["findings"]
    listed = drifted_mock["by_op"]["findPetsByStatus"]
    assert "body[0].name: expected string, got integer" in listed["findings"]


def test_finds_a_required_header_missing(drifted_mock: dict[str, Any]) -> None:
    login = drifted_mock["by_op"]["loginUser"]
    assert login["findings"] == ["header 'X-Request-Id': required, missing"]
    conforming = {
        op["operation"]
        for op in drifted_mock["report"]["operations"]
        if not op["findings"] and not op["skipped"]
    }
    assert {"logoutUser", "getOrderById", "getUserByName"} <= conforming
    assert (
        drifted_mock["report"]["summary"]["nonconforming"] == 5
    )  # 2 lists, a pet, inventory, login


def test_passes_on_a_conforming_server() -> None:
    server = MockProcess(REPO / "specs" / "petstore.json")
    try:
        run = contract(
            "specs/petstore.json",
            "--base-url",
            server.url + "/v2",
            *CREDENTIALS,
            "--param",
            "orderId=1",
            "--param",
            "username=u",
        )
    finally:
        server.proc.kill()
        server.proc.wait(timeout=10)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "8 operations called: 8 conform, 0 do not; 0 skipped" in run.stdout
    assert "ok       GET /pet/{petId} (getPetById) -> 200" in run.stdout


ITEMS_SPEC = {
    "openapi": "3.0.3",
    "info": {"title": "items", "version": "1"},
    "paths": {
        "/items": {
            "get": {
                "operationId": "listItems",
                "responses": {
                    "200": {
                        "description": "ok",
                        "headers": {
                            "X-Request-Id": {"required": True, "schema": {"type": "string"}}
                        },
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "array",
                                    "items": {"$ref": "#/components/schemas/Item"},
                                }
                            }
                        },
                    }
                },
            }
        },
        "/items/{itemId}": {
            "get": {
                "operationId": "getItem",
                "parameters": [
                    {
                        "name": "itemId",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer"},
                    }
                ],
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Item"}}
                        },
                    },
                    "404": {"description": "none"},
                },
            }
        },
        "/status": {
            "get": {
                "operationId": "status",
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    }
                },
            }
        },
        "/items/{itemId}/delete": {
            "post": {
                "operationId": "deleteItem",
                "parameters": [
                    {
                        "name": "itemId",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer"},
                    }
                ],
                "responses": {"204": {"description": "gone"}},
            }
        },
    },
    "components": {
        "schemas": {
            "Item": {
                "type": "object",
                "required": ["id", "name"],
                "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
            }
        }
    },
}


def _answer(handler: Any, status: int, body: bytes, headers: dict[str, str]) -> None:
    handler.send_response(status)
    for key, value in headers.items():
        handler.send_header(key, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def test_a_loopback_server_that_drifts(tmp_path: Path) -> None:
    state = {"drifted": False}

    def items(handler: Any) -> None:
        headers = {"Content-Type": "application/json"}
        if not state["drifted"]:
            headers["X-Request-Id"] = "r1"
        _answer(handler, 200, b'[{"id": 7, "name": "seven"}]', headers)

    def item(handler: Any) -> None:
        body = (
            b'{"id": "7", "name": "seven"}' if state["drifted"] else b'{"id": 7, "name": "seven"}'
        )
        _answer(handler, 200, body, {"Content-Type": "application/json"})

    def status(handler: Any) -> None:
        if state["drifted"]:
            _answer(handler, 503, b"<html>down</html>", {"Content-Type": "text/html"})
        else:
            _answer(handler, 200, b"{}", {"Content-Type": "application/json"})

    spec = _write(tmp_path, "items.json", ITEMS_SPEC)
    for server in serve({"/items": items, "/items/7": item, "/status": status}):
        first = contract(str(spec), "--base-url", server.url)
        assert first.returncode == 0, first.stdout + first.stderr
        assert "/items/7" in server.paths()  # the id of the list answer fed the get
        assert not any("delete" in p for p in server.paths())  # POST: not called by default
        state["drifted"] = True
        report = tmp_path / "report.xml"
        second = contract(
            str(spec), "--base-url", server.url, "--format", "junit", "--output", str(report)
        )
    assert second.returncode == 1
    assert "3 operations called: 0 conform, 3 do not; 0 skipped" in second.stdout
    suite = ET.fromstring(report.read_text(encoding="utf-8"))
    assert suite.get("tests") == "3" and suite.get("failures") == "3"
    failures = {
        case.get("name"): case.find("failure").get("message")  # type: ignore[union-attr]
        for case in suite.iter("testcase")
    }
    assert failures == {
        "GET /items (listItems)": "header 'X-Request-Id': required, missing",
        "GET /items/{itemId} (getItem)": "body.id: expected integer, got string",
        "GET /status (status)": "status 503 is not declared (the spec declares 200)",
    }


def test_bad_input_gets_a_message_and_exit_status_2(tmp_path: Path) -> None:
    unreachable = contract("specs/petstore.json", "--base-url", "http://127.0.0.1:9/v2")
    broken = tmp_path / "broken.json"
    broken.write_text("{ not json", encoding="utf-8")
    bad_spec = contract(str(broken), "--base-url", "http://127.0.0.1:9")
    for run, message in (
        (unreachable, "apigen contract: error: cannot reach http://127.0.0.1:9/v2"),
        (bad_spec, "apigen contract: error:"),
    ):
        assert run.returncode == 2 and message in run.stderr, run.stderr
        assert "Traceback" not in run.stderr
    assert "broken.json" in bad_spec.stderr
    plain = contract(
        "specs/petstore.json",
        "--base-url",
        "http://api.example.com",
        "--header",
        "Authorization: Bearer secret",
    )
    assert plain.returncode == 2 and "only to loopback" in plain.stderr


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 6))
        self.now += seconds


def _answering(request: httpx.Request) -> httpx.Response:
    if request.url.path == "/items":
        return httpx.Response(200, json=[{"id": 7, "name": "n"}], headers={"X-Request-Id": "r"})
    return httpx.Response(200, json={"id": 7, "name": "n"} if "items" in request.url.path else {})


def test_requests_are_spaced_by_the_rate_and_stop_at_the_budget() -> None:
    clock = _Clock()
    spaced = Contract(
        mock_spec(ITEMS_SPEC),
        Settings("http://127.0.0.1:1", rate=4.0),
        transport=httpx.MockTransport(_answering),
        clock=clock,
        sleep=clock.sleep,
    )
    results = list(spaced.run())
    assert [r.conforms for r in results] == [True, True, True]
    assert clock.slept == [0.25, 0.25]  # 3 requests at 4 per second: two gaps of 0.25 s

    clock = _Clock()
    budget = Contract(
        mock_spec(ITEMS_SPEC),
        Settings("http://127.0.0.1:1", rate=1.0, budget=1.5, include=["deleteItem"]),
        transport=httpx.MockTransport(_answering),
        clock=clock,
        sleep=clock.sleep,
    )
    results = list(budget.run())
    called = [r.operation for r in results if not r.skipped]
    assert called == ["listItems", "status"]  # the third would start after 2 s
    assert [r.skipped for r in results if r.skipped] == ["time budget of 1.5 s used up"] * 2


def test_included_operations_send_their_request_body() -> None:
    from apigen.runtime.mock import MockAPI

    spec = mock_spec(PETSTORE)
    mock = MockAPI(spec)
    checked = Contract(
        spec,
        Settings(
            "https://petstore.test/v2",
            include=["addPet", "placeOrder"],
            headers={"api_key": "k", "Authorization": "Bearer t"},
            rate=0,
        ),
        transport=mock,
    )
    results = {r.operation: r for r in checked.run()}
    assert results["addPet"].status == 200 and results["placeOrder"].status == 200
    posts = [c for c in mock.calls if c.request.method == "POST"]
    assert [c.operation_id for c in posts] == ["addPet", "placeOrder"]
    assert all(c.valid and isinstance(c.json, dict) for c in posts), [c.problems for c in posts]
