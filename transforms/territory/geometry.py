"""Geodesic areas on the WGS84 ellipsoid.

Areas in square degrees or a planar CRS are wrong by percents at Ukraine's latitudes; the
reference is ``pyproj.Geod.geometry_area_perimeter``. Set operations run in lon/lat (topology
does not depend on the metric), areas are then measured geodesically.
"""

from __future__ import annotations

import hashlib

import numpy as np
import shapely
from pyproj import Geod

WGS84 = Geod(ellps="WGS84")
M2_PER_KM2 = 1_000_000.0
_POLYGON = 3  # shapely.GeometryType.POLYGON
_MULTI = 4  # MultiPoint and up: MultiLineString, MultiPolygon, GeometryCollection


def area_km2(geom: shapely.Geometry) -> float:
    """Geodesic area in km² of the polygons in ``geom`` (lines and points count 0), independent of
    ring orientation: outer rings add, holes subtract.

    Same sum as ``Geod.geometry_area_perimeter`` on oriented polygons, without its per-vertex
    Python loop: each ring's coordinates go to pyproj as one NumPy array (twice as fast on the
    archive polygons; more on the many-part API layers), and a ring measured before in this
    process (:func:`_ring_m2`) is not measured again.
    """
    if geom is None or geom.is_empty:
        return 0.0
    parts = shapely.get_parts(geom)
    while (nested := shapely.get_type_id(parts) >= _MULTI).any():  # GeometryCollections nest
        parts = np.concatenate([parts[~nested], shapely.get_parts(parts[nested])])
    polygons = parts[(shapely.get_type_id(parts) == _POLYGON) & ~shapely.is_empty(parts)]
    if len(polygons) == 0:
        return 0.0
    rings = shapely.get_rings(polygons)  # per polygon: the exterior, then its holes
    rings_per_polygon = shapely.get_num_interior_rings(polygons) + 1
    is_exterior = np.zeros(len(rings), dtype=bool)
    is_exterior[np.cumsum(rings_per_polygon) - rings_per_polygon] = True
    coords = np.split(shapely.get_coordinates(rings), np.cumsum(shapely.get_num_coordinates(rings))[:-1])
    total = 0.0
    for xy, exterior in zip(coords, is_exterior, strict=True):
        ring = _ring_m2(xy)
        total += ring if exterior else -ring
    return total / M2_PER_KM2


# Most rings of a day's polygons are the previous day's (islands, holes, the parts of an oblast
# the front does not cross) and the geodesic area costs ~2 µs a vertex: each ring's area is kept by
# the digest of its coordinates (the same coordinates give pyproj's same float), in each process.
_RING_M2: dict[bytes, float] = {}
RING_CACHE_SIZE = 100_000


def _ring_m2(xy: np.ndarray) -> float:
    """Unsigned geodesic area in m² of one closed ring, shape (n, 2)."""
    key = hashlib.blake2b(np.ascontiguousarray(xy).data, digest_size=16).digest()
    m2 = _RING_M2.get(key)
    if m2 is None:
        if len(_RING_M2) >= RING_CACHE_SIZE:
            _RING_M2.clear()
        m2 = _RING_M2[key] = abs(WGS84.polygon_area_perimeter(xy[:, 0], xy[:, 1])[0])
    return m2
