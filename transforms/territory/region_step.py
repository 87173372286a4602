"""Per-oblast areas, gains and losses of every DeepState class, computed incrementally.

For each (source, date) — the daily archive (``deepstate``, one class: ``occupied_total``) and
the history API (``deepstate_api``, every class) — the day's geometry per class is intersected
with the oblasts its bounding box touches (STRtree), and so are the polygons gained and lost since
the source's previous observed day. Results go to ``core.region_daily_area`` (areas) and
``core.region_changes`` (the gained/lost polygons per region, for the change maps), keyed in
``core.region_day_inputs`` by the hashes of the two snapshots and of the boundaries file, and by
:data:`METHOD`: adding one day computes one day (two when the next day already existed);
re-running computes none; a new method recomputes every day once.

Regions: ``UA`` is the class's whole area inside Ukraine (for the archive, the polygon as a whole:
the spine's country-level DeepState series); each oblast row is the part inside that oblast; ``UNATTRIBUTED``
is ``UA`` minus the sum of the oblasts (coastline and boundary mismatches, ~1.7 k km² of the
occupied area, mostly Sevastopol and the Azov coast), so regional rows always add up to ``UA``.
``RU-KRS`` / ``held_by_ukraine``: the liberated layer's features lying mostly outside Ukraine in
Kursk oblast — the salient of 2024-08 … 2025-03 — kept out of the Ukrainian ``liberated`` rows.
(Other liberated pieces outside the oblast polygons — Dnipro delta islands, a 1.8 km² piece in
Belgorod oblast in 2024 — stay ``liberated`` and land in ``UNATTRIBUTED``.)
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import duckdb
import numpy as np
import pyarrow as pa
import shapely

from transforms.territory.geometry import area_km2
from transforms.territory.overlay import changes
from warehouse.ingest import plausibility
from warehouse.store.db import registered, release_freed_memory
from warehouse.store.sqlfiles import load

OUTSIDE_UKRAINE = "RU-KRS"
UNATTRIBUTED = "UNATTRIBUTED"
WHOLE = "UA"
API_CLASSES = (
    "occupied_after_2022",
    "occupied_before_2022",
    "occupied_total",
    "grey_zone",
    "liberated",
    "held_by_ukraine",
)

# The API classes the settlement step needs as they are united here (api_classes): it reads
# them from core.api_occupied_layers (transforms.settlements.classify.api_layers).
OCCUPIED_LAYERS = ("occupied_after_2022", "occupied_before_2022", "occupied_total")


@dataclass(frozen=True)
class Wanted:
    source: str
    date: object
    sha256: str
    previous_date: object | None
    previous_sha256: str | None
    snapshot_id: int | None
    previous_snapshot_id: int | None
    regions_sha256: str


class Regions:
    """The oblast polygons with an STRtree, their union, and intersection helpers."""

    def __init__(self, rows: list[tuple[str, bytes]]):
        self.codes = [code for code, _ in rows]
        self.geoms = [shapely.from_wkb(wkb) for _, wkb in rows]
        for g in self.geoms:
            shapely.prepare(g)
        self.tree = shapely.STRtree(self.geoms)
        self.union = shapely.union_all(self.geoms)
        shapely.prepare(self.union)
        self.index = {code: i for i, code in enumerate(self.codes)}
        self.last_areas: dict[tuple[str, bytes], dict[str, float]] = {}  # compute_day's, of the last day

    def split(
        self, geom: shapely.Geometry, only: np.ndarray | None = None
    ) -> dict[str, tuple[shapely.Geometry, float]]:
        """Non-empty parts of ``geom`` per oblast with their geodesic areas (of the oblasts flagged
        in ``only``, when given). A polygon of ``geom`` within an oblast is its own part there: only
        the polygons that cross an oblast's boundary are intersected with it (a day's change is
        mostly small polygons inside one oblast)."""
        out: dict[str, tuple[shapely.Geometry, float]] = {}
        if geom is None or geom.is_empty:
            return out
        polygons = shapely.get_parts(geom) if shapely.get_type_id(geom) in (3, 6) else np.array([geom])
        polygon, oblast = self.tree.query(polygons)  # boxes overlap
        if only is not None:
            polygon, oblast = polygon[only[oblast]], oblast[only[oblast]]
        oblasts = np.take(self.geoms, oblast)
        meets = shapely.intersects(oblasts, polygons[polygon])  # the oblasts are prepared
        polygon, oblast, oblasts = polygon[meets], oblast[meets], oblasts[meets]
        within = shapely.contains(oblasts, polygons[polygon])
        for i in np.unique(oblast):
            mine = oblast == i
            inside, crossing = polygon[mine & within], polygon[mine & ~within]
            pieces = list(polygons[inside])
            if len(crossing):
                cut = shapely.intersection(_combined(polygons[crossing]), self.geoms[i])
                pieces.extend(p for p in shapely.get_parts(cut) if p.geom_type == "Polygon" and not p.is_empty)
                part = cut if not len(inside) else _combined(np.array(pieces))
            else:
                part = _combined(np.array(pieces))
            if pieces:
                area = area_km2(shapely.normalize(part))  # rings in one order from one start: one float
                if area > 0:
                    out[self.codes[i]] = (part, area)
        return out

    def touched(self, rects: np.ndarray) -> np.ndarray:
        """Per oblast: does any of the rectangles intersect it?"""
        out = np.zeros(len(self.geoms), dtype=bool)
        if len(rects):
            out[self.tree.query(rects, predicate="intersects")[1]] = True
        return out

    def outside_share(self, polygon: shapely.Geometry) -> float:
        total = area_km2(polygon)
        return area_km2(shapely.difference(polygon, self.union)) / total if total else 0.0


# Version of what compute_day makes of the same inputs. Bump it with any change to the classes,
# the clipping or the areas: stored days computed otherwise are then recomputed by the next run.
# (tests/test_territory.py holds a digest of one day's results per METHOD and says when.)
METHOD = "4"  # 4: a part of a feature far from Ukraine left out, not only a whole feature


def wanted(con: duckdb.DuckDBPyConnection) -> list[Wanted]:
    return [Wanted(*row) for row in con.execute(load("transforms.territory", "region_wanted_days")).fetchall()]


def stale(con: duckdb.DuckDBPyConnection, all_wanted: list[Wanted]) -> list[Wanted]:
    stored = {
        (s, d): (sha, pd, psha, rsha, method)
        for s, d, sha, pd, psha, rsha, method in con.execute(
            "SELECT source, date, sha256, previous_date, previous_sha256, regions_sha256, method"
            " FROM core.region_day_inputs"
        ).fetchall()
    }
    return [
        w
        for w in all_wanted
        if stored.get((w.source, w.date)) != (w.sha256, w.previous_date, w.previous_sha256, w.regions_sha256, METHOD)
    ]


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def _combined(polygons: np.ndarray) -> shapely.Geometry:
    """Polygons that do not overlap as one geometry (one Polygon as it is)."""
    return polygons[0] if len(polygons) == 1 else shapely.multipolygons(polygons)


def _overlay_polygons(geom: shapely.Geometry) -> shapely.Geometry:
    """The polygons of an overlay result: a Polygon or MultiPolygon (what an overlay of polygons
    gives) as it is, valid already; anything else through :func:`_polygonal`."""
    return geom if geom.geom_type in ("Polygon", "MultiPolygon") else _polygonal(geom)


# No Russian boundary file in the mirror: Kursk oblast is told from the other Russian regions by
# a box around its border with Sumy oblast (Belgorod oblast lies south of 50.9°N there).
KURSK_BOX = shapely.box(34.0, 50.9, 36.6, 52.5)


def near_ukraine(feature: shapely.Geometry) -> shapely.Geometry | None:
    """``feature`` without its parts that lie wholly outside the ingest's box around Ukraine and
    its borderlands (:data:`warehouse.ingest.plausibility.BOX`, tested as the ingest tests it);
    None when no part is left. A feature within the box is returned as it is (the same object).
    Such a part is an upstream drawing artefact — one 527 km² "unknown status" square sits in the
    Arabian Sea (64°E 14°N) in the API snapshots of 2023-02-06 … 2023-11-19, as the second part of
    a grey-zone feature whose first part is in Ukraine — and is counted as ``other``, not as
    Ukraine. The one box and test make every part left out here one the ingest reported as a quirk
    (plausibility.api_layer; any other layer with a coordinate outside the box is refused there)."""
    lon0, lat0, lon1, lat1 = feature.bounds
    box = plausibility.BOX
    if lon0 >= box.lon_min and lat0 >= box.lat_min and lon1 <= box.lon_max and lat1 <= box.lat_max:
        return feature
    parts = shapely.get_parts(feature)
    keep = ~np.array([plausibility.outside_box(p) for p in parts], dtype=bool)
    if not keep.any():
        return None
    if keep.all():
        return feature
    if feature.geom_type == "MultiPolygon":
        return shapely.multipolygons(parts[keep])
    return shapely.geometrycollections(parts[keep])


def held_in_kursk(feature: shapely.Geometry, regions: Regions) -> bool:
    """A liberated-layer feature lying mostly outside Ukraine, inside the Kursk box."""
    return KURSK_BOX.contains(feature.centroid) and regions.outside_share(feature) > 0.5  # cheap test first


def api_classes(features: list[tuple[str, bytes]], regions: Regions) -> dict[str, shapely.Geometry]:
    """One geometry per class of an API snapshot; ``other`` (outside Ukraine) is left out and
    the liberated features in Kursk oblast become ``held_by_ukraine``."""
    by_class: dict[str, list] = {}
    for cls, wkb in features:
        if cls == "other":
            continue
        geom = near_ukraine(shapely.from_wkb(wkb))
        if geom is None:
            continue  # a stray drawing far from Ukraine: class "other" (see near_ukraine)
        if cls == "liberated" and held_in_kursk(geom, regions):
            cls = "held_by_ukraine"
        by_class.setdefault(cls, []).append(geom)
    out = {cls: _polygonal(shapely.make_valid(shapely.union_all(g))) for cls, g in by_class.items()}
    occupied = [out[c] for c in ("occupied_after_2022", "occupied_before_2022") if c in out]
    out["occupied_total"] = shapely.union_all(occupied) if occupied else shapely.Polygon()
    for cls in API_CLASSES:
        out.setdefault(cls, shapely.Polygon())
    return out


def _areas(
    cls: str,
    geom: shapely.Geometry,
    regions: Regions,
    pieces_wanted: bool = False,
    unchanged: tuple[dict[str, float], np.ndarray] | None = None,
) -> tuple[dict[str, float], dict[str, tuple[shapely.Geometry, float]]]:
    """Area per region of one class geometry (UA and UNATTRIBUTED included) and, when wanted,
    the pieces per region with their areas (UNATTRIBUTED = the part outside every oblast).

    ``unchanged``: the areas of a previous geometry of the class and the rectangles outside which
    the two are the same set (:func:`transforms.territory.overlay.changes`). An oblast no rectangle
    touches holds the same part as before, and its area is taken over instead of intersecting
    again (the same vertices give the same float: a fresh intersection finds the same area)."""
    if cls == "held_by_ukraine":
        a = area_km2(geom)
        return {OUTSIDE_UKRAINE: a}, ({OUTSIDE_UKRAINE: (geom, a)} if pieces_wanted and a > 0 else {})
    oblast_areas: dict[str, float] = {}
    only = None
    if unchanged is not None:
        before, rects = unchanged
        only = regions.touched(rects)
        oblast_areas = {c: before[c] for c, i in regions.index.items() if c in before and not only[i]}
    split = regions.split(geom, only)
    oblast_areas.update({code: area for code, (_, area) in split.items()})
    areas = {code: oblast_areas[code] for code in sorted(oblast_areas)}
    whole = area_km2(geom)
    areas[UNATTRIBUTED] = whole - sum(areas.values())
    areas[WHOLE] = whole
    pieces = dict(split) if pieces_wanted else {}
    polygons = shapely.get_parts(geom) if pieces_wanted else np.empty(0, dtype=object)
    outside = polygons[~shapely.covers(regions.union, polygons)]  # a change mostly lies inside the oblasts
    if len(outside):
        rest = _overlay_polygons(shapely.difference(_combined(outside), regions.union))
        if not rest.is_empty and (rest_area := area_km2(rest)) > 0:
            pieces[UNATTRIBUTED] = (rest, rest_area)
    return areas, pieces


def _gained_lost(
    today: shapely.Geometry, before: shapely.Geometry
) -> tuple[shapely.Geometry, shapely.Geometry, np.ndarray | None]:
    """``(today − before, before − today, rectangles)``, overlaid only where the boundaries differ
    (transforms.territory.overlay; outside the rectangles both are the same set); the whole
    polygons, and no rectangles, if that shortcut does not apply or its result does not add up
    (planar areas: gained − lost = today − before)."""
    fast = changes(today, before)
    if fast is not None:
        gained, lost, rects = fast
        expected = shapely.area(today) - shapely.area(before)
        if abs(shapely.area(gained) - shapely.area(lost) - expected) <= 1e-9 * max(shapely.area(today), 1.0):
            return gained, lost, rects
    return shapely.difference(today, before), shapely.difference(before, today), None


def compute_day(
    source: str, today: dict[str, shapely.Geometry], previous: dict[str, shapely.Geometry] | None, regions: Regions
) -> tuple[list[tuple], list[tuple]]:
    """Rows ``(region_code, class, area, gained, lost)`` and ``(class, change, region, area, wkb)``."""
    areas_out, changes_out = [], []
    # A class whose geometry is the same as on the day computed before (in this process) has the
    # same areas: most API days leave occupied_before_2022 and held_by_ukraine as they were. A
    # class that changed keeps the areas of the oblasts its change does not touch.
    seen: dict[tuple[str, bytes], dict[str, float]] = {}
    for cls, geom in today.items():
        key = (cls, shapely.to_wkb(geom))
        areas = regions.last_areas.get(key)
        gained: dict[str, float] = {}
        lost: dict[str, float] = {}
        if previous is not None:
            before = previous.get(cls, shapely.Polygon())
            before_key = (cls, shapely.to_wkb(before))
            if before_key == key:  # the same geometry: nothing gained or lost
                diffs, rects = [shapely.Polygon(), shapely.Polygon()], np.empty(0, dtype=object)
            else:
                *diffs, rects = _gained_lost(geom, before)
            if areas is None and rects is not None:
                before_areas = regions.last_areas.get(before_key)
                if before_areas is not None:
                    areas, _ = _areas(cls, geom, regions, unchanged=(before_areas, rects))
            for change, diff, sink in zip(("gained", "lost"), diffs, (gained, lost), strict=True):
                # in normal form: its polygons lying within one oblast are measured once (geometry.area_km2)
                diff = shapely.normalize(_overlay_polygons(diff))
                diff_areas, pieces = _areas(cls, diff, regions, pieces_wanted=True)
                sink.update(diff_areas)
                for code, (piece, piece_area) in pieces.items():
                    changes_out.append((cls, change, code, piece_area, shapely.to_wkb(piece)))
        if areas is None:
            areas, _ = _areas(cls, geom, regions)
        seen[key] = areas
        codes = set(areas) | {c for c, v in gained.items() if v > 0} | {c for c, v in lost.items() if v > 0}
        for code in sorted(codes):
            area = areas.get(code, 0.0)
            if (
                code not in (WHOLE, UNATTRIBUTED, OUTSIDE_UKRAINE)
                and area == 0
                and not gained.get(code)
                and not lost.get(code)
            ):
                continue
            g = gained.get(code, 0.0) if previous is not None else None
            lo = lost.get(code, 0.0) if previous is not None else None
            areas_out.append((code, cls, area, g, lo))
    regions.last_areas = seen
    return areas_out, changes_out


def _geometries(con, todo: list[Wanted], regions: Regions) -> dict[tuple[str, object], dict[str, shapely.Geometry]]:
    archive_days = sorted({d for w in todo if w.source == "deepstate" for d in (w.date, w.previous_date) if d})
    out: dict[tuple[str, object], dict[str, shapely.Geometry]] = {}
    if archive_days:
        for day, wkb in con.execute(
            load("transforms.territory", "deepstate_current_geometries"), [archive_days]
        ).fetchall():
            out[("deepstate", day)] = {"occupied_total": shapely.from_wkb(wkb)}
    snapshots = {}
    for w in todo:
        if w.source == "deepstate_api":
            snapshots[w.snapshot_id] = w.date
            if w.previous_snapshot_id is not None:
                snapshots[w.previous_snapshot_id] = w.previous_date
    if snapshots:
        features = snapshot_features(con, snapshots)
        ids = list(snapshots)
        classes = _in_workers(_api_classes_job, [features.get(i, []) for i in ids], regions)
        for snapshot_id, by_class in zip(ids, classes, strict=True):
            out[("deepstate_api", snapshots[snapshot_id])] = by_class
    return out


def snapshot_features(con, snapshot_ids) -> dict[int, list[tuple[str, bytes]]]:
    """``(class, WKB)`` of every polygon feature of the given API snapshots (current payload
    versions), by snapshot id (also read by transforms.settlements.status_step)."""
    features: dict[int, list[tuple[str, bytes]]] = {}
    rows = con.execute(load("transforms.territory", "deepstate_api_snapshot_features"), [sorted(snapshot_ids)])
    for snapshot_id, cls, wkb in rows.fetchall():
        features.setdefault(snapshot_id, []).append((cls, wkb))
    return features


# The key columns of every per-(source, date) step's rows (also transforms.settlements.status_step).
SOURCE_DAY_FIELDS = (("source", pa.string()), ("date", pa.date32()))
_AREA_SCHEMA = pa.schema(
    [
        *SOURCE_DAY_FIELDS,
        ("region_code", pa.string()),
        ("class", pa.string()),
        ("area_km2", pa.float64()),
        ("gained_km2", pa.float64()),
        ("lost_km2", pa.float64()),
    ]
)
_CHANGE_SCHEMA = pa.schema(
    [
        *SOURCE_DAY_FIELDS,
        ("class", pa.string()),
        ("change", pa.string()),
        ("region_code", pa.string()),
        ("area_km2", pa.float64()),
        ("geometry_wkb", pa.binary()),
    ]
)

_LAYER_SCHEMA = pa.schema(
    [
        ("snapshot_id", pa.int64()),
        ("sha256", pa.string()),
        ("method", pa.string()),
        *((name, pa.binary()) for name in OCCUPIED_LAYERS),
    ]
)


def _append(con, table: str, schema: pa.Schema, rows: list[tuple]) -> None:
    """Bulk insert through Arrow (``table`` is one of the step's fixed internal tables)."""
    if not rows:
        return
    frame = pa.Table.from_pylist([dict(zip(schema.names, r, strict=True)) for r in rows], schema=schema)
    with registered(con, "incoming_region_rows", frame):
        con.execute(f"INSERT INTO {table} SELECT * FROM incoming_region_rows")  # noqa: S608 - fixed names


# Days (and API snapshots) are independent once their geometries are loaded: a rebuild spreads
# them over the cores. Below this many items a worker pool costs more than it saves (one new day
# runs in-process).
PARALLEL_MIN_DAYS = 16
_items: list = []  # inherited by the forked workers, which work by index
_regions: Regions | None = None


def workers() -> int:
    """Worker processes for a rebuild: the CPUs this process may use, or FRONTLINE_WORKERS."""
    wanted = os.environ.get("FRONTLINE_WORKERS")
    return max(1, int(wanted)) if wanted else len(os.sched_getaffinity(0))


def _compute_job(i: int) -> tuple[list[tuple], list[tuple]]:
    source, today, previous = _items[i]
    return compute_day(source, today, previous, _regions)


def _api_classes_job(i: int) -> dict[str, shapely.Geometry]:
    return api_classes(_items[i], _regions)


def _worker_signals() -> None:
    """Default signal handling in a worker: the parent's (Dagster's interrupt handler, which
    raises) is no business of a process that only computes geometry."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the parent, which stops the pool


def _in_workers(job, items: list, regions: Regions, on_done: Callable[[int, int], None] | None = None) -> list:
    """``job(i)`` for every item, in order; in forked workers when there are many (they inherit
    the items and the regions, only results travel back). ``on_done(done, total)`` after each."""
    global _items, _regions
    _items, _regions = items, regions
    results: list = []

    def collect(result_iter) -> list:
        for result in result_iter:
            results.append(result)
            if on_done is not None:
                on_done(len(results), len(items))
        return results

    try:
        n = workers()
        if n < 2 or len(items) < PARALLEL_MIN_DAYS:
            return collect(job(i) for i in range(len(items)))
        with mp.get_context("fork").Pool(n, initializer=_worker_signals) as pool:
            collect(pool.imap(job, range(len(items)), chunksize=max(1, len(items) // (n * 8))))
            pool.close()  # workers exit on their own; leaving the block would SIGTERM them
            pool.join()
            return results
    finally:
        _items, _regions = [], None


def _compute_days(
    jobs: list[tuple], regions: Regions, on_day: Callable[[int, int], None] | None = None
) -> list[tuple[list[tuple], list[tuple]]]:
    """compute_day of every (source, today, previous), in order. The days with the most classes
    (API: six, ~5× an archive day's work) go to the workers first, in date order (consecutive
    days take over each other's areas): the light days then even out the end of the pool."""
    order = sorted(range(len(jobs)), key=lambda i: -len(jobs[i][1]))
    results = _in_workers(_compute_job, [jobs[i] for i in order], regions, on_day)
    out: list = [None] * len(jobs)
    for i, result in zip(order, results, strict=True):
        out[i] = result
    return out


def _occupied_layers(todo: list[Wanted], geoms: dict) -> list[tuple]:
    """Rows of core.api_occupied_layers for every API snapshot united for ``todo``."""
    snapshots = {}
    for w in todo:
        if w.source == "deepstate_api":
            snapshots[w.snapshot_id] = (w.date, w.sha256)
            if w.previous_snapshot_id is not None:
                snapshots[w.previous_snapshot_id] = (w.previous_date, w.previous_sha256)
    return [
        (snapshot_id, sha, METHOD, *shapely.to_wkb([geoms[("deepstate_api", day)][c] for c in OCCUPIED_LAYERS]))
        for snapshot_id, (day, sha) in snapshots.items()
    ]


def _store_layers(con: duckdb.DuckDBPyConnection, layers: list[tuple], all_wanted: list[Wanted]) -> None:
    """Replace the stored occupied layers of the snapshots in ``layers``; forget those of
    snapshots no day wants any more."""
    wanted_ids = sorted(
        {
            i
            for w in all_wanted
            if w.source == "deepstate_api"
            for i in (w.snapshot_id, w.previous_snapshot_id)
            if i is not None
        }
    )
    con.execute("DELETE FROM core.api_occupied_layers WHERE NOT list_contains(?, snapshot_id)", [wanted_ids])
    if not layers:
        return
    con.executemany("DELETE FROM core.api_occupied_layers WHERE snapshot_id = ?", [[row[0]] for row in layers])
    _append(con, "core.api_occupied_layers", _LAYER_SCHEMA, layers)


# Days computed per batch of a rebuild, each batch stored in its own transaction: a batch's
# parsed snapshots (the workers inherit them) and results are what the step holds in memory, not
# the whole history's (issue 12: the main process held ~900 MB through a full rebuild's step).
BATCH_DAYS = 128


def update(
    con: duckdb.DuckDBPyConnection, on_day: Callable[[int, int], None] | None = None, batch_days: int = BATCH_DAYS
) -> int:
    """Bring the per-region tables up to date; returns how many (source, day) were computed.
    ``on_day(done, total)`` is called after each computed day (a first run computes ~900).
    The days are computed and stored ``batch_days`` at a time; a day's rows are replaced in the
    same transaction as its inputs' key, so an interrupted rebuild leaves only whole days."""
    all_wanted = wanted(con)
    todo = stale(con, all_wanted)
    keep = {(w.source, w.date) for w in all_wanted}
    stored = con.execute("SELECT source, date FROM core.region_day_inputs").fetchall()
    orphans = [key for key in stored if key not in keep]
    if not todo and not orphans:
        return 0
    if orphans:
        _store(con, orphans, [], [], all_wanted)
    regions = (
        Regions(con.execute(load("transforms.territory", "oblast_current_boundaries")).fetchall()) if todo else None
    )
    present = set(con.execute(load("transforms.territory", "region_stored_days")).fetchall())
    size = max(1, batch_days)
    for start in range(0, len(todo), size):
        batch = todo[start : start + size]
        geoms = _geometries(con, batch, regions)
        jobs = [
            (
                w.source,
                geoms[(w.source, w.date)],
                geoms[(w.source, w.previous_date)] if w.previous_date is not None else None,
            )
            for w in batch
        ]
        progress = None if on_day is None else partial(_progress, on_day, start, len(todo))
        results = [(w, *r) for w, r in zip(batch, _compute_days(jobs, regions, progress), strict=True)]
        _store(con, [], results, _occupied_layers(batch, geoms), all_wanted, present)
        del geoms, jobs, results
        release_freed_memory(con)
    return len(todo)


def _progress(on_day: Callable[[int, int], None], before: int, total: int, done: int, _: int) -> None:
    on_day(before + done, total)


def _store(
    con: duckdb.DuckDBPyConnection, orphans: list, results: list, layers: list, all_wanted: list, present=None
) -> None:
    """In one transaction: forget ``orphans`` and replace the computed days' rows by ``results``.
    With ``present`` (the days that had rows when the step began: region_stored_days), only their
    rows are deleted: a rebuild would otherwise run three DELETEs per day, each scanning what its
    earlier batches stored, to find nothing."""
    computed = [(w.source, w.date) for w, _, _ in results]
    con.begin()
    try:
        for key in orphans + [key for key in computed if present is None or key in present]:
            for table in ("core.region_day_inputs", "core.region_daily_area", "core.region_changes"):
                con.execute(f"DELETE FROM {table} WHERE source = ? AND date = ?", list(key))  # noqa: S608 - fixed names
        con.executemany(
            "INSERT INTO core.region_day_inputs"
            " (source, date, sha256, previous_date, previous_sha256, regions_sha256, method)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                [w.source, w.date, w.sha256, w.previous_date, w.previous_sha256, w.regions_sha256, METHOD]
                for w, _, _ in results
            ],
        )
        _append(
            con,
            "core.region_daily_area",
            _AREA_SCHEMA,
            [(w.source, w.date, *r) for w, areas, _ in results for r in areas],
        )
        _append(
            con, "core.region_changes", _CHANGE_SCHEMA, [(w.source, w.date, *r) for w, _, ch in results for r in ch]
        )
        _store_layers(con, layers, all_wanted)
        con.commit()
    except BaseException:
        con.rollback()
        raise
