"""Geodesic areas on the WGS84 ellipsoid and day-over-day change of a territory polygon.

Areas in square degrees or a planar CRS are wrong by percents at Ukraine's latitudes; the
reference is ``pyproj.Geod.geometry_area_perimeter``. Set operations run in lon/lat (topology
does not depend on the metric), areas are then measured geodesically.
"""

from __future__ import annotations

import shapely
from pyproj import Geod

WGS84 = Geod(ellps="WGS84")
M2_PER_KM2 = 1_000_000.0


def area_km2(geom: shapely.Geometry) -> float:
    """Geodesic area in km², independent of ring orientation."""
    if geom is None or geom.is_empty:
        return 0.0
    oriented = shapely.orient_polygons(geom, exterior_cw=False)
    return abs(WGS84.geometry_area_perimeter(oriented)[0]) / M2_PER_KM2


def change_km2(previous: shapely.Geometry, today: shapely.Geometry) -> tuple[float, float]:
    """(gained, lost): the areas of ``today − previous`` and ``previous − today``."""
    return area_km2(shapely.difference(today, previous)), area_km2(shapely.difference(previous, today))
