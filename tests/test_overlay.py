"""Gained/lost overlaid only where two snapshots differ (transforms.territory.overlay) against the plain
whole-polygon difference: hand-made shapes and consecutive days of the real archive."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
import shapely
from pyproj import Geod

from tests.conftest import MIRROR
from transforms.territory import overlay, pool, region_step
from transforms.territory.regions import Regions, api_classes
from warehouse.ingest.fetch import Payload
from warehouse.ingest.sources import deepstate_archive

GEOD = Geod(ellps="WGS84")


def _same_set(fast: shapely.Geometry, slow: shapely.Geometry) -> float:
    """Area (deg²) of what one has and the other lacks."""
    return shapely.area(shapely.symmetric_difference(fast, slow))


def test_a_hole_larger_than_a_grid_cell_is_found_whole():
    # the hole's boundary is the only change; its inside, far from any changed segment, is lost too
    outer = shapely.box(30.0, 45.0, 40.0, 50.0)
    holed = shapely.Polygon(outer.exterior.coords, [shapely.box(32.0, 46.0, 38.0, 49.0).exterior.coords])
    gained, lost = overlay.differences(holed, outer)
    assert gained.is_empty
    assert shapely.area(lost) == pytest.approx(6.0 * 3.0, abs=1e-12)
    assert _same_set(lost, shapely.box(32.0, 46.0, 38.0, 49.0)) < 1e-12


def test_changes_in_far_apart_places_each_land_in_their_own_box():
    # densified like the real maps (a vertex every ~1 km), so each change is local
    base = shapely.segmentize(shapely.box(30, 45, 40, 50), 0.01)
    bump, notch = shapely.box(39.5, 47, 40.5, 47.5), shapely.box(29.9, 44.9, 30.2, 45.2)
    today = shapely.segmentize(shapely.union_all([base, bump]), 0.01)
    before = shapely.segmentize(shapely.difference(base, notch), 0.01)
    boxes = overlay.change_boxes(overlay.changed_segments(today, before))
    assert len(boxes) == 2
    gained, lost = overlay.differences(today, before)
    assert _same_set(gained, shapely.difference(today, before)) < 1e-12
    assert _same_set(lost, shapely.difference(before, today)) < 1e-12
    assert shapely.area(gained) == pytest.approx(0.2 * 0.2 + 0.5 * 0.5, abs=1e-9)
    assert lost.is_empty


def test_change_boxes_group_segments_by_cell_with_a_margin_and_merge_overlaps():
    m = overlay.MARGIN_DEG
    segments = np.array(
        [
            [30.01, 45.01, 30.02, 45.02],
            [30.04, 45.03, 30.03, 45.0],  # either end may be the smaller
            [35.0, 48.0, 35.001, 48.002],  # far away: its own box
            [30.055, 45.01, 30.06, 45.02],  # the next cell, its box overlapping the first's: merged
        ]
    )
    assert overlay.change_boxes(segments) == [
        [30.01 - m, 45.0 - m, 30.06 + m, 45.03 + m],
        [35.0 - m, 48.0 - m, 35.001 + m, 48.002 + m],
    ]
    assert overlay.change_boxes(np.empty((0, 4))) == []


def test_identical_snapshots_change_nothing():
    a = shapely.box(30, 45, 40, 50)
    gained, lost = overlay.differences(a, shapely.box(30, 45, 40, 50))
    assert gained.is_empty and lost.is_empty


@pytest.mark.parametrize("day", [dt.date(2024, 11, 7), dt.date(2025, 6, 1), dt.date(2026, 3, 15)])
def test_real_consecutive_days_give_the_plain_difference(day):
    def load(d):
        path = MIRROR / "deepstate" / f"deepstatemap_data_{d:%Y%m%d}.geojson"
        return shapely.from_wkb(deepstate_archive.deepstate_snapshot(Payload(str(path), path.read_bytes(), None))[0])

    today, before = load(day), load(day - dt.timedelta(days=1))
    gained, lost = overlay.differences(today, before)
    for fast, slow in ((gained, shapely.difference(today, before)), (lost, shapely.difference(before, today))):
        assert _same_set(fast, slow) < 1e-12
        # geodesic areas (pyproj on the oriented polygons) agree to float noise
        fast_km2 = abs(GEOD.geometry_area_perimeter(shapely.orient_polygons(fast))[0]) / 1e6
        slow_km2 = abs(GEOD.geometry_area_perimeter(shapely.orient_polygons(slow))[0]) / 1e6
        assert fast_km2 == pytest.approx(slow_km2, abs=1e-6)
    # a real day moves the front somewhere: the check above compared something
    assert shapely.area(gained) + shapely.area(lost) > 0


def test_forked_workers_give_the_rows_of_one_process(monkeypatch):
    path = MIRROR / "boundaries" / "ukraine_oblasts.geojson"
    from warehouse.ingest.sources import boundaries

    rows = boundaries.parse(Payload(str(path), path.read_bytes(), None))
    oblasts = Regions(sorted((r[1], r[4]) for r in rows))
    days = [dt.date(2025, 6, 1) + dt.timedelta(days=i) for i in range(4)]
    geoms = []
    for d in days:
        p = MIRROR / "deepstate" / f"deepstatemap_data_{d:%Y%m%d}.geojson"
        geoms.append(
            {
                "occupied_total": shapely.from_wkb(
                    deepstate_archive.deepstate_snapshot(Payload(str(p), p.read_bytes(), None))[0]
                )
            }
        )
    jobs = [("deepstate", geoms[i], geoms[i - 1] if i else None) for i in range(len(days))]
    # a day of two classes last: computed first (most classes first), its rows still come last
    two = {"occupied_total": geoms[0]["occupied_total"], "grey_zone": shapely.box(37.0, 48.0, 37.1, 48.1)}
    jobs.append(("deepstate_api", two, None))
    monkeypatch.setenv("FRONTLINE_WORKERS", "1")
    alone = region_step._compute_days(jobs, oblasts)
    one_by_one = Regions(sorted((r[1], r[4]) for r in rows))
    assert alone == [region_step.compute_day(*job, one_by_one) for job in jobs]
    assert {cls for _, cls, *_ in alone[-1][0]} == {"occupied_total", "grey_zone"}
    monkeypatch.setenv("FRONTLINE_WORKERS", "2")
    monkeypatch.setattr(pool, "PARALLEL_MIN_DAYS", 2)
    assert region_step._compute_days(jobs, oblasts) == alone
    assert all(areas for areas, _ in alone) and any(changes for _, changes in alone)  # compared something


def test_api_snapshots_classed_in_workers_are_the_classes_of_one_process(monkeypatch):

    from warehouse.ingest.sources import boundaries, deepstate_api

    path = MIRROR / "boundaries" / "ukraine_oblasts.geojson"
    rows = boundaries.parse(Payload(str(path), path.read_bytes(), None))
    oblasts = Regions(sorted((r[1], r[4]) for r in rows))
    snapshots = sorted((MIRROR / "deepstate_api").glob("*.geojson.gz"))[:3]
    features = [
        [(cls, wkb) for _, _, cls, wkb in deepstate_api.parse_snapshot(Payload(str(p), p.read_bytes(), None), 0).rows]
        for p in snapshots
    ]
    monkeypatch.setenv("FRONTLINE_WORKERS", "1")
    alone = pool.in_workers(api_classes, features, oblasts)
    monkeypatch.setenv("FRONTLINE_WORKERS", "2")
    monkeypatch.setattr(pool, "PARALLEL_MIN_DAYS", 2)
    forked = pool.in_workers(api_classes, features, oblasts)
    wkb = [{c: shapely.to_wkb(g) for c, g in by_class.items()} for by_class in alone]
    assert [{c: shapely.to_wkb(g) for c, g in by_class.items()} for by_class in forked] == wkb
    assert all(not by_class["occupied_total"].is_empty for by_class in alone)


def test_oblasts_the_change_does_not_touch_keep_the_areas_a_fresh_intersection_finds():
    # Region step: a day computed after the day before takes over the areas of the oblasts no
    # change box touches; the same day computed alone intersects every oblast: same floats.
    from warehouse.ingest.sources import boundaries

    path = MIRROR / "boundaries" / "ukraine_oblasts.geojson"
    rows = sorted((r[1], r[4]) for r in boundaries.parse(Payload(str(path), path.read_bytes(), None)))

    def load(d):
        p = MIRROR / "deepstate" / f"deepstatemap_data_{d:%Y%m%d}.geojson"
        return {
            "occupied_total": shapely.from_wkb(
                deepstate_archive.deepstate_snapshot(Payload(str(p), p.read_bytes(), None))[0]
            )
        }

    day = dt.date(2024, 11, 7)
    before, today = load(day - dt.timedelta(days=1)), load(day)
    chained = Regions(rows)
    region_step.compute_day("deepstate", before, None, chained)
    reused = region_step.compute_day("deepstate", today, before, chained)
    fresh = region_step.compute_day("deepstate", today, before, Regions(rows))
    assert reused == fresh
    # the check above compared taken-over areas: oblasts holding occupied land that no box touches
    _, _, rects = overlay.changes(today["occupied_total"], before["occupied_total"])
    holding = {code for code, _, area, _, _ in fresh[0] if code.startswith("UA-") and area > 0}
    untouched = {code for code, t in zip(chained.codes, chained.touched(rects), strict=True) if not t}
    assert len(rects) and holding & untouched and holding - untouched
    # and what the day holds per oblast is what a plain intersection measures
    occupied = today["occupied_total"]
    for code, _, area, _, _ in fresh[0]:
        if code.startswith("UA-"):
            oblast = shapely.from_wkb(dict(rows)[code])
            expected = (
                abs(GEOD.geometry_area_perimeter(shapely.orient_polygons(occupied.intersection(oblast)))[0]) / 1e6
            )
            assert area == pytest.approx(expected, rel=1e-9, abs=1e-6)
