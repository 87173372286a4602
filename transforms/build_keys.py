"""Build a model only when something it reads changed: Merkle build keys that read no data row.

- **Code version**: one sha256 of every ``.py``/``.sql``/``.toml`` file of the packages transforms/
  and warehouse/, and of the duckdb, shapely and pyproj versions (once per process). Any code change
  rebuilds every model once: conservative and simple.
- **Raw table key**: the code version, the landing ledger rows ``(source, key, version, sha256)`` of
  the sources landing the table (``raw.payloads``: a new day, a new version, a payload let through
  by ``frontline accept`` all add a row), how many times ``frontline reparse`` rewrote its rows
  (``audit.raw_rewrites``: a reparse keeps the ledger) and its row count.
- **Model key**: the code version, the model's table, its SQL text(s), bound parameters and step
  METHOD, the TimeZone setting (casts of TIMESTAMPTZ), and the key of each input, sorted: a raw
  table's key as above, a core table's the key its writer's last build stored. The ledger
  (``raw.payloads``/``raw.current_payloads``) counts through the raw tables read beside it (as in
  orchestration/model_assets.py: every model reading it reads a source's rows too).

``audit.model_builds`` keeps, per model, the key of its last build, what it counted and a **guard**:
the row count of every table it writes, and the whole content of a step's bookkeeping (the small
tables of input hashes deciding what it recomputes). Same key and same guard: the model is not
built, not even called (a step then costs nothing), and its stored count is returned. A table
rewritten in place behind the model's back without a row count change is not seen: tables are
written by their models only (tests tamper with them to test the checks, and then run no model).

A model built **by day** (transforms/models.py) also stores in ``audit.model_days`` a key per
(source, day) of what it read (its day-keys file) and a **model key** (code version, SQL,
parameters, TimeZone: how rows are computed from inputs). When its build key changed but its model
key and guard did not, only the days whose key changed, appeared or vanished are rebuilt.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import json
import sys
from collections.abc import Mapping
from functools import cache
from pathlib import Path

import duckdb

from warehouse.ingest import sources
from warehouse.store.sqlfiles import load

FORMAT = "2"  # bump when what the key covers changes
CODE_PACKAGES = ("transforms", "warehouse")
CODE_SUFFIXES = (".py", ".sql", ".toml")
LIBRARIES = ("duckdb", "shapely", "pyproj")
LEDGER = frozenset({"raw.payloads", "raw.current_payloads"})
# A step's record of what each stored day/version was computed from: small, hashed whole by the guard.
BOOKKEEPING = frozenset({"core.region_day_inputs", "core.settlement_day_inputs", "core.loss_payloads"})


@cache
def code_version() -> str:
    """sha256 of the code models are built by (computed once per process)."""
    digest = hashlib.sha256(FORMAT.encode())
    for package in CODE_PACKAGES:
        root = Path(importlib.import_module(package).__file__).parent
        files = sorted(p for p in root.rglob("*") if p.suffix in CODE_SUFFIXES and "__pycache__" not in p.parts)
        for path in files:
            digest.update(f"\0{path.relative_to(root.parent).as_posix()}\0".encode())
            digest.update(path.read_bytes())
    for library in LIBRARIES:
        digest.update(f"\0{library}=={importlib.metadata.version(library)}".encode())
    return digest.hexdigest()


@cache
def landed_by() -> dict[str, tuple[str, ...]]:
    """Raw table → the sources landing it (from the source registry)."""
    out: dict[str, set[str]] = {}
    for source in sources.ALL:
        tables = source.table.values() if isinstance(source.table, Mapping) else (source.table,)
        for table in tables:
            if table is not None:
                out.setdefault(table.name.lower(), set()).add(source.name)
    return {t: tuple(sorted(s)) for t, s in out.items()}


def _sha(parts) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=repr).encode()).hexdigest()


def _has_tables(con: duckdb.DuckDBPyConnection) -> bool:
    """False for a database without the warehouse schema (a test's bare tables): always build."""
    return (
        con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'audit' "
            "AND table_name IN ('model_builds', 'raw_rewrites', 'model_days')"
        ).fetchone()[0]
        == 3
    )


def raw_key(con: duckdb.DuckDBPyConnection, table: str) -> str | None:
    """The key of a raw table (None: no source lands it; build)."""
    landing = landed_by().get(table)
    if not landing:
        return None
    ledger = con.execute(
        "SELECT source, key, version, sha256 FROM raw.payloads WHERE list_contains(?, source) ORDER BY ALL",
        [list(landing)],
    ).fetchall()
    rewrites = con.execute("SELECT rewrites FROM audit.raw_rewrites WHERE table_name = ?", [table]).fetchone()
    rows = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608 - registry names only
    return _sha([code_version(), table, ledger, rewrites[0] if rewrites else 0, rows])


def stored_key(con: duckdb.DuckDBPyConnection, qualified: str) -> str | None:
    row = con.execute("SELECT build_key FROM audit.model_builds WHERE table_name = ?", [qualified]).fetchone()
    return row[0] if row else None


def build_key(
    con: duckdb.DuckDBPyConnection,
    qualified: str,
    texts: list[str],
    params,
    method: str | None,
    inputs: Mapping[str, str | None],
) -> str | None:
    """The model's key; ``inputs``: each input table → the model writing it (None for a raw table).
    None when there is no audit table or an input has no key (the model is then built)."""
    if not _has_tables(con):
        return None
    timezone = con.execute("SELECT current_setting('TimeZone')").fetchone()[0]
    parts: list = [code_version(), timezone, qualified, texts, params, method]
    for table in sorted(set(inputs) - LEDGER):
        writer = inputs[table]
        key = stored_key(con, writer) if writer else raw_key(con, table)
        if key is None:
            return None
        parts.append([table, key])
    return _sha(parts)


def guard(con: duckdb.DuckDBPyConnection, tables: tuple[str, ...]) -> str | None:
    """What a build left in its tables: row counts, and a step's bookkeeping whole (None: a table
    is missing)."""
    parts = []
    try:
        for table in tables:
            query = f"SELECT count(*) FROM {table}"  # noqa: S608 - registry names only
            if table in BOOKKEEPING:
                query = f"SELECT count(*), sum(hash(t)::HUGEINT), sum(hash(t, 'frontline')::HUGEINT) FROM {table} AS t"  # noqa: S608
            parts.append([table, [str(v) for v in con.execute(query).fetchone()]])
    except duckdb.CatalogException:
        return None
    return _sha(parts)


def unchanged(con: duckdb.DuckDBPyConnection, qualified: str, writes: tuple[str, ...], key: str) -> int | None:
    """The stored count when ``qualified`` was last built with ``key`` and its tables still hold
    what that build left; else None (build it)."""
    row = con.execute(
        "SELECT guard, counted FROM audit.model_builds WHERE table_name = ? AND build_key = ?", [qualified, key]
    ).fetchone()
    if row is None or guard(con, writes) != row[0]:
        return None
    return row[1]


def record(con: duckdb.DuckDBPyConnection, qualified: str, writes: tuple[str, ...], key: str, counted: int) -> None:
    """Store the key a build used, what it left and what it counted (inside a SQL model's
    transaction; after a step completed)."""
    if (left := guard(con, writes)) is None:
        return
    con.execute(
        "INSERT INTO audit.model_builds VALUES (?, ?, ?, ?, 1, now()) ON CONFLICT (table_name) DO UPDATE SET "
        "build_key = excluded.build_key, guard = excluded.guard, counted = excluded.counted, "
        "builds = audit.model_builds.builds + 1, built_at = excluded.built_at",
        [qualified, key, left, counted],
    )


def rows_rewritten(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """A reparse rewrote ``table``'s rows without a new payload version: change its key."""
    if not _has_tables(con):
        return
    con.execute(
        "INSERT INTO audit.raw_rewrites VALUES (?, 1, now()) ON CONFLICT (table_name) DO UPDATE SET "
        "rewrites = audit.raw_rewrites.rewrites + 1, rewritten_at = excluded.rewritten_at",
        [table.lower()],
    )


def method_of(step) -> str | None:
    """A step's METHOD (the version of what it computes), if its module declares one."""
    return getattr(sys.modules[step.__module__], "METHOD", None)


def model_key(con: duckdb.DuckDBPyConnection, qualified: str, texts: list[str], params) -> str:
    """How a by-day model computes its rows (not what from): day keys stored under another model
    key are not comparable."""
    timezone = con.execute("SELECT current_setting('TimeZone')").fetchone()[0]
    return _sha([code_version(), timezone, qualified, texts, params])


def changed_days(
    con: duckdb.DuckDBPyConnection, qualified: str, writes: tuple[str, ...], key: str, day_keys: str
) -> bool:
    """Put the day keys of the model's inputs now in the temp table ``model_day_keys`` and, when its
    last build was of the same model key and its tables still hold what that build left, the
    (source, date) whose key changed, appeared or vanished in ``model_changed_days``: True (rebuild
    those days). False: rebuild the whole table (also when more than half the days changed)."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE model_day_keys AS {day_keys.strip().rstrip(';')}")
    stored = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE model_key <> ?) FROM audit.model_days WHERE table_name = ?",
        [key, qualified],
    ).fetchone()
    built = con.execute("SELECT guard FROM audit.model_builds WHERE table_name = ?", [qualified]).fetchone()
    if stored[0] == 0 or stored[1] > 0 or built is None or guard(con, writes) != built[0]:
        return False
    con.execute(load("transforms", "model_changed_days"), {"table_name": qualified})
    changed = con.execute("SELECT count(*) FROM model_changed_days").fetchone()[0]
    return 2 * changed <= stored[0]  # most days changed (a step's METHOD): a full build, sorted, is cheaper


def record_days(con: duckdb.DuckDBPyConnection, qualified: str, key: str) -> None:
    """Store the day keys (temp ``model_day_keys``) the build used, in the model's transaction."""
    con.execute("DELETE FROM audit.model_days WHERE table_name = ?", [qualified])
    con.execute("INSERT INTO audit.model_days SELECT ?, ?, source, date, day_key FROM model_day_keys", [qualified, key])
