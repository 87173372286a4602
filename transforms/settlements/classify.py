"""Each settlement's status on a day: the archive's occupied polygon, or the API's classes
(:data:`API_STATUS`), tested against all settlements at once."""

from __future__ import annotations

import numpy as np
import shapely

from transforms.settlements.plane import Places
from transforms.territory import regions as territory

# API classes a point can fall in, most specific first; the status each one means.
API_STATUS = (
    ("occupied_before_2022", "occupied"),
    ("occupied_after_2022", "occupied"),
    ("grey_zone", "grey_zone"),
    ("liberated", "ukraine"),
)
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


def _within_any(features: list, places: Places, last: dict, now: dict) -> np.ndarray:
    """Whether each place lies within (in the interior of) one of ``features``. Asked from the
    features' side (``contains``, the same relation: each feature prepared once, tested against
    the places in its box) and remembered per feature: one that :func:`api_layers` carried over
    from the last snapshot keeps the last day's answer (a feature's places depend on it alone).
    ``last``/``now``: that memory (see :data:`_last_within`)."""
    inside = np.zeros(len(places.ids), dtype=bool)
    for f in features:
        if id(f) in last and last[id(f)][0] is f:
            now[id(f)] = last[id(f)]
    new = [f for f in features if id(f) not in now]
    if new:
        feature, place = places.tree.query(new, predicate="contains")
        for i, f in enumerate(new):
            now[id(f)] = (f, place[feature == i])
    for f in features:
        inside[now[id(f)][1]] = True
    return inside


_UNITED = ("occupied_after_2022", "occupied_before_2022")
_BY_FEATURE = ("grey_zone", "liberated")


def api_layers(features: list[tuple[str, bytes]], regions, united: tuple[bytes, ...] | None = None) -> dict:
    """The API classes a settlement day needs. The occupied layers and their union as
    :func:`transforms.territory.regions.api_classes` makes them (the front follows that
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
        classes = dict(zip(territory.OCCUPIED_LAYERS, shapely.from_wkb(list(united)), strict=True))
    else:
        classes = territory.api_classes([f for f in features if f[0] in _UNITED], regions)
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
    """A grey zone or liberated feature as a valid geometry, without its parts far from Ukraine
    (territory.near_ukraine); None when nothing is left or for liberated Kursk (:func:`api_layers`)."""
    geom = territory.near_ukraine(shapely.from_wkb(wkb))
    if geom is None:
        return None
    if cls == "liberated" and territory.held_in_kursk(geom, regions):
        return None
    return shapely.make_valid(geom)
