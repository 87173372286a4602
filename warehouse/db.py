"""Open the warehouse file and make sure its schemas exist."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import duckdb

from warehouse.catalog import Table
from warehouse.sqlfiles import load


def connect(path: Path) -> duckdb.DuckDBPyConnection:
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    con.execute(load("warehouse", "raw_schema"))
    con.execute(load("warehouse", "casualty_raw_schema"))
    con.execute(load("warehouse", "territory_raw_schema"))
    con.execute(load("transforms", "core_schema"))
    con.execute(load("transforms", "territory_core_schema"))
    con.execute(load("transforms", "settlement_core_schema"))
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
