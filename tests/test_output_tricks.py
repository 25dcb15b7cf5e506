"""Output-folder tricks and terminal/CI injection (issue 16, items 4 and 5)."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

import pytest

from apigen.cli import main
from apigen.config import load_clients
from apigen.console import escape_line
from apigen.diagnostics import ApigenError

GENERATOR = Path(__file__).resolve().parent.parent / "generator" / "apigen"


def _spec(path: Path, title: str = "t", extra_path: str = "/a") -> Path:
    path.write_text(
        json.dumps(
            {
                "openapi": "3.0.0",
                "info": {"title": title, "version": "1"},
                "paths": {
                    extra_path: {
                        "get": {"operationId": "getA", "responses": {"204": {"description": "ok"}}}
                    }
                },
            }
        ),
        encoding="utf-8",
    )
    return path


# ------------------------------------------------------------ 4. names and outputs


@pytest.mark.parametrize(
    "name",
    ["httpx", "json", "logging", "typing_extensions", "pydantic", "asyncio", "enum", "anyio"],
)
def test_a_name_that_shadows_a_module_is_refused(
    name: str, tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APIGEN_CACHE_DIR", "off")
    out = tmp_path / "out"
    assert (
        main(["generate", str(_spec(tmp_path / "s.json")), "-o", str(out), "-n", name, "-q"]) == 1
    )
    assert "would shadow" in capsys.readouterr().err and not out.exists()


def test_a_title_that_would_shadow_a_module_gets_a_suffix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APIGEN_CACHE_DIR", "off")
    out = tmp_path / "out"
    assert (
        main(["generate", str(_spec(tmp_path / "s.json", title="JSON")), "-o", str(out), "-q"]) == 0
    )
    assert (out / "json_client" / "__init__.py").is_file() and not (out / "json").exists()


def _config(tmp_path: Path, outputs: list[str]) -> Path:
    _spec(tmp_path / "s.json")
    body = "".join(
        f'[[tool.apigen.clients]]\nname = "c{i}"\nspec = "s.json"\noutput = "{o}"\n\n'
        for i, o in enumerate(outputs)
    )
    path = tmp_path / "pyproject.toml"
    path.write_text(body, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "outputs",
    [["gen/a", "gen/a"], ["gen/a", "gen/./b/../a"], ["gen/a", "gen/a/inner"], ["gen/a", "link/a"]],
    ids=["same", "respelled", "nested", "symlink"],
)
def test_two_clients_with_one_output_are_refused(tmp_path: Path, outputs: list[str]) -> None:
    (tmp_path / "gen").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "gen")
    with pytest.raises(ApigenError, match="each client needs its own folder"):
        load_clients(_config(tmp_path, outputs))


def test_two_clients_with_one_output_exit_1_and_write_nothing(
    tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _config(tmp_path, ["gen/a", "gen/a"])
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("APIGEN_CACHE_DIR", "off")
    assert main(["generate"]) == 1
    assert "'c0' and 'c1' have the same output" in capsys.readouterr().err
    assert not (tmp_path / "gen").exists()


def test_separate_outputs_are_fine(tmp_path: Path) -> None:
    assert [c.name for c in load_clients(_config(tmp_path, ["gen/a", "gen/ab"]))] == ["c0", "c1"]


# ------------------------------------------------------------ 5. terminal and CI injection

EVIL = "\x1b[31m\r\n::error title=pwned::gotcha\u202e\x9b\x07\u2028::add-mask::x"


def _evil_specs(tmp_path: Path) -> tuple[Path, Path]:
    new = {
        "openapi": "3.0.0",
        "info": {"title": "evil" + EVIL, "version": "1"},
        "paths": {
            "/x" + EVIL: {
                "get": {
                    "operationId": "op" + EVIL,
                    "tags": ["t" + EVIL],
                    "summary": EVIL,
                    "parameters": [
                        {"name": "Accept", "in": "header", "schema": {"type": "string"}},
                        {"name": "q" + EVIL, "in": "query", "schema": {"type": "string"}},
                    ],
                    "responses": {
                        "200": {
                            "description": EVIL,
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "properties": {"a" + EVIL: {"type": ["strin" + EVIL]}},
                                    }
                                }
                            },
                        }
                    },
                }
            }
        },
    }
    old = json.loads(json.dumps(new))
    del old["paths"]["/x" + EVIL]["get"]["parameters"][1]
    old_path, new_path = tmp_path / ("old::error::" + ".json"), tmp_path / "new.json"
    old_path.write_text(json.dumps(old), encoding="utf-8")
    new_path.write_text(json.dumps(new), encoding="utf-8")
    return old_path, new_path


def _assert_inert(text: str) -> None:
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2028\u2029]", text), repr(text)
    for line in text.split("\n"):
        assert not line.lstrip().startswith("::"), line


def test_spec_text_printed_by_every_command_is_inert(
    tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APIGEN_CACHE_DIR", "off")
    old, new = _evil_specs(tmp_path)
    runs = [
        ["generate", str(new), "-o", str(tmp_path / "out"), "-n", "evil"],
        ["validate", str(new)],
        ["validate", str(new), "--strict"],
        ["diff", str(old), str(new)],
        ["diff", str(old), str(new), "--format", "markdown"],
        ["diff", str(old), str(new), "--format", "json"],
    ]
    seen = ""
    for argv in runs:
        main(argv)
        captured = capsys.readouterr()
        _assert_inert(captured.out)
        _assert_inert(captured.err)
        seen += captured.out + captured.err
    assert "\\x1b[31m" in seen and "::error title=pwned" in seen  # shown, escaped, not dropped


def test_a_bad_ref_with_a_hostile_file_name_is_inert(tmp_path: Path, capsys: Any) -> None:
    spec = tmp_path / "s.json"
    spec.write_text(
        json.dumps(
            {
                "openapi": "3.0.0",
                "info": {"title": "t", "version": "1"},
                "paths": {
                    "/a": {
                        "get": {
                            "responses": {
                                "200": {
                                    "description": "x",
                                    "content": {
                                        "application/json": {
                                            "schema": {
                                                "$ref": "sub\n::error::x/\x1b]0;title\x07.yaml"
                                            }
                                        }
                                    },
                                }
                            }
                        }
                    }
                },
            }
        ),
        encoding="utf-8",
    )
    assert main(["validate", str(spec)]) == 1
    captured = capsys.readouterr()
    _assert_inert(captured.out + captured.err)


@pytest.mark.parametrize(
    "line", ["::error::x", "  ::warning::y", "\t::add-mask::z", "a\n::error::b", "\x1bc", "\x9b2J"]
)
def test_escape_line_neutralises_commands_and_controls(line: str) -> None:
    _assert_inert(escape_line(line))


def test_library_warnings_and_log_records_are_escaped_too(capsys: Any) -> None:
    import logging
    import warnings

    from apigen.console import library_output_escaped

    library = logging.getLogger("some.library")
    library.propagate = False  # no handler anywhere: what logging's last resort prints
    try:
        with library_output_escaped():
            warnings.warn("spec says \x1b[2J\n::error::boom", UserWarning, stacklevel=1)
            library.warning("schema %s", "\x1b]0;x\x07\n::add-mask::y")
    finally:
        library.propagate = True
    err = capsys.readouterr().err
    _assert_inert(err)
    assert "spec says \\x1b[2J" in err and "some.library: warning: schema \\x1b]0;x" in err, err


def _writes_to_stdio(node: ast.AST) -> bool:
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Name) and func.id == "print":
            return True
        if isinstance(func, ast.Attribute) and func.attr in ("write", "writelines"):
            target = ast.unparse(func.value)
            return target in ("sys.stdout", "sys.stderr", "sys.__stdout__", "sys.__stderr__")
    return False


def test_all_output_goes_through_the_console_module() -> None:
    offenders = []
    for path in sorted(GENERATOR.glob("*.py")):
        if path.name == "console.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if _writes_to_stdio(node):
                offenders.append(f"{path.name}:{node.lineno}")  # type: ignore[attr-defined]
    assert offenders == []
