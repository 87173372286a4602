import datetime as dt
import json

import pytest
import shapely
from pyproj import Geod
from shapely.geometry import box

from tests.conftest import deepstate_file
from transforms.geometry import area_km2, change_km2

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


def test_gained_and_lost_are_the_two_differences():
    yesterday = box(0, 0, 1, 1)
    today = box(0.5, 0, 1.5, 1)  # half a cell lost in the west, half gained in the east
    gained, lost = change_km2(yesterday, today)
    half = area_km2(box(0, 0, 0.5, 1))
    assert gained == pytest.approx(half, rel=1e-9)
    assert lost == pytest.approx(half, rel=1e-9)
    assert change_km2(today, today) == (0.0, 0.0)


def test_deepstate_area_matches_an_independent_pyproj_computation():
    doc = json.loads(deepstate_file(dt.date(2024, 7, 8)).read_text())
    coordinates = doc["features"][0]["geometry"]["coordinates"]
    expected = sum(_ring_area_km2(p[0]) - sum(_ring_area_km2(h) for h in p[1:]) for p in coordinates)
    geom = shapely.geometry.shape(doc["features"][0]["geometry"])
    assert expected == pytest.approx(109_361, rel=1e-3)
    assert area_km2(geom) == pytest.approx(expected, rel=1e-6)
