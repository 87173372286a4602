"""Open the warehouse file and make sure its schemas exist."""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

import duckdb

from warehouse.store.catalog import Table
from warehouse.store.sqlfiles import load, names

SCHEMA_FILES = (
    ("warehouse", "raw_schema"),
    # every source's raw tables (warehouse/ingest/sources/sql/<source>.sql): adding a source adds one
    *(("warehouse.ingest.sources", name) for name in names("warehouse.ingest.sources")),
    ("transforms", "core_schema"),
    ("transforms", "territory_core_schema"),
    ("transforms", "settlement_core_schema"),
)

# Warehouse files this process already brought to the current schema, by (path, device, inode):
# a run opens dozens of connections and the DDL (with its migrations) cost seconds when re-run on
# each. A file created by this connect, or replaced since, gets the DDL again.
_schema_applied: set[tuple[str, int, int]] = set()


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
    identity = _identity(path)
    if existed is None or identity not in _schema_applied:
        for package, name in SCHEMA_FILES:
            con.execute(load(package, name))
        if identity is not None:
            _schema_applied.add(identity)
    return con


@contextmanager
def session(path: Path):
    con = connect(path)
    try:
        yield con
    finally:
        con.close()


def sql_literal(text: str) -> str:
    """A single-quoted SQL string literal, for the one statement that takes no parameters
    (COMMENT ON); the text comes from the catalog, never from data."""
    return "'" + text.replace("'", "''") + "'"


def comment_on(con: duckdb.DuckDBPyConnection, qualified_name: str, table: Table) -> None:
    """Attach the catalog's descriptions to a table and its columns (what BI tools show)."""
    con.execute(f"COMMENT ON TABLE {qualified_name} IS {sql_literal(table.description)}")
    for column in table.columns:
        con.execute(f"COMMENT ON COLUMN {qualified_name}.{column.name} IS {sql_literal(column.doc)}")
