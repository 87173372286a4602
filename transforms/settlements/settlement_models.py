"""Towns and the front line (issue 11): dim_settlement and the published settlement tables.

The geometry is in :mod:`transforms.settlements.status_step` (incremental); here dim_settlement is placed
in its oblast (point in polygon against the current boundaries) and the facts are full refreshes
from SQL with bound parameters: the front-zone distance and the anti-flicker run lengths.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
import shapely

from transforms.settlements import status_step
from warehouse.store import catalog
from warehouse.store.db import comment_on
from warehouse.store.sqlfiles import load

FRONT_ZONE_KM = 50.0  # fact_settlement_control_daily keeps settlements ever this close to the front
# Anti-flicker: observed days a new status must hold before it counts as a change, per source.
HOLD_DAYS = {"deepstate": 3, "deepstate_api": 1}
# ... and the settlement must get this far from the front on its new side at least once (not for
# grey_zone): a centre point the line keeps crossing back and forth (Toretsk's stays within
# 0.06 km of it from 2024-10-16 to 11-09) is not a change yet.
HOLD_DEPTH_KM = 0.25
NEAREST_REGION_KM = 5.0  # a point outside every oblast polygon takes the nearest one within this

SQL_MODELS = {
    "fact_settlement_status_flips": lambda: [],
    "fact_settlement_control_daily": lambda: [FRONT_ZONE_KM],
    "fact_settlement_control_changes": lambda: [HOLD_DAYS["deepstate"], HOLD_DAYS["deepstate_api"], HOLD_DEPTH_KM],
    "fact_front_line_daily": lambda: [],
    "front_line_daily": lambda: [],
}


def build_day_step(con: duckdb.DuckDBPyConnection) -> int:
    return status_step.update(con)


def build(con: duckdb.DuckDBPyConnection, name: str) -> int:
    """Run the SQL model that builds ``core.<name>``; returns its row count."""
    if name not in SQL_MODELS:
        raise KeyError(f"no settlement SQL model {name!r}; known: {sorted(SQL_MODELS)}")
    table = catalog.table(name)
    con.begin()
    try:
        con.execute(load("transforms.settlements", name), SQL_MODELS[name]())
        comment_on(con, table.qualified, table)
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return con.execute(f"SELECT count(*) FROM {table.qualified}").fetchall()[0][0]  # noqa: S608 - catalog name


def place_in_regions(lon: np.ndarray, lat: np.ndarray, regions: list[tuple[str, bytes]]) -> tuple[list, list]:
    """(region_code, region_match) per point: the oblast containing it, else the nearest one
    within NEAREST_REGION_KM (projected distance), else UNATTRIBUTED."""
    codes = np.full(len(lon), None, dtype=object)
    match = np.full(len(lon), None, dtype=object)
    geoms = [shapely.from_wkb(wkb) for _, wkb in regions]
    for (code, _), geom in zip(regions, geoms, strict=True):
        shapely.prepare(geom)
        hit = (codes == None) & shapely.contains_xy(geom, lon, lat)  # noqa: E711 - numpy elementwise
        codes[hit], match[hit] = code, "contains"
    outside = np.flatnonzero(codes == None)  # noqa: E711
    if len(outside):
        plane = [
            shapely.transform(g, lambda xy: np.column_stack(status_step.to_plane(xy[:, 0], xy[:, 1]))) for g in geoms
        ]
        x, y = status_step.to_plane(lon[outside], lat[outside])
        (point_i, region_i), dist = shapely.STRtree(plane).query_nearest(
            shapely.points(x, y), return_distance=True, all_matches=False
        )
        for p, r, d in zip(point_i, region_i, dist, strict=True):
            near = d <= NEAREST_REGION_KM * 1000
            codes[outside[p]] = regions[r][0] if near else "UNATTRIBUTED"
            match[outside[p]] = "nearest" if near else "none"
    return codes.tolist(), match.tolist()


_ARROW = {"BIGINT": pa.int64(), "VARCHAR": pa.string(), "DOUBLE": pa.float64(), "BLOB": pa.binary()}


def build_dim_settlement(con: duckdb.DuckDBPyConnection) -> int:
    rows = con.execute(load("transforms.settlements", "dim_settlement_rows")).fetchall()
    regions = con.execute(load("transforms.territory", "oblast_current_boundaries")).fetchall()
    lon = np.array([r[6] for r in rows], dtype=float)
    lat = np.array([r[5] for r in rows], dtype=float)
    codes, match = place_in_regions(lon, lat, regions) if rows else ([], [])
    points = shapely.to_wkb(shapely.points(lon, lat)) if rows else []
    table = catalog.table("dim_settlement")
    columns = {
        "settlement_id": [r[0] for r in rows],
        "name_en": [r[1] for r in rows],
        "name_uk": [r[2] for r in rows],
        "region_code": codes,
        "region_match": match,
        "admin1_code": [r[3] for r in rows],
        "population": [r[4] for r in rows],
        "latitude": lat.tolist(),
        "longitude": lon.tolist(),
        "geometry": list(points),
    }
    frame = pa.table({c.name: pa.array(columns[c.name], _ARROW[c.type]) for c in table.columns})
    con.register("incoming_settlements", frame)
    try:
        con.begin()
        con.execute("CREATE OR REPLACE TABLE core.dim_settlement AS SELECT * FROM incoming_settlements ORDER BY 1")
        comment_on(con, table.qualified, table)
        con.commit()
    except BaseException:
        con.rollback()
        raise
    finally:
        con.unregister("incoming_settlements")
    return len(rows)
