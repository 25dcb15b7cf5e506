"""Hostile input to the generator (issue 16): what a spec may make apigen read, and how
much time and memory it may cost. Servers are real loopback HTTP servers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml

from apigen.cli import main
from apigen.diagnostics import ApigenError
from apigen.loader import Document, fetch_text, load, parse_text
from apigen.ref_check import MAX_ALIAS_CHAIN, check_refs
from apigen.validate import validate

from loopback import Loopback, endless, gzip_bomb, serve, trickle

SECRET = "TOPSECRET-LOCAL-CONTENT"
SECRET_SCHEMA = (
    f"Secret:\n  type: object\n  description: {SECRET}\n  properties:\n"
    f"    leaked_{SECRET[:3].lower()}: {{type: string}}\n"
)
COMMON = "Common:\n  type: object\n  properties:\n    shared_field: {type: string}\n"


def _spec(ref: str) -> bytes:
    doc = {
        "openapi": "3.0.0",
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/a": {
                "get": {
                    "operationId": "getA",
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {"application/json": {"schema": {"$ref": ref}}},
                        }
                    },
                }
            }
        },
    }
    return json.dumps(doc).encode()


@pytest.fixture
def secret_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory holding a local file a remote spec must never read."""
    (tmp_path / "secret.yaml").write_text(SECRET_SCHEMA, encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "secret.yaml").write_text(SECRET_SCHEMA, encoding="utf-8")
    monkeypatch.chdir(tmp_path / "sub")
    monkeypatch.setenv("APIGEN_CACHE_DIR", "off")
    return tmp_path


@pytest.fixture
def server() -> Iterator[Loopback]:
    yield from serve({})


def _tree_text(folder: Path) -> str:
    return "".join(
        p.read_text(encoding="utf-8", errors="replace") for p in folder.rglob("*") if p.is_file()
    )


# ------------------------------------------------------------ 1. what a remote spec may read


def _local_refs(root: Path) -> list[str]:
    return [
        f"{root}/secret.yaml#/Secret",  # absolute path
        "secret.yaml#/Secret",  # relative: the working directory has one
        "../secret.yaml#/Secret",  # up from the working directory
        f"file://{root}/secret.yaml#/Secret",  # file URL
        f"FILE://localhost{root}/secret.yaml#/Secret",
    ]


@pytest.mark.parametrize("allow", [False, True], ids=["default", "allow-remote-refs"])
def test_remote_spec_never_reads_a_local_file(
    secret_dir: Path, server: Loopback, capsys: Any, allow: bool
) -> None:
    for i, ref in enumerate(_local_refs(secret_dir)):
        server.routes[f"/api/spec{i}.json"] = _spec(ref)
        out = secret_dir / f"out{i}"
        args = ["generate", f"{server.url}/api/spec{i}.json", "-o", str(out), "-n", "leak", "-q"]
        status = main(args + (["--allow-remote-refs"] if allow else []))
        err = capsys.readouterr().err
        leaked = out.exists() and SECRET in _tree_text(out)
        assert not leaked, (ref, "the local file's content reached the generated package")
        fetched = [p for p in server.paths() if p.endswith("secret.yaml")]
        if fetched:  # a relative or absolute path of a remote document is a URL on its own origin
            assert allow and server.routes.get(fetched[-1]) is None, (ref, fetched)
        assert status == 1, (ref, err)
        server.requests.clear()


def test_remote_relative_ref_resolves_against_the_documents_url(
    secret_dir: Path, server: Loopback
) -> None:
    server.routes["/api/v1/spec.json"] = _spec("common.yaml#/Common")
    server.routes["/api/v1/common.yaml"] = COMMON.encode()
    out = secret_dir / "out"
    assert (
        main(
            [
                "generate",
                f"{server.url}/api/v1/spec.json",
                "-o",
                str(out),
                "-n",
                "remote",
                "-q",
                "--allow-remote-refs",
            ]
        )
        == 0
    )
    assert "/api/v1/common.yaml" in server.paths()
    assert "shared_field" in _tree_text(out)


def test_remote_ref_needs_the_flag_and_the_same_origin(
    secret_dir: Path, server: Loopback, capsys: Any
) -> None:
    server.routes["/common.yaml"] = COMMON.encode()
    server.routes["/same.json"] = _spec("/common.yaml#/Common")
    server.routes["/other.json"] = _spec(
        f"http://localhost:{server.port}/common.yaml#/Common"
    )  # another host
    assert main(["generate", f"{server.url}/same.json", "-o", str(secret_dir / "a"), "-q"]) == 1
    assert "--allow-remote-refs" in capsys.readouterr().err
    assert "/common.yaml" not in server.paths()
    assert (
        main(
            [
                "generate",
                f"{server.url}/other.json",
                "-o",
                str(secret_dir / "b"),
                "-q",
                "--allow-remote-refs",
            ]
        )
        == 1
    )
    assert "only its own origin" in capsys.readouterr().err
    assert "/common.yaml" not in server.paths()


def _redirect(to: str) -> Any:
    def route(handler: Any) -> None:
        handler.send_response(302)
        handler.send_header("Location", to)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    return route


def test_a_ref_redirected_off_its_origin_is_not_followed(
    secret_dir: Path, server: Loopback, capsys: Any
) -> None:
    server.routes["/common.yaml"] = COMMON.encode()
    server.routes["/hop.yaml"] = _redirect(f"http://localhost:{server.port}/common.yaml")
    server.routes["/spec.json"] = _spec("/hop.yaml#/Common")
    assert (
        main(
            [
                "generate",
                f"{server.url}/spec.json",
                "-o",
                str(secret_dir / "out"),
                "-q",
                "--allow-remote-refs",
            ]
        )
        == 1
    )
    assert "redirects to" in capsys.readouterr().err
    assert "/common.yaml" not in server.paths()
    server.routes["/hop.yaml"] = _redirect("/common.yaml")  # on the same origin: followed
    assert (
        main(
            [
                "generate",
                f"{server.url}/spec.json",
                "-o",
                str(secret_dir / "out"),
                "-q",
                "--allow-remote-refs",
            ]
        )
        == 0
    )


def test_refs_inside_a_remote_ref_file_stay_remote(
    secret_dir: Path, server: Loopback, capsys: Any
) -> None:
    """A local spec may pull a URL in (with the flag); what that URL references is remote too."""
    (secret_dir / "sub" / "spec.json").write_bytes(_spec(f"{server.url}/nested.yaml#/Nested"))
    server.routes["/nested.yaml"] = (
        f"Nested:\n  $ref: 'file://{secret_dir}/sub/secret.yaml#/Secret'\n".encode()
    )
    out = secret_dir / "out"
    assert main(["generate", "spec.json", "-o", str(out), "-q", "--allow-remote-refs"]) == 1
    assert "file://" in capsys.readouterr().err
    assert not out.exists()


def test_diff_of_urls_reads_no_local_file(secret_dir: Path, server: Loopback, capsys: Any) -> None:
    inline = json.loads(_spec("#/x"))
    inline["paths"]["/a"]["get"]["responses"]["200"]["content"]["application/json"]["schema"] = {
        "type": "object"
    }
    server.routes["/new.json"] = json.dumps(inline).encode()
    for ref in _local_refs(secret_dir):
        server.routes["/old.json"] = _spec(ref)
        status = main(
            ["diff", f"{server.url}/old.json", f"{server.url}/new.json", "--format", "json"]
        )
        captured = capsys.readouterr()
        assert status == 1, (ref, captured.out)  # read, the file's fields would show as removed
        assert "leaked" not in captured.out + captured.err, ref


def test_local_spec_reads_only_under_its_folder_symlinks_resolved(
    secret_dir: Path, capsys: Any
) -> None:
    folder = secret_dir / "api"
    (folder / "schemas").mkdir(parents=True)
    (folder / "schemas" / "common.yaml").write_text(COMMON, encoding="utf-8")
    (folder / "schemas" / "link.yaml").symlink_to(secret_dir / "secret.yaml")  # inside by name only
    cases = {
        "inside": "schemas/common.yaml#/Common",
        "symlink": "schemas/link.yaml#/Secret",
        "up": "../secret.yaml#/Secret",
    }
    for name, ref in cases.items():
        (folder / f"{name}.json").write_bytes(_spec(ref))
    assert main(["validate", str(folder / "inside.json")]) == 0
    for name in ("symlink", "up"):
        assert main(["validate", str(folder / f"{name}.json")]) == 1
        assert "outside the spec's folder" in capsys.readouterr().err
        assert (
            main(["validate", str(folder / f"{name}.json"), "--allow-remote-refs"]) == 0
        )  # the user allows more


def test_validator_follows_refs_only_where_the_rules_allow(
    secret_dir: Path, server: Loopback
) -> None:
    """openapi-spec-validator resolves refs itself; it must not fetch or read past the rules."""
    server.routes["/x.yaml"] = COMMON.encode()
    spec = secret_dir / "sub" / "v.json"
    for ref in (f"{server.url}/x.yaml#/Common", "../secret.yaml#/Secret"):
        spec.write_bytes(_spec(ref))
        doc = load(str(spec))
        findings = validate(doc)
        assert server.paths() == [], "the validator fetched a URL without --allow-remote-refs"
        assert all(SECRET not in d.message for d in findings)
        assert any("validator stopped" in d.message for d in findings), findings


# ------------------------------------------------------------ 3. denial of service by input


def _bomb(levels: int, width: int) -> str:
    lines = [
        "openapi: 3.0.0",
        "info: {title: t, version: '1'}",
        "paths: {}",
        "x-l0: &l0 [lol, lol, lol]",
    ]
    for i in range(1, levels):
        lines.append(f"x-l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * width)}]")
    return "\n".join(lines) + "\n"


BOMBS = {
    "lists-9x9": _bomb(9, 9),  # the 390-byte kind: 9^9 leaves
    "lists-2x40": _bomb(40, 2),  # deep and narrow
    "mappings": "openapi: 3.0.0\ninfo: {title: t, version: '1'}\npaths: {}\n"
    + "".join(
        f"x-{i}: &m{i} {{a: *m{i - 1}, b: *m{i - 1}, c: *m{i - 1}, d: *m{i - 1}}}\n"
        if i
        else "x-0: &m0 {k: v}\n"
        for i in range(30)
    ),
    "many-aliases": "openapi: 3.0.0\ninfo: {title: t, version: '1'}\npaths: {}\nx-s: &s "
    + "q" * 1000
    + "\nx-all: ["
    + ", ".join(["*s"] * 20_000)
    + "]\n",
    "recursive": "openapi: 3.0.0\ninfo: {title: t, version: '1'}\npaths: {}\n"
    "x-r: &r [*r, {a: *r}]\n",
}


@pytest.mark.parametrize("name", sorted(BOMBS))
def test_yaml_alias_bombs_are_refused_when_read(name: str) -> None:
    with pytest.raises(ApigenError) as info:
        parse_text(BOMBS[name], "bomb.yaml")
    message = str(info.value)
    assert "invalid YAML" in message and ("alias" in message or "recursive" in message), message


def test_yaml_alias_bomb_ends_the_run_with_exit_1(tmp_path: Path) -> None:
    spec = tmp_path / "bomb.yaml"
    spec.write_text(BOMBS["lists-9x9"], encoding="utf-8")
    env = {**os.environ, "APIGEN_CACHE_DIR": "off"}
    # the timeout only keeps a regression from hanging the suite
    done = subprocess.run(
        [sys.executable, "-m", "apigen", "generate", str(spec), "-o", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr[-2000:]
    assert "YAML aliases expand to more than" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "out").exists()


def test_yaml_anchors_within_the_limits_still_load() -> None:
    text = (
        "openapi: 3.0.0\ninfo: {title: t, version: '1'}\npaths: {}\n"
        "x-p: &p {in: query, name: q}\nx-u: [*p, *p, *p]\n"
    )
    assert parse_text(text, "ok.yaml")["x-u"][2] == {"in": "query", "name": "q"}


def _alias_chain(links: int, loop: bool = False) -> dict[str, Any]:
    schemas: dict[str, Any] = {
        f"S{i}": {"$ref": f"#/components/schemas/S{i + 1}"} for i in range(links)
    }
    schemas[f"S{links}"] = {"$ref": "#/components/schemas/S0"} if loop else {"type": "string"}
    return {
        "openapi": "3.0.0",
        "info": {"title": "t", "version": "1"},
        "paths": {},
        "components": {"schemas": schemas},
    }


def test_a_2000_link_ref_alias_chain_is_refused_quickly() -> None:
    data = _alias_chain(2000)
    doc = Document(data, "chain.json", json.dumps(data))
    with pytest.raises(ApigenError) as info:
        check_refs(data, doc)
    assert f"longer than {MAX_ALIAS_CHAIN} links" in str(info.value)
    assert all("longer than" in d.message for d in info.value.diagnostics)


def test_alias_chains_within_the_limit_pass_and_loops_are_named() -> None:
    data = _alias_chain(MAX_ALIAS_CHAIN - 1)
    check_refs(data, Document(data, "ok.json", json.dumps(data)))
    looped = _alias_chain(3000, loop=True)
    with pytest.raises(ApigenError) as info:
        check_refs(looped, Document(looped, "loop.json", json.dumps(looped)))
    assert "circular $ref chain" in str(info.value) and "more" in str(info.value)


@pytest.fixture
def heavy(server: Loopback) -> Loopback:
    server.routes["/endless.yaml"] = endless("endless", server.sent)
    server.routes["/declared.yaml"] = endless("declared", server.sent, declare_length=True)
    server.routes["/bomb.yaml"] = gzip_bomb(16 << 20)
    return server


@pytest.mark.parametrize("path", ["/endless.yaml", "/declared.yaml", "/bomb.yaml"])
def test_download_cap_holds_while_streaming(heavy: Loopback, path: str) -> None:
    with pytest.raises(ApigenError) as info:
        fetch_text(heavy.url + path, max_bytes=4 << 20)
    assert "larger than 4 MiB" in str(info.value)
    if (
        path != "/bomb.yaml"
    ):  # the server could write no more than the socket buffers hold past the cap
        assert heavy.sent.get(path.strip("/").split(".")[0], 0) < 64 << 20


class _Clock:
    """A clock that moves ``step`` seconds each time it is read."""

    def __init__(self, step: float) -> None:
        self.now, self.step = 0.0, step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


def test_fetch_has_a_total_deadline(server: Loopback) -> None:
    server.routes["/slow.yaml"] = trickle(byte_every=0.01)
    with pytest.raises(ApigenError) as info:
        fetch_text(
            server.url + "/slow.yaml", deadline=3.0, clock=_Clock(0.5)
        )  # 1 KiB in 5 s would still pass
    assert "longer than the 3 s deadline" in str(info.value)


def test_fetch_gives_up_on_a_server_that_trickles(server: Loopback) -> None:
    server.routes["/slow.yaml"] = trickle(byte_every=0.01)
    with pytest.raises(ApigenError) as info:
        fetch_text(server.url + "/slow.yaml", deadline=1000.0, clock=_Clock(1.0))
    assert "server too slow" in str(info.value)


def test_trickling_spec_url_ends_the_run_with_exit_1(server: Loopback, tmp_path: Path) -> None:
    server.routes["/slow.yaml"] = trickle(byte_every=0.05)
    env = {**os.environ, "APIGEN_CACHE_DIR": "off", "APIGEN_FETCH_DEADLINE": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "apigen", "validate", server.url + "/slow.yaml"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 1 and "deadline" in done.stderr, done.stderr


# ------------------------------------------------------------ 6. duplicate keys

DUPLICATES = {
    "paths.yaml": (
        "openapi: 3.0.0\ninfo: {title: t, version: '1'}\npaths:\n"
        "  /pets:\n    get: {responses: {'200': {description: a}}}\n"
        "  /x: {}\n  /pets:\n    post: {responses: {'200': {description: b}}}\n",
        7,
        "/paths/~1pets",
        "4",
    ),
    "schema.yaml": (
        "openapi: 3.0.0\ninfo: {title: t, version: '1'}\npaths: {}\n"
        "components:\n  schemas:\n    A:\n"
        "      properties:\n        id: {type: string}\n        id: {type: integer}\n",
        9,
        "/components/schemas/A/properties/id",
        "8",
    ),
    "pretty.json": (
        '{\n "openapi": "3.0.0",\n "info": {"title": "t", "version": "1"},\n'
        ' "paths": {\n  "/a": {},\n'
        '  "/a": {}\n }\n}\n',
        6,
        "/paths/~1a",
        "5",
    ),
    "minified.json": (
        '{"openapi":"3.0.0","info":{"title":"t","version":"1"},"paths":{"/a":{},"/a":{}}}',
        1,
        "/paths/~1a",
        "1:64",
    ),
}


@pytest.mark.parametrize("name", sorted(DUPLICATES))
def test_duplicate_keys_are_errors_naming_both_lines(
    name: str, tmp_path: Path, capsys: Any
) -> None:
    text, line, where, first = DUPLICATES[name]
    spec = tmp_path / name
    spec.write_text(text, encoding="utf-8")
    assert main(["validate", str(spec)]) == 1
    err = capsys.readouterr().err
    assert f"{spec}:{line} at {where}: error: duplicate key" in err, err
    assert f"first at {spec}:{first}," in err, err


def test_a_key_repeated_through_an_alias_is_not_a_duplicate() -> None:
    text = (
        "openapi: 3.0.0\ninfo: {title: t, version: '1'}\npaths: {}\n"
        "x-a: &a {k: 1}\nx-b: {<<: *a, k: 2}\n"
    )
    assert parse_text(text, "merge.yaml")["x-b"] == {"k": 2}
    assert yaml.safe_load(text) == parse_text(text, "merge.yaml")
