"""The front line: the part of the occupied area's boundary that faces Ukrainian-held land.

Boundary segments (split to at most :data:`MAX_SEGMENT_DEG`) whose midpoint lies inside the land
mask — the union of the oblast polygons — shrunk by :data:`FRONT_MARGIN_KM`, which drops the coast
and the state border with Russia (the occupied polygon follows them within a few hundred metres)
and keeps the Dnipro, and on the edge of the held mainland (not a lake's). Its length is geodesic.

A process computing days in a row keeps the answers of the segments the last day also had
(:func:`_in_core`, :func:`_on_held_mainland`): the results are exactly those of a day computed
alone.
"""

from __future__ import annotations

import numpy as np
import shapely

from transforms.settlements.distances import segment_lengths_m
from transforms.settlements.plane import Places, projected, to_plane
from transforms.settlements.segments import MAX_CHANGED_SHARE, Rows, match
from transforms.territory import overlay

FRONT_MARGIN_KM = 2.0
MAX_SEGMENT_DEG = 0.005  # ~0.35–0.55 km: the resolution at which a boundary piece is front or not
ADJACENT_DEG = 1e-6  # a front segment's midpoint lies on the held mainland's edge (overlay rounding)


class LandMask:
    """The oblast union (lon/lat), and that union shrunk by the front margin in the projected plane."""

    def __init__(self, union_lonlat: shapely.Geometry, margin_km: float = FRONT_MARGIN_KM):
        self.land = union_lonlat
        plane = shapely.transform(union_lonlat, lambda xy: np.column_stack(to_plane(xy[:, 0], xy[:, 1])))
        self.core = shapely.buffer(plane, -margin_km * 1000.0, quad_segs=4)
        shapely.prepare(self.core)
        self._unoccupied: tuple | None = None  # (occupied, its pieces, the largest's index): see unoccupied

    def unoccupied(self, occupied: shapely.Geometry) -> tuple[np.ndarray, int]:
        """The pieces of land not occupied and the index of the largest (-1: none), for the last
        ``occupied`` asked (the front and the statuses of a day ask for the same one)."""
        last = self._unoccupied
        if last is None or last[0] is not occupied:
            parts = shapely.get_parts(shapely.difference(self.land, occupied))
            largest = int(np.argmax(shapely.area(parts))) if len(parts) else -1
            last = self._unoccupied = (occupied, parts, largest)
        return last[1], last[2]

    def held_mainland(self, occupied: shapely.Geometry) -> shapely.Geometry:
        """The largest connected piece of land not occupied: Ukrainian-held land. The other pieces
        are lakes and lagoons the occupied polygon leaves out (Kerch salt lakes) and slivers
        between it and the state border — not land anyone holds against the front."""
        parts, largest = self.unoccupied(occupied)
        return parts[largest] if largest >= 0 else shapely.Polygon()

    def in_coastal_sliver(self, occupied: shapely.Geometry, places: Places, candidates: np.ndarray) -> np.ndarray:
        """Whether each place (of the ``candidates`` mask) lies in a piece of unoccupied land other than the held mainland
        that borders the occupied area and lies wholly within the front margin of the coast or
        the state border (it does not reach :attr:`core`): land the occupied polygon's coarse
        coastline leaves out (Yalta's shore on the API's 2022 Crimea layer, an Azov spit), with
        no front to Ukrainian-held land — occupied, not held. A held pocket cut off by the front
        reaches inland and is not one (Mariupol, April 2022), nor is an island the occupied area
        does not touch. The pieces are asked which places they contain (the places' tree), not
        the places where they lie: a day has a few hundred pieces and thousands of places."""
        out = np.zeros(len(candidates), dtype=bool)
        parts, largest = self.unoccupied(occupied)
        if len(parts) < 2:
            return out
        others = np.delete(parts, largest)
        piece, place = places.tree.query(others, predicate="contains")
        piece, place = piece[candidates[place]], place[candidates[place]]
        for k in np.unique(piece):
            if not shapely.intersects(occupied, others[k]):
                continue
            plane = shapely.transform(others[k], lambda xy: np.column_stack(to_plane(xy[:, 0], xy[:, 1])))
            if not shapely.intersects(self.core, plane):
                out[place[piece == k]] = True
        return out


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
    segments = Rows(np.hstack([a, b]))
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


def _in_core(land: LandMask, segments: Rows, mid: np.ndarray) -> np.ndarray:
    """Whether each segment's midpoint lies inside the shrunk land mask. A segment the last day
    computed in this process also had keeps its answer: the core is fixed and the midpoint is
    the segment's own, so only the new segments are projected and tested."""
    global _last_core
    inside = np.zeros(len(mid), dtype=bool)
    todo = np.ones(len(mid), dtype=bool)
    last = _last_core if _last_core is not None and _last_core.land is land else None
    if last is not None:
        found, j = match(segments, last.segments)
        inside[found] = last.inside[j[found]]
        todo = ~found
    if todo.any():
        xy = projected(mid[todo])
        inside[todo] = shapely.contains_xy(land.core, xy[:, 0], xy[:, 1])
    _last_core = _Core(land, segments, inside)
    return inside.copy()  # the caller narrows its copy down to the front


class _Held:
    """The last held mainland this process saw (its boundary segments) and which candidate
    front segments lay on it."""

    def __init__(self, land, boundary, segments, adjacent):
        self.land, self.boundary, self.segments, self.adjacent = land, boundary, segments, adjacent


_last_held: _Held | None = None


def _on_held_mainland(occupied, land: LandMask, a, b, mid, segments: Rows) -> np.ndarray:
    """Whether each candidate segment's midpoint lies within :data:`ADJACENT_DEG` of the held
    mainland. A segment that was a candidate on the last day this process computed keeps its
    answer unless its midpoint is near a box where the mainland's boundary changed: outside
    pairwise-disjoint boxes covering every changed boundary segment, the two mainlands hold the
    same points (transforms/territory/overlay.py says why), so the nearest piece of mainland,
    and the distance to it, are the same. ``segments``: the rows of ``a`` and ``b``."""
    global _last_held
    held = land.held_mainland(occupied)
    boundary = Rows(overlay.boundary_segments(held))
    adjacent = np.zeros(len(a), dtype=bool)
    todo = np.ones(len(a), dtype=bool)
    last = _last_held if _last_held is not None and _last_held.land is land else None
    if last is not None:
        gained, _ = match(boundary, last.boundary)
        lost, _ = match(last.boundary, boundary)
        changed = np.concatenate([boundary.rows[~gained], last.boundary.rows[~lost]])
        if len(changed) <= MAX_CHANGED_SHARE * max(len(boundary), 1):
            found, j = match(segments, last.segments)
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
    dist = segment_lengths_m(a, b)
    runs = _runs(a, b)
    if runs is None:  # one MultiLineString of 2-point lines, built in one call
        n = len(a)
        runs = np.stack([a, b], axis=1).reshape(-1, 2), np.arange(0, 2 * n + 1, 2)
    points, offsets = runs
    lines = shapely.from_ragged_array(
        shapely.GeometryType.MULTILINESTRING, points, (offsets, np.array([0, len(offsets) - 1]))
    )[0]
    return shapely.line_merge(lines), float(np.sum(dist)) / 1000.0


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
