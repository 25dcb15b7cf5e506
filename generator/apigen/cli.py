"""The ``apigen`` command line: generate and validate.

Problems in the input are printed as ``file:line at /json/pointer: message`` and
end the run with exit status 1, never with a traceback. An unexpected internal
error exits 3 with one line (set APIGEN_DEBUG=1 for the traceback).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from . import __version__
from .diagnostics import ApigenError

EXIT_OK, EXIT_PROBLEM, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="apigen", description="Generate typed Python client packages from OpenAPI documents.")
    parser.add_argument("--version", action="version", version=f"apigen {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    gen = sub.add_parser("generate", help="generate a client package from a spec", description="Generate an installable, typed client package from an OpenAPI document (2.0, 3.0, 3.1; YAML or JSON; path or URL).")
    gen.add_argument("spec", metavar="SPEC", help="path or http(s) URL of the OpenAPI document")
    gen.add_argument("--output", "-o", type=Path, metavar="DIR", help="project folder of the generated package (default: generated/<name>)")
    gen.add_argument("--name", "-n", metavar="PACKAGE", help="package name (default: from info.title)")
    gen.add_argument("--strict", action="store_true", help="treat validation findings as errors")
    gen.add_argument("--allow-remote-refs", action="store_true", help="fetch remote and out-of-tree $refs")
    gen.add_argument("--force", action="store_true", help="replace an output folder apigen did not create")
    gen.add_argument("--templates", type=Path, metavar="DIR", help="folder of templates that override built-in ones by name")
    gen.add_argument("--summary-json", type=Path, metavar="FILE", help="also write the summary as JSON")
    gen.add_argument("--quiet", "-q", action="store_true", help="print only problems")

    val = sub.add_parser("validate", help="report problems in a spec", description="Load, validate and analyse a spec; print diagnostics and what generation would skip.")
    val.add_argument("spec", metavar="SPEC")
    val.add_argument("--strict", action="store_true", help="exit non-zero on any finding")
    val.add_argument("--allow-remote-refs", action="store_true")
    return parser


def _generate(args: argparse.Namespace) -> int:
    from .pipeline import generate

    summary = generate(args.spec, args.output, args.name, strict=args.strict, allow_remote_refs=args.allow_remote_refs, force=args.force, template_dirs=[args.templates] if args.templates else None)
    for diag in summary.diagnostics:
        print(diag, file=sys.stderr)
    if not args.quiet:
        print(f"generated {summary.package} in {summary.output}")
        print(f"  operations: {summary.operations} in {summary.resources} resources")
        print(f"  models:     {summary.models}")
        print(f"  skipped:    {len(summary.skipped)}")
        for item in summary.skipped:
            print(f"    {item.where}: {item.reason}")
    if args.summary_json:
        args.summary_json.write_text(json.dumps({
            "package": summary.package, "output": str(summary.output), "operations": summary.operations,
            "resources": summary.resources, "models": summary.models,
            "skipped": [{"where": s.where, "reason": s.reason} for s in summary.skipped],
            "diagnostics": [str(d) for d in summary.diagnostics],
        }, indent=2) + "\n", encoding="utf-8")
    return EXIT_OK


def _validate(args: argparse.Namespace) -> int:
    from .pipeline import check

    diagnostics, api = check(args.spec, strict=args.strict, allow_remote_refs=args.allow_remote_refs)
    for diag in diagnostics:
        print(diag)
    if api is not None:
        for item in api.skipped:
            print(f"{args.spec}: note: {item.where}: {item.reason}")
        print(f"{args.spec}: {len(api.operations)} operations, {len(diagnostics)} findings, {len(api.skipped)} parts apigen cannot express")
    return EXIT_PROBLEM if args.strict and diagnostics else EXIT_OK


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        return _generate(args) if args.command == "generate" else _validate(args)
    except ApigenError as exc:
        for diag in exc.diagnostics:
            print(diag, file=sys.stderr)
        print("apigen: stopped; nothing was written", file=sys.stderr)
        return EXIT_PROBLEM
    except KeyboardInterrupt:
        print("apigen: interrupted; nothing was written", file=sys.stderr)
        return 130
    except RecursionError:
        print("apigen: error: the spec nests too deeply to process (recursion limit)", file=sys.stderr)
        return EXIT_PROBLEM
    except Exception as exc:
        if os.environ.get("APIGEN_DEBUG"):
            raise
        print(f"apigen: internal error: {exc.__class__.__name__}: {exc} (set APIGEN_DEBUG=1 for details)", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
