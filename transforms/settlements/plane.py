"""The plane distances are measured in: an equidistant conic projection fitted to Ukraine
(:data:`EQUIDISTANT`; within 0.3 % of ``pyproj.Geod`` across the country,
tests/test_settlements.py), and the settlements as arrays in it and in lon/lat."""

from __future__ import annotations

from functools import cache, cached_property

import numpy as np
import shapely
from pyproj import Transformer

EQUIDISTANT = "+proj=eqdc +lat_0=48.5 +lon_0=31.5 +lat_1=45.5 +lat_2=51.5 +ellps=WGS84 +units=m +no_defs"


@cache
def _to_plane() -> Transformer:
    return Transformer.from_crs("OGC:CRS84", EQUIDISTANT, always_xy=True)


def to_plane(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lon/lat to metres in :data:`EQUIDISTANT`."""
    return _to_plane().transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))


class Places:
    """Settlements as coordinate arrays (lon/lat and projected)."""

    def __init__(self, ids, lon, lat):
        self.ids = np.asarray(ids, dtype=np.int64)
        self.lon = np.asarray(lon, dtype=float)
        self.lat = np.asarray(lat, dtype=float)
        x, y = to_plane(self.lon, self.lat)
        self.xy = np.column_stack([x, y])
        self.lonlat = shapely.points(self.lon, self.lat)
        self.points = shapely.points(x, y)

    @cached_property
    def tree(self) -> shapely.STRtree:
        """An STRtree of the lon/lat points, built when first asked (in each worker): the API
        layers' features and the coastal slivers ask it which places they contain."""
        return shapely.STRtree(self.lonlat)


def projected(lonlat: np.ndarray) -> np.ndarray:
    """(n, 2) lon/lat to (n, 2) metres in :data:`EQUIDISTANT`."""
    x, y = to_plane(lonlat[:, 0], lonlat[:, 1])
    return np.column_stack([x, y])
