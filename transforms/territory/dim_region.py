"""dim_region: the 25 oblasts with their geodesic areas (pyproj), plus the pseudo-regions every
per-region table uses (the country, the unattributed remainder, Kursk oblast).

The per-region areas themselves are the incremental step in :mod:`transforms.territory.region_step`;
the territory tables built from them are SQL models (transforms/territory/sql/, registered in
:mod:`transforms.models`).
"""

from __future__ import annotations

import duckdb
import pyarrow as pa
import shapely

from transforms.tables import replace_from_frame
from transforms.territory.geometry import area_km2
from warehouse.store import catalog
from warehouse.store.sqlfiles import load

PSEUDO_REGIONS = (
    ("UA", "Ukraine", "Україна", "country"),
    ("UNATTRIBUTED", "Outside every oblast polygon", "Поза межами областей", "remainder"),
    ("RU-KRS", "Kursk Oblast (Russia)", "Курська область (Росія)", "foreign"),
)


def build(con: duckdb.DuckDBPyConnection) -> int:
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
    schema = pa.schema([(c.name, _ARROW[c.type]) for c in catalog.table("dim_region").columns])
    replace_from_frame(con, "dim_region", pa.Table.from_pylist(out, schema=schema), order_by="region_code")
    return len(out)


_ARROW = {"VARCHAR": pa.string(), "DOUBLE": pa.float64(), "BLOB": pa.binary()}
