"""When apigen may spread work over forked processes, and memory before it does.

Forked children inherit what this process has already built (the parsed
document, the batches of files), so nothing is pickled on the way in. Forking
is only safe in a process with one thread: a lock another thread holds at the
fork (the import lock, a logging lock) stays held for ever in the child. So
apigen forks only when it runs alone, on a platform where fork is the native
way to start a process (not macOS, where system libraries may break in a forked
child, nor Windows, which has no fork); elsewhere (or with ``APIGEN_FORK=off``) the
same work runs here, one step after the other.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")


def can_fork() -> bool:
    """Whether apigen may fork here; ``APIGEN_FORK=off`` says no, as macOS and Windows do
    (CI runs a whole suite that way, so the serial path is tested on Linux too)."""
    if os.environ.get("APIGEN_FORK", "").lower() in ("off", "0", "no"):
        return False
    return (
        sys.platform != "darwin"
        and "fork" in multiprocessing.get_all_start_methods()
        and threading.active_count() == 1
    )


@contextlib.contextmanager
def gc_frozen() -> Iterator[None]:
    """Around forks: the garbage collector's objects frozen, so a child's collections
    leave the pages it shares with this process alone instead of copying them all."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def cores() -> int:
    """Cores this process may run on (its CPU affinity where the platform says)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def return_free_memory() -> None:
    """Give the C allocator's free pages back to the system (glibc only; elsewhere nothing).

    datamodel-code-generator leaves about 100 MB of freed memory in the heap on
    GitHub's description; handed back, it is not counted against the run's peak,
    nor copied by the formatting workers forked after it.
    """
    import ctypes

    if not sys.platform.startswith("linux"):
        return
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # musl and other C libraries have no malloc_trim
        pass


def run_tasks(tasks: list[Callable[[], T]], first: Callable[[], None] | None = None) -> list[T]:
    """Each task's result, in order: ``tasks[1:]`` in forked children, ``tasks[0]`` here.

    A child calls ``first`` before its task (to wait for another process to end, so
    that the two do not hold their memory at the same time).

    Only where ``can_fork()``; elsewhere every task runs here, one after the other.
    A child inherits what the tasks read (nothing is pickled on the way in) and
    sends back its result. An ``ApigenError`` in a child is raised here with its
    diagnostics; when a child dies or fails otherwise, its task runs again here, so
    the error (if any) is the one a serial run would raise.
    """
    if len(tasks) < 2 or not can_fork():
        return [task() for task in tasks]
    context = multiprocessing.get_context("fork")
    children = []
    with gc_frozen():
        for task in tasks[1:]:
            receive, send = context.Pipe(duplex=False)
            process = context.Process(target=_run_and_send, args=(task, send, first), daemon=True)
            process.start()
            send.close()
            children.append((receive, process))
    try:
        results = [tasks[0]()]
        for task, (receive, process) in zip(tasks[1:], children):
            try:
                kind, value = receive.recv()
            except EOFError:  # the child died (killed, out of memory)
                kind, value = "retry", None
            process.join()
            if kind == "ok":
                results.append(value)
            elif kind == "apigen":
                from .diagnostics import ApigenError

                raise ApigenError(value)
            else:
                results.append(task())
        return results
    finally:
        for receive, process in children:
            receive.close()
            if process.is_alive():
                process.terminate()
                process.join()


def _run_and_send(task: Callable[[], Any], send: Any, first: Callable[[], None] | None) -> None:
    from .diagnostics import ApigenError

    try:
        if first is not None:
            first()
        message: tuple[str, Any] = ("ok", task())
    except ApigenError as exc:
        message = ("apigen", exc.diagnostics)
    except BaseException:  # noqa: BLE001  (the parent runs the task again and sees the error)
        message = ("retry", None)
    send.send(message)
    send.close()
