"""Towns and the front line (issue 11): per source and observed day, every settlement's status and
distance to the front, and the front line itself — computed incrementally.

Per (source, date) the occupied territory (archive: its one polygon; API: the union of its two
occupied layers, classes as :func:`transforms.territory.region_step.api_classes` makes them) is tested against
all settlements at once (``shapely.contains_xy`` on prepared geometries). The **front line** is
the part of the occupied area's boundary that faces Ukrainian-held land: boundary segments (split to
at most :data:`MAX_SEGMENT_DEG`) whose midpoint lies inside the land mask — the union of the oblast polygons — shrunk by
:data:`FRONT_MARGIN_KM`, which drops the coast and the state border with Russia (the occupied
polygon follows them within a few hundred metres) and keeps the Dnipro. Distances to it are
measured in an equidistant conic projection fitted to Ukraine (:data:`EQUIDISTANT`; within 0.3 %
of ``pyproj.Geod`` across the country, tests/test_settlements.py), nearest front segment per
settlement through an STRtree; negative inside occupied territory. Front length is geodesic.

Results land in ``core.settlement_day_status`` and ``core.front_line_day``, keyed in
``core.settlement_day_inputs`` by the snapshot's hash, the settlements' and boundaries' hashes and
:data:`METHOD`: a day depends on its own snapshot only, so a new day computes one day.
"""

from __future__ import annotations

import hashlib

import duckdb
import numpy as np
import pyarrow as pa
import shapely
from pyproj import Transformer

from transforms.territory import region_step
from transforms.territory.geometry import WGS84
from warehouse.store.sqlfiles import load

# Bump with any change to what compute_day makes of the same inputs: every stored day is then
# recomputed once by the next run.
METHOD = "1"
FRONT_MARGIN_KM = 2.0
MAX_SEGMENT_DEG = 0.005  # ~0.35–0.55 km: the resolution at which a boundary piece is front or not
ADJACENT_DEG = 1e-6  # a front segment's midpoint lies on the held mainland's edge (overlay rounding)
OCCUPIED_SIMPLIFY_DEG = 0.005  # ~0.5 km: the occupied area published beside the front, for maps
COARSE_STEP_M, REFINE_WITHIN_M = 1_000.0, 10_000.0  # see distances_km
EQUIDISTANT = "+proj=eqdc +lat_0=48.5 +lon_0=31.5 +lat_1=45.5 +lat_2=51.5 +ellps=WGS84 +units=m +no_defs"
_TO_PLANE = Transformer.from_crs("OGC:CRS84", EQUIDISTANT, always_xy=True)
# API classes a point can fall in, most specific first; the status each one means.
API_STATUS = (
    ("occupied_before_2022", "occupied"),
    ("occupied_after_2022", "occupied"),
    ("grey_zone", "grey_zone"),
    ("liberated", "ukraine"),
)
SOURCES = ("deepstate", "deepstate_api")


def to_plane(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lon/lat to metres in :data:`EQUIDISTANT`."""
    return _TO_PLANE.transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))


class Places:
    """Settlements as coordinate arrays (lon/lat and projected)."""

    def __init__(self, ids, lon, lat):
        self.ids = np.asarray(ids, dtype=np.int64)
        self.lon = np.asarray(lon, dtype=float)
        self.lat = np.asarray(lat, dtype=float)
        x, y = to_plane(self.lon, self.lat)
        self.points = shapely.points(x, y)


class LandMask:
    """The oblast union (lon/lat), and that union shrunk by the front margin in the projected plane."""

    def __init__(self, union_lonlat: shapely.Geometry, margin_km: float = FRONT_MARGIN_KM):
        self.land = union_lonlat
        plane = shapely.transform(union_lonlat, lambda xy: np.column_stack(to_plane(xy[:, 0], xy[:, 1])))
        self.core = shapely.buffer(plane, -margin_km * 1000.0, quad_segs=4)
        shapely.prepare(self.core)

    def held_mainland(self, occupied: shapely.Geometry) -> shapely.Geometry:
        """The largest connected piece of land not occupied: Ukrainian-held land. The other pieces
        are lakes and lagoons the occupied polygon leaves out (Kerch salt lakes) and slivers
        between it and the state border — not land anyone holds against the front."""
        parts = shapely.get_parts(shapely.difference(self.land, occupied))
        if len(parts) == 0:
            return shapely.Polygon()
        return parts[int(np.argmax(shapely.area(parts)))]


def _projected(lonlat: np.ndarray) -> np.ndarray:
    x, y = to_plane(lonlat[:, 0], lonlat[:, 1])
    return np.column_stack([x, y])


def front_segments(occupied: shapely.Geometry, land: LandMask) -> tuple[np.ndarray, np.ndarray]:
    """Start and end points (lon/lat, shape (n, 2)) of the occupied boundary's segments that face
    Ukrainian-held land: the midpoint lies inside the shrunk land mask (not the coast, not the
    state border) and on the held mainland's edge (not a lake's)."""
    if occupied is None or occupied.is_empty:
        return np.empty((0, 2)), np.empty((0, 2))
    # Long segments split first, so that the midpoint rule decides every ~500 m.
    rings = shapely.get_rings(shapely.get_parts(shapely.segmentize(occupied, MAX_SEGMENT_DEG)))
    coords = shapely.get_coordinates(rings)
    last = np.cumsum(shapely.get_num_coordinates(rings)) - 1  # closing vertex: no segment starts there
    starts = np.ones(len(coords), dtype=bool)
    starts[last] = False
    a, b = coords[starts], coords[np.flatnonzero(starts) + 1]
    mid = (a + b) / 2
    mid_xy = _projected(mid)
    facing = shapely.contains_xy(land.core, mid_xy[:, 0], mid_xy[:, 1])
    held = land.held_mainland(occupied)
    shapely.prepare(held)
    facing[facing] = shapely.dwithin(held, shapely.points(mid[facing]), ADJACENT_DEG)
    return a[facing], b[facing]


def front_line(a: np.ndarray, b: np.ndarray) -> tuple[shapely.Geometry, float]:
    """The front segments merged into lines (lon/lat) and their geodesic length in km."""
    if len(a) == 0:
        return shapely.MultiLineString(), 0.0
    _, _, dist = WGS84.inv(a[:, 0], a[:, 1], b[:, 0], b[:, 1])
    lines = shapely.line_merge(shapely.multilinestrings(shapely.linestrings(np.stack([a, b], axis=1))))
    return lines, float(np.sum(dist)) / 1000.0


def _samples(pa_: np.ndarray, pb: np.ndarray, step_m: float) -> np.ndarray:
    """Points every ``step_m`` (at most) along the projected segments pa_ → pb, ends included."""
    pieces = np.maximum(1, np.ceil(np.hypot(*(pb - pa_).T) / step_m)).astype(int)
    seg = np.repeat(np.arange(len(pa_)), pieces)
    t = ((np.arange(len(seg)) - np.repeat(np.cumsum(pieces) - pieces, pieces)) / pieces[seg])[:, None]
    return np.vstack([pa_[seg] + t * (pb[seg] - pa_[seg]), pb])


def _nearest_m(targets: np.ndarray, points: np.ndarray) -> np.ndarray:
    (index, _), dist = shapely.STRtree(targets).query_nearest(points, return_distance=True, all_matches=False)
    out = np.empty(len(points))
    out[index] = dist
    return out


def distances_km(a: np.ndarray, b: np.ndarray, places: Places) -> np.ndarray:
    """Distance (km, ≥ 0) from each place to the front; NaN without a front.

    In the projected plane, with STRtrees: first to samples of the front every 1 km (a sample is
    at most 0.5 km from the true nearest point, so the distance is at most (0.5 km)²/2d too long:
    < 0.0125 km from 10 km on), then, for places within 10 km, exactly to the segments.
    """
    if len(a) == 0:
        return np.full(len(places.ids), np.nan)
    pa_, pb = _projected(a), _projected(b)
    samples = _samples(pa_, pb, COARSE_STEP_M)
    # The end of a segment is the start of the next along a line: one point in the tree, not two
    # (the same nearest distance, half the tree).
    keep = np.ones(len(samples), dtype=bool)
    keep[len(samples) - len(pb) : -1] = np.any(pb[:-1] != pa_[1:], axis=1)
    dist = _nearest_m(shapely.points(samples[keep]), places.points)
    near = dist < REFINE_WITHIN_M
    if near.any():
        dist[near] = _nearest_m(shapely.linestrings(np.stack([pa_, pb], axis=1)), places.points[near])
    return dist / 1000.0


def classify(source: str, classes: dict[str, shapely.Geometry], places: Places) -> tuple[list, list]:
    """(status, api_class) per place. Archive: occupied or ukraine. API: the first class of
    :data:`API_STATUS` containing the point (none: ukraine, api_class NULL)."""
    n = len(places.ids)
    if source == "deepstate":
        occupied = classes["occupied_total"]
        shapely.prepare(occupied)
        inside = shapely.contains_xy(occupied, places.lon, places.lat)
        return np.where(inside, "occupied", "ukraine").tolist(), [None] * n
    status = np.full(n, "ukraine", dtype=object)
    api_class = np.full(n, None, dtype=object)
    open_ = np.ones(n, dtype=bool)
    for cls, meaning in API_STATUS:
        geom = classes.get(cls)
        if geom is None or geom.is_empty:
            continue
        shapely.prepare(geom)
        hit = open_ & shapely.contains_xy(geom, places.lon, places.lat)
        status[hit], api_class[hit] = meaning, cls
        open_ &= ~hit
    return status.tolist(), api_class.tolist()


def compute_day(
    source: str, classes: dict[str, shapely.Geometry], places: Places, land: LandMask
) -> tuple[list, list, np.ndarray, shapely.Geometry, float, shapely.Geometry]:
    """(status, api_class, signed distance km, front line, front length km, simplified occupied
    area) of one day."""
    status, api_class = classify(source, classes, places)
    a, b = front_segments(classes["occupied_total"], land)
    dist = distances_km(a, b, places)
    signed = np.where(np.asarray(status) == "occupied", -dist, dist)
    line, length = front_line(a, b)
    outline = shapely.simplify(classes["occupied_total"], OCCUPIED_SIMPLIFY_DEG, preserve_topology=True)
    return status, api_class, signed, line, length, outline


def _wanted(con) -> tuple[list[tuple], str | None, Places | None]:
    rows = con.execute(load("transforms.settlements", "settlement_places")).fetchall()
    if not rows:
        return [], None, None
    places = Places([r[1] for r in rows], [r[2] for r in rows], [r[3] for r in rows])
    return con.execute(load("transforms.settlements", "settlement_wanted_days")).fetchall(), rows[0][0], places


def _inputs(con, todo: list[tuple]) -> dict[tuple, object]:
    """Per (source, day) what its classes are made of: the archive polygon's WKB, or the API
    snapshot's (class, WKB) features."""
    out: dict[tuple, object] = {}
    days = sorted(d for s, d, _, _ in todo if s == "deepstate")
    if days:
        for day, wkb in con.execute(load("transforms.territory", "deepstate_current_geometries"), [days]).fetchall():
            out[("deepstate", day)] = wkb
    snapshots = {sid: d for s, d, _, sid in todo if s == "deepstate_api"}
    if snapshots:
        features = region_step.snapshot_features(con, snapshots)
        for snapshot_id, day in snapshots.items():
            out[("deepstate_api", day)] = features.get(snapshot_id, [])
    return out


def _geometry_key(source: str, inputs) -> tuple:
    """Days with the same geometry (an archive file re-published with new metadata only, ~1 day
    in 8) have the same results: they are computed once."""
    digest = hashlib.sha256()
    for cls, wkb in [("occupied_total", inputs)] if source == "deepstate" else inputs:
        digest.update(cls.encode() + b"\0" + len(wkb).to_bytes(8, "little") + wkb)
    return source, digest.hexdigest()


_places: Places | None = None  # inherited by the forked workers (transforms.territory.regions._in_workers)
_land: LandMask | None = None


def _compute_job(i: int) -> tuple:
    source, inputs = region_step._items[i]
    if source == "deepstate":
        classes = {"occupied_total": shapely.from_wkb(inputs)}
    else:
        classes = region_step.api_classes(inputs, region_step._regions)
    return compute_day(source, classes, _places, _land)


def _compute_days(todo: list[tuple], inputs: dict[tuple, object], places: Places, regions) -> list[tuple]:
    """compute_day of every (source, day) of ``todo``, in order: each distinct geometry once, over
    the cores when there are many (as the per-region step)."""
    global _places, _land
    keys = [_geometry_key(s, inputs[(s, d)]) for s, d, _, _ in todo]
    first = {}
    for (s, d, _, _), key in zip(todo, keys, strict=True):
        first.setdefault(key, (s, inputs[(s, d)]))
    _places, _land = places, LandMask(regions.union)
    try:
        done = dict(zip(first, region_step._in_workers(_compute_job, list(first.values()), regions), strict=True))
    finally:
        _places, _land = None, None
    return [done[key] for key in keys]


_STATUS_SCHEMA = pa.schema(
    [
        *region_step.SOURCE_DAY_FIELDS,
        ("settlement_id", pa.int64()),
        ("status", pa.string()),
        ("api_class", pa.string()),
        ("distance_to_front_km", pa.float64()),
    ]
)


def _status_frame(key: tuple, result: tuple, places: Places) -> pa.Table:
    (source, day), (status, api_class, signed) = key, result[:3]
    n = len(places.ids)
    return pa.table(
        {
            "source": pa.array([source] * n, pa.string()),
            "date": pa.array([day] * n, pa.date32()),
            "settlement_id": pa.array(places.ids, pa.int64()),
            "status": pa.array(status, pa.string()),
            "api_class": pa.array(api_class, pa.string()),
            "distance_to_front_km": pa.array(signed, pa.float64(), mask=np.isnan(signed)),
        },
        schema=_STATUS_SCHEMA,
    )


def update(con: duckdb.DuckDBPyConnection) -> int:
    """Bring the settlement tables up to date; returns how many (source, day) were computed."""
    all_wanted, settlements_sha, places = _wanted(con)
    regions_rows = con.execute(load("transforms.territory", "oblast_current_boundaries")).fetchall()
    regions_sha = con.execute(
        "SELECT sha256 FROM raw.current_payloads WHERE source = 'oblast_boundaries' AND key = 'all'"
    ).fetchall()
    if places is None or not regions_sha:
        all_wanted = []
    key_of = {(s, d): (sha, settlements_sha, regions_sha[0][0], METHOD) for s, d, sha, _ in all_wanted}
    stored = {
        (s, d): (sha, ssha, rsha, m)
        for s, d, sha, ssha, rsha, m in con.execute(
            "SELECT source, date, sha256, settlements_sha256, regions_sha256, method FROM core.settlement_day_inputs"
        ).fetchall()
    }
    todo = [w for w in all_wanted if stored.get((w[0], w[1])) != key_of[(w[0], w[1])]]
    orphans = [k for k in stored if k not in key_of]
    if not todo and not orphans:
        return 0
    results = []
    if todo:
        regions = region_step.Regions(regions_rows)
        computed = _compute_days(todo, _inputs(con, todo), places, regions)
        results = [((source, day), r) for (source, day, _, _), r in zip(todo, computed, strict=True)]
    con.begin()
    try:
        for key in orphans + [k for k, _ in results]:
            for table in ("core.settlement_day_inputs", "core.settlement_day_status", "core.front_line_day"):
                con.execute(f"DELETE FROM {table} WHERE source = ? AND date = ?", list(key))  # noqa: S608 - fixed names
        con.executemany(
            "INSERT INTO core.settlement_day_inputs VALUES (?, ?, ?, ?, ?, ?)",
            [[*key, *key_of[key]] for key, _ in results],
        )
        con.executemany(
            "INSERT INTO core.front_line_day VALUES (?, ?, ?, ?, ?)",
            [[*key, r[4], shapely.to_wkb(r[3]), shapely.to_wkb(r[5])] for key, r in results],
        )
        if results:
            frame = pa.concat_tables(_status_frame(key, r, places) for key, r in results)
            con.register("incoming_settlement_rows", frame)
            try:
                con.execute("INSERT INTO core.settlement_day_status SELECT * FROM incoming_settlement_rows")
            finally:
                con.unregister("incoming_settlement_rows")
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return len(results)
