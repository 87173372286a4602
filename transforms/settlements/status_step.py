"""Towns and the front line (issue 11): the step that computes, per source and observed day,
every settlement's status and distance to the front and the front line itself, incrementally.

What a day is made of lives beside it: :mod:`.classify` (status per settlement), :mod:`.front`
(the front line), :mod:`.distances` (distance to it), in the plane of :mod:`.plane`;
:func:`compute_day` puts them together. Per (source, date) the occupied territory is the
archive's one polygon, or the union of the API's two occupied layers (classes as
:func:`transforms.territory.regions.api_classes` makes them).

Results land in ``core.settlement_day_status`` and ``core.front_line_day``, keyed in
``core.settlement_day_inputs`` by the snapshot's hash, the settlements' and boundaries' hashes and
:data:`METHOD`: a day depends on its own snapshot only, so a new day computes one day.

A process computing many days in a row (a rebuild, in forked workers) carries the last day's
front segments, distances and held-mainland answers over to the next day and recomputes only
what the changed segments can reach (:mod:`.segments`): the results are exactly those of a day
computed alone.
"""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import cache

import duckdb
import numpy as np
import pyarrow as pa
import shapely

from transforms.settlements.classify import API_CLASS_NAMES, STATUSES, api_layers, classify
from transforms.settlements.distances import distances_km
from transforms.settlements.front import LandMask, front_line, front_segments
from transforms.settlements.plane import Places
from transforms.territory import pool, region_step
from transforms.territory.regions import Regions
from warehouse.store.db import registered, release_freed_memory
from warehouse.store.sqlfiles import load

# Bump with any change to what compute_day makes of the same inputs: every stored day is then
# recomputed once by the next run.
METHOD = "2"
OCCUPIED_SIMPLIFY_DEG = 0.005  # ~0.5 km: the occupied area published beside the front, for maps
SOURCES = ("deepstate", "deepstate_api")


def compute_day(
    source: str, classes: dict[str, shapely.Geometry], places: Places, land: LandMask
) -> tuple[np.ndarray, np.ndarray, np.ndarray, shapely.Geometry, float, shapely.Geometry]:
    """(status code, api_class code (see :func:`classify`), signed distance km, front line,
    front length km, simplified occupied area) of one day."""
    status, api_class = classify(source, classes, places)
    free = (status == STATUSES.index("ukraine")) & (api_class < 0)  # in no layer
    status[land.in_coastal_sliver(classes["occupied_total"], places, free)] = STATUSES.index("occupied")
    a, b = front_segments(classes["occupied_total"], land)
    dist = distances_km(a, b, places)
    signed = np.where(status == STATUSES.index("occupied"), -dist, dist)
    line, length = front_line(a, b)
    outline = shapely.simplify(classes["occupied_total"], OCCUPIED_SIMPLIFY_DEG, preserve_topology=True)
    return status, api_class, signed, line, length, outline


def _wanted(con) -> tuple[list[tuple], str | None, Places | None]:
    rows = con.execute(load("transforms.settlements", "settlement_places")).fetchall()
    if not rows:
        return [], None, None
    places = Places([r[1] for r in rows], [r[2] for r in rows], [r[3] for r in rows])
    return con.execute(load("transforms.settlements", "settlement_wanted_days")).fetchall(), rows[0][0], places


def _inputs(con, todo: list[tuple]) -> dict[tuple, tuple]:
    """Per (source, day) the task that computes it (:func:`_compute`): (source, what its classes
    are made of, the API's united occupied layers): the archive polygon's WKB; or the API
    snapshot's (class, WKB) features, with its occupied layers as the per-region step united
    them (WKB of regions.OCCUPIED_LAYERS; None when not stored for this snapshot's payload
    and method: a function of the features, which alone key the day)."""
    out: dict[tuple, tuple] = {}
    days = sorted(d for s, d, _, _ in todo if s == "deepstate")
    if days:
        for day, wkb in con.execute(load("transforms.territory", "deepstate_current_geometries"), [days]).fetchall():
            out[("deepstate", day)] = ("deepstate", wkb, None)
    snapshots = {sid: (d, sha) for s, d, sha, sid in todo if s == "deepstate_api"}
    if snapshots:
        features = region_step.snapshot_features(con, snapshots)
        united = {
            snapshot_id: tuple(layers)
            for snapshot_id, sha, method, *layers in con.execute(
                load("transforms.settlements", "api_occupied_layers"), [sorted(snapshots)]
            ).fetchall()
            if (sha, method) == (snapshots[snapshot_id][1], region_step.METHOD)
        }
        for snapshot_id, (day, _) in snapshots.items():
            task = ("deepstate_api", tuple(features.get(snapshot_id, [])), united.get(snapshot_id))
            out[("deepstate_api", day)] = task
    return out


def _geometry_key(task: tuple) -> tuple:
    """Days with the same geometry (an archive file re-published with new metadata only, ~1 day
    in 8) have the same results: they are computed once. The key is the input itself (WKB bytes,
    or the API snapshot's (class, WKB) features): equal keys are equal inputs, byte for byte."""
    return task[:2]


def _compute(task: tuple, places: Places, land: LandMask, regions) -> tuple:
    """compute_day of one task of :func:`_inputs`, its geometries as the WKB that is stored (a
    worker sends back bytes, not geometries to rebuild and serialise again)."""
    source, inputs, united = task
    if source == "deepstate":
        classes = {"occupied_total": shapely.from_wkb(inputs)}
    else:
        classes = api_layers(inputs, regions, united)
    status, api_class, signed, line, length, outline = compute_day(source, classes, places, land)
    return status, api_class, signed, shapely.to_wkb(line), length, shapely.to_wkb(outline)


_worker: tuple = ()  # (places, land mask, regions) in a worker, set when it starts


def _start_worker(places: Places, land: LandMask, regions) -> None:
    pool.worker_signals()
    global _worker
    _worker = (places, land, regions)


def _worker_job(task: tuple) -> tuple:
    return _compute(task, *_worker)


@contextmanager
def _computer(places: Places, regions, days: int) -> Iterator[Callable[[list[tuple]], Iterable[tuple]]]:
    """Yields a function that starts computing a batch of tasks (:func:`_compute`) and returns
    their results, in order, as they come. With many days (as the per-region step: pool.workers,
    PARALLEL_MIN_DAYS) one pool of forked workers serves the whole update: it returns at once,
    so the main process reads the next batch and inserts the last one while the workers compute,
    and a worker carries its last day over from batch to batch. The workers inherit the places,
    land mask and regions at the fork; each batch's inputs travel with its tasks."""
    land = LandMask(regions.union)
    n = pool.workers()
    if n < 2 or days < pool.PARALLEL_MIN_DAYS:
        yield lambda tasks: [_compute(task, places, land, regions) for task in tasks]
        return
    with mp.get_context("fork").Pool(n, initializer=_start_worker, initargs=(places, land, regions)) as forked:
        yield lambda tasks: forked.imap(_worker_job, tasks, chunksize=max(1, len(tasks) // (n * 8)))
        forked.close()  # workers exit on their own; leaving the block would SIGTERM them
        forked.join()


def _start_days(todo: list[tuple], inputs: dict[tuple, tuple], start) -> Callable[[], list[tuple]]:
    """Starts computing every (source, day) of ``todo``, each distinct geometry once, through
    ``start`` (:func:`_computer`); returns a function that waits for the results, in ``todo``'s
    order. The API days (~3× an archive day's work) are handed over first, in date order, then
    the archive's: the light days even out the end of the pool."""
    keys = [_geometry_key(inputs[(s, d)]) for s, d, _, _ in todo]
    first = {}
    for (s, d, _, _), key in sorted(zip(todo, keys, strict=True), key=lambda job: job[0][0] != "deepstate_api"):
        first.setdefault(key, inputs[(s, d)])
    results = start(list(first.values()))

    def done() -> list[tuple]:
        by_key = dict(zip(first, results, strict=True))
        return [by_key[key] for key in keys]

    return done


@cache
def _dictionaries() -> tuple[pa.Array, pa.Array]:
    """The status and API class dictionaries, built on first use: pyarrow imports pandas to build
    an array from Python values (~0.5 s that a run with nothing to compute would pay at import)."""
    return pa.array(STATUSES, pa.string()), pa.array(API_CLASS_NAMES, pa.string())


def _status_frame(key: tuple, result: tuple, places: Places) -> pa.Table:
    """One day's rows; statuses and classes as dictionary arrays over their codes (DuckDB
    stores them as the same strings)."""
    (source, day), (status, api_class, signed) = key, result[:3]
    n = len(places.ids)
    statuses, api_classes = _dictionaries()
    return pa.table(
        {
            "source": pa.DictionaryArray.from_arrays(np.zeros(n, np.int8), pa.array([source], pa.string())),
            "date": pa.array(np.full(n, np.datetime64(day, "D"))).cast(pa.date32()),
            "settlement_id": pa.array(places.ids, pa.int64()),
            "status": pa.DictionaryArray.from_arrays(status, statuses),
            "api_class": pa.DictionaryArray.from_arrays(pa.array(api_class, mask=api_class < 0), api_classes),
            "distance_to_front_km": pa.array(signed, pa.float64(), mask=np.isnan(signed)),
        }
    )


def _keyed(keys: list[tuple], columns: dict) -> pa.Table:
    """``columns`` after a (source, date) column pair made of ``keys``."""
    return pa.table({"source": [s for s, _ in keys], "date": pa.array([d for _, d in keys], pa.date32()), **columns})


def _insert(con: duckdb.DuckDBPyConnection, table: str, frame: pa.Table) -> None:
    """Append an Arrow table whose columns are ``table``'s, in order (``table`` is one of the
    step's fixed internal tables)."""
    with registered(con, "incoming_settlement_rows", frame):
        con.execute(f"INSERT INTO {table} SELECT * FROM incoming_settlement_rows")  # noqa: S608 - fixed names


# Days computed per batch of a rebuild: their inputs (a snapshot's polygons, ~0.1–1 MB each) and
# results are held in memory together, so a rebuild's memory is that of one batch, not of the
# whole history (issue 12: the full rebuild's peak was the settlement step holding all ~900 days).
# Each batch is stored in its own transaction and DuckDB then gives back what storing it took:
# rows inserted in an open transaction stay in memory until it commits (the whole history's
# 1.85 M status rows, ~170 MB, when the rebuild was one transaction).
BATCH_DAYS = 128


def update(con: duckdb.DuckDBPyConnection, batch_days: int = BATCH_DAYS) -> int:
    """Bring the settlement tables up to date; returns how many (source, day) were computed.
    The days to compute are taken ``batch_days`` at a time. A day's rows are replaced in the
    same transaction as its inputs' key: an interrupted rebuild leaves whole days, and the next
    run computes the rest."""
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
    _replace(con, orphans)
    if not todo:
        return 0
    present = set(con.execute(load("transforms.settlements", "settlement_stored_days")).fetchall())
    regions = Regions(regions_rows)
    with _computer(places, regions, len(todo)) as start:
        pending = None  # the last batch handed over, and its results when they are in
        for first in range(0, len(todo), max(1, batch_days)):
            batch = todo[first : first + max(1, batch_days)]
            started = batch, _start_days(batch, _inputs(con, batch), start)
            if pending is not None:
                _replace(con, pending[0], pending[1](), key_of, places, present)
            pending = started
        if pending is not None:
            _replace(con, pending[0], pending[1](), key_of, places, present)
    return len(todo)


def _replace(
    con: duckdb.DuckDBPyConnection, todo: list[tuple], computed=None, key_of=None, places=None, present=None
) -> None:
    """In one transaction: forget the days of ``todo`` ((source, date, ...) rows; one DELETE per
    table for all of them) and store their results ``computed`` (:func:`_insert_days`) in their
    place; then hand back the memory that took (:data:`BATCH_DAYS`). With ``present`` (the days
    that had rows when the step began: settlement_stored_days), only those are forgotten: a
    rebuild's DELETEs would otherwise scan the rows its earlier batches inserted, finding
    nothing."""
    if not todo:
        return
    forget = [(s, d) for s, d, *_ in todo if present is None or (s, d) in present]
    con.begin()
    try:
        if forget:
            _forget(con, forget)
        if computed is not None:
            _insert_days(con, todo, computed, key_of, places)
        con.commit()
    except BaseException:
        con.rollback()
        raise
    release_freed_memory(con)


def _forget(con: duckdb.DuckDBPyConnection, days: list[tuple]) -> None:
    """Delete the rows of ``days`` ((source, date) pairs) from the step's tables."""
    with registered(con, "replaced_settlement_days", _keyed(days, {})):
        for table in ("core.settlement_day_inputs", "core.settlement_day_status", "core.front_line_day"):
            con.execute(
                f"DELETE FROM {table} AS t USING replaced_settlement_days AS r"  # noqa: S608 - fixed names
                " WHERE t.source = r.source AND t.date = r.date"
            )


def _insert_days(
    con: duckdb.DuckDBPyConnection, todo: list[tuple], computed: list[tuple], key_of: dict, places: Places
) -> None:
    """The rows of computed days (``todo``'s, their results ``computed``): their input keys,
    front lines and settlement statuses."""
    results = [((s, d), r) for (s, d, _, _), r in zip(todo, computed, strict=True)]
    keys = [key for key, _ in results]
    names = ("sha256", "settlements_sha256", "regions_sha256", "method")
    inputs = {name: [key_of[k][i] for k in keys] for i, name in enumerate(names)}
    _insert(con, "core.settlement_day_inputs", _keyed(keys, inputs))
    front = {
        "length_km": pa.array([r[4] for _, r in results], pa.float64()),
        "geometry_wkb": pa.array([r[3] for _, r in results], pa.binary()),
        "occupied_wkb": pa.array([r[5] for _, r in results], pa.binary()),
    }
    _insert(con, "core.front_line_day", _keyed(keys, front))
    _insert(con, "core.settlement_day_status", pa.concat_tables(_status_frame(k, r, places) for k, r in results))
