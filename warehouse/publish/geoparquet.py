"""GeoParquet metadata for the published tables that carry a geometry (the change maps).

GeoParquet 1.1: a WKB column plus the file-level ``geo`` key that names it, its encoding, the
geometry types and the CRS as PROJJSON — what geopandas.read_parquet and QGIS read to open the
file as a layer without any configuration.

The warehouse keeps shapely's default (extended) WKB, where a 3D geometry — the DeepState API's
polygons carry a zero Z — is flagged 0x80000000; the spec wants ISO WKB (3D types 1001-1007) and
a " Z" suffix on every 3D type in ``geometry_types``, so the extracts are written that way.
"""

from __future__ import annotations

import json

import pyarrow as pa
import shapely
from pyproj import CRS

GEOMETRY_COLUMNS = {
    "control_changes_daily": "geometry",
    "dim_region": "geometry_wkb",
    "dim_settlement": "geometry",
    "front_line_daily": "geometry",
}
CRS_NAME = "OGC:CRS84"  # lon/lat on WGS84, the axis order of GeoJSON and of the stored WKB
VERSION = "1.1.0"


# Further geometry columns of a table (GeoParquet allows several; QGIS opens the primary one).
SECONDARY_COLUMNS = {"front_line_daily": ("occupied_area",)}


def _column_meta(geoms) -> dict:
    types = sorted({g.geom_type + (" Z" if shapely.has_z(g) else "") for g in geoms if g is not None})
    bounds = shapely.total_bounds(geoms).tolist() if len(geoms) else []
    return {
        "encoding": "WKB",
        "geometry_types": types,
        "crs": CRS.from_user_input(CRS_NAME).to_json_dict(),
        "bbox": bounds,
    }


def with_geo_metadata(table_name: str, data: pa.Table) -> pa.Table:
    """``data`` unchanged for tables without geometry; else its geometry columns in ISO WKB (little
    endian) and the ``geo`` schema metadata."""
    column = GEOMETRY_COLUMNS.get(table_name)
    if column is None:
        return data
    columns = {}
    for name in (column, *SECONDARY_COLUMNS.get(table_name, ())):
        index = data.schema.get_field_index(name)
        geoms = shapely.from_wkb(data.column(name).to_numpy(zero_copy_only=False))
        iso = pa.array(shapely.to_wkb(geoms, flavor="iso", byte_order=1), type=data.schema.field(index).type)
        data = data.set_column(index, data.schema.field(index), iso)
        columns[name] = _column_meta(geoms)
    metadata = dict(data.schema.metadata or {})
    metadata[b"geo"] = json.dumps({"version": VERSION, "primary_column": column, "columns": columns}).encode()
    return data.replace_schema_metadata(metadata)


def manifest_entry(table_name: str) -> dict:
    """Extra manifest keys for a GeoParquet extract (empty for plain tables)."""
    column = GEOMETRY_COLUMNS.get(table_name)
    if column is None:
        return {}
    return {"format": f"GeoParquet {VERSION}", "geometry": {"column": column, "encoding": "WKB", "crs": CRS_NAME}}
