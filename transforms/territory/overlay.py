"""Gained and lost polygons between two snapshots, overlaid only where their boundaries differ.

Two consecutive DeepState maps share almost every boundary segment: the front moves in a few
places a day. A full ``difference`` still walks both whole polygons (hundreds of thousands of
vertices) twice a day. Here the segments present in one snapshot and not the other are found by
exact coordinate comparison, grouped into pairwise-disjoint boxes, and the overlay runs inside
those boxes only.

Why that is the same set: crossing a boundary segment shared by both snapshots flips membership
in both, so "in one and not the other" is constant away from the changed segments. The complement
of finitely many pairwise-disjoint closed boxes is connected and reaches infinity, where both
snapshots are empty, so nothing outside the boxes can be in one and not the other. Inside a box,
``(A ∩ box) − (B ∩ box) = (A − B) ∩ box``. The boxes have a margin, so no piece is cut by a box.
A cross-check on areas (what changed must add up to the change of the whole) falls back to the
plain ``difference`` if ever it does not hold.
"""

from __future__ import annotations

import numpy as np
import shapely

_POLYGON = 3
_MULTI = 4  # MultiPoint and up: the collections
CELL_DEG = 0.05  # grid cell grouping nearby changed segments (~5 km)
MARGIN_DEG = 0.01  # around each group: no piece of the change touches a box edge


def boundary_segments(geom: shapely.Geometry) -> np.ndarray:
    """Every boundary segment of the polygons in ``geom``, as rows (x1, y1, x2, y2) with the
    smaller end first (direction does not matter for membership)."""
    parts = shapely.get_parts(geom)
    polygons = parts[shapely.get_type_id(parts) == _POLYGON]
    rings = shapely.get_rings(polygons)
    if len(rings) == 0:
        return np.empty((0, 4))
    coords = shapely.get_coordinates(rings)
    ends = np.cumsum(shapely.get_num_coordinates(rings)) - 1  # last vertex of each ring
    keep = np.ones(len(coords) - 1, dtype=bool)
    keep[ends[:-1]] = False  # no segment from one ring's last vertex to the next ring's first
    seg = np.hstack([coords[:-1], coords[1:]])[keep]
    swap = (seg[:, 0] > seg[:, 2]) | ((seg[:, 0] == seg[:, 2]) & (seg[:, 1] > seg[:, 3]))
    seg[swap] = seg[swap][:, [2, 3, 0, 1]]
    return np.ascontiguousarray(seg)


def changed_segments(a: shapely.Geometry, b: shapely.Geometry) -> np.ndarray:
    """Segments on the boundary of exactly one of ``a`` and ``b`` (counted modulo 2: a segment
    twice in one geometry flips membership twice)."""
    both = np.concatenate([boundary_segments(a), boundary_segments(b)])
    if len(both) == 0:
        return both
    rows = both.view(np.dtype((np.void, both.dtype.itemsize * 4))).ravel()
    unique, index, counts = np.unique(rows, return_index=True, return_counts=True)
    return both[index[counts % 2 == 1]]


def _disjoint(boxes: list[list[float]]) -> list[list[float]]:
    """Merge boxes until no two intersect (touching counts)."""
    merged = True
    while merged:
        merged = False
        out: list[list[float]] = []
        for box in boxes:
            for other in out:
                if box[0] <= other[2] and other[0] <= box[2] and box[1] <= other[3] and other[1] <= box[3]:
                    other[:] = [
                        min(box[0], other[0]),
                        min(box[1], other[1]),
                        max(box[2], other[2]),
                        max(box[3], other[3]),
                    ]
                    merged = True
                    break
            else:
                out.append(list(box))
        boxes = out
    return boxes


def change_boxes(segments: np.ndarray) -> list[list[float]]:
    """Pairwise-disjoint boxes (xmin, ymin, xmax, ymax) covering every changed segment with a margin:
    segments in the same grid cell start in one box, then overlapping boxes merge."""
    if len(segments) == 0:
        return []
    xmin = np.minimum(segments[:, 0], segments[:, 2])
    xmax = np.maximum(segments[:, 0], segments[:, 2])
    ymin = np.minimum(segments[:, 1], segments[:, 3])
    ymax = np.maximum(segments[:, 1], segments[:, 3])
    lo, hi = cell_bounds(np.column_stack([xmin, ymin]), np.column_stack([xmax, ymax]), CELL_DEG)
    return _disjoint(np.hstack([lo - MARGIN_DEG, hi + MARGIN_DEG]).tolist())


def cell_bounds(lo: np.ndarray, hi: np.ndarray, cell: float) -> tuple[np.ndarray, np.ndarray]:
    """Segments given by their boxes' lower (``lo``) and upper (``hi``) corners, shape (n, 2),
    grouped by the grid cell of size ``cell`` their lower corner lies in: the (lower, upper)
    corners of each group's box, one row per occupied cell."""
    _, group = np.unique(np.floor(lo / cell).astype(np.int64), axis=0, return_inverse=True)
    group = group.ravel()
    out_lo = np.full((group.max() + 1, 2), np.inf)
    out_hi = np.full((group.max() + 1, 2), -np.inf)
    np.minimum.at(out_lo, group, lo)
    np.maximum.at(out_hi, group, hi)
    return out_lo, out_hi


def differences(a: shapely.Geometry, b: shapely.Geometry) -> tuple[shapely.Geometry, shapely.Geometry] | None:
    """``(a − b, b − a)`` computed inside the change boxes only, the parts of every box combined
    into one MultiPolygon each; None when the inputs are not plain polygonal geometries (the caller
    then uses ``shapely.difference``)."""
    found = changes(a, b)
    return None if found is None else found[:2]


def changes(a: shapely.Geometry, b: shapely.Geometry) -> tuple[shapely.Geometry, shapely.Geometry, np.ndarray] | None:
    """:func:`differences` and the change boxes as rectangles: outside them ``a`` and ``b`` are
    the same set (so is their part of any region the rectangles do not touch)."""
    if a.is_empty or b.is_empty:
        return None
    boxes = change_boxes(changed_segments(a, b))
    if not boxes:
        return shapely.Polygon(), shapely.Polygon(), np.empty(0, dtype=object)
    rects = shapely.box(*np.array(boxes).T)
    a_in = shapely.intersection(a, rects)
    b_in = shapely.intersection(b, rects)
    return _combined(shapely.difference(a_in, b_in)), _combined(shapely.difference(b_in, a_in)), rects


def _combined(pieces: np.ndarray) -> shapely.Geometry:
    """The polygons of the per-box pieces as one MultiPolygon: the boxes are pairwise disjoint
    (not even touching), so are their pieces, and no union is needed to make them one valid
    geometry (a union would rebuild every ring of the day's change)."""
    parts = shapely.get_parts(pieces)
    while (nested := shapely.get_type_id(parts) >= _MULTI).any():  # a collection inside a collection
        parts = np.concatenate([parts[~nested], shapely.get_parts(parts[nested])])
    polygons = parts[shapely.get_type_id(parts) == _POLYGON]
    polygons = polygons[~shapely.is_empty(polygons)]
    if len(polygons) == 0:
        return shapely.Polygon()
    return polygons[0] if len(polygons) == 1 else shapely.multipolygons(polygons)
