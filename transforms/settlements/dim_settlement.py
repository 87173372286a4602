"""dim_settlement: every settlement placed in its oblast (point in polygon against the current
boundaries, else the nearest oblast within NEAREST_REGION_KM).

The per-day statuses are the incremental step in :mod:`transforms.settlements.status_step`; the
settlement facts are SQL models (transforms/settlements/sql/, parameters in
:mod:`transforms.settlements.model_params`, registered in :mod:`transforms.models`).
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
import shapely

from transforms.settlements.plane import to_plane
from transforms.tables import replace_from_frame
from warehouse.store import catalog
from warehouse.store.sqlfiles import load

NEAREST_REGION_KM = 5.0  # a point outside every oblast polygon takes the nearest one within this


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
        plane = [shapely.transform(g, lambda xy: np.column_stack(to_plane(xy[:, 0], xy[:, 1]))) for g in geoms]
        x, y = to_plane(lon[outside], lat[outside])
        (point_i, region_i), dist = shapely.STRtree(plane).query_nearest(
            shapely.points(x, y), return_distance=True, all_matches=False
        )
        for p, r, d in zip(point_i, region_i, dist, strict=True):
            near = d <= NEAREST_REGION_KM * 1000
            codes[outside[p]] = regions[r][0] if near else "UNATTRIBUTED"
            match[outside[p]] = "nearest" if near else "none"
    return codes.tolist(), match.tolist()


_ARROW = {"BIGINT": pa.int64(), "VARCHAR": pa.string(), "DOUBLE": pa.float64(), "BLOB": pa.binary()}


def build(con: duckdb.DuckDBPyConnection) -> int:
    rows = con.execute(load("transforms.settlements", "dim_settlement_rows")).fetchall()
    regions = con.execute(load("transforms.territory", "oblast_current_boundaries")).fetchall()
    lon = np.array([r[6] for r in rows], dtype=float)
    lat = np.array([r[5] for r in rows], dtype=float)
    codes, match = place_in_regions(lon, lat, regions) if rows else ([], [])
    points = shapely.to_wkb(shapely.points(lon, lat)) if rows else []
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
    table = catalog.table("dim_settlement")
    frame = pa.table({c.name: pa.array(columns[c.name], _ARROW[c.type]) for c in table.columns})
    replace_from_frame(con, "dim_settlement", frame)
    return len(rows)
