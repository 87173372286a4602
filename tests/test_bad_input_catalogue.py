"""The bad-input catalogue (README "What the gate refuses"): one real mirror file per case, changed
the way upstreams really break, for every source. Each case must fail the run with an error that
names the source, the file and the row or feature, keep the payload in quarantine, and leave every
published file byte-identical. The fixtures (a published baseline, a copy per case) are those of
test_bad_input.py. Here: the DeepState archive and API, the oblast boundaries and accepting a
payload; the whole-history table sources (ISW, General Staff, Mediazona, estimates) and an
operator accepting a refused payload are in test_bad_input_catalogue_tables.py, so that
pytest-xdist runs the two halves side by side."""

from __future__ import annotations

import csv
import gzip
import io
import json
import math

import pytest
import shapely
import shapely.affinity
from shapely.geometry import mapping, shape

from orchestration.cli import main
from tests.conftest import MIRROR
from tests.test_bad_input import case  # noqa: F401 (fixture)

DAY_FILE = "deepstatemap_data_20240710.geojson"
NEXT_SNAPSHOT = 1721593588  # the API snapshot after the baseline's two (2024-07-21)


# --- ways to change a real file -------------------------------------------------------------


def _replace(path, data: bytes) -> None:
    """Write ``data`` where the slice has a symlink to the mirror (never through it)."""
    path.unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _day(mirror):
    return mirror / "deepstate" / DAY_FILE


def _day_geojson(mirror, change) -> None:
    doc = json.loads((MIRROR / "deepstate" / DAY_FILE).read_text())
    change(doc)
    _replace(_day(mirror), json.dumps(doc).encode())


def _map_coords(geom: dict, f) -> dict:
    return mapping(shapely.transform(shape(geom), lambda xy: f(xy)))


def _day_coords(f):
    def change(doc):
        for feature in doc["features"]:
            feature["geometry"] = _map_coords(feature["geometry"], f)

    return lambda mirror: _day_geojson(mirror, change)


def _swap(xy):
    return xy[:, ::-1]


def _metres(xy):  # Web Mercator metres, as a GIS export in EPSG:3857 would write them
    import numpy as np

    x = xy[:, 0] * 20037508.34 / 180
    y = np.log(np.tan((90 + xy[:, 1]) * np.pi / 360)) * 6378137.0
    return np.column_stack([x, y])


def _shift(dlon, dlat):
    return lambda xy: xy + [dlon, dlat]


def _day_nan(mirror):
    doc = json.loads((MIRROR / "deepstate" / DAY_FILE).read_text())
    doc["features"][0]["geometry"]["coordinates"][0][0][3] = [math.nan, 47.0]
    _replace(_day(mirror), json.dumps(doc).encode())  # json writes NaN, as a sloppy exporter does


def _day_unclosed(mirror):
    """The hole of the first polygon without its closing position (RFC 7946 §3.1.6)."""
    doc = json.loads((MIRROR / "deepstate" / DAY_FILE).read_text())
    doc["features"][0]["geometry"]["coordinates"][0][1].pop()
    _replace(_day(mirror), json.dumps(doc).encode())


def _day_point(mirror):
    _day_geojson(mirror, lambda d: d["features"][0].__setitem__("geometry", {"type": "Point", "coordinates": [37, 48]}))


def _day_raw(data: bytes):
    return lambda mirror: _replace(_day(mirror), data)


def _api_index(mirror, change) -> None:
    path = mirror / "deepstate_api" / "index.json"
    listing = json.loads(path.read_text())
    change(listing)
    _replace(path, json.dumps(listing).encode())


def _api_snapshot(change_doc=None, data: bytes | None = None):
    """List the next real snapshot and serve it changed."""

    def apply(mirror):
        full = json.loads((MIRROR / "deepstate_api" / "index.json").read_text())
        entry = next(e for e in full if e["id"] == NEXT_SNAPSHOT)
        _api_index(mirror, lambda listing: listing.append(entry))
        raw = gzip.decompress((MIRROR / "deepstate_api" / f"{NEXT_SNAPSHOT}.geojson.gz").read_bytes())
        if change_doc is not None:
            doc = json.loads(raw)
            change_doc(doc)
            raw = json.dumps(doc).encode()
        _replace(
            mirror / "deepstate_api" / f"{NEXT_SNAPSHOT}.geojson.gz", gzip.compress(data if data is not None else raw)
        )

    return apply


def _api_snapshot_cut_off(mirror):
    """List the next real snapshot and serve its gzip bytes cut in half (a transfer cut off)."""
    _api_snapshot()(mirror)
    gz = (MIRROR / "deepstate_api" / f"{NEXT_SNAPSHOT}.geojson.gz").read_bytes()
    _replace(mirror / "deepstate_api" / f"{NEXT_SNAPSHOT}.geojson.gz", gz[: len(gz) // 2])


def _occupied_features(doc):
    from transforms.territory.layers import classify

    return [
        f
        for f in doc["features"]
        if (f.get("geometry") or {}).get("type") in ("Polygon", "MultiPolygon", "GeometryCollection")
        and (classify(str((f.get("properties") or {}).get("name") or "")) or "").startswith("occupied")
    ]


def _api_occupied_coords(f):
    def change(doc):
        for feature in _occupied_features(doc):
            feature["geometry"] = _map_coords(feature["geometry"], f)

    return _api_snapshot(change)


def _api_unclosed(doc):
    """The outer ring of the first occupied-after-2022 layer (feature 85) without its closing position."""
    assert doc["features"][85] in _occupied_features(doc)
    doc["features"][85]["geometry"]["coordinates"][0].pop()


def _api_unknown_type(doc):
    _occupied_features(doc)[0]["geometry"] = {"type": "CircularString", "coordinates": [[37, 48], [38, 48]]}


def _whole(source_path: str, change):
    """A whole-history file of the mirror, changed (text in, text out)."""

    def apply(mirror):
        text = (MIRROR / source_path).read_bytes().decode("utf-8")
        _replace(mirror / source_path, change(text).encode("utf-8"))

    return apply


def _json_records(source_path: str, change):
    def text_change(text):
        records = json.loads(text)
        out = change(records)
        return json.dumps(records if out is None else out, indent=4)

    return _whole(source_path, text_change)


def _csv_rows(source_path: str, change):
    """Change the rows (list of lists, header first) of a CSV, keeping a BOM if it had one."""

    def text_change(text):
        bom = "\ufeff" if text.startswith("\ufeff") else ""
        rows = list(csv.reader(io.StringIO(text[len(bom) :])))
        rows = change(rows) or rows
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(rows)
        return bom + out.getvalue()

    return _whole(source_path, text_change)


ISW = "isw/area_assessed_as_controlled_by_russia.csv"
PERSONNEL = "losses/russia_losses_personnel.json"
EQUIPMENT = "losses/russia_losses_equipment.json"
CORRECTIONS = "losses/russia_losses_equipment_correction.json"
MZ2024 = "mediazona/meduza_2024.csv"
MZ2025 = "mediazona/meduza_2025_weekly.csv"
MZ2026 = "mediazona/meduza_2026_weekly.csv"
ESTIMATES = "estimates/official_estimates.csv"
BOUNDARIES = "boundaries/ukraine_oblasts.geojson"
HTML = b"<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>\n"


def _boundaries(change):
    def apply(mirror):
        doc = json.loads((MIRROR / BOUNDARIES).read_text())
        change(doc)
        _replace(mirror / BOUNDARIES, json.dumps(doc).encode())

    return apply


def _boundaries_metres(doc):
    for feature in doc["features"]:
        feature["geometry"] = _map_coords(feature["geometry"], _metres)


# (id, source, file, change, the row/feature named, what the message says)
PARSE_CASES = [
    # DeepState archive day
    ("archive-empty", "deepstate", DAY_FILE, _day_raw(b""), None, "empty payload"),
    (
        "archive-wrong-shape",
        "deepstate",
        DAY_FILE,
        _day_raw(b'[{"type": "Feature"}]'),
        None,
        "not a GeoJSON FeatureCollection",
    ),
    ("archive-latlon-swapped", "deepstate", DAY_FILE, _day_coords(_swap), "feature 0", "outside the WGS84 box"),
    ("archive-metres", "deepstate", DAY_FILE, _day_coords(_metres), "feature 0", "outside the WGS84 box"),
    ("archive-nan-coordinate", "deepstate", DAY_FILE, _day_nan, "feature 0", "is not a finite number"),
    ("archive-unclosed-ring", "deepstate", DAY_FILE, _day_unclosed, "feature 0", "polygon 0 ring 1 is not closed"),
    ("archive-displaced-off-ukraine", "deepstate", DAY_FILE, _day_coords(_shift(0, 4)), None, "lie on Ukraine"),
    (
        "archive-another-days-file",
        "deepstate",
        DAY_FILE,
        _day_raw((MIRROR / "deepstate" / "deepstatemap_data_20240709.geojson").read_bytes()),
        None,
        "names itself 'deepstatemap_data_20240709', not the day 2024-07-10",
    ),
    ("archive-point-geometry", "deepstate", DAY_FILE, _day_point, "feature 0", "expected a (Multi)Polygon, got Point"),
    # DeepState API: listing and snapshots
    (
        "api-index-truncated",
        "deepstate_api",
        "index.json",
        _whole("deepstate_api/index.json", lambda t: t[: len(t) // 2]),
        None,
        "invalid JSON",
    ),
    (
        "api-index-wrong-shape",
        "deepstate_api",
        "index.json",
        _whole("deepstate_api/index.json", lambda t: '{"items": []}'),
        None,
        "expected a non-empty JSON array",
    ),
    (
        "api-index-cut-off",
        "deepstate_api",
        "index.json",
        lambda m: _api_index(m, lambda listing: listing.pop(0)),
        None,
        "listed before are missing: 1720385367",
    ),
    (
        "api-index-duplicate-id",
        "deepstate_api",
        "index.json",
        lambda m: _api_index(m, lambda listing: listing.append(dict(listing[0]))),
        "element 2",
        "snapshot 1720385367 is listed twice (first at element 0)",
    ),
    (
        "api-index-future",
        "deepstate_api",
        "index.json",
        lambda m: _api_index(
            m, lambda listing: listing.append({"id": 1830000000, "createdAt": "2027-12-28T10:00:00.000Z"})
        ),
        "snapshot 1830000000",
        "is in the future",
    ),
    (
        "api-snapshot-html",
        "deepstate_api",
        f"{NEXT_SNAPSHOT}.geojson.gz",
        _api_snapshot(data=HTML),
        None,
        "invalid JSON",
    ),
    (
        "api-snapshot-gzip-cut-off",
        "deepstate_api",
        f"{NEXT_SNAPSHOT}.geojson.gz",
        _api_snapshot_cut_off,
        None,
        "not a readable gzip file (cut off?)",
    ),
    (
        "api-snapshot-latlon-swapped",
        "deepstate_api",
        f"{NEXT_SNAPSHOT}.geojson.gz",
        _api_occupied_coords(_swap),
        "feature",
        "outside the WGS84 box",
    ),
    (
        "api-snapshot-displaced",
        "deepstate_api",
        f"{NEXT_SNAPSHOT}.geojson.gz",
        _api_occupied_coords(_shift(0, 4)),
        "occupied layers",
        "lie on Ukraine",
    ),
    (
        "api-snapshot-unknown-geometry",
        "deepstate_api",
        f"{NEXT_SNAPSHOT}.geojson.gz",
        _api_snapshot(_api_unknown_type),
        "feature",
        "unexpected geometry type 'CircularString'",
    ),
    (
        "api-snapshot-unclosed-ring",
        "deepstate_api",
        f"{NEXT_SNAPSHOT}.geojson.gz",
        _api_snapshot(_api_unclosed),
        "feature 85",
        "ring 0 is not closed",
    ),
    # Oblast boundaries
    (
        "boundaries-metres",
        "oblast_boundaries",
        "ukraine_oblasts.geojson",
        _boundaries(_boundaries_metres),
        "feature 0",
        "outside the WGS84 box",
    ),
    (
        "boundaries-cut-off",
        "oblast_boundaries",
        "ukraine_oblasts.geojson",
        _boundaries(lambda d: d.__setitem__("features", d["features"][:22])),
        None,
        "regions of the previous version are missing",
    ),
    (
        "boundaries-empty",
        "oblast_boundaries",
        "ukraine_oblasts.geojson",
        _whole(BOUNDARIES, lambda t: ""),
        None,
        "invalid GeoJSON",
    ),
]


@pytest.mark.parametrize(
    ("source", "file_name", "change", "row_text", "message"),
    [pytest.param(*c[1:], id=c[0]) for c in PARSE_CASES],
)
def test_refused_at_the_raw_layer(case, source, file_name, change, row_text, message):
    assert_refused_at_the_raw_layer(case, source, file_name, change, row_text, message)


def assert_refused_at_the_raw_layer(case, source, file_name, change, row_text, message):
    """The run fails naming source, file and row; payload quarantined; published files unchanged."""
    change(case.mirror)
    code, out = case.run()
    assert code == 1, out
    error = next((line for line in out.splitlines() if f"{source}: " in line and message in line), None)
    assert error is not None, out
    assert file_name in error and (row_text is None or row_text in error), error
    assert "published nothing (previous version stays)" in out
    assert case.unchanged()
    entry = next(e for e in case.quarantined() if e["source"] == source)
    assert file_name in entry["uri"] and message in entry["error"]
    kept = case.home / "quarantine" / source / entry["file"]
    assert kept.exists() and len(kept.read_bytes()) == entry["n_bytes"]
    assert f"quarantined: {kept}" in out
    assert "to proceed:" in out


# --- cases that parse and lie on Ukraine, refused by a physical bound on the facts --------------


def _day_geometry(make):
    def apply(mirror):
        doc = json.loads((MIRROR / "deepstate" / DAY_FILE).read_text())
        doc["features"][0]["geometry"] = mapping(make(shape(doc["features"][0]["geometry"])))
        _replace(_day(mirror), json.dumps(doc).encode())

    return apply


def _all_of_ukraine(_geom):
    doc = json.loads((MIRROR / BOUNDARIES).read_text())
    return shapely.union_all([shapely.make_valid(shape(f["geometry"])) for f in doc["features"]])


def _personnel_jump(records):
    records[-1]["personnel"] += 200_000


# (id, source, file, change, bound, the fact row named)
BOUND_CASES = [
    (
        "archive-displaced-5km",
        "deepstate",
        DAY_FILE,
        _day_geometry(lambda g: shapely.affinity.translate(g, 0.05, 0)),
        "gained_km2_per_day",
        "date 2024-07-10 (UA)",
    ),
    (
        "archive-fragment-only",
        "deepstate",
        DAY_FILE,
        _day_geometry(lambda g: g.intersection(shapely.box(32.4, 44.3, 36.7, 46.0))),
        "lost_km2_per_day",
        "date 2024-07-10 (UA)",
    ),
    (
        "archive-all-of-ukraine",
        "deepstate",
        DAY_FILE,
        _day_geometry(_all_of_ukraine),
        "gained_km2_per_day",
        "date 2024-07-10 (UA)",
    ),
]


@pytest.mark.parametrize(
    ("source", "file_name", "change", "bound", "row_text"),
    [pytest.param(*c[1:], id=c[0]) for c in BOUND_CASES],
)
def test_refused_by_a_physical_bound(case, source, file_name, change, bound, row_text):
    assert_refused_by_a_physical_bound(case, source, file_name, change, bound, row_text)


def assert_refused_by_a_physical_bound(case, source, file_name, change, bound, row_text):
    """The fact row beyond the bound is traced to its raw payload, which is quarantined."""
    change(case.mirror)
    code, out = case.run()
    assert code == 1, out
    assert f"bound_{bound}" in out and "FAILED" in out
    refused = next((line for line in out.splitlines() if "refused:" in line and f"{bound} " in line), None)
    assert refused is not None, out
    assert f"{source}: " in refused and file_name in refused and row_text in refused, refused
    assert "is beyond the bound" in refused
    assert "published nothing (previous version stays)" in out
    assert case.unchanged()
    entry = next(e for e in case.quarantined() if e["source"] == source)
    assert file_name in entry["uri"] and bound in entry["error"]
    kept = case.home / "quarantine" / source / entry["file"]
    assert kept.exists() and kept.read_bytes() == (case.mirror / _relative(source, file_name)).read_bytes()
    assert f"quarantined: {kept}" in out and f"frontline accept {source} " in out


def _relative(source, file_name):
    from warehouse.ingest import sources

    return "deepstate/" + file_name if source == "deepstate" else sources.BY_NAME[source].relative_path()


def test_accept_needs_a_quarantined_payload(case, capsys):
    assert main(["accept", "deepstate", "2024-07-10", "--reason", "why not"]) == 2
    assert "nothing of deepstate '2024-07-10' is in quarantine" in capsys.readouterr().err
