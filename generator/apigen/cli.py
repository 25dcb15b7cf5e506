"""The ``apigen`` command line: generate and validate.

Problems in the input are printed as ``file:line at /json/pointer: message`` and
end the run with exit status 1, never with a traceback. An unexpected internal
error exits 3 with one line (set APIGEN_DEBUG=1 for the traceback).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__
from .console import library_output_escaped, say
from .diagnostics import ApigenError

if TYPE_CHECKING:
    from .config import ClientConfig

EXIT_OK, EXIT_PROBLEM, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="apigen", description="Generate typed Python client packages from OpenAPI documents."
    )
    parser.add_argument("--version", action="version", version=f"apigen {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    gen = sub.add_parser(
        "generate",
        help="generate a client package from a spec",
        description=(
            "Generate an installable, typed client package from an OpenAPI document "
            "(2.0, 3.0, 3.1; YAML or JSON; path or URL)."
        ),
    )
    gen.add_argument(
        "spec",
        metavar="SPEC",
        nargs="?",
        help=(
            "path or http(s) URL of the OpenAPI document; "
            "without it, every client of [tool.apigen] in pyproject.toml"
        ),
    )
    gen.add_argument(
        "--client", metavar="NAME", help="with no SPEC: only this client of the configuration"
    )
    gen.add_argument(
        "--output",
        "-o",
        type=Path,
        metavar="DIR",
        help="project folder of the generated package (default: generated/<name>)",
    )
    gen.add_argument(
        "--name", "-n", metavar="PACKAGE", help="package name (default: from info.title)"
    )
    gen.add_argument("--strict", action="store_true", help="treat validation findings as errors")
    gen.add_argument(
        "--allow-remote-refs", action="store_true", help="fetch remote and out-of-tree $refs"
    )
    gen.add_argument(
        "--force", action="store_true", help="replace an output folder apigen did not create"
    )
    gen.add_argument(
        "--templates",
        type=Path,
        metavar="DIR",
        help="folder of templates that override built-in ones by name",
    )
    gen.add_argument(
        "--summary-json", type=Path, metavar="FILE", help="also write the summary as JSON"
    )
    gen.add_argument("--quiet", "-q", action="store_true", help="print only problems")

    chk = sub.add_parser(
        "check",
        help="exit 1 when generated clients are out of date",
        description=(
            "Regenerate the configured clients in memory and compare with the files on disk: "
            "stale, missing and extra files are listed and the exit status is 1."
        ),
    )
    chk.add_argument("--client", metavar="NAME", help="only this client")

    val = sub.add_parser(
        "validate",
        help="report problems in a spec",
        description=(
            "Load, validate and analyse a spec; print diagnostics and what generation would skip."
        ),
    )
    val.add_argument("spec", metavar="SPEC")
    val.add_argument("--strict", action="store_true", help="exit non-zero on any finding")
    val.add_argument("--allow-remote-refs", action="store_true")

    dif = sub.add_parser(
        "diff",
        help="what changes for users of the generated client",
        description=(
            "Compare two versions of a spec (paths or URLs) as a user of the generated client "
            "sees them; each change is classified breaking or not."
        ),
    )
    dif.add_argument("spec_old", metavar="OLD")
    dif.add_argument("spec_new", metavar="NEW")
    dif.add_argument(
        "--format",
        choices=("text", "markdown", "json"),
        default="text",
        help="report format (default: text; markdown for a pull request comment)",
    )
    dif.add_argument(
        "--fail-on-breaking", action="store_true", help="exit 1 when any change is breaking"
    )
    mck = sub.add_parser(
        "mock",
        help="serve a mock of the API over HTTP",
        description=(
            "Serve the API as <package>.testing.MockAPI does: answers from the spec's examples "
            "or synthesised from its schemas, every request checked against the spec and logged "
            "with its verdict. Stops on Ctrl-C or SIGTERM."
        ),
    )
    mck.add_argument("spec", metavar="SPEC", help="path or http(s) URL of the OpenAPI document")
    mck.add_argument(
        "--port", type=int, default=8000, help="TCP port (default 8000; 0 picks a free one)"
    )
    mck.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    mck.add_argument(
        "--seed", type=int, default=0, help="seed of the synthesised answers (default 0)"
    )
    con = sub.add_parser(
        "contract",
        help="check a running server against the spec",
        description=(
            "Call the operations of a running server (GET and HEAD, and those named with "
            "--include) and report every response that does not conform to the spec: status not "
            "declared, media type not declared, body not matching its schema, required header "
            "missing. Arguments come from --param, earlier responses (ids of a list feed a get) "
            "and the spec's examples. Exit status 1 on non-conformance, 2 on bad input."
        ),
    )
    con.add_argument("spec", metavar="SPEC", help="path or http(s) URL of the OpenAPI document")
    con.add_argument(
        "--base-url",
        required=True,
        metavar="URL",
        help="the server, with the spec's base path (e.g. http://127.0.0.1:8000/v2)",
    )
    con.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help=(
            "a parameter value, for every operation that has a parameter of that name (repeatable)"
        ),
    )
    con.add_argument(
        "--include",
        action="append",
        default=[],
        metavar="OPERATION",
        help=(
            "also call this operation (operationId, resource.method or 'METHOD /path'); "
            "only GET and HEAD otherwise (repeatable)"
        ),
    )
    con.add_argument(
        "--header",
        action="append",
        default=[],
        metavar="'NAME: VALUE'",
        help="a header sent with every request, e.g. credentials (repeatable)",
    )
    con.add_argument(
        "--rate",
        type=float,
        default=5.0,
        help="requests per second at most (default 5; 0: no limit)",
    )
    con.add_argument(
        "--budget",
        type=float,
        default=60.0,
        help="seconds for the whole run; operations left are reported skipped (default 60)",
    )
    con.add_argument("--timeout", type=float, default=10.0, help="seconds per request (default 10)")
    con.add_argument(
        "--format",
        choices=("text", "json", "junit"),
        default="text",
        help="report format (default text; junit: JUnit XML for CI)",
    )
    con.add_argument(
        "--output",
        metavar="FILE",
        help="write the report to FILE (the summary line still goes to stdout)",
    )
    con.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed of values synthesised for required query parameters",
    )
    return parser


def _contract(args: argparse.Namespace) -> int:
    from .contract import EXIT_BAD_INPUT, BadInput, Settings, parse_pairs, run

    try:
        params = parse_pairs(args.param, "--param")
        headers = parse_pairs(args.header, "--header", sep=":")
    except BadInput as exc:
        say(f"apigen contract: error: {exc}", err=True)
        return EXIT_BAD_INPUT
    settings = Settings(
        args.base_url,
        params,
        args.include,
        headers,
        args.rate,
        args.budget,
        args.timeout,
        args.seed,
    )
    return run(args.spec, settings, args.format, args.output)


def _mock(args: argparse.Namespace) -> int:
    from .mockserver import serve

    return serve(args.spec, host=args.host, port=args.port, seed=args.seed)


def _configured(client: str | None) -> list["ClientConfig"]:
    from .config import find_config, load_clients

    path = find_config(Path.cwd())
    if path is None:
        raise ApigenError(
            "no SPEC given and no [tool.apigen] clients in pyproject.toml or apigen.toml "
            "here or above"
        )
    clients = load_clients(path)
    if client is not None:
        clients = [c for c in clients if c.name == client]
        if not clients:
            raise ApigenError(f"{path}: no client named {client!r}")
    return clients


def _generate(args: argparse.Namespace) -> int:
    if args.spec is None:
        for cfg in _configured(args.client):
            one = argparse.Namespace(
                **{
                    **vars(args),
                    "spec": cfg.spec,
                    "output": cfg.output,
                    "name": cfg.name,
                    "options": cfg.options,
                }
            )
            _generate_one(one)
        return EXIT_OK
    return _generate_one(args)


def _check(args: argparse.Namespace) -> int:
    from .pipeline import drift, render_package

    status = EXIT_OK
    for cfg in _configured(args.client):
        result = drift(render_package(cfg.spec, cfg.name, options=cfg.options).files, cfg.output)
        if result.clean:
            say(f"{cfg.name}: up to date ({cfg.output})")
            continue
        status = EXIT_PROBLEM
        say(f"{cfg.name}: out of date ({cfg.output})")
        for label, items in (
            ("stale (differs; hand edits included)", result.stale),
            ("missing", result.missing),
            ("extra", result.extra),
        ):
            for rel in items:
                say(f"  {label}: {rel}")
    return status


_written: list[str] = []  # outputs this run replaced: what an error or interrupt leaves on disk


def _on_disk(now: str = "") -> str:
    """What the output folders hold after a run that did not finish."""
    done = [f"{path} was regenerated" for path in _written]
    return "; ".join(
        [*done, now or ("nothing else was written" if done else "nothing was written")]
    )


def _generate_one(args: argparse.Namespace) -> int:
    from .pipeline import generate

    summary = generate(
        args.spec,
        args.output,
        args.name,
        strict=args.strict,
        allow_remote_refs=args.allow_remote_refs,
        force=args.force,
        template_dirs=[args.templates] if args.templates else None,
        options=getattr(args, "options", None),
    )
    if summary.written:
        _written.append(str(summary.output))
    for diag in summary.diagnostics:
        say(diag, err=True)
    for note in summary.notes:
        say(f"apigen: note: {note}", err=True)
    if not args.quiet:
        say(f"generated {summary.package} in {summary.output}")
        say(f"  operations: {summary.operations} in {summary.resources} resources")
        say(f"  models:     {summary.models}")
        say(f"  skipped:    {len(summary.skipped)}")
        for item in summary.skipped:
            say(f"    {item.where}: {item.reason}")
        for item in summary.notices:
            say(f"  note: {item.where}: {item.reason}")
    if args.summary_json:
        args.summary_json.write_text(
            json.dumps(
                {
                    "package": summary.package,
                    "output": str(summary.output),
                    "operations": summary.operations,
                    "resources": summary.resources,
                    "models": summary.models,
                    "skipped": [{"where": s.where, "reason": s.reason} for s in summary.skipped],
                    "notices": [{"where": s.where, "reason": s.reason} for s in summary.notices],
                    "diagnostics": [str(d) for d in summary.diagnostics],
                },
                indent=2,
            )
            + "\n",
            encoding="utf-8",
        )
    return EXIT_OK


def _validate(args: argparse.Namespace) -> int:
    from .pipeline import check

    diagnostics, api = check(
        args.spec, strict=args.strict, allow_remote_refs=args.allow_remote_refs
    )
    for diag in diagnostics:
        say(diag)
    if api is not None:
        for item in (*api.skipped, *api.notices):
            say(f"{args.spec}: note: {item.where}: {item.reason}")
        say(
            f"{args.spec}: {len(api.operations)} operations, {len(diagnostics)} findings, "
            f"{len(api.skipped)} parts apigen cannot express"
        )
    return EXIT_PROBLEM if args.strict and diagnostics else EXIT_OK


def _diff(args: argparse.Namespace) -> int:
    from .diff import run

    return run(args.spec_old, args.spec_new, args.format, args.fail_on_breaking)


def _terminate(signum: int, frame: object) -> None:
    # SIGTERM unwinds like Ctrl-C: temporary folders go, the message is honest
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    _written.clear()
    previous = (
        signal.signal(signal.SIGTERM, _terminate)
        if threading.current_thread() is threading.main_thread()
        else None
    )
    try:
        handler = {
            "generate": _generate,
            "check": _check,
            "validate": _validate,
            "diff": _diff,
            "mock": _mock,
            "contract": _contract,
        }[args.command]
        with library_output_escaped():
            return handler(args)
    except ApigenError as exc:
        for diag in exc.diagnostics:
            say(diag, err=True)
        say(f"apigen: stopped; {_on_disk()}", err=True)
        return EXIT_PROBLEM
    except KeyboardInterrupt as exc:
        say(f"apigen: interrupted; {_on_disk(getattr(exc, 'on_disk', ''))}", err=True)
        return 130
    except MemoryError:
        say("apigen: error: out of memory reading or processing the spec", err=True)
        return EXIT_PROBLEM
    except RecursionError:
        say("apigen: error: the spec nests too deeply to process (recursion limit)", err=True)
        return EXIT_PROBLEM
    except Exception as exc:
        if os.environ.get("APIGEN_DEBUG"):
            raise
        where = "".join(f" ({note})" for note in getattr(exc, "__notes__", ()))
        say(
            f"apigen: internal error: {exc.__class__.__name__}: {exc}{where} "
            "(set APIGEN_DEBUG=1 for details)",
            err=True,
        )
        return EXIT_INTERNAL
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
