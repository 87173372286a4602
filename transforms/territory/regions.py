"""The oblasts a day's geometry is split over (:class:`Regions`) and what an API snapshot's
classes are made of (:func:`api_classes`): the inputs of the per-region step
(:mod:`.region_step`) and of the settlement step.

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

import numpy as np
import shapely

from transforms.territory.geometry import area_km2
from warehouse.ingest import plausibility

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
                cut = shapely.intersection(combined(polygons[crossing]), self.geoms[i])
                pieces.extend(p for p in shapely.get_parts(cut) if p.geom_type == "Polygon" and not p.is_empty)
                part = cut if not len(inside) else combined(np.array(pieces))
            else:
                part = combined(np.array(pieces))
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


def polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def combined(polygons: np.ndarray) -> shapely.Geometry:
    """Polygons that do not overlap as one geometry (one Polygon as it is)."""
    return polygons[0] if len(polygons) == 1 else shapely.multipolygons(polygons)


def overlay_polygons(geom: shapely.Geometry) -> shapely.Geometry:
    """The polygons of an overlay result: a Polygon or MultiPolygon (what an overlay of polygons
    gives) as it is, valid already; anything else through :func:`polygonal`."""
    return geom if geom.geom_type in ("Polygon", "MultiPolygon") else polygonal(geom)


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
    out = {cls: polygonal(shapely.make_valid(shapely.union_all(g))) for cls, g in by_class.items()}
    occupied = [out[c] for c in ("occupied_after_2022", "occupied_before_2022") if c in out]
    out["occupied_total"] = shapely.union_all(occupied) if occupied else shapely.Polygon()
    for cls in API_CLASSES:
        out.setdefault(cls, shapely.Polygon())
    return out
