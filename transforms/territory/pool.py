"""One pool of forked worker processes for a rebuild's independent days: the per-region step's
days and API snapshots, and the settlement step's days (transforms.settlements.status_step)."""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
from collections.abc import Callable

# Days (and API snapshots) are independent once their geometries are loaded: a rebuild spreads
# them over the cores. Below this many items a worker pool costs more than it saves (one new day
# runs in-process).
PARALLEL_MIN_DAYS = 16
_job: tuple = ()  # (function, items, shared), inherited by the forked workers, which work by index


def workers() -> int:
    """Worker processes for a rebuild: the CPUs this process may use, or FRONTLINE_WORKERS."""
    wanted = os.environ.get("FRONTLINE_WORKERS")
    return max(1, int(wanted)) if wanted else len(os.sched_getaffinity(0))


def worker_signals() -> None:
    """Default signal handling in a worker: the parent's (Dagster's interrupt handler, which
    raises) is no business of a process that only computes geometry."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the parent, which stops the pool


def _run(i: int):
    function, items, shared = _job
    return function(items[i], shared)


def in_workers(function: Callable, items: list, shared, on_done: Callable[[int, int], None] | None = None) -> list:
    """``function(item, shared)`` for every item, in order; in forked workers when there are many
    (they inherit the function, the items and ``shared``: only results travel back).
    ``on_done(done, total)`` after each."""
    global _job
    _job = (function, items, shared)
    results: list = []

    def collect(result_iter) -> list:
        for result in result_iter:
            results.append(result)
            if on_done is not None:
                on_done(len(results), len(items))
        return results

    try:
        n = workers()
        if n < 2 or len(items) < PARALLEL_MIN_DAYS:
            return collect(_run(i) for i in range(len(items)))
        with mp.get_context("fork").Pool(n, initializer=worker_signals) as pool:
            collect(pool.imap(_run, range(len(items)), chunksize=max(1, len(items) // (n * 8))))
            pool.close()  # workers exit on their own; leaving the block would SIGTERM them
            pool.join()
            return results
    finally:
        _job = ()
