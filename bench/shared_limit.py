#!/usr/bin/env python3
"""One account's rate limit and circuit breaker across processes (RedisStore).

A loopback server counts the requests it answers per second. Against it, 4 processes x
8 threads and 1 asyncio process x 200 tasks each call through one generated Petstore
client (generated/petstore, ``pet.retrieve``), every client configured with
RateLimit(requests=--rate, per=1.0):

  in-process  the default store: each process admits the full rate (about 5x together)
  redis       RedisStore on one key: the processes together stay at the rate
  outage      the same, with Redis killed for --outage seconds mid-run: every call
              completes (the clients fall back to their local limiters, one WARNING
              each, and re-attach when Redis is back); from one second after the last
              re-attach on, every one-second window at the server is at the rate again
  breaker     4 processes, CircuitBreaker(failure_threshold=3, recovery_time=2,
              store=RedisStore): one process's failures open it, the others fail fast
              on their first call, and after the recovery time exactly one probe
              reaches the server from all of them

The rate is read from the server's per-second counts over the whole seconds of the run:
the largest second and the mean; "busiest 1-s window" slides over the answers' times
(every start, 50 ms apart). Each worker also reports its own calls per second
("per_process" in --json), which shows a process the machine starves. Redis is a
redis-server this script starts (tests/runtime/rt_redis.py) on a free port. Where it may
(as root), the script raises its own priority, so the counting server and Redis, which
stand for the API and the shared Redis of a deployment, count on time on a busy machine;
the workers run at the priority the script was started with.

    python bench/shared_limit.py
    python bench/shared_limit.py --rate 200 --seconds 10 --outage 5
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import math
import json
import logging
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "generated" / "petstore"), str(REPO / "tests" / "runtime")]

PET = json.dumps({"id": 1, "name": "doggie", "photoUrls": []}).encode()


class CountingServer:
    """Answers GET /v2/pet/<id>; counts answers per second since start and keeps each
    answer's time; ``down`` -> 500s, ``delay`` holds each answer (a slow probe)."""

    def __init__(self) -> None:
        self.start = time.monotonic()
        self.start_epoch = time.time()
        self.per_second: dict[int, int] = {}
        self.times: list[float] = []
        self.total = 0
        self.down = False
        self.delay = 0.0
        self.lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 (http.server's spelling)
                with owner.lock:
                    at = time.monotonic() - owner.start
                    second = int(at)
                    owner.per_second[second] = owner.per_second.get(second, 0) + 1
                    owner.times.append(at)
                    owner.total += 1
                    down, delay = owner.down, owner.delay
                if delay:
                    time.sleep(delay)
                body = b'{"error": "down"}' if down else PET
                self.send_response(500 if down else 200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v2"

    def reset(self) -> None:
        with self.lock:
            self.start = time.monotonic()
            self.start_epoch = time.time()
            self.per_second = {}
            self.times = []
            self.total = 0

    def busiest_window(self, since: float, until: float, step: float = 0.05) -> int:
        """The most answers in any one-second window [t, t + 1) with since <= t <= until - 1."""
        with self.lock:
            times = sorted(self.times)
        best, t = 0, since
        while t + 1.0 <= until:
            best = max(best, bisect.bisect_left(times, t + 1.0) - bisect.bisect_left(times, t))
            t += step
        return best

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


# -- the worker processes ----------------------------------------------------------------------


def _client(args: argparse.Namespace, is_async: bool) -> Any:
    import petstore
    import redis
    import redis.asyncio

    store = None
    if args.redis:
        connection = (redis.asyncio.Redis if is_async else redis.Redis).from_url(args.redis)
        store = petstore.RedisStore(connection, key=args.key, timeout=0.25, retry_interval=1.0)
    breaker = None
    if args.breaker:
        breaker = petstore.CircuitBreaker(failure_threshold=3, recovery_time=2.0, store=store)
    limit = None if args.breaker else petstore.RateLimit(requests=args.rate, per=1.0, store=store)
    cls = petstore.AsyncClient if is_async else petstore.Client
    return cls(
        base_url=args.url,
        api_key="k",
        allow_insecure_http=True,
        max_retries=0,
        timeout=30.0,
        rate_limit=limit,
        circuit_breaker=breaker,
    )


def _ready() -> None:
    """Tell the driver this process has imported and built its client; wait for "go"."""
    print("ready", flush=True)
    sys.stdin.readline()


def _sync_worker(args: argparse.Namespace) -> dict[str, Any]:
    client = _client(args, False)
    _ready()
    start = time.monotonic()
    deadline = start + args.seconds
    done = [0] * args.threads
    sent: list[float] = []
    errors: list[str] = []

    def loop(n: int) -> None:
        while time.monotonic() < deadline:
            try:
                client.pet.retrieve(1)
                sent.append(time.monotonic() - start)
                done[n] += 1
            except Exception as exc:  # counted: the point is that there are none
                errors.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=loop, args=(n,)) for n in range(args.threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    client.close()
    return {
        "calls": sum(done),
        "errors": len(errors),
        "first_errors": errors[:3],
        "per_second": _per_second(sent, args.seconds),
    }


async def _async_worker(args: argparse.Namespace) -> dict[str, Any]:
    client = _client(args, True)
    _ready()
    start = time.monotonic()
    deadline = start + args.seconds
    done = [0]
    sent: list[float] = []
    errors: list[str] = []

    async def loop() -> None:
        while time.monotonic() < deadline:
            try:
                await client.pet.retrieve(1)
                sent.append(time.monotonic() - start)
                done[0] += 1
            except Exception as exc:
                errors.append(f"{type(exc).__name__}: {exc}")

    await asyncio.gather(*(loop() for _ in range(args.tasks)))
    await client.aclose()
    return {
        "calls": done[0],
        "errors": len(errors),
        "first_errors": errors[:3],
        "per_second": _per_second(sent, args.seconds),
    }


def _per_second(times: list[float], seconds: float) -> list[int]:
    """Calls this worker completed in each second since "go" (which process sent what)."""
    counts = [0] * (int(seconds) + 1)
    for at in times:
        counts[min(int(at), len(counts) - 1)] += 1
    return counts


def _breaker_worker(args: argparse.Namespace) -> None:
    """One call per "call" line on stdin; prints its outcome."""
    import petstore

    client = _client(args, False)
    print("ready", flush=True)
    for line in sys.stdin:
        if line.strip() != "call":
            break
        try:
            client.pet.retrieve(1)
            outcome = "ok"
        except petstore.CircuitOpenError:
            outcome = "open"
        except petstore.APIStatusError as exc:
            outcome = f"status {exc.status_code}"
        print(outcome, flush=True)
    client.close()


def worker_main(args: argparse.Namespace) -> None:
    logging.basicConfig(
        level=logging.WARNING,
        stream=sys.stderr,
        format=f"%(created).3f worker {os.getpid()} %(levelname)s %(message)s",
    )
    if args.breaker:
        _breaker_worker(args)
        return
    result = asyncio.run(_async_worker(args)) if args.tasks else _sync_worker(args)
    print(json.dumps(result), flush=True)


# -- the driver --------------------------------------------------------------------------------


_START_NICE = os.nice(0)


def _worker_priority() -> None:
    """In a worker, before exec: back to the priority the script was started with."""
    os.nice(max(0, _START_NICE - os.nice(0)))


def _spawn(
    server: CountingServer,
    redis_url: str | None,
    key: str,
    rate: float,
    seconds: float,
    *,
    threads: int = 0,
    tasks: int = 0,
    breaker: bool = False,
) -> subprocess.Popen[str]:
    cmd = [
        sys.executable,
        __file__,
        "--worker",
        "--url",
        server.url,
        "--key",
        key,
        "--rate",
        str(rate),
        "--seconds",
        str(seconds),
        "--threads",
        str(threads),
        "--tasks",
        str(tasks),
    ]
    if redis_url:
        cmd += ["--redis", redis_url]
    if breaker:
        cmd += ["--breaker"]
    return subprocess.Popen(
        cmd,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_worker_priority,
    )


def run_limit(
    name: str,
    server: CountingServer,
    redis_url: str | None,
    rate: float,
    seconds: float,
    outage: tuple[float, float, Any] | None = None,
) -> dict[str, Any]:
    key = f"bench:{name}:{time.time_ns()}"
    procs = [_spawn(server, redis_url, key, rate, seconds, threads=8) for _ in range(4)]
    procs.append(_spawn(server, redis_url, key, rate, seconds, tasks=200))
    for p in procs:  # all imported and ready: they start together
        assert p.stdout is not None and p.stdout.readline().strip() == "ready"
    server.reset()
    for p in procs:
        p.stdin.write("go\n")  # type: ignore[union-attr]
        p.stdin.flush()  # type: ignore[union-attr]
    if outage is not None:
        at, length, redis_server = outage
        time.sleep(at)
        redis_server.stop()
        killed = time.monotonic() - server.start
        time.sleep(length)
        redis_server.start()
        back = time.monotonic() - server.start
    results, logs = [], []
    for p in procs:
        out, err = p.communicate(timeout=seconds + 120)
        results.append(json.loads(out.strip().splitlines()[-1]))
        logs += [line for line in err.splitlines() if "redis store" in line or "Error" in line]
    counts = dict(server.per_second)
    first = 0
    whole = [counts.get(s, 0) for s in range(0, int(seconds))]  # whole seconds of the run
    report: dict[str, Any] = {
        "case": name,
        "configured": rate,
        "processes": len(procs),
        "calls": sum(r["calls"] for r in results),
        "errors": sum(r["errors"] for r in results),
        "first_errors": [e for r in results for e in r["first_errors"]][:3],
        "max_per_second": max(whole),
        "mean_per_second": round(sum(whole) / len(whole), 1),
        "max_ratio": round(max(whole) / rate, 3),
        "mean_ratio": round(sum(whole) / len(whole) / rate, 3),
        "seconds": whole,
        "per_process": [r["per_second"] for r in results],
    }
    busiest = server.busiest_window(0.0, seconds)
    report["busiest_window"] = busiest  # any one-second window, not only whole seconds
    report["busiest_window_ratio"] = round(busiest / rate, 3)
    if outage is not None:
        report["redis_killed_at"] = round(killed - first, 1)
        report["redis_back_at"] = round(back - first, 1)
        report["log"] = logs
        report["fallback_warnings"] = sum("unreachable" in line for line in logs)
        report["reattach_warnings"] = sum("re-attached" in line for line in logs)
        report.update(_after_reattach(server, logs, back, rate, seconds))
    return report


def _after_reattach(
    server: CountingServer, logs: list[str], back: float, rate: float, seconds: float
) -> dict[str, Any]:
    """When each worker re-attached (server seconds, from the log's epoch times), how
    often one fell back again afterwards, and the busiest one-second window at the server
    from one second after the last re-attach to the end of the run."""
    events = []  # (server seconds, worker, "fallback" | "reattach")
    for line in logs:
        kind = "reattach" if "re-attached" in line else "fallback" if "unreachable" in line else ""
        stamp, _, pid, *_ = line.split(" ", 3) + ["", "", ""]
        if kind and stamp.replace(".", "", 1).isdigit():
            events.append((float(stamp) - server.start_epoch, pid, kind))
    reattached = {pid: at for at, pid, kind in sorted(events) if kind == "reattach"}
    first_reattach: dict[str, float] = {}
    for at, pid, kind in sorted(events):
        if kind == "reattach":
            first_reattach.setdefault(pid, at)
    again = sum(
        1 for at, pid, kind in events if kind == "fallback" and at > first_reattach.get(pid, 1e9)
    )
    last = max(reattached.values(), default=seconds)
    busiest = server.busiest_window(last + 1.0, seconds)
    counts = server.per_second
    whole = [counts.get(s, 0) for s in range(math.ceil(last + 1.0), int(seconds))]
    return {
        "after_reattach_seconds": whole,
        "reattached_at": sorted(round(at, 2) for at in reattached.values()),
        "fallbacks_after_reattach": again,
        "after_reattach_window": [round(last + 1.0, 2), round(seconds, 2)],
        "after_reattach_max_per_second": busiest,
        "after_reattach_max_ratio": round(busiest / rate, 3),
    }


def run_breaker(server: CountingServer, redis_url: str) -> dict[str, Any]:
    key = f"bench:breaker:{time.time_ns()}"
    procs = [_spawn(server, redis_url, key, 1, 1, breaker=True) for _ in range(4)]
    for p in procs:
        assert p.stdout is not None and p.stdout.readline().strip() == "ready"

    def call(indices: list[int]) -> list[str]:
        for i in indices:
            procs[i].stdin.write("call\n")  # type: ignore[union-attr]
            procs[i].stdin.flush()  # type: ignore[union-attr]
        return [procs[i].stdout.readline().strip() for i in indices]  # type: ignore[union-attr]

    server.down = True
    server.reset()
    opening = [call([0])[0] for _ in range(3)]
    sent_opening = server.total
    others = call([1, 2, 3])
    sent_while_open = server.total - sent_opening
    time.sleep(2.2)  # recovery_time: the circuit half-opens on Redis's clock
    server.down, server.delay = False, 0.5
    before = server.total
    half_open = call([0, 1, 2, 3])
    probes = server.total - before
    server.delay = 0.0
    after = call([0, 1, 2, 3])
    for p in procs:
        p.communicate("stop\n", timeout=30)
    return {
        "case": "breaker",
        "processes": 4,
        "opening_calls": opening,
        "requests_for_opening": sent_opening,
        "others_first_call": others,
        "requests_while_open": sent_while_open,
        "half_open_calls": half_open,
        "probes_reaching_server": probes,
        "after_probe": after,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--outage", type=float, default=5.0)
    parser.add_argument("--json", type=Path, help="also write the reports here")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--key", help=argparse.SUPPRESS)
    parser.add_argument("--redis", help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--tasks", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--breaker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker_main(args)
        return

    from rt_redis import RedisServer

    try:
        os.nice(-10)  # the counting server and Redis: see the module docstring
    except OSError:
        pass
    server = CountingServer()
    reports = []
    with RedisServer() as redis_server:
        reports.append(run_limit("in-process", server, None, args.rate, args.seconds))
        reports.append(run_limit("redis", server, redis_server.url, args.rate, args.seconds))
        run = max(args.seconds, args.outage + 7.0)  # 5 s after Redis is back, to re-attach
        reports.append(
            run_limit(
                "outage",
                server,
                redis_server.url,
                args.rate,
                run,
                outage=(2.0, args.outage, redis_server),
            )
        )
        reports.append(run_breaker(server, redis_server.url))
    server.close()
    for r in reports:
        print(json.dumps(r))
    limit, shared, outage, breaker = reports
    print(f"\nrate {args.rate:g}/s, 4 processes x 8 threads + 1 asyncio process x 200 tasks:")
    for r in (limit, shared):
        print(
            f"  {r['case']:<10}  max second {r['max_per_second']:>5} ({r['max_ratio']:.2f}x), "
            f"mean {r['mean_per_second']:>6} ({r['mean_ratio']:.2f}x), {r['calls']} calls, "
            f"{r['errors']} errors; busiest 1-s window {r['busiest_window']} "
            f"({r['busiest_window_ratio']:.2f}x)"
        )
    print(
        f"  outage      Redis killed at {outage['redis_killed_at']} s for {args.outage:g} s: "
        f"{outage['calls']} calls, {outage['errors']} errors, {outage['fallback_warnings']} "
        f"fallback and {outage['reattach_warnings']} re-attach warnings; per second "
        f"{outage['seconds']}"
    )
    window = outage["after_reattach_window"]
    print(
        f"              re-attached at {outage['reattached_at']} s (Redis back at "
        f"{outage['redis_back_at']} s), {outage['fallbacks_after_reattach']} fallbacks after; "
        f"busiest 1-s window from {window[0]} s to {window[1]} s: "
        f"{outage['after_reattach_max_per_second']} ({outage['after_reattach_max_ratio']:.2f}x), "
        f"whole seconds {outage['after_reattach_seconds']}"
    )
    print(
        f"  breaker     opened by process 0 ({breaker['opening_calls']}), the others' first "
        f"call: {breaker['others_first_call']} ({breaker['requests_while_open']} requests); "
        f"half-open: {breaker['half_open_calls']}, {breaker['probes_reaching_server']} probe "
        f"reached the server; then {breaker['after_probe']}"
    )
    if args.json:
        args.json.write_text("".join(json.dumps(r) + "\n" for r in reports))
    ok = (
        shared["max_ratio"] <= 1.05
        and shared["errors"] == 0
        and outage["errors"] == 0
        and outage["fallback_warnings"] == outage["processes"]  # one each, none after
        and outage["reattach_warnings"] == outage["processes"]  # every process is back
        and outage["fallbacks_after_reattach"] == 0
        and outage["after_reattach_max_ratio"] <= 1.05
        and breaker["probes_reaching_server"] == 1
        and breaker["requests_while_open"] == 0
    )
    print("\nshared limit holds" if ok else "\nFAILED: see the figures above")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
