"""End to end over the whole DeepState archive in the mirror (every day, ~2 minutes): per-oblast
areas of every day against an independent shapely + pyproj computation, and the regional rows
adding up to the country row. The slice tests in test_territory.py cover the other classes and
the API; this one makes sure no day of the real history breaks the region step."""

import datetime as dt
import json

import pytest
import shapely
from shapely.geometry import shape

from tests.conftest import MIRROR
from tests.test_territory import km2, oblasts
from transforms.models import run_model
from transforms.territory.regions import WHOLE
from warehouse.ingest import land, sources
from warehouse.store import db
from warehouse.store.config import Settings

ARCHIVE = sorted((MIRROR / "deepstate").glob("deepstatemap_data_*.geojson"))


def _day(path) -> dt.date:
    return dt.datetime.strptime(path.stem.rsplit("_", 1)[1], "%Y%m%d").date()


@pytest.fixture(scope="module")
def whole_archive(tmp_path_factory):
    """A warehouse holding every archive day (read from the mirror in place) with its region rows."""
    settings = Settings(home=tmp_path_factory.mktemp("full-history") / "home", sources=str(MIRROR))
    con = db.connect(settings.warehouse_path)
    for path in ARCHIVE:
        land.ingest(con, settings, sources.DEEPSTATE, _day(path))
    land.ingest(con, settings, sources.OBLAST_BOUNDARIES)
    computed = run_model(con, "region_daily_area")
    run_model(con, "dim_region")
    run_model(con, "fact_control_coverage_daily")
    run_model(con, "fact_control_daily")
    yield con, computed
    con.close()


def test_every_archive_day_per_oblast_matches_an_independent_computation(whole_archive):
    con, computed = whole_archive
    assert len(ARCHIVE) >= 717 and computed == len(ARCHIVE)  # the mirror's cut: 2024-07-08 … 2026-06-30
    rows = con.execute(
        "SELECT date, region_code, area_km2 FROM core.fact_control_daily WHERE source = 'deepstate' AND is_observed"
    ).fetchall()
    got: dict[dt.date, dict[str, float]] = {}
    for day, code, area in rows:
        got.setdefault(day, {})[code] = area
    assert sorted(got) == [_day(p) for p in ARCHIVE]
    by_code = oblasts()
    for geom in by_code.values():
        shapely.prepare(geom)
    problems = []
    for path in ARCHIVE:
        day = _day(path)
        occupied = shape(json.loads(path.read_text())["features"][0]["geometry"])
        shapely.prepare(occupied)
        day_rows = got[day]
        for code, oblast in by_code.items():
            expected = km2(occupied.intersection(oblast)) if occupied.intersects(oblast) else 0.0
            if day_rows.get(code, 0.0) != pytest.approx(expected, rel=1e-3, abs=0.5):
                problems.append((day, code, day_rows.get(code), expected))
        if day_rows[WHOLE] != pytest.approx(km2(occupied), rel=1e-6):
            problems.append((day, WHOLE, day_rows[WHOLE], km2(occupied)))
        parts = sum(v for code, v in day_rows.items() if code != WHOLE)  # oblasts + UNATTRIBUTED
        if abs(parts - day_rows[WHOLE]) > 0.01:
            problems.append((day, "sum of regions", parts, day_rows[WHOLE]))
    assert problems == [], problems[:10]
