import datetime as dt
import json
import math

import pytest
import shapely
from pyproj import Geod
from shapely.geometry import box

from tests.conftest import deepstate_file
from transforms.territory.geometry import area_km2

GEOD = Geod(ellps="WGS84")


def _ring_area_km2(ring) -> float:
    lons, lats = zip(*ring, strict=True)
    return abs(GEOD.polygon_area_perimeter(lons, lats)[0]) / 1e6


def test_area_of_a_one_degree_cell_at_the_equator():
    # A 1°×1° cell on the equator is 12,308.8 km² on WGS84 (by hand: ∫ of the ellipsoid's
    # meridian and parallel radii); orientation must not matter.
    cell = box(0, 0, 1, 1)
    assert area_km2(cell) == pytest.approx(12308.778, rel=1e-5)
    assert area_km2(shapely.orient_polygons(cell, exterior_cw=True)) == pytest.approx(12308.778, rel=1e-5)


def test_holes_subtract_and_lines_points_and_empty_parts_count_nothing():
    # what set operations hand over: holes in either orientation, nested collections, stray
    # lines and points, empty polygons — the areas come from pyproj ring by ring, by hand here
    cell = _ring_area_km2(box(30, 50, 31, 51).exterior.coords)
    hole = _ring_area_km2(box(30.2, 50.2, 30.4, 50.4).exterior.coords)
    other = _ring_area_km2(box(32, 50, 33, 51).exterior.coords)
    holed = box(30, 50, 31, 51).difference(box(30.2, 50.2, 30.4, 50.4))
    assert area_km2(holed) == pytest.approx(cell - hole, rel=1e-12)
    assert area_km2(shapely.orient_polygons(holed, exterior_cw=True)) == pytest.approx(cell - hole, rel=1e-12)
    mixed = shapely.GeometryCollection(
        [
            shapely.MultiPolygon([holed, box(32, 50, 33, 51)]),
            shapely.LineString([(0, 0), (1, 1)]),
            shapely.GeometryCollection([shapely.Polygon(), shapely.Point(1, 1), box(32, 50, 33, 51).reverse()]),
        ]
    )
    assert area_km2(mixed) == pytest.approx(cell - hole + 2 * other, rel=1e-12)
    assert area_km2(shapely.LineString([(0, 0), (1, 1)])) == 0.0
    assert area_km2(shapely.Polygon()) == area_km2(None) == 0.0


def test_deepstate_area_matches_an_independent_pyproj_computation():
    doc = json.loads(deepstate_file(dt.date(2024, 7, 8)).read_text())
    coordinates = doc["features"][0]["geometry"]["coordinates"]
    expected = sum(_ring_area_km2(p[0]) - sum(_ring_area_km2(h) for h in p[1:]) for p in coordinates)
    geom = shapely.geometry.shape(doc["features"][0]["geometry"])
    assert expected == pytest.approx(109_361, rel=1e-3)
    assert area_km2(geom) == pytest.approx(expected, rel=1e-6)


def test_a_ring_measured_again_or_moved_by_one_vertex_gets_its_own_area():
    # areas are kept per ring coordinates: the same ring (in another geometry, another part order)
    # gives pyproj's same area, a ring with one vertex moved by ~1 m is measured anew
    ring = [(30.0, 50.0), (31.0, 50.0), (31.0, 51.0), (30.0, 51.0), (30.0, 50.0)]
    moved = [(30.0, 50.0), (31.00001, 50.0), (31.0, 51.0), (30.0, 51.0), (30.0, 50.0)]
    other = [(32.0, 50.0), (33.0, 50.0), (33.0, 51.0), (32.0, 51.0), (32.0, 50.0)]
    assert area_km2(shapely.Polygon(ring)) == _ring_area_km2(ring)
    both = shapely.MultiPolygon([shapely.Polygon(other), shapely.Polygon(ring)])
    assert area_km2(both) == pytest.approx(_ring_area_km2(ring) + _ring_area_km2(other), rel=1e-15)
    assert area_km2(shapely.Polygon(moved)) == _ring_area_km2(moved)
    # the sliver added: a triangle 0.00001° of longitude wide at 50°N, 1° of latitude tall
    sliver = 0.5 * 0.00001 * 111.32 * math.cos(math.radians(50.5)) * 111.2
    assert area_km2(shapely.Polygon(moved)) - area_km2(shapely.Polygon(ring)) == pytest.approx(sliver, rel=0.05)
