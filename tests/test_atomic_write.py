"""The output path holds the complete old tree or the complete new one at every instant, even
under SIGKILL, and the next run cleans up (issue 16, item 2). A child process is killed at each
step of the write through the writer's test hook (APIGEN_TEST_FAULT)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from apigen import writer
from apigen.cli import main

STEPS = ["staging", "writing", "staged", "swapped", "done"]
FALLBACK_STEPS = ["staging", "writing", "staged", "aside", "swapped", "done"]


def _tree(version: str, extra: int = 0) -> dict[str, str]:
    files = {"pyproject.toml": f"# {writer.MARKER} test\nversion = {version!r}\n"}
    files.update({f"pkg/mod{i}.py": f"VERSION = {version!r}  # {i}\n" for i in range(40 + extra)})
    return files


OLD, NEW = _tree("1"), _tree("2", extra=3)


def _snapshot(folder: Path) -> dict[str, str] | None:
    if not folder.is_dir():
        return None
    return {
        p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8")
        for p in folder.rglob("*")
        if p.is_file()
    }


def _leftovers(folder: Path) -> list[str]:
    return sorted(
        p.name for p in folder.parent.iterdir() if p.name.startswith(f".{folder.name}.apigen")
    )


def _write_in_child(out: Path, files: dict[str, str], env: dict[str, str]) -> int:
    code = (
        "import json, sys; from pathlib import Path; from apigen.writer import write_atomically; "
        "write_atomically(Path(sys.argv[1]), json.load(sys.stdin))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(out)],
        input=json.dumps(files),
        text=True,
        env={**os.environ, **env},
        capture_output=True,
        timeout=60,
    )
    return done.returncode


@pytest.mark.parametrize("mode", ["exchange", "two-renames"])
def test_sigkill_at_every_step_leaves_old_or_new_and_the_next_run_cleans_up(
    tmp_path: Path, mode: str
) -> None:
    fallback = {"APIGEN_TEST_NO_EXCHANGE": "1"} if mode == "two-renames" else {}
    for step in FALLBACK_STEPS if fallback else STEPS:
        out = tmp_path / step / "client"
        writer.write_atomically(out, OLD)
        status = _write_in_child(out, NEW, {**fallback, "APIGEN_TEST_FAULT": f"kill:{step}"})
        assert status == -signal.SIGKILL, (step, status)
        held = _snapshot(out)
        if not (fallback and step == "aside"):  # the one instant two renames cannot cover
            assert held in (OLD, NEW), (step, "the output holds neither the old nor the new tree")
        writer.recover(out)  # what the next run does first
        assert _snapshot(out) in (OLD, NEW), (step, "recovery did not put a complete tree back")
        assert _leftovers(out) == [], (step, _leftovers(out))
        assert _write_in_child(out, NEW, fallback) == 0
        assert _snapshot(out) == NEW and _leftovers(out) == []


def test_an_old_tree_moved_aside_comes_back(tmp_path: Path) -> None:
    out = tmp_path / "client"
    writer.write_atomically(out, OLD)
    assert (
        _write_in_child(
            out, NEW, {"APIGEN_TEST_NO_EXCHANGE": "1", "APIGEN_TEST_FAULT": "kill:aside"}
        )
        == -signal.SIGKILL
    )
    assert not out.exists()  # killed between the two renames
    notes = writer.recover(out)
    assert _snapshot(out) == OLD and any("restored" in n for n in notes)


def test_a_first_write_killed_midway_leaves_no_folder_and_no_leftovers(tmp_path: Path) -> None:
    out = tmp_path / "client"
    assert _write_in_child(out, NEW, {"APIGEN_TEST_FAULT": "kill:writing"}) == -signal.SIGKILL
    assert not out.exists() and _leftovers(out)
    writer.recover(out)
    assert _leftovers(out) == []


def test_leftovers_of_a_live_run_are_left_alone(tmp_path: Path) -> None:
    out = tmp_path / "client"
    writer.write_atomically(out, OLD)
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        busy = tmp_path / f".client.{writer.TEMP_TAG}-{sleeper.pid}-x"
        busy.mkdir()
        writer.recover(out)
        assert busy.exists()  # another apigen is writing it
    finally:
        sleeper.kill()
        sleeper.wait()
    writer.recover(out)
    assert not busy.exists()


def _spec(tmp_path: Path, version: str) -> Path:
    spec = tmp_path / "spec.json"
    spec.write_text(
        json.dumps(
            {
                "openapi": "3.0.0",
                "info": {"title": "t", "version": version},
                "paths": {
                    "/a": {
                        "get": {
                            "operationId": f"get{version}",
                            "responses": {"204": {"description": "ok"}},
                        }
                    }
                },
            }
        ),
        encoding="utf-8",
    )
    return spec


@pytest.mark.parametrize(
    ("step", "holds"),
    [("staged", "previous client, untouched"), ("swapped", "complete new client")],
)
def test_the_interrupt_message_says_what_is_on_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any, step: str, holds: str
) -> None:
    monkeypatch.setenv("APIGEN_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "out"
    assert main(["generate", str(_spec(tmp_path, "1")), "-o", str(out), "-n", "tee", "-q"]) == 0
    before = _snapshot(out)
    monkeypatch.setenv("APIGEN_TEST_FAULT", f"interrupt:{step}")
    assert main(["generate", str(_spec(tmp_path, "2")), "-o", str(out), "-n", "tee", "-q"]) == 130
    err = capsys.readouterr().err
    assert holds in err and "interrupted" in err, err
    assert (_snapshot(out) == before) == (step == "staged")
    assert "get2" in "".join((_snapshot(out) or {}).values()) or step == "staged"
    monkeypatch.delenv("APIGEN_TEST_FAULT")
    assert main(["generate", str(_spec(tmp_path, "2")), "-o", str(out), "-n", "tee", "-q"]) == 0
    assert _leftovers(out) == []


def test_sigterm_unwinds_and_cleans_up(tmp_path: Path) -> None:
    spec = _spec(tmp_path, "1")
    env = {**os.environ, "APIGEN_CACHE_DIR": "off", "APIGEN_TEST_FAULT": "term:staged"}
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "apigen", "generate", str(spec), "-o", str(out), "-n", "tee", "-q"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 130, done.stderr
    assert "nothing was written" in done.stderr
    assert not out.exists() and _leftovers(out) == []


def test_a_symlinked_output_is_followed_not_split(tmp_path: Path) -> None:
    real = tmp_path / "elsewhere" / "client"
    writer.write_atomically(real, OLD)
    link = tmp_path / "client"
    link.symlink_to(real, target_is_directory=True)
    writer.write_atomically(link, NEW)
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert _snapshot(real) == NEW and _leftovers(real) == []
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "missing")
    with pytest.raises(writer.ApigenError, match="does not exist"):
        writer.write_atomically(dangling, NEW)


def test_staging_folders_of_earlier_versions_go_once_an_hour_old(tmp_path: Path) -> None:
    out = tmp_path / "client"
    writer.write_atomically(out, OLD)
    stale, fresh = tmp_path / ".client.apigen-k3j_x9qa", tmp_path / ".client.apigen-p0o9i8u7"
    for folder in (stale, fresh):
        (folder / "pkg").mkdir(parents=True)
    hours_ago = stale.stat().st_mtime - 2 * writer.LEGACY_AGE
    os.utime(stale, (hours_ago, hours_ago))
    writer.recover(out)
    assert not stale.exists() and fresh.exists()  # a fresh one may belong to a run still going
    assert _snapshot(out) == OLD
