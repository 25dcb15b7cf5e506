"""When apigen may spread work over forked processes.

Forked children inherit what this process has already built (the parsed
document, the batches of files), so nothing is pickled on the way in. Forking
is only safe in a process with one thread: a lock another thread holds at the
fork (the import lock, a logging lock) stays held for ever in the child. So
apigen forks only when it runs alone, on a platform where fork is the native
way to start a process (not macOS, where system libraries may break in a forked
child, nor Windows, which has no fork); elsewhere the same work runs here, one
step after the other.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading


def can_fork() -> bool:
    return sys.platform != "darwin" and "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


def cores() -> int:
    """Cores this process may run on (its CPU affinity where the platform says)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1
