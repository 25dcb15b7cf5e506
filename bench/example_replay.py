#!/usr/bin/env python3
"""Every response example of a spec, replayed through the client generated from it.

For each operation and each JSON response example the spec gives (``example`` or
``examples`` of the media type, ``$ref``s followed), the generated client's
Endpoint is called through ``httpx.MockTransport`` answering with that example and
its status (``default`` and ranges as 200). Counted: values returned as declared,
values returned leniently (the example does not match its own schema), typed
status errors (error examples, Slack's ``ok: false`` envelopes), other APIErrors,
and untyped exceptions (the target is none). Lenient is the default; ``--strict``
counts how many calls strict mode would refuse.

    python bench/example_replay.py slack.com.json github.json [--strict]

Each spec is generated into bench/.out/examples-<name> first (reused when present;
``--regenerate`` makes it again).
"""

from __future__ import annotations

import argparse
import collections
import importlib
import inspect
import json
import logging
import re
import sys
from pathlib import Path
from typing import Any, Iterator

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ensure_generated, table  # noqa: E402

STANDARD_ARGS = {
    "self",
    "base_url",
    "allow_insecure_http",
    "timeout",
    "max_retries",
    "retry",
    "rate_limit",
    "circuit_breaker",
    "headers",
    "http_client",
    "auth",
    "hooks",
    "strict_responses",
}


def resolve(spec: dict[str, Any], node: Any, limit: int = 20) -> Any:
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and limit:
        current: Any = spec
        for part in node["$ref"].lstrip("#/").split("/"):
            current = current[part.replace("~1", "/").replace("~0", "~")]
        node, limit = current, limit - 1
    return node


def examples(spec: dict[str, Any]) -> Iterator[tuple[str, str, int, Any]]:
    """(method, path, status, example) for every JSON response example."""
    for path, item in (spec.get("paths") or {}).items():
        for method, op in (item or {}).items():
            if method not in ("get", "put", "post", "delete", "patch", "head", "options"):
                continue
            for code, response in (op.get("responses") or {}).items():
                response = resolve(spec, response)
                content = response.get("content") if isinstance(response, dict) else None
                media = next((m for t, m in (content or {}).items() if "json" in t), None)
                if not isinstance(media, dict):
                    continue
                status = int(code) if str(code).isdigit() else 200
                found = [
                    resolve(spec, e).get("value") for e in (media.get("examples") or {}).values()
                ]
                if "example" in media:
                    found.append(media["example"])
                for value in found:
                    if value is not None:
                        yield method.upper(), path, status, value


def endpoints(project: Path, package: str) -> dict[tuple[str, str], Any]:
    found = {}
    for module_path in sorted((project / package / "resources").glob("*.py")):
        module = importlib.import_module(f"{package}.resources.{module_path.stem}")
        for value in vars(module).values():
            if type(value).__name__ == "Endpoint":
                found[(value.method, value.path)] = value
    return found


def replay(spec_path: Path, regenerate: bool, strict: bool) -> collections.Counter[str]:
    import httpx

    name = "examples_" + re.sub(r"\W+", "_", spec_path.name.split(".json")[0]).strip("_").lower()
    project = ensure_generated(spec_path, name, again=regenerate)
    sys.path.insert(0, str(project))
    pkg = importlib.import_module(name)
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    table_ = endpoints(project, name)
    creds = {
        n: "user:secret"
        for n in inspect.signature(pkg.Client.__init__).parameters
        if n not in STANDARD_ARGS
    }
    counts: collections.Counter[str] = collections.Counter()
    for method, path, status, value in examples(spec):
        endpoint = table_.get((method, path))
        if endpoint is None:
            counts["operation not generated"] += 1
            continue
        body = json.dumps(value).encode()

        def answer(
            request: httpx.Request, body: bytes = body, status: int = status
        ) -> httpx.Response:
            return httpx.Response(
                status, content=body, headers={"content-type": "application/json"}
            )

        client = pkg.Client(
            base_url="https://api.example.test",
            max_retries=0,
            circuit_breaker=None,
            strict_responses=strict,
            http_client=httpx.Client(transport=httpx.MockTransport(answer)),
            **creds,
        )
        path_args = {p: "1" for p in re.findall(r"{([^}]+)}", path)} or None
        try:
            result = client.request(endpoint, path=path_args)
            counts["value, lenient" if pkg.response_problems(result) else "value"] += 1
        except pkg.APIResponseValidationError:
            counts["APIResponseValidationError"] += 1
        except pkg.APIStatusError as exc:
            counts[f"typed status error ({type(exc).__name__})"] += 1
        except pkg.APIError as exc:
            counts[f"other APIError ({type(exc).__name__})"] += 1
        except Exception as exc:  # what the target says must not happen
            counts[f"UNTYPED {type(exc).__name__}"] += 1
    return counts


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("specs", nargs="+", type=Path)
    ap.add_argument("--strict", action="store_true", help="Client(strict_responses=True)")
    ap.add_argument("--regenerate", action="store_true")
    args = ap.parse_args()
    logging.disable(logging.WARNING)  # the drift warnings, one per operation
    rows = []
    untyped = 0
    for spec in args.specs:
        counts = replay(spec, args.regenerate, args.strict)
        total = sum(counts.values())
        untyped += sum(v for k, v in counts.items() if k.startswith("UNTYPED"))
        for outcome, count in sorted(counts.items()):
            rows.append([spec.name, outcome, f"{count:,}", f"{100 * count / total:.1f} %"])
    print(table(["spec", "outcome", "calls", "share"], rows, [False, False, True, True]))
    print(f"\nmode: {'strict' if args.strict else 'lenient'}; untyped exceptions: {untyped}")
    return 1 if untyped else 0


if __name__ == "__main__":
    sys.exit(main())
