"""Build the core tables from the raw layer, one model per table, each in a transaction.

The geometry step (:mod:`transforms.territory.region_step`) is incremental; the SQL models are cheap,
deterministic full refreshes of small tables, so re-running them leaves every row identical.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from transforms.losses.loss_categories import CATEGORIES
from warehouse.ingest import sources
from warehouse.store import catalog
from warehouse.store.db import comment_on
from warehouse.store.sqlfiles import load


class UnmappedLossField(ValueError):
    pass


def _run(con: duckdb.DuckDBPyConnection, *models: str) -> None:
    con.begin()
    try:
        for model in models:
            con.execute(load("transforms" if model == "dim_date" else "transforms.losses" if "loss" in model else "transforms.territory", model))
            if model in catalog.BY_NAME:
                comment_on(con, catalog.table(model).qualified, catalog.table(model))
        con.commit()
    except BaseException:
        con.rollback()
        raise


def _replace_from_rows(con, name: str, rows: list[dict]) -> None:
    table = catalog.table(name)
    frame = pa.Table.from_pylist(rows)
    con.register("incoming_rows", frame)
    try:
        con.begin()
        con.execute(f"CREATE OR REPLACE TABLE {table.qualified} AS SELECT * FROM incoming_rows ORDER BY 1")
        comment_on(con, table.qualified, table)
        con.commit()
    finally:
        con.unregister("incoming_rows")


SQL_MODELS = ("fact_control_daily", "fact_control_monthly", "fact_losses_daily", "fact_losses_monthly", "dim_date")


def build(con: duckdb.DuckDBPyConnection, name: str) -> int:
    """Run the SQL model that builds ``core.<name>``; returns its row count."""
    if name not in SQL_MODELS:
        raise KeyError(f"no SQL model {name!r}; known: {SQL_MODELS}")
    _run(con, name)
    return row_count(con, name)


def row_count(con: duckdb.DuckDBPyConnection, name: str) -> int:
    return con.execute(f"SELECT count(*) FROM {catalog.table(name).qualified}").fetchall()[0][0]


def build_loss_categories(con: duckdb.DuckDBPyConnection) -> int:
    """dim_loss_category and the field map the losses model joins on; fails on any upstream
    field no category claims, naming the file and the first row that has it."""
    _replace_from_rows(
        con,
        "dim_loss_category",
        [
            {
                "category": c.name,
                "upstream_fields": " + ".join(c.upstream_fields),
                "file": c.file,
                "description": c.description,
            }
            for c in CATEGORIES
        ],
    )
    field_map = pa.Table.from_pylist(
        [{"upstream_field": f, "category": c.name} for c in CATEGORIES for f in c.upstream_fields]
    )
    con.execute(load("transforms.losses", "loss_field_map"))
    con.register("incoming_map", field_map)
    con.execute("INSERT INTO core.loss_field_map SELECT * FROM incoming_map")
    con.unregister("incoming_map")
    unmapped = con.execute(load("transforms.losses", "unmapped_loss_fields")).fetchall()
    if unmapped:
        source, element, day, field = unmapped[0]
        uri = sources.BY_NAME[source].mirror_path
        raise UnmappedLossField(
            f"{source}: {uri}, element {element} (date {day}): unknown field {field!r} "
            f"({len(unmapped)} unmapped in all); map it in transforms/losses/loss_categories.py"
        )
    return len(CATEGORIES)


def build_dim_source(con: duckdb.DuckDBPyConnection) -> int:
    _replace_from_rows(
        con,
        "dim_source",
        [
            {
                "source": s.name,
                "description": s.description,
                "publisher": s.publisher,
                "licence": s.licence,
                "upstream_url": s.live_url,
            }
            for s in sources.ALL
        ],
    )
    return len(sources.ALL)
