"""Skip a SQL model whose inputs did not change since it was last built.

A SQL model (:mod:`transforms.models`) is a pure function of its SQL text, its bound parameters,
the catalog comments put on it and the content of the tables it reads (tests/test_build_keys.py holds
its SQL to deterministic functions: anything else, such as today, comes in as a parameter). Their
sha256 is the model's build key; ``audit.model_builds`` keeps, per table, the key of its last build,
the content fingerprint of the table right after it and its row count. When the key matches and the
table's fingerprint is still the stored one (nothing changed it behind the model's back), the build
is skipped and the stored row count reported. Table fingerprints are computed inside DuckDB with the
validation cache's :func:`expectations.cache.query_fingerprint` (row count, sums of row hashes,
column names and types). Incremental steps keep their own per-day keys.
"""

from __future__ import annotations

import hashlib
import json

import duckdb

from expectations.cache import query_fingerprint
from warehouse.store import catalog

FORMAT = "1"  # bump when what the key covers changes


def _has_table(con: duckdb.DuckDBPyConnection) -> bool:
    """False for a database without the warehouse schema (a test's bare tables): always build."""
    return bool(
        con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'audit' AND table_name = 'model_builds'"
        ).fetchone()[0]
    )


def table_fingerprint(con: duckdb.DuckDBPyConnection, qualified: str) -> str | None:
    """The content fingerprint of a table or view (None if it cannot be read)."""
    query = f"SELECT * FROM {qualified}"  # noqa: S608 - registry names only
    return query_fingerprint(con, qualified, "model build", query, [])


def _comments(name: str) -> list:
    if name not in catalog.BY_NAME:
        return []
    table = catalog.table(name)
    return [table.description, [(c.name, c.doc) for c in table.columns]]


def build_key(con: duckdb.DuckDBPyConnection, qualified: str, sql: str, params, inputs: frozenset[str]) -> str | None:
    """sha256 of everything the model's rows depend on; None when there is no audit table or an
    input cannot be fingerprinted (the model is then built)."""
    if not _has_table(con):
        return None
    timezone = con.execute("SELECT current_setting('TimeZone')").fetchone()[0]  # casts of TIMESTAMPTZ
    parts: list = [FORMAT, duckdb.__version__, timezone, qualified, sql, params, _comments(qualified.split(".")[1])]
    for table in sorted(inputs):
        if (content := table_fingerprint(con, table)) is None:
            return None
        parts.append([table, content])
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=repr).encode()).hexdigest()


def unchanged(con: duckdb.DuckDBPyConnection, qualified: str, key: str) -> int | None:
    """The stored row count when ``qualified`` was last built with ``key`` and still holds what
    that build wrote; else None (build it)."""
    row = con.execute(
        "SELECT output_fingerprint, row_count FROM audit.model_builds WHERE table_name = ? AND build_key = ?",
        [qualified, key],
    ).fetchone()
    if row is None or table_fingerprint(con, qualified) != row[0]:
        return None
    return row[1]


def record(con: duckdb.DuckDBPyConnection, qualified: str, key: str, rows: int) -> None:
    """Store the key a build used and what it wrote (call inside the build's transaction)."""
    if (written := table_fingerprint(con, qualified)) is None:
        return
    con.execute(
        "INSERT INTO audit.model_builds VALUES (?, ?, ?, ?, 1, now()) ON CONFLICT (table_name) DO UPDATE SET "
        "build_key = excluded.build_key, output_fingerprint = excluded.output_fingerprint, "
        "row_count = excluded.row_count, builds = audit.model_builds.builds + 1, built_at = excluded.built_at",
        [qualified, key, written, rows],
    )
