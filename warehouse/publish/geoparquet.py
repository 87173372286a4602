"""GeoParquet metadata for the published tables that carry a geometry (the change maps).

GeoParquet 1.1: a WKB column plus the file-level ``geo`` key that names it, its encoding, the
geometry types and the CRS as PROJJSON — what geopandas.read_parquet and QGIS read to open the
file as a layer without any configuration.
"""

from __future__ import annotations

import json

import pyarrow as pa
import shapely
from pyproj import CRS

GEOMETRY_COLUMNS = {
    "control_changes_daily": "geometry",
    "dim_settlement": "geometry",
    "front_line_daily": "geometry",
}
CRS_NAME = "OGC:CRS84"  # lon/lat on WGS84, the axis order of GeoJSON and of the stored WKB
VERSION = "1.1.0"


# Further geometry columns of a table (GeoParquet allows several; QGIS opens the primary one).
SECONDARY_COLUMNS = {"front_line_daily": ("occupied_area",)}


def _column_meta(data: pa.Table, column: str) -> dict:
    geoms = shapely.from_wkb(data.column(column).to_numpy(zero_copy_only=False))
    types = sorted({g.geom_type for g in geoms if g is not None})
    bounds = shapely.total_bounds(geoms).tolist() if len(geoms) else []
    return {
        "encoding": "WKB",
        "geometry_types": types,
        "crs": CRS.from_user_input(CRS_NAME).to_json_dict(),
        "bbox": bounds,
    }


def _geo(data: pa.Table, column: str, table_name: str = "") -> dict:
    columns = (column, *SECONDARY_COLUMNS.get(table_name, ()))
    return {"version": VERSION, "primary_column": column, "columns": {c: _column_meta(data, c) for c in columns}}


def with_geo_metadata(table_name: str, data: pa.Table) -> pa.Table:
    """``data`` unchanged for tables without geometry; else with the ``geo`` schema metadata."""
    column = GEOMETRY_COLUMNS.get(table_name)
    if column is None:
        return data
    metadata = dict(data.schema.metadata or {})
    metadata[b"geo"] = json.dumps(_geo(data, column, table_name)).encode()
    return data.replace_schema_metadata(metadata)


def manifest_entry(table_name: str) -> dict:
    """Extra manifest keys for a GeoParquet extract (empty for plain tables)."""
    column = GEOMETRY_COLUMNS.get(table_name)
    if column is None:
        return {}
    return {"format": f"GeoParquet {VERSION}", "geometry": {"column": column, "encoding": "WKB", "crs": CRS_NAME}}
