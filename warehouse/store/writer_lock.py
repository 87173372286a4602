"""One writing run per FRONTLINE_HOME.

DuckDB lets one process at a time open the warehouse file for writing, and each pipeline step
opens it for its own duration, so two overlapping runs (a cron `frontline run` and the Dagster
schedule, say) would interleave step by step and fail wherever they collide. A run holds this
lock from start to end instead; a second run stops before doing anything and says who holds it.
The lock is an advisory `flock` on `writer.lock`: the system drops it when the holder exits,
however it exits. Re-entrant within a process (the CLI takes it, then the run's resource does).
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK_FILE = "writer.lock"


class WarehouseBusy(RuntimeError):
    pass


class HomeNotWritable(RuntimeError):
    """FRONTLINE_HOME cannot be written (read-only file system, permissions): said before any step."""


_guard = threading.Lock()
_held: dict[Path, list] = {}  # lock path -> [open file, depth]


@contextmanager
def exclusive_writer(home: Path) -> Iterator[None]:
    path = (home / LOCK_FILE).resolve()
    with _guard:
        entry = _held.get(path)
        if entry is None:
            try:
                home.mkdir(parents=True, exist_ok=True)
                handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 (held past this block)
            except OSError as exc:
                raise HomeNotWritable(
                    f"{home} cannot be written ({exc.strerror}: {exc.filename}); nothing was changed"
                ) from None
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.seek(0)
                holder = handle.read().strip() or "another process"
                handle.close()
                raise WarehouseBusy(
                    f"{home} is being written by {holder}; nothing was changed. Run again when it has finished."
                ) from None
            handle.seek(0)
            handle.truncate()
            handle.write(f"frontline (PID {os.getpid()})\n")
            handle.flush()
            entry = _held[path] = [handle, 0]
        entry[1] += 1
    try:
        yield
    finally:
        with _guard:
            entry[1] -= 1
            if entry[1] == 0:
                del _held[path]
                entry[0].close()  # releases the flock
