"""``apigen mock`` as a subprocess on loopback, driven by raw httpx and by the generated client."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from apigen.mockserver import read_mock_spec
from support import REPO, import_generated

STARTUP = 60  # seconds: a bound on a loaded machine, not a measurement


class MockProcess:
    def __init__(self, spec: Path, sigint_ignored: bool = False) -> None:
        cmd = [sys.executable, "-m", "apigen", "mock", str(spec), "--port", "0"]
        self.proc = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=REPO,
            # as a shell's background job starts (a test suite run with `&`)
            preexec_fn=(lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
            if sigint_ignored
            else None,
        )
        self.lines: list[str] = []
        ready = threading.Event()

        def read() -> None:
            assert self.proc.stdout is not None
            for line in self.proc.stdout:
                self.lines.append(line.rstrip("\n"))
                ready.set()

        self.reader = threading.Thread(target=read, daemon=True)
        self.reader.start()
        if not ready.wait(STARTUP):
            self.proc.kill()
            pytest.fail("apigen mock printed nothing")
        found = re.search(r"operations on http://127\.0\.0\.1:(\d+)", self.lines[0])
        assert found, self.lines
        self.url = f"http://127.0.0.1:{found.group(1)}"

    def stop(self, sig: int) -> int:
        self.proc.send_signal(sig)
        code = self.proc.wait(timeout=30)
        self.reader.join(timeout=10)
        return code


@pytest.fixture()
def petstore_mock() -> Iterator[MockProcess]:
    server = MockProcess(REPO / "specs" / "petstore.json")
    yield server
    if server.proc.poll() is None:
        server.proc.kill()
        server.proc.wait(timeout=10)


def test_raw_httpx_client_and_log_then_sigint(petstore_mock: MockProcess) -> None:
    with httpx.Client(base_url=petstore_mock.url + "/v2", timeout=30) as anonymous:
        refused = anonymous.get("/pet/1")  # GET /pet/{petId} requires the api_key scheme
        assert (
            refused.status_code == 401 and "api_key (header 'api_key')" in refused.json()["message"]
        )
    creds = {"api_key": "k", "Authorization": "Bearer t"}
    with httpx.Client(base_url=petstore_mock.url + "/v2", timeout=30, headers=creds) as raw:
        pet = raw.get("/pet/1")
        assert pet.status_code == 200 and pet.json()["name"] == "doggie"
        bad = raw.get("/pet/abc")
        assert bad.status_code == 400 and "path parameter 'petId'" in bad.json()["message"]
        missing = raw.post("/pet", json={"photoUrls": []})
        assert "body.name: required property is missing" in missing.json()["message"]
        assert raw.get("/nowhere").status_code == 404

    petstore = import_generated("petstore")
    with petstore.Client(base_url=petstore_mock.url + "/v2", api_key="k", petstore_auth="t") as api:
        assert api.pet.retrieve(pet_id=5).name == "doggie"
        with pytest.raises(petstore.BadRequestError, match="query parameter 'status'"):
            api.pet.find_by_status(status=["lost"])
        assert api.store.inventory() is not None

    assert petstore_mock.stop(signal.SIGINT) == 0
    log = "\n".join(petstore_mock.lines)
    assert "GET /v2/pet/1 -> 200 ok" in log
    assert "GET /v2/pet/abc -> 400 rejected: path parameter 'petId'" in log
    assert "GET /v2/nowhere -> 404 rejected: no operation of the spec matches" in log
    assert "GET /v2/pet/1 -> 401 rejected: credentials: missing" in log
    assert "apigen mock: stopped after 8 requests" in log


def test_answers_concurrently_and_stops_on_sigterm(petstore_mock: MockProcess) -> None:
    port = int(petstore_mock.url.rsplit(":", 1)[1])
    stalled = socket.create_connection(("127.0.0.1", port), timeout=30)
    try:  # a request whose body never comes holds one thread; another is still answered
        stalled.sendall(b"POST /v2/pet HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
        response = httpx.get(
            petstore_mock.url + "/v2/store/inventory", timeout=30, headers={"api_key": "k"}
        )
        assert response.status_code == 200
    finally:
        stalled.close()
    assert petstore_mock.stop(signal.SIGTERM) == 0
    assert any(line.startswith("apigen mock: stopped after") for line in petstore_mock.lines)
    assert not any(line.startswith("POST") for line in petstore_mock.lines)  # never completed


def test_specs_that_need_the_loader_yaml_and_swagger2() -> None:
    swagger2 = read_mock_spec(str(REPO / "specs" / "petstore-swagger2.json"))
    assert any(op["path"] == "/pet/{petId}" for op in swagger2["operations"])
    library = read_mock_spec(str(REPO / "specs" / "openapi31.yaml"))
    assert library["operations"] and library["schemas"]


def test_sigint_stops_it_when_started_with_sigint_ignored() -> None:
    # Python installs no KeyboardInterrupt handler then: the mock used to run on
    server = MockProcess(REPO / "specs" / "petstore.json", sigint_ignored=True)
    try:
        assert server.stop(signal.SIGINT) == 0
        assert "apigen mock: stopped after 0 requests" in server.lines
    finally:
        if server.proc.poll() is None:
            server.proc.kill()
            server.proc.wait(timeout=10)
