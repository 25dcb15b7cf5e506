#!/usr/bin/env python3
"""Client-side cost per call of a generated client against raw httpx + pydantic, through
httpx.MockTransport (no network), side by side in one process.

  raw     httpx.Client.get(...) then pydantic.TypeAdapter(Model).validate_json(response.content),
          Model being the same generated model class (its adapter built after the warm-up,
          when the classes the data needs are loaded: the steady state of both sides)
  apigen  the generated method with the whole runtime on: a credential for the
          operation's security scheme, RateLimit(requests=1e9, per=1.0) (never waits),
          CircuitBreaker(), Hooks with a no-op on_request and on_response, the default
          retry policy (2 retries)

Cases:

  repo  GET /repos/{owner}/{repo} of the GitHub client generated into bench/.out/github
        (generated first when missing), answered with the spec's example of that
        response (components/examples/full-repository, 24 KB, completed with the one
        required property it lacks; see _common.github_example) into FullRepository
  pets  GET /pet/findByStatus of generated/petstore (pet.find_by_status) answered with
        a list of 10,000 pets into list[Pet], each pet with every field (category, tags,
        status: three nested models per pet)
  pets-minimal  the same with pets of id, name and an empty photoUrls only (validation
        is 8x cheaper, so the client's fixed cost per call weighs more)

Timing: timeit-style loops of n calls (n chosen so a loop takes about --loop seconds),
raw and apigen alternating (raw first on even repetitions, apigen first on odd ones),
--repeat repetitions; the garbage collector stays on (collected before each loop)
unless --no-gc.
Printed, for wall time and for CPU time of this process (time.process_time: steadier
than wall time on a loaded machine): median time per call of each side, the ratio of
the medians and the median of the per-repetition ratios (target <= 1.10).

    python bench/call_overhead.py
    python bench/call_overhead.py --case pets --repeat 30
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    REPO,
    default_spec,
    ensure_generated,
    fmt,
    github_example,
    load_note,
    median,
    ratio,
    table,
)

TOKEN = "bench-credential"
WARM_UP = 10  # apigen calls before timing: more than the runtime's REFRESH_AFTER
AUTH_HEADER = {"Authorization": f"Bearer {TOKEN}"}  # raw side: what a hand-written client sends


def _noop(_: Any) -> None:
    return None


def _mock(body: bytes) -> Any:
    import httpx

    headers = {"content-type": "application/json"}

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body, headers=headers)

    return httpx.MockTransport(handler)


def case_repo(
    spec: Path | None, regenerate: bool = False
) -> tuple[str, int, Callable[[], Any], Callable[[], Any]]:
    import httpx
    import pydantic

    spec = spec or default_spec("github")
    project = ensure_generated(spec, "github", again=regenerate)
    body = github_example(spec).read_bytes()
    sys.path.insert(0, str(project))
    import github
    from github.models import FullRepository

    transport = _mock(body)
    raw = httpx.Client(transport=transport, base_url="https://api.github.com", headers=AUTH_HEADER)
    ta = _steady_adapter(pydantic, FullRepository)
    client = _full_runtime_client(github, transport)

    def raw_call() -> Any:
        return ta().validate_json(raw.get("/repos/octocat/Hello-World").content)

    def apigen_call() -> Any:
        return client.repos.get("octocat", "Hello-World")

    return (
        f"GET /repos/{{owner}}/{{repo}} -> FullRepository ({len(body) / 1024:.1f} KB)",
        len(body),
        raw_call,
        apigen_call,
    )


def case_pets(
    count: int, minimal: bool = False
) -> tuple[str, int, Callable[[], Any], Callable[[], Any]]:
    import httpx
    import pydantic

    sys.path.insert(0, str(REPO / "generated" / "petstore"))
    import petstore
    from petstore.models import Pet

    pets: list[dict[str, Any]] = [
        {"id": i, "name": f"pet-{i}", "photoUrls": []}
        if minimal
        else {
            "id": i,
            "category": {"id": i % 7, "name": f"category-{i % 7}"},
            "name": f"pet-{i}",
            "photoUrls": [f"https://example.com/pets/{i}.jpg"],
            "tags": [{"id": i % 3, "name": f"tag-{i % 3}"}],
            "status": "available",
        }
        for i in range(count)
    ]
    body = json.dumps(pets).encode()
    transport = _mock(body)
    raw = httpx.Client(
        transport=transport, base_url="http://petstore.swagger.io/v2", headers=AUTH_HEADER
    )
    ta = _steady_adapter(pydantic, list[Pet])
    client = _full_runtime_client(petstore, transport)

    def raw_call() -> Any:
        return ta().validate_json(
            raw.get("/pet/findByStatus", params={"status": "available"}).content
        )

    def apigen_call() -> Any:
        return client.pet.find_by_status(status=["available"])

    shape = "id, name, photoUrls" if minimal else "every field"
    return (
        f"GET /pet/findByStatus -> list[Pet] ({count:,} items, {shape}, {len(body) / 1024:.0f} KB)",
        len(body),
        raw_call,
        apigen_call,
    )


def _steady_adapter(pydantic: Any, tp: Any) -> Callable[[], Any]:
    """The raw side's TypeAdapter, built on its first use, after the warm-up: by then the
    model classes the data needs are loaded and the adapter validates them in place, as the
    generated client's does once it refreshed its models (runtime/lazy.py)."""
    built: list[Any] = []

    def get() -> Any:
        if not built:
            built.append(pydantic.TypeAdapter(tp))
        return built[0]

    return get


def _full_runtime_client(package: Any, transport: Any) -> Any:
    """The package's Client with every runtime part on and a credential for each scheme.

    GitHub's description declares no security scheme, so there the token goes in as a
    default header (as GitHub's users pass it); Petstore's findByStatus uses the OAuth2
    scheme ``petstore_auth``, given a static bearer token, and ``api_key`` is set too.
    """
    import inspect

    import httpx

    credentials = {}
    params = inspect.signature(package.Client.__init__).parameters
    schemes = getattr(sys.modules[package.__name__ + ".client"], "SECURITY_SCHEMES", {})
    for name in schemes:
        if name in params:
            credentials[name] = (
                f"{TOKEN}:secret" if "basic" in type(schemes[name]).__name__.lower() else TOKEN
            )
    if "allow_insecure_http" in params:  # Petstore's server is http; the transport is a mock
        credentials["allow_insecure_http"] = True
    return package.Client(
        headers=None if credentials else AUTH_HEADER,
        http_client=httpx.Client(transport=transport),
        rate_limit=package.RateLimit(requests=1e9, per=1.0),
        circuit_breaker=package.CircuitBreaker(),
        hooks=package.Hooks(on_request=[_noop], on_response=[_noop]),
        **credentials,
    )


def per_call(fn: Callable[[], Any], n: int) -> tuple[float, float]:
    """Wall and CPU seconds per call over a loop of n calls."""
    gc.collect()
    c0, t0 = time.process_time(), time.perf_counter()
    for _ in range(n):
        fn()
    t1, c1 = time.perf_counter(), time.process_time()
    return (t1 - t0) / n, (c1 - c0) / n


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--case",
        choices=["repo", "pets", "pets-minimal"],
        action="append",
        help="run only this case (repeatable)",
    )
    ap.add_argument(
        "--spec",
        type=Path,
        help="GitHub's api.github.com.json (default: the installed @octokit/openapi)",
    )
    ap.add_argument(
        "--regenerate",
        action="store_true",
        help="generate bench/.out/github again first (it is reused when present)",
    )
    ap.add_argument(
        "--pets", type=int, default=10_000, help="items in the pets list (default 10,000)"
    )
    ap.add_argument(
        "--repeat", type=int, default=15, help="repetitions of each side's loop (default 15)"
    )
    ap.add_argument(
        "--loop", type=float, default=0.3, help="target CPU seconds per loop (default 0.3)"
    )
    ap.add_argument(
        "--no-gc",
        action="store_true",
        help="disable the garbage collector while timing, as timeit does",
    )
    args = ap.parse_args()

    cases = args.case or ["repo", "pets", "pets-minimal"]
    if args.no_gc:
        gc.disable()
    results = []
    for case in cases:
        title, _, raw_call, apigen_call = (
            case_repo(args.spec, args.regenerate)
            if case == "repo"
            else case_pets(args.pets, case == "pets-minimal")
        )
        for _ in range(WARM_UP):  # lazy imports, adapters, the models refreshed (runtime/lazy.py)
            b = apigen_call()
        a = raw_call()  # and check both agree
        if a != b:
            print(f"{case}: raw and apigen results differ", file=sys.stderr)
            return 1
        if hasattr(b, "__len__"):
            print(f"{case}: {len(b):,} items", file=sys.stderr)
        t = min(per_call(raw_call, 1)[1] for _ in range(3))
        n = max(1, round(args.loop / t))
        wall: dict[str, list[float]] = {"raw": [], "apigen": []}
        cpu: dict[str, list[float]] = {"raw": [], "apigen": []}
        for rep in range(args.repeat):
            order = [("raw", raw_call), ("apigen", apigen_call)]
            if rep % 2:
                order.reverse()
            for side, fn in order:
                w, c = per_call(fn, n)
                wall[side].append(w)
                cpu[side].append(c)
            print(
                f"[{case} {rep + 1}/{args.repeat}] "
                f"wall raw {wall['raw'][-1] * 1e3:.3f} ms apigen {wall['apigen'][-1] * 1e3:.3f} ms"
                f"  CPU raw {cpu['raw'][-1] * 1e3:.3f} ms apigen {cpu['apigen'][-1] * 1e3:.3f} ms",
                file=sys.stderr,
                flush=True,
            )
        for clock, times in (("wall", wall), ("CPU", cpu)):
            raw_m, api_m = median(times["raw"]), median(times["apigen"])
            paired = median([a / r for a, r in zip(times["apigen"], times["raw"])])
            results.append(
                [
                    title,
                    clock,
                    f"{n}",
                    fmt(raw_m * 1e3, " ms", 3),
                    fmt(api_m * 1e3, " ms", 3),
                    fmt(ratio(api_m, raw_m), "x", 3),
                    fmt(paired, "x", 3),
                ]
            )

    print(
        f"\n## Per call through httpx.MockTransport "
        f"({args.repeat} repetitions, interleaved; medians)\n"
    )
    print(
        table(
            [
                "case",
                "clock",
                "calls / loop",
                "raw httpx + TypeAdapter",
                "apigen, full runtime",
                "apigen / raw",
                "median of paired ratios",
            ],
            results,
            [False, False, True, True, True, True, True],
        )
    )
    print(
        "\ntarget: apigen / raw <= 1.10"
        + ("; garbage collector off" if args.no_gc else "; garbage collector on")
    )
    print(f"\n{load_note()}; python {sys.version.split()[0]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
