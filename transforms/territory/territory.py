"""Territory in depth (issue 3): regions, per-region areas, coverage, agreement, change maps.

The geometry work is in :mod:`transforms.territory.region_step` (incremental, one day of work per new day);
everything here is a cheap full refresh of a small table from SQL, except ``dim_region`` whose
geodesic areas are measured with pyproj.
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb
import pyarrow as pa
import shapely

from transforms.territory import region_step
from transforms.territory.geometry import area_km2
from warehouse.store import catalog
from warehouse.store.db import comment_on
from warehouse.store.sqlfiles import load

# Built by SQL, in dependency order. fact_control_daily / _monthly are the shared SQL models of
# transforms.models (they read dim_region and fact_control_coverage_daily built here).
SQL_MODELS = ("fact_control_coverage_daily", "mart_control_source_agreement_daily", "control_changes_daily")

PSEUDO_REGIONS = (
    ("UA", "Ukraine", "Україна", "country"),
    ("UNATTRIBUTED", "Outside every oblast polygon", "Поза межами областей", "remainder"),
    ("RU-KRS", "Kursk Oblast (Russia)", "Курська область (Росія)", "foreign"),
)


def build_region_areas(con: duckdb.DuckDBPyConnection, on_day: Callable[[int, int], None] | None = None) -> int:
    """Per-region areas and change pieces; returns how many (source, day) were computed."""
    return region_step.update(con, on_day)


def build_dim_region(con: duckdb.DuckDBPyConnection) -> int:
    rows = con.execute(load("transforms.territory", "oblast_dim_rows")).fetchall()
    out = []
    for code, name_en, name_uk, wkb in rows:
        out.append(
            {
                "region_code": code,
                "name_en": name_en,
                "name_uk": name_uk,
                "region_kind": "oblast",
                "area_km2": area_km2(shapely.from_wkb(wkb)),
                "geometry_wkb": wkb,
            }
        )
    total = sum(r["area_km2"] for r in out) if out else None
    for code, name_en, name_uk, kind in PSEUDO_REGIONS:
        out.append(
            {
                "region_code": code,
                "name_en": name_en,
                "name_uk": name_uk,
                "region_kind": kind,
                "area_km2": total if code == "UA" else None,
                "geometry_wkb": None,
            }
        )
    table = catalog.table("dim_region")
    schema = pa.schema([(c.name, _ARROW[c.type]) for c in table.columns])
    frame = pa.Table.from_pylist(out, schema=schema)
    con.register("incoming_regions", frame)
    try:
        con.begin()
        con.execute("CREATE OR REPLACE TABLE core.dim_region AS SELECT * FROM incoming_regions ORDER BY region_code")
        comment_on(con, table.qualified, table)
        con.commit()
    except BaseException:
        con.rollback()
        raise
    finally:
        con.unregister("incoming_regions")
    return len(out)


_ARROW = {"VARCHAR": pa.string(), "DOUBLE": pa.float64(), "BLOB": pa.binary()}


def build(con: duckdb.DuckDBPyConnection, name: str) -> int:
    """Run the SQL model that builds ``<schema>.<name>``; returns its row count."""
    if name not in SQL_MODELS:
        raise KeyError(f"no territory SQL model {name!r}; known: {SQL_MODELS}")
    table = catalog.table(name)
    con.begin()
    try:
        con.execute(load("transforms.territory", name))
        comment_on(con, table.qualified, table)
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return con.execute(f"SELECT count(*) FROM {table.qualified}").fetchall()[0][0]  # noqa: S608 - catalog name
