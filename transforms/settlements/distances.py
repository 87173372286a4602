"""Distances from every settlement to the front, in the plane of :mod:`.plane`, and the front
segments' geodesic lengths; both carried over from the last day a process computed wherever they
are exactly the same (:func:`distances_km`, :func:`segment_lengths_m`)."""

from __future__ import annotations

import numpy as np
import shapely

from transforms.settlements.plane import Places, projected
from transforms.settlements.segments import MAX_CHANGED_SHARE, Rows, match
from transforms.territory import overlay
from transforms.territory.geometry import WGS84

COARSE_STEP_M, REFINE_WITHIN_M = 1_000.0, 10_000.0  # see distances_km
CHANGE_CELL_M = 20_000.0  # changed segments are boxed per cell of this size (projected)


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
    had (``found``, at ``j`` in ``last``: :func:`~transforms.settlements.segments.match`) are that day's objects (making thousands
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
    keys = Rows(np.hstack([a, b]))
    last = _last_front if _last_front is not None and _last_front.places is places else None
    if last is None:
        found = j = None
        pa_, pb = projected(a), projected(b)
    else:  # the segments the last day had keep their projected ends (a point's projection is its own)
        found, j = match(keys, last.keys)
        pa_, pb = np.empty_like(a), np.empty_like(b)
        pa_[found], pb[found] = last.pa[j[found]], last.pb[j[found]]
        pa_[~found], pb[~found] = projected(a[~found]), projected(b[~found])
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
    if last is not None and last.lengths is not None:  # for segment_lengths_m
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
        # the segments' geodesic lengths once measured (segment_lengths_m); the last front's meanwhile,
        # with which of these segments it had (found) and where (j)
        self.lengths: np.ndarray | None = None
        self.previous_lengths: np.ndarray | None = None
        self.found: np.ndarray | None = None
        self.j: np.ndarray | None = None


_last_front: _Front | None = None


def _changed_places(last: _Front, keys, found, pa_, pb, places: Places) -> np.ndarray | None:
    """Indices of the places whose distance can differ from ``last``'s, or None when too much
    changed. A place keeps its distances when every segment added or removed is farther than
    its last coarse distance: then the last minimum was reached on a segment still there, and
    no new segment comes closer (exact distances are ≤ coarse ones, and the bound is taken to
    boxes that contain the changed segments and their samples)."""
    added = ~found  # found: which of ``keys`` the last day had (:func:`~transforms.settlements.segments.match`)
    removed = ~match(last.keys, keys)[0]
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


def segment_lengths_m(a: np.ndarray, b: np.ndarray) -> np.ndarray:
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
