"""Bad input ends in a clean diagnostic (file, line, JSON pointer), exit status 1, no traceback,
and nothing written: neither a new output folder nor a change to an earlier generated one."""

from __future__ import annotations

import hashlib
import json
import re
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from apigen.cli import main

ROOT = Path(__file__).resolve().parent.parent
BAD = ROOT / "tests" / "fixtures" / "bad"
EXPECTED: dict[str, dict[str, Any]] = {
    k: v
    for k, v in json.loads(
        (ROOT / "tests" / "fixtures" / "bad-expected.json").read_text(encoding="utf-8")
    ).items()
    if not k.startswith("_")
}
LENIENT = {"invalid-structure.yaml"}  # schema findings are warnings unless --strict
FATAL = sorted(set(EXPECTED) - LENIENT)

# words the message must contain, per kind of problem
KIND_WORDS = {
    "yaml-syntax": ["YAML"],
    "json-syntax": ["JSON"],
    "yaml-unsafe-tag": ["python/object"],
    "not-openapi": ["not an OpenAPI document"],
    "unsupported-version": ["4.0.0"],
    "unresolved-ref": ["#/components/schemas/Missing"],
    "circular-ref": ["circular"],
    "duplicate-operation-id": ["listThings"],
    "unresolved-external-ref": ["does-not-exist.yaml"],
}


def _hash_tree(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): (
            hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "<dir>"
        )
        for p in sorted(folder.rglob("*"))
    }


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pwned_path() -> Path:
    text = (BAD / "unsafe-yaml-tag.yaml").read_text(encoding="utf-8")
    match = re.search(r">\s*(/[^\s\"'\]]+)", text)
    assert match, "fixture no longer names the file it tries to create"
    return Path(match.group(1))


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _assert_diagnostic(name: str, source: str, err: str) -> None:
    exp = EXPECTED[name]
    assert source in err, f"stderr does not name the file:\n{err}"
    lines = {exp["line"]} | ({exp["parser_line"]} if "parser_line" in exp else set())
    assert any(f"{source}:{line}" in err for line in lines), (
        f"stderr does not give line {sorted(lines)}:\n{err}"
    )
    if exp.get("pointer"):
        assert f" at {exp['pointer']}" in err, (
            f"stderr does not give pointer {exp['pointer']}:\n{err}"
        )
    if "first" in exp:  # the other place of a duplicate
        first = exp["first"]
        assert (
            first["pointer"] in err or f"{source}:{first['line']}" in err or "GET /users" in err
        ), err
    for word in KIND_WORDS[exp["kind"]]:
        assert word in err, f"{word!r} missing from:\n{err}"
    assert "Traceback" not in err
    assert "internal error" not in err


def test_every_bad_fixture_has_an_expectation() -> None:
    assert sorted(p.name for p in BAD.iterdir() if p.is_file()) == sorted(EXPECTED)
    assert set(KIND_WORDS) >= {e["kind"] for n, e in EXPECTED.items() if n not in LENIENT}


# ------------------------------------------------------------- fatal inputs


@pytest.mark.parametrize("name", FATAL)
def test_bad_input_fails_cleanly_and_writes_nothing(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = str(BAD / name)
    out = tmp_path / "out" / "client"
    code, stdout, err = _run(["generate", source, "--output", str(out)], capsys)
    assert code == 1, err
    _assert_diagnostic(name, source, err)
    assert "nothing was written" in err
    assert "Traceback" not in stdout and "generated" not in stdout
    assert not out.exists()
    assert not out.parent.exists() or list(out.parent.iterdir()) == []  # no staging leftovers
    assert sorted(p.name for p in tmp_path.iterdir()) in ([], ["out"])


@pytest.mark.parametrize("name", FATAL)
def test_validate_reports_the_same_problem(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    source = str(BAD / name)
    code, _, err = _run(["validate", source], capsys)
    assert code == 1
    _assert_diagnostic(name, source, err)


@pytest.fixture(scope="module")
def earlier_output(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """An output folder holding a package generated earlier, and the hash of every file in it."""
    out = tmp_path_factory.mktemp("earlier") / "petstore"
    assert (
        main(["generate", str(ROOT / "specs" / "petstore.json"), "--output", str(out), "-q"]) == 0
    )
    snapshot = _hash_tree(out)
    assert any(k.endswith("client.py") for k in snapshot)
    return out, snapshot


@pytest.mark.parametrize("force", [False, True], ids=["plain", "force"])
@pytest.mark.parametrize("name", FATAL)
def test_bad_input_leaves_earlier_output_byte_identical(
    name: str,
    force: bool,
    earlier_output: tuple[Path, dict[str, str]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    out, snapshot = earlier_output
    siblings = sorted(p.name for p in out.parent.iterdir())
    code, _, err = _run(
        ["generate", str(BAD / name), "--output", str(out), "-q", *(["--force"] if force else [])],
        capsys,
    )
    assert code == 1, err
    assert "Traceback" not in err
    assert _hash_tree(out) == snapshot
    assert sorted(p.name for p in out.parent.iterdir()) == siblings


def test_unsafe_yaml_tag_never_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pwned = _pwned_path()
    assert not pwned.exists(), f"{pwned} exists before the test; remove it and investigate"
    for argv in (
        ["generate", str(BAD / "unsafe-yaml-tag.yaml"), "--output", str(tmp_path / "o")],
        ["validate", str(BAD / "unsafe-yaml-tag.yaml")],
    ):
        code, _, err = _run(argv, capsys)
        assert code == 1
        assert not pwned.exists()
    assert not (tmp_path / "o").exists()


def test_through_a_subprocess_no_traceback_reaches_stderr(tmp_path: Path) -> None:
    pwned = _pwned_path()
    for name in ("unsafe-yaml-tag.yaml", "circular-ref-alias.yaml"):
        out = tmp_path / name
        proc = subprocess.run(
            [sys.executable, "-m", "apigen", "generate", str(BAD / name), "--output", str(out)],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=tmp_path,
        )
        assert proc.returncode == 1, proc.stderr
        assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
        assert f"{BAD / name}:{EXPECTED[name]['line']}" in proc.stderr, (
            proc.stderr
        )  # full check: parametrized tests above
        assert "nothing was written" in proc.stderr
        assert not out.exists()
    assert not pwned.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == []


# ----------------------------------------------- not a file / not reachable


def _assert_clean_failure(
    argv: list[str], source: str, out: Path, capsys: pytest.CaptureFixture[str], words: list[str]
) -> None:
    code, _, err = _run(argv, capsys)
    assert code == 1, err
    assert source in err
    for word in words:
        assert word in err, err
    assert "Traceback" not in err and "internal error" not in err
    assert not out.exists()


def test_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = str(tmp_path / "nope.yaml")
    out = tmp_path / "out"
    _assert_clean_failure(
        ["generate", source, "--output", str(out)], source, out, capsys, ["no such file"]
    )
    _assert_clean_failure(["validate", source], source, out, capsys, ["no such file"])


def test_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = str(BAD)
    out = tmp_path / "out"
    _assert_clean_failure(
        ["generate", source, "--output", str(out)], source, out, capsys, ["directory"]
    )


def test_unreachable_url(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = f"http://127.0.0.1:{_closed_port()}/x.yaml"
    out = tmp_path / "out"
    _assert_clean_failure(
        ["generate", source, "--output", str(out)], source, out, capsys, ["cannot fetch"]
    )


def test_missing_file_leaves_earlier_output(
    earlier_output: tuple[Path, dict[str, str]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, snapshot = earlier_output
    code, _, _ = _run(["generate", str(tmp_path / "nope.json"), "--output", str(out), "-q"], capsys)
    assert code == 1
    assert _hash_tree(out) == snapshot


def test_not_utf8(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "latin1.yaml"
    source.write_bytes(
        "openapi: 3.0.3\ninfo: {title: \xe9t\xe9, version: '1'}\npaths: {}\n".encode("latin-1")
    )
    out = tmp_path / "out"
    _assert_clean_failure(
        ["generate", str(source), "--output", str(out)], str(source), out, capsys, ["UTF-8"]
    )


# ------------------------------------------------------ lenient by default


def test_invalid_structure_is_lenient_by_default(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = str(BAD / "invalid-structure.yaml")
    exp = EXPECTED["invalid-structure.yaml"]
    out = tmp_path / "out"
    code, stdout, err = _run(["generate", source, "--output", str(out)], capsys)
    assert code == 0, err
    assert f"{source}:{exp['line']} at {exp['pointer']}: warning:" in err
    assert "responses" in err
    assert f"at {exp['pointer']}/parameters/0" in err  # the 'in: body' parameter
    assert "Traceback" not in err
    assert "generated" in stdout
    assert (out / "pyproject.toml").is_file()


def test_invalid_structure_fails_with_strict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = str(BAD / "invalid-structure.yaml")
    exp = EXPECTED["invalid-structure.yaml"]
    out = tmp_path / "out"
    code, _, err = _run(["generate", source, "--output", str(out), "--strict"], capsys)
    assert code == 1
    assert f"{source}:{exp['line']} at {exp['pointer']}: error:" in err
    assert "nothing was written" in err and "Traceback" not in err
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_invalid_structure_strict_leaves_earlier_output(
    earlier_output: tuple[Path, dict[str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    out, snapshot = earlier_output
    code, _, _ = _run(
        ["generate", str(BAD / "invalid-structure.yaml"), "--output", str(out), "--strict", "-q"],
        capsys,
    )
    assert code == 1
    assert _hash_tree(out) == snapshot
