"""Forget what the incremental steps computed from a payload whose parsed raw rows ``frontline
reparse`` rebuilt differently. Those steps remember their inputs by payload sha256 (per-region
geometry, settlement status: per source and day; General Staff folds: per payload version), and a
reparse keeps the bytes, hence the hash: without this the next run would keep results computed
from the old rows. Every other table is rebuilt from raw on each run and needs nothing here."""

from __future__ import annotations

import datetime as dt

import duckdb

from transforms import build_keys
from warehouse.ingest import sources
from warehouse.store.sqlfiles import load

DAY_SOURCES = ("deepstate", "deepstate_api")
LOSS_SOURCES = ("gs_personnel", "gs_equipment", "gs_equipment_corrections")


def forget(con: duckdb.DuckDBPyConnection, source: str, key: str) -> None:
    """Make the next run recompute what depends on payload (source, key)."""
    build_keys.rows_rewritten(con, sources.BY_NAME[source].table_of(key).name)
    if source in DAY_SOURCES:
        day = _day(con, source, key)  # None: every day of the source (the API listing)
        con.execute(load("transforms", "forget_region_days"), {"source": source, "date": day})
        con.execute(load("transforms", "forget_settlement_days"), {"source": source, "date": day})
    elif source in ("oblast_boundaries", "settlements"):
        for day_source in DAY_SOURCES:
            if source == "oblast_boundaries":
                con.execute(load("transforms", "forget_region_days"), {"source": day_source, "date": None})
            con.execute(load("transforms", "forget_settlement_days"), {"source": day_source, "date": None})
    elif source in LOSS_SOURCES:
        con.execute(load("transforms", "forget_loss_folds"))


def _day(con: duckdb.DuckDBPyConnection, source: str, key: str) -> dt.date | None:
    if source == "deepstate":
        return dt.date.fromisoformat(key)
    if not key.isdigit():
        return None
    row = con.execute("SELECT max(date) FROM raw.deepstate_api_index WHERE snapshot_id = ?", [int(key)]).fetchone()
    return row[0]
