"""Per-oblast areas, gains and losses of every DeepState class, computed incrementally.

For each (source, date) — the daily archive (``deepstate``, one class: ``occupied_total``) and
the history API (``deepstate_api``, every class) — the day's geometry per class is intersected
with the oblasts its bounding box touches (STRtree), and so are the polygons gained and lost since
the source's previous observed day. Results go to ``core.region_daily_area`` (areas) and
``core.region_changes`` (the gained/lost polygons per region, for the change maps), keyed in
``core.region_day_inputs`` by the hashes of the two snapshots and of the boundaries file, and by
:data:`METHOD`: adding one day computes one day (two when the next day already existed);
re-running computes none; a new method recomputes every day once.

What the oblasts and an API snapshot's classes are is :mod:`.regions`; the worker pool that
spreads a rebuild's days over the cores (shared with the settlement step) is :mod:`.pool`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import duckdb
import numpy as np
import pyarrow as pa
import shapely

from transforms.territory import pool
from transforms.territory.geometry import area_km2
from transforms.territory.overlay import changes
from transforms.territory.regions import (
    OCCUPIED_LAYERS,
    OUTSIDE_UKRAINE,
    UNATTRIBUTED,
    WHOLE,
    Regions,
    api_classes,
    combined,
    overlay_polygons,
)
from warehouse.store.db import registered, release_freed_memory
from warehouse.store.sqlfiles import load


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


# Version of what compute_day makes of the same inputs. Bump it with any change to the classes
# (regions.api_classes), the clipping or the areas: stored days computed otherwise are then recomputed by the next run.
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
        rest = overlay_polygons(shapely.difference(combined(outside), regions.union))
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
                diff = shapely.normalize(overlay_polygons(diff))
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
        classes = pool.in_workers(api_classes, [features.get(i, []) for i in ids], regions)
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


def _compute_job(job: tuple, regions: Regions) -> tuple[list[tuple], list[tuple]]:
    source, today, previous = job
    return compute_day(source, today, previous, regions)


def _compute_days(
    jobs: list[tuple], regions: Regions, on_day: Callable[[int, int], None] | None = None
) -> list[tuple[list[tuple], list[tuple]]]:
    """compute_day of every (source, today, previous), in order. The days with the most classes
    (API: six, ~5× an archive day's work) go to the workers first, in date order (consecutive
    days take over each other's areas): the light days then even out the end of the pool."""
    order = sorted(range(len(jobs)), key=lambda i: -len(jobs[i][1]))
    results = pool.in_workers(_compute_job, [jobs[i] for i in order], regions, on_day)
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
