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

A process computing many days in a row (a rebuild, in forked workers) carries the last day's
front segments, distances and held-mainland answers over to the next day and recomputes only
what the changed segments can reach (:func:`distances_km`, :func:`_on_held_mainland`): the
results are exactly those of a day computed alone.
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
from pyproj import Transformer

from transforms.territory import overlay, region_step
from transforms.territory.geometry import WGS84
from warehouse.store.db import release_freed_memory
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


@cache
def _to_plane() -> Transformer:
    return Transformer.from_crs("OGC:CRS84", EQUIDISTANT, always_xy=True)


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
    return _to_plane().transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))


class Places:
    """Settlements as coordinate arrays (lon/lat and projected)."""

    def __init__(self, ids, lon, lat):
        self.ids = np.asarray(ids, dtype=np.int64)
        self.lon = np.asarray(lon, dtype=float)
        self.lat = np.asarray(lat, dtype=float)
        x, y = to_plane(self.lon, self.lat)
        self.xy = np.column_stack([x, y])
        self.lonlat = shapely.points(self.lon, self.lat)
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
    rings = densified_rings(occupied)  # long segments split first: the midpoint rule decides every ~500 m
    coords = shapely.get_coordinates(rings)
    last = np.cumsum(shapely.get_num_coordinates(rings)) - 1  # closing vertex: no segment starts there
    starts = np.ones(len(coords), dtype=bool)
    starts[last] = False
    a, b = coords[starts], coords[np.flatnonzero(starts) + 1]
    mid = (a + b) / 2
    segments = _Rows(np.hstack([a, b]))
    facing = _in_core(land, segments, mid)
    facing[facing] = _on_held_mainland(occupied, land, a[facing], b[facing], mid[facing], segments.subset(facing))
    return a[facing], b[facing]


def densified_rings(occupied: shapely.Geometry) -> np.ndarray:
    """The rings of ``occupied``'s polygons, each segment longer than :data:`MAX_SEGMENT_DEG`
    split evenly (``shapely.segmentize`` of each ring). GEOS densifies every segment on its own,
    the same arithmetic whether it densifies a ring or the polygon, so these are the rings of
    ``shapely.segmentize(occupied)``, vertex for vertex, without that call's last step: a
    validity check of the whole densified polygon (~80 % of its cost), which would repair it
    (GeometryFixer) if the rounded split points made it invalid — never so on the mirror
    (tests/test_settlements.py), and a repair would move the very boundary the front is read
    from."""
    return shapely.segmentize(shapely.get_rings(shapely.get_parts(occupied)), MAX_SEGMENT_DEG)


class _Core:
    """The last boundary segments this process tested against the land mask's core, and the
    answers."""

    def __init__(self, land, segments, inside):
        self.land, self.segments, self.inside = land, segments, inside


_last_core: _Core | None = None


def _in_core(land: LandMask, segments: _Rows, mid: np.ndarray) -> np.ndarray:
    """Whether each segment's midpoint lies inside the shrunk land mask. A segment the last day
    computed in this process also had keeps its answer: the core is fixed and the midpoint is
    the segment's own, so only the new segments are projected and tested."""
    global _last_core
    inside = np.zeros(len(mid), dtype=bool)
    todo = np.ones(len(mid), dtype=bool)
    last = _last_core if _last_core is not None and _last_core.land is land else None
    if last is not None:
        found, j = _match(segments, last.segments)
        inside[found] = last.inside[j[found]]
        todo = ~found
    if todo.any():
        xy = _projected(mid[todo])
        inside[todo] = shapely.contains_xy(land.core, xy[:, 0], xy[:, 1])
    _last_core = _Core(land, segments, inside)
    return inside.copy()  # the caller narrows its copy down to the front


class _Held:
    """The last held mainland this process saw (its boundary segments) and which candidate
    front segments lay on it."""

    def __init__(self, land, boundary, segments, adjacent):
        self.land, self.boundary, self.segments, self.adjacent = land, boundary, segments, adjacent


_last_held: _Held | None = None


def _on_held_mainland(occupied, land: LandMask, a, b, mid, segments: _Rows) -> np.ndarray:
    """Whether each candidate segment's midpoint lies within :data:`ADJACENT_DEG` of the held
    mainland. A segment that was a candidate on the last day this process computed keeps its
    answer unless its midpoint is near a box where the mainland's boundary changed: outside
    pairwise-disjoint boxes covering every changed boundary segment, the two mainlands hold the
    same points (transforms/territory/overlay.py says why), so the nearest piece of mainland,
    and the distance to it, are the same. ``segments``: the rows of ``a`` and ``b``."""
    global _last_held
    held = land.held_mainland(occupied)
    boundary = _Rows(overlay.boundary_segments(held))
    adjacent = np.zeros(len(a), dtype=bool)
    todo = np.ones(len(a), dtype=bool)
    last = _last_held if _last_held is not None and _last_held.land is land else None
    if last is not None:
        gained, _ = _match(boundary, last.boundary)
        lost, _ = _match(last.boundary, boundary)
        changed = np.concatenate([boundary.rows[~gained], last.boundary.rows[~lost]])
        if len(changed) <= MAX_CHANGED_SHARE * max(len(boundary), 1):
            found, j = _match(segments, last.segments)
            boxes = np.array(overlay.change_boxes(changed)).reshape(-1, 4)
            e = 2 * ADJACENT_DEG
            near = (
                (mid[:, None, 0] >= boxes[None, :, 0] - e)
                & (mid[:, None, 0] <= boxes[None, :, 2] + e)
                & (mid[:, None, 1] >= boxes[None, :, 1] - e)
                & (mid[:, None, 1] <= boxes[None, :, 3] + e)
            ).any(axis=1)
            keep = found & ~near
            adjacent[keep] = last.adjacent[j[keep]]
            todo = ~keep
    if todo.any():
        shapely.prepare(held)
        adjacent[todo] = shapely.dwithin(held, shapely.points(mid[todo]), ADJACENT_DEG)
    _last_held = _Held(land, boundary, segments, adjacent)
    return adjacent


def front_line(a: np.ndarray, b: np.ndarray) -> tuple[shapely.Geometry, float]:
    """The front segments merged into lines (lon/lat) and their geodesic length in km."""
    if len(a) == 0:
        return shapely.MultiLineString(), 0.0
    dist = _lengths_m(a, b)
    runs = _runs(a, b)
    if runs is None:  # one MultiLineString of 2-point lines, built in one call
        n = len(a)
        runs = np.stack([a, b], axis=1).reshape(-1, 2), np.arange(0, 2 * n + 1, 2)
    points, offsets = runs
    lines = shapely.from_ragged_array(
        shapely.GeometryType.MULTILINESTRING, points, (offsets, np.array([0, len(offsets) - 1]))
    )[0]
    return shapely.line_merge(lines), float(np.sum(dist)) / 1000.0


def _lengths_m(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Geodesic length (m) of each segment a → b. When these are the segments :func:`distances_km`
    saw last, those the day before had keep that day's lengths (a segment's length is its own,
    ``Geod.inv`` measures each pair alone): only the new segments are measured."""
    front = _last_front if _last_front is not None and _last_front.a is a and _last_front.b is b else None
    before = front.previous_lengths if front is not None else None
    if before is None:
        lengths = WGS84.inv(a[:, 0], a[:, 1], b[:, 0], b[:, 1])[2]
    else:
        found, j = front.found, front.j
        lengths = np.empty(len(a))
        lengths[found] = before[j[found]]
        new = ~found
        lengths[new] = WGS84.inv(a[new, 0], a[new, 1], b[new, 0], b[new, 1])[2]
    if front is not None:
        front.lengths, front.previous_lengths = lengths, None
    return lengths


def _runs(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The segments a → b chained into runs (points, offsets of each run), so that line_merge
    sews a few hundred lines instead of thousands of segments, with the same result: GEOS's
    line_merge builds a graph whose nodes are the lines' ends and joins edges at nodes of degree
    2, starting in node order (x, then y), and orients each merged line as most of its edges
    are. A run therefore ends wherever the segments' graph has a node of degree ≠ 2 (the same
    nodes and edges between them) and at its lowest vertex (an isolated loop starts at its lowest
    vertex in both graphs); and when two runs meet head to head or tail to tail (a merged line
    whose edges disagree in direction: the majority could differ), None (merge the segments)."""
    real = np.any(a != b, axis=1)  # line_merge drops zero-length segments
    a, b = a[real], b[real]
    n = len(a)
    if n == 0:
        return None
    za, zb = a[:, 0] + 1j * a[:, 1], b[:, 0] + 1j * b[:, 1]  # complex order is (x, y)
    _, node, degree = np.unique(np.concatenate([za, zb]), return_inverse=True, return_counts=True)
    ia, ib = node[:n], node[n:]
    joined = (ib[:-1] == ia[1:]) & (degree[ib[:-1]] == 2)
    first = np.flatnonzero(np.concatenate([[True], ~joined]))
    run = np.cumsum(np.concatenate([[True], ~joined])) - 1
    joined &= zb[:-1] != np.minimum.reduceat(za, first)[run[:-1]]
    breaks = np.concatenate([[True], ~joined])
    first = np.flatnonzero(breaks)
    last = np.append(first[1:] - 1, n - 1)
    ends = np.bincount(np.concatenate([ia[first], ib[last]]), minlength=len(degree))
    if np.any((ends == 2) & (np.bincount(ia[first], minlength=len(degree)) != 1)):
        return None
    run = np.cumsum(breaks) - 1
    offsets = np.concatenate([[0], np.cumsum(last - first + 2)])
    points = np.empty((offsets[-1], 2))
    points[offsets[run] + np.arange(n) - first[run]] = a
    points[offsets[1:] - 1] = b[last]
    return points, offsets


def _segment_samples(pa_: np.ndarray, pb: np.ndarray, step_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Points every ``step_m`` (at most) along each projected segment pa_ → pb, its start included
    and its end not, and where each segment's points begin (offsets, one more than segments).
    A segment's points depend on that segment alone."""
    pieces = np.maximum(1, np.ceil(np.hypot(*(pb - pa_).T) / step_m)).astype(int)
    seg = np.repeat(np.arange(len(pa_)), pieces)
    offsets = np.concatenate([[0], np.cumsum(pieces)])
    t = ((np.arange(len(seg)) - offsets[seg]) / pieces[seg])[:, None]
    return pa_[seg] + t * (pb[seg] - pa_[seg]), offsets


def _sample_points(pa_, pb, found, j, last: _Front | None) -> tuple[np.ndarray, np.ndarray]:
    """(shapely points, offsets) of :func:`_segment_samples`; the points of segments the last day
    had (``found``, at ``j`` in ``last``: :func:`_match`) are that day's objects (making thousands
    of points a day was the costliest part of a day's distances): only the segments added since
    are sampled and made into points."""
    if last is None:
        samples, offsets = _segment_samples(pa_, pb, COARSE_STEP_M)
        return shapely.points(samples), offsets
    counts = np.where(found, last.sample_offsets[j + 1] - last.sample_offsets[j], 0)
    added, added_offsets = _segment_samples(pa_[~found], pb[~found], COARSE_STEP_M)
    counts[~found] = np.diff(added_offsets)
    offsets = np.concatenate([[0], np.cumsum(counts)])
    points = np.empty(offsets[-1], dtype=object)
    own = np.repeat(found, counts)
    seg = np.repeat(np.arange(len(pa_)), counts)
    within = np.arange(offsets[-1]) - offsets[seg]
    points[own] = last.sample_points[last.sample_offsets[j[seg[own]]] + within[own]]
    points[~own] = shapely.points(added)
    return points, offsets


def distances_km(a: np.ndarray, b: np.ndarray, places: Places) -> np.ndarray:
    """Distance (km, ≥ 0) from each place to the front; NaN without a front.

    In the projected plane, with STRtrees: first to samples of the front every 1 km (a sample is
    at most 0.5 km from the true nearest point, so the distance is at most (0.5 km)²/2d too long:
    < 0.0125 km from 10 km on), then, for places within 10 km, exactly to the segments.

    Both are minima over the front's segments of a value that depends on the segment alone, so a
    day after a similar one (consecutive days share almost every segment) recomputes only the
    places the changed segments could reach (:func:`_changed_places`); the rest keep the last
    day's values exactly.
    """
    global _last_front
    if len(a) == 0:
        _last_front = None
        return np.full(len(places.ids), np.nan)
    keys = _Rows(np.hstack([a, b]))
    last = _last_front if _last_front is not None and _last_front.places is places else None
    if last is None:
        found = j = None
        pa_, pb = _projected(a), _projected(b)
    else:  # the segments the last day had keep their projected ends (a point's projection is its own)
        found, j = _match(keys, last.keys)
        pa_, pb = np.empty_like(a), np.empty_like(b)
        pa_[found], pb[found] = last.pa[j[found]], last.pb[j[found]]
        pa_[~found], pb[~found] = _projected(a[~found]), _projected(b[~found])
    redo = _changed_places(last, keys, found, pa_, pb, places) if last is not None else None
    sample_points, sample_offsets = _sample_points(pa_, pb, found, j, last)
    lines = np.empty(len(a), dtype=object)  # the segments as shapely lines, made when first needed
    if last is not None:
        lines[found] = last.lines[j[found]]
    if redo is None:
        coarse, exact = _full_m(pa_, pb, sample_points, places.points, lines)
    else:
        coarse, exact = last.coarse.copy(), last.exact.copy()
        if len(redo):
            coarse[redo], exact[redo] = _full_m(pa_, pb, sample_points, places.points[redo], lines)
    _last_front = _Front(places, keys, a, b, pa_, pb, coarse, exact)
    _last_front.sample_points, _last_front.sample_offsets = sample_points, sample_offsets
    _last_front.lines = lines
    if last is not None and last.lengths is not None:  # for _lengths_m
        _last_front.found, _last_front.j, _last_front.previous_lengths = found, j, last.lengths
    dist = np.where(coarse < REFINE_WITHIN_M, exact, coarse)
    return dist / 1000.0


def _nearest_m(targets: np.ndarray, points: np.ndarray) -> np.ndarray:
    (index, _), dist = shapely.STRtree(targets).query_nearest(points, return_distance=True, all_matches=False)
    out = np.empty(len(points))
    out[index] = dist
    return out


def _full_m(
    pa_: np.ndarray, pb: np.ndarray, sample_points: np.ndarray, points: np.ndarray, lines: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(coarse, exact) distances (m) of ``points`` to the projected segments; exact only where
    coarse is under :data:`REFINE_WITHIN_M` (NaN elsewhere). ``sample_points``: the segments'
    samples (:func:`_sample_points`); ``lines``: the segments as shapely lines where made already
    (None elsewhere: the ones needed are made here, in place; a segment the last day had keeps
    that day's object)."""
    # A segment's end is the start of the next along a line: one point in the tree, not two (the
    # same nearest distance, a smaller tree); the other ends join the samples.
    ends = np.ones(len(pb), dtype=bool)
    ends[:-1] = np.any(pb[:-1] != pa_[1:], axis=1)
    coarse = _nearest_m(np.concatenate([sample_points, shapely.points(pb[ends])]), points)
    exact = np.full(len(points), np.nan)
    near = coarse < REFINE_WITHIN_M
    if near.any():
        # Only segments that can be nearest: within a place's coarse distance (≥ its exact one)
        # of the box around those places.
        xy = shapely.get_coordinates(points[near])
        reach = coarse[near].max() + 1.0
        lo, hi = xy.min(axis=0) - reach, xy.max(axis=0) + reach
        inside = np.all((np.maximum(pa_, pb) >= lo) & (np.minimum(pa_, pb) <= hi), axis=1)
        missing = inside & np.equal(lines, None)
        if missing.any():
            lines[missing] = shapely.linestrings(np.stack([pa_[missing], pb[missing]], axis=1))
        exact[near] = _nearest_m(lines[inside], points[near])
    return coarse, exact


class _Front:
    """The last front distances_km saw in this process, what it computed for it, the shapely
    points of its samples (:func:`_sample_points`) and its segments as lines (:func:`_full_m`)."""

    def __init__(self, places, keys, a, b, pa_, pb, coarse, exact):
        self.places, self.keys, self.a, self.b, self.pa, self.pb = places, keys, a, b, pa_, pb
        self.coarse, self.exact = coarse, exact
        self.sample_points: np.ndarray = np.empty(0, dtype=object)
        self.sample_offsets: np.ndarray = np.zeros(1, dtype=np.int64)
        self.lines: np.ndarray = np.empty(0, dtype=object)
        # the segments' geodesic lengths once measured (_lengths_m); the last front's meanwhile,
        # with which of these segments it had (found) and where (j)
        self.lengths: np.ndarray | None = None
        self.previous_lengths: np.ndarray | None = None
        self.found: np.ndarray | None = None
        self.j: np.ndarray | None = None


_last_front: _Front | None = None
_KEY_MULTIPLIERS = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93], np.uint64)
CHANGE_CELL_M = 20_000.0  # changed segments are boxed per cell of this size (projected)
MAX_CHANGED_SHARE = 0.25  # beyond this share of changed segments, distances are computed afresh


class _Rows:
    """Rows of exact coordinates (segments), with a 64-bit hash of each and the hashes' order,
    to find which rows two sets share (matches are then checked exactly)."""

    def __init__(self, rows: np.ndarray):
        self.rows = np.ascontiguousarray(rows, dtype=float)
        bits = self.rows.view(np.uint64)
        self._keyed((bits * _KEY_MULTIPLIERS[: self.rows.shape[1]]).sum(axis=1, dtype=np.uint64))

    def _keyed(self, keys: np.ndarray) -> None:
        self.keys = keys
        self.order = np.argsort(self.keys)
        self.sorted_keys = self.keys[self.order]

    def subset(self, mask: np.ndarray) -> _Rows:
        """The rows where ``mask`` holds (their hashes taken over, not recomputed)."""
        out = _Rows.__new__(_Rows)
        out.rows = self.rows[mask]
        out._keyed(self.keys[mask])
        return out

    def __len__(self) -> int:
        return len(self.rows)


def _match(these: _Rows, other: _Rows) -> tuple[np.ndarray, np.ndarray]:
    """(found, index): whether each of ``these`` rows is among ``other``'s (exactly) and where."""
    if len(other) == 0 or len(these) == 0:
        return np.zeros(len(these), dtype=bool), np.zeros(len(these), dtype=np.int64)
    # Sorted needles into sorted keys: the same positions as searching ``these.keys`` with
    # ``sorter=other.order``, several times faster (memory is walked in order).
    pos = np.empty(len(these), dtype=np.intp)
    pos[these.order] = np.searchsorted(other.sorted_keys, these.sorted_keys)
    j = other.order[np.minimum(pos, len(other) - 1)]
    return (other.keys[j] == these.keys) & np.all(other.rows[j] == these.rows, axis=1), j


def _changed_places(last: _Front, keys, found, pa_, pb, places: Places) -> np.ndarray | None:
    """Indices of the places whose distance can differ from ``last``'s, or None when too much
    changed. A place keeps its distances when every segment added or removed is farther than
    its last coarse distance: then the last minimum was reached on a segment still there, and
    no new segment comes closer (exact distances are ≤ coarse ones, and the bound is taken to
    boxes that contain the changed segments and their samples)."""
    added = ~found  # found: which of ``keys`` the last day had (:func:`_match`)
    removed = ~_match(last.keys, keys)[0]
    if added.sum() + removed.sum() > MAX_CHANGED_SHARE * len(keys):
        return None
    if not added.any() and not removed.any():
        return np.empty(0, dtype=np.int64)
    seg_lo = np.concatenate([np.minimum(pa_[added], pb[added]), np.minimum(last.pa[removed], last.pb[removed])])
    seg_hi = np.concatenate([np.maximum(pa_[added], pb[added]), np.maximum(last.pa[removed], last.pb[removed])])
    lo, hi = overlay.cell_bounds(seg_lo, seg_hi, CHANGE_CELL_M)
    lo, hi = lo - 1.0, hi + 1.0  # a metre of slack for rounding
    xy = places.xy
    dx = np.maximum(np.maximum(lo[:, None, 0] - xy[None, :, 0], xy[None, :, 0] - hi[:, None, 0]), 0.0)
    dy = np.maximum(np.maximum(lo[:, None, 1] - xy[None, :, 1], xy[None, :, 1] - hi[:, None, 1]), 0.0)
    bound = np.sqrt(dx * dx + dy * dy).min(axis=0)
    return np.flatnonzero(bound <= last.coarse)


STATUSES = ("ukraine", "grey_zone", "occupied")  # status codes classify returns index these
API_CLASS_NAMES = tuple(cls for cls, _ in API_STATUS)  # and api_class codes these (-1: NULL)


def classify(source: str, classes: dict[str, shapely.Geometry], places: Places) -> tuple[np.ndarray, np.ndarray]:
    """(status code, api_class code) per place, indices into :data:`STATUSES` and
    :data:`API_CLASS_NAMES` (-1: NULL). Archive: occupied or ukraine. API: the first class of
    :data:`API_STATUS` containing the point (none: ukraine, api_class NULL)."""
    n = len(places.ids)
    status = np.zeros(n, dtype=np.int8)
    api_class = np.full(n, -1, dtype=np.int8)
    if source == "deepstate":
        occupied = classes["occupied_total"]
        shapely.prepare(occupied)
        status[shapely.contains_xy(occupied, places.lon, places.lat)] = STATUSES.index("occupied")
        return status, api_class
    global _last_within
    last = _last_within[1] if _last_within is not None and _last_within[0] is places else {}
    now: dict[int, tuple[shapely.Geometry, np.ndarray]] = {}
    open_ = np.ones(n, dtype=bool)
    for code, (cls, meaning) in enumerate(API_STATUS):
        geom = classes.get(cls)
        if isinstance(geom, list):  # features of the layer (see api_layers)
            hit = open_ & _within_any(geom, places, last, now)
        elif geom is None or geom.is_empty:
            continue
        else:
            shapely.prepare(geom)
            hit = open_ & shapely.contains_xy(geom, places.lon, places.lat)
        status[hit], api_class[hit] = STATUSES.index(meaning), code
        open_ &= ~hit
    _last_within = (places, now)
    return status, api_class


# The places within each grey zone or liberated feature of the last API day classified in this
# process: id(feature) → (the feature, which keeps the id its own, indices of the places).
_last_within: tuple[Places, dict[int, tuple[shapely.Geometry, np.ndarray]]] | None = None
_place_tree: tuple[Places, shapely.STRtree] | None = None


def _within_any(features: list, places: Places, last: dict, now: dict) -> np.ndarray:
    """Whether each place lies within (in the interior of) one of ``features``. Asked from the
    features' side (``contains``, the same relation: each feature prepared once, tested against
    the places in its box) and remembered per feature: one that :func:`api_layers` carried over
    from the last snapshot keeps the last day's answer (a feature's places depend on it alone).
    ``last``/``now``: that memory (see :data:`_last_within`)."""
    global _place_tree
    inside = np.zeros(len(places.ids), dtype=bool)
    for f in features:
        if id(f) in last and last[id(f)][0] is f:
            now[id(f)] = last[id(f)]
    new = [f for f in features if id(f) not in now]
    if new:
        if _place_tree is None or _place_tree[0] is not places:
            _place_tree = (places, shapely.STRtree(places.lonlat))
        feature, place = _place_tree[1].query(new, predicate="contains")
        for i, f in enumerate(new):
            now[id(f)] = (f, place[feature == i])
    for f in features:
        inside[now[id(f)][1]] = True
    return inside


def compute_day(
    source: str, classes: dict[str, shapely.Geometry], places: Places, land: LandMask
) -> tuple[np.ndarray, np.ndarray, np.ndarray, shapely.Geometry, float, shapely.Geometry]:
    """(status code, api_class code (see :func:`classify`), signed distance km, front line,
    front length km, simplified occupied area) of one day."""
    status, api_class = classify(source, classes, places)
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
    them (WKB of region_step.OCCUPIED_LAYERS; None when not stored for this snapshot's payload
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


_UNITED = ("occupied_after_2022", "occupied_before_2022")
_BY_FEATURE = ("grey_zone", "liberated")


def api_layers(features: list[tuple[str, bytes]], regions, united: tuple[bytes, ...] | None = None) -> dict:
    """The API classes a settlement day needs. The occupied layers and their union as
    :func:`transforms.territory.region_step.api_classes` makes them (the front follows that
    union): ``united``, the WKB the per-region step stored of them for the same payload and
    method (core.api_occupied_layers: the same geometries, not united twice), else united here;
    the grey zone and liberated layers as lists of their features, filtered as there (a
    stray drawing far from Ukraine, liberated Kursk): a place is in such a layer when one of its
    features contains it. That is the layer's union except for a place lying exactly on a
    boundary between two features (none on the whole mirror), and it spares uniting hundreds of
    features per snapshot — the costliest part of an API day. A feature the last snapshot this
    process read also had (the same class and WKB: ~80 % of them) keeps that snapshot's geometry,
    or its exclusion: what becomes of a feature depends on it and the regions alone."""
    global _last_features
    if united is not None:
        classes = dict(zip(region_step.OCCUPIED_LAYERS, shapely.from_wkb(list(united)), strict=True))
    else:
        classes = region_step.api_classes([f for f in features if f[0] in _UNITED], regions)
    last = _last_features[1] if _last_features is not None and _last_features[0] is regions else {}
    seen: dict[tuple[str, bytes], shapely.Geometry | None] = {}
    for cls in _BY_FEATURE:
        classes[cls] = []
    for key in features:
        if key[0] not in _BY_FEATURE:
            continue
        if key not in seen:
            seen[key] = last[key] if key in last else _layer_feature(*key, regions)
        if seen[key] is not None:
            classes[key[0]].append(seen[key])
    _last_features = (regions, seen)
    return classes


# The grey zone and liberated features of the last snapshot api_layers read (with the regions
# they were filtered against): (class, WKB) → geometry, None when left out.
_last_features: tuple[object, dict] | None = None


def _layer_feature(cls: str, wkb: bytes, regions) -> shapely.Geometry | None:
    """A grey zone or liberated feature as a valid geometry; None for a stray drawing far from
    Ukraine or liberated Kursk (:func:`api_layers`)."""
    geom = shapely.from_wkb(wkb)
    if not region_step.UKRAINE_ENVELOPE.intersects(geom):
        return None
    if cls == "liberated" and region_step.held_in_kursk(geom, regions):
        return None
    return shapely.make_valid(geom)


_worker: tuple = ()  # (places, land mask, regions) in a worker, set when it starts


def _start_worker(places: Places, land: LandMask, regions) -> None:
    region_step._worker_signals()
    global _worker
    _worker = (places, land, regions)


def _worker_job(task: tuple) -> tuple:
    return _compute(task, *_worker)


@contextmanager
def _computer(places: Places, regions, days: int) -> Iterator[Callable[[list[tuple]], Iterable[tuple]]]:
    """Yields a function that starts computing a batch of tasks (:func:`_compute`) and returns
    their results, in order, as they come. With many days (as the per-region step: region_step.workers,
    PARALLEL_MIN_DAYS) one pool of forked workers serves the whole update: it returns at once,
    so the main process reads the next batch and inserts the last one while the workers compute,
    and a worker carries its last day over from batch to batch. The workers inherit the places,
    land mask and regions at the fork; each batch's inputs travel with its tasks."""
    land = LandMask(regions.union)
    n = region_step.workers()
    if n < 2 or days < region_step.PARALLEL_MIN_DAYS:
        yield lambda tasks: [_compute(task, places, land, regions) for task in tasks]
        return
    with mp.get_context("fork").Pool(n, initializer=_start_worker, initargs=(places, land, regions)) as pool:
        yield lambda tasks: pool.imap(_worker_job, tasks, chunksize=max(1, len(tasks) // (n * 8)))
        pool.close()  # workers exit on their own; leaving the block would SIGTERM them
        pool.join()


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
    con.register("incoming_settlement_rows", frame)
    try:
        con.execute(f"INSERT INTO {table} SELECT * FROM incoming_settlement_rows")  # noqa: S608 - fixed names
    finally:
        con.unregister("incoming_settlement_rows")


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
    regions = region_step.Regions(regions_rows)
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
    con.register("replaced_settlement_days", _keyed(days, {}))
    try:
        for table in ("core.settlement_day_inputs", "core.settlement_day_status", "core.front_line_day"):
            con.execute(
                f"DELETE FROM {table} AS t USING replaced_settlement_days AS r"  # noqa: S608 - fixed names
                " WHERE t.source = r.source AND t.date = r.date"
            )
    finally:
        con.unregister("replaced_settlement_days")


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
