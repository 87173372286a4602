"""Open the warehouse file, brought to the current schema version once per process."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import re
from contextlib import contextmanager, suppress
from pathlib import Path

import duckdb

from warehouse.store import migrations
from warehouse.store.catalog import Table

# Warehouse files this process already brought to the current schema version, by (path, device,
# inode): a run opens dozens of connections, and even reading audit.schema_migrations on each costs.
# A file created by this connect, or replaced since, is migrated (warehouse/store/migrations.py).
_schema_applied: set[tuple[str, int, int]] = set()


@contextmanager
def registered(con: duckdb.DuckDBPyConnection, name: str, frame):
    """``frame`` (Arrow) readable as ``name`` in SQL inside the block, unregistered after it. When
    the block fails inside a transaction, DuckDB refuses the unregister (the transaction is
    aborted) and that error would replace the one that says what went wrong: it is suppressed."""
    con.register(name, frame)
    try:
        yield
    except BaseException:
        with suppress(duckdb.Error):
            con.unregister(name)
        raise
    con.unregister(name)


# DuckDB's memory for the one database instance a run holds open (issue 12): by default 80 % of
# RAM, so its operators (the settlement models' joins and sorts over millions of rows) took what
# they found and the run peaked far above what the work needs. With a limit, DuckDB spills to
# `<warehouse>.tmp/` instead; 500 MB leaves the largest model (a window over 4.9M settlement-day
# rows, which cannot spill, needs ~300 MB) room to grow. FRONTLINE_DUCKDB_MEMORY overrides it.
MEMORY_LIMIT = os.environ.get("FRONTLINE_DUCKDB_MEMORY", "500MB")
if not re.fullmatch(r"\d+(\.\d+)?\s*[KMGT]i?B", MEMORY_LIMIT):
    raise ValueError(f"FRONTLINE_DUCKDB_MEMORY={MEMORY_LIMIT!r}: expected a size such as 500MB or 1GiB")


def _identity(path: Path) -> tuple[str, int, int] | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return str(path.resolve()), st.st_dev, st.st_ino


def connect(path: Path) -> duckdb.DuckDBPyConnection:
    path.parent.mkdir(parents=True, exist_ok=True)
    existed = _identity(path)
    con = duckdb.connect(str(path))
    con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")  # validated above; SET takes no parameters
    identity = _identity(path)
    if existed is None or identity not in _schema_applied:
        migrations.migrate(con)
        if identity is not None:
            _schema_applied.add(identity)
    return con


@contextmanager
def session(path: Path):
    con = connect(path)
    try:
        yield con
    finally:
        release_freed_memory(con)
        con.close()


def release_freed_memory(con: duckdb.DuckDBPyConnection | None = None) -> None:
    """Give memory freed by the work just done back to the system. Each step (a session) frees its
    frames, but Arrow's pool (mimalloc) and glibc's heap keep freed pages for reuse, so the process
    kept the high-water mark of every step before it and each step's peak stacked on that (issue 12).
    With ``con``, DuckDB's too: after a large query it keeps the freed buffers (a 1.85M-row sort:
    ~230 MB) up to its memory limit; lowering the limit for a moment makes it hand them back."""
    import pyarrow as pa

    if con is not None:
        # An error is no reason to fail the work done: blocks still pinned (an open result) stay,
        # a connection in a failed transaction refuses SET; each connect sets the limit again.
        for limit in ("1MB", MEMORY_LIMIT):
            with suppress(duckdb.Error):
                con.execute(f"SET memory_limit = '{limit}'")
    pa.default_memory_pool().release_unused()
    if _libc is not None:
        _libc.malloc_trim(0)


_libc = ctypes.CDLL(ctypes.util.find_library("c")) if ctypes.util.find_library("c") else None
if _libc is not None and not hasattr(_libc, "malloc_trim"):  # not glibc (musl, macOS)
    _libc = None


def sql_literal(text: str) -> str:
    """A single-quoted SQL string literal, for the one statement that takes no parameters
    (COMMENT ON); the text comes from the catalog, never from data."""
    return "'" + text.replace("'", "''") + "'"


def sql_identifier(name: str) -> str:
    """A double-quoted SQL identifier; the name comes from the catalog or a frame's own query."""
    return '"' + name.replace('"', '""') + '"'


def comment_on(con: duckdb.DuckDBPyConnection, qualified_name: str, table: Table) -> None:
    """Attach the catalog's descriptions to a table and its columns (what BI tools show)."""
    con.execute(f"COMMENT ON TABLE {qualified_name} IS {sql_literal(table.description)}")
    for column in table.columns:
        con.execute(f"COMMENT ON COLUMN {qualified_name}.{column.name} IS {sql_literal(column.doc)}")
