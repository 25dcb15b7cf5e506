"""The ``apigen`` command line: version, help, validate, the summary, the refusal to clobber."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

import apigen
from apigen.cli import main

ROOT = Path(__file__).resolve().parent.parent
PETSTORE = ROOT / "specs" / "petstore.json"
METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def _spec_operations(path: Path) -> int:
    data = json.loads(path.read_text(encoding="utf-8"))
    return sum(1 for item in data["paths"].values() for method in item if method in METHODS)


TINY = """\
openapi: 3.0.3
info: {title: Tiny, version: 1.0.0}
servers: [{url: "https://tiny.example.com"}]
paths:
  /ping:
    get:
      operationId: ping
      responses:
        "204": {description: pong}
"""


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("tiny") / "tiny.yaml"
    path.write_text(TINY, encoding="utf-8")
    return str(path)


def _tree(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        if p.is_file()
        else "<dir>"
        for p in sorted(folder.rglob("*"))
    }


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, str, str, Path]:
    """One fresh generation of petstore, shared: output, exit code, stdout, stderr, summary json."""
    base = tmp_path_factory.mktemp("cli")
    out = base / "fresh" / "petstore-client"
    summary = base / "summary.json"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "apigen",
            "generate",
            str(PETSTORE),
            "--output",
            str(out),
            "--summary-json",
            str(summary),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    return out, proc.returncode, proc.stdout, proc.stderr, summary


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"apigen {apigen.__version__}"


def test_version_console_script() -> None:
    exe = Path(sys.executable).parent / "apigen"
    if not exe.exists():
        pytest.skip("console script not installed next to this interpreter")
    proc = subprocess.run([str(exe), "--version"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and apigen.__version__ in proc.stdout


@pytest.mark.parametrize(
    "argv", [["--help"], ["generate", "--help"], ["check", "--help"], ["validate", "--help"]]
)
def test_help(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: apigen")
    if argv[0] == "generate":
        for option in (
            "--output",
            "--name",
            "--strict",
            "--force",
            "--summary-json",
            "--allow-remote-refs",
            "--quiet",
        ):
            assert option in out
    if argv[0] == "--help":
        for command in ("generate", "check", "validate"):
            assert command in out


def test_no_command_prints_usage_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "usage: apigen" in capsys.readouterr().out


def test_unknown_option_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["generate", str(PETSTORE), "--no-such-option"])
    assert info.value.code == 2
    assert "unrecognized arguments" in capsys.readouterr().err


def test_validate_petstore(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(PETSTORE)]) == 0
    captured = capsys.readouterr()
    assert f"{_spec_operations(PETSTORE)} operations" in captured.out
    assert "0 findings" in captured.out
    assert "Traceback" not in captured.out + captured.err


def test_validate_strict_with_findings_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    bad = ROOT / "tests" / "fixtures" / "bad" / "invalid-structure.yaml"
    assert main(["validate", str(bad)]) == 0
    assert "responses" in capsys.readouterr().out
    assert main(["validate", "--strict", str(bad)]) == 1


def test_generate_prints_summary(generated: tuple[Path, int, str, str, Path]) -> None:
    out, code, stdout, stderr, _ = generated
    assert code == 0, stderr
    assert "Traceback" not in stderr
    lines = stdout.splitlines()
    assert lines[0] == f"generated petstore in {out}"
    ops = _spec_operations(PETSTORE)
    assert any(
        line.strip().startswith(f"operations: {ops} in ") and "resources" in line for line in lines
    ), stdout
    assert any(
        line.strip().startswith("models:") and int(line.split(":")[1]) > 0 for line in lines
    ), stdout
    assert any(line.strip() == "skipped:    0" for line in lines), stdout
    assert (out / "pyproject.toml").is_file()
    assert (out / "petstore" / "__init__.py").is_file()
    assert (out / "petstore" / "_runtime").is_dir()


def test_generate_leaves_no_staging_folder(generated: tuple[Path, int, str, str, Path]) -> None:
    out = generated[0]
    assert sorted(p.name for p in out.parent.iterdir()) == [out.name]


def test_summary_json(generated: tuple[Path, int, str, str, Path]) -> None:
    out, code, _, _, summary_path = generated
    assert code == 0
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    assert summary["operations"] == _spec_operations(PETSTORE)
    assert summary["package"] == "petstore"
    assert Path(summary["output"]) == out
    assert summary["models"] > 0 and summary["resources"] > 0
    assert summary["skipped"] == []
    assert isinstance(summary["diagnostics"], list)


def test_quiet_prints_nothing_on_success(
    tiny: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "q"
    assert main(["generate", tiny, "--output", str(out), "-q"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    assert (out / "pyproject.toml").is_file()


def test_regenerating_into_own_output_is_allowed_and_identical(
    generated: tuple[Path, int, str, str, Path],
) -> None:
    out = generated[0]
    before = {k: v for k, v in _tree(out).items() if "__pycache__" not in k}
    assert (
        main(["generate", str(PETSTORE), "--output", str(out), "-q"]) == 0
    )  # apigen's own output: no --force needed
    after = _tree(out)
    # byte-identical (the runtime copy excepted: others may edit the runtime while tests run)
    strip = lambda tree: {k: v for k, v in tree.items() if "/_runtime/" not in k}  # noqa: E731
    assert strip(after) == strip(before)
    assert set(after) == set(before)


def test_refuses_non_empty_foreign_folder(
    tiny: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("my own work\n", encoding="utf-8")
    (out / "src").mkdir()
    (out / "src" / "app.py").write_text("print('hi')\n", encoding="utf-8")
    (out / "pyproject.toml").write_text("[project]\nname = 'mine'\n", encoding="utf-8")
    before = _tree(out)
    siblings = sorted(p.name for p in tmp_path.iterdir())

    assert main(["generate", tiny, "--output", str(out)]) == 1
    captured = capsys.readouterr()
    assert "--force" in captured.err and str(out) in captured.err
    assert "Traceback" not in captured.err
    assert "generated" not in captured.out
    assert _tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == siblings  # no staging leftovers either


def test_force_replaces_foreign_folder(tiny: str, tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("x\n", encoding="utf-8")
    assert main(["generate", tiny, "--output", str(out), "-q", "--force"]) == 0
    assert not (out / "notes.txt").exists()
    assert (out / "pyproject.toml").is_file()


def test_empty_existing_folder_is_fine(tiny: str, tmp_path: Path) -> None:
    out = tmp_path / "empty"
    out.mkdir()
    assert main(["generate", tiny, "--output", str(out), "-q"]) == 0
    assert (out / "pyproject.toml").is_file()


def test_output_that_is_a_file_is_refused(
    tiny: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "file.txt"
    out.write_text("keep me\n", encoding="utf-8")
    assert main(["generate", tiny, "--output", str(out), "-q"]) == 1
    assert "not a folder" in capsys.readouterr().err
    assert out.read_text(encoding="utf-8") == "keep me\n"


def test_name_option_sets_package(tiny: str, tmp_path: Path) -> None:
    out = tmp_path / "named"
    assert main(["generate", tiny, "--output", str(out), "--name", "my_pets", "-q"]) == 0
    assert (out / "my_pets" / "__init__.py").is_file()
    assert not (out / "tiny").exists()
