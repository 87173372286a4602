"""DeepStateMap daily archive: one GeoJSON per day with the occupied territory, landed as one
(Multi)Polygon per day in ``raw.deepstate_snapshots`` (schema: ``sql/deepstate_archive.sql``)."""

from __future__ import annotations

import datetime as dt
import re

import shapely

from warehouse.ingest import plausibility
from warehouse.ingest.fetch import Payload
from warehouse.ingest.parse import Parsed, ParseError, feature_geometries, feature_object, read_geometry, read_json
from warehouse.ingest.sources.base import RawTable, Source
from warehouse.store.sqlfiles import load

DEEPSTATE_FIRST_DAY = dt.date(2024, 7, 8)

TABLE = RawTable(
    "raw.deepstate_snapshots",
    ("date", "sha256", "geometry_wkb", "repaired"),
    key_column="date",
)


def gap_days(con, before: dt.date, lookback_days: int) -> list[dt.date]:
    """The days among the ``lookback_days`` before ``before`` that have no archive file, between
    days that have one. Upstream fills such a gap late sometimes (the file appears after newer
    days'); a run covers only a few days before the newest day held, so without asking for these
    again a late file would never be landed (``FRONTLINE_GAP_RECHECK_DAYS``)."""
    if lookback_days <= 0:
        return []
    since = before - dt.timedelta(days=lookback_days)
    rows = con.execute(load("warehouse.ingest", "deepstate_gaps"), {"since": since, "before": before})
    return [day for (day,) in rows.fetchall()]


# Every archive file names its own day ("name": "deepstatemap_data_YYYYMMDD", all 717 of the mirror).
_NAMED_DAY = re.compile(r"deepstatemap_data_(\d{8})")


def deepstate_snapshot(payload: Payload, source: str = "deepstate", day: dt.date | None = None) -> tuple[bytes, bool]:
    """The day's occupied territory as WKB (polygons oriented counter-clockwise) and whether
    ``shapely.make_valid`` had to repair it. Several polygonal features are unioned. Read by
    GEOS when it can (:func:`~warehouse.ingest.parse.feature_geometries`), else walked in Python.
    ``day``: the day the file was fetched for; a file that names another day is refused (a stale
    or misplaced copy served under this day's name would otherwise land as this day's map)."""
    fast = feature_geometries(payload.content)
    doc = fast.document if fast else read_json(source, payload)
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise ParseError(source, payload.uri, None, "not a GeoJSON FeatureCollection")
    named = _NAMED_DAY.fullmatch(str(doc.get("name") or ""))
    if day is not None and named and named.group(1) != f"{day:%Y%m%d}":
        raise ParseError(
            source,
            payload.uri,
            None,
            f"the file names itself {doc['name']!r}, not the day {day} it was fetched for (a stale or misplaced copy?)",
        )
    features = doc.get("features")
    if not features:
        raise ParseError(source, payload.uri, None, "FeatureCollection has no features")
    if not isinstance(features, list):
        raise ParseError(source, payload.uri, None, f"'features' must be a JSON array, got {type(features).__name__}")
    parts = []
    for i, feature in enumerate(features):
        geometry = feature_object(source, payload.uri, f"feature {i}", feature, "geometry")
        if not geometry:
            raise ParseError(source, payload.uri, f"feature {i}", "feature has no geometry")
        geom = fast.geometries[i] if fast else read_geometry(source, payload.uri, f"feature {i}", geometry)
        if geom.geom_type not in ("Polygon", "MultiPolygon") or geom.is_empty:
            raise ParseError(source, payload.uri, f"feature {i}", f"expected a (Multi)Polygon, got {geom.geom_type}")
        plausibility.geometry(source, payload.uri, f"feature {i}", geom)
        parts.append(geom)
    # Each part is repaired before the union: GEOS cannot union self-intersecting polygons
    # (a TopologyException escaped as a traceback before).
    valid = shapely.is_valid(parts)  # once per part (~0.5 ms for a day's polygon)
    repaired = not valid.all()
    parts = [p if ok else shapely.make_valid(p, method="structure") for p, ok in zip(parts, valid, strict=True)]
    geom = parts[0] if len(parts) == 1 else shapely.union_all(parts)  # one part: valid by now
    if len(parts) > 1 and not geom.is_valid:
        repaired = True
        geom = shapely.make_valid(geom, method="structure")
    if geom.geom_type not in ("Polygon", "MultiPolygon") or geom.is_empty:
        # a ring collapsed to a line or a point (every vertex on one line): no area to land
        raise ParseError(source, payload.uri, None, f"the polygon collapses to a {geom.geom_type} when repaired")
    geom = shapely.orient_polygons(geom, exterior_cw=False)
    return shapely.to_wkb(geom), repaired


def _rows(payload: Payload, key: str) -> Parsed:
    day = dt.date.fromisoformat(key)
    wkb, repaired = deepstate_snapshot(payload, day=day)
    quirks = ["geometry repaired with make_valid"] if repaired else []
    return Parsed([(day, payload.sha256, wkb, repaired)], quirks)


def _on_ukraine(con, source: Source, key: str, payload: Payload, parsed: Parsed, current_version, today) -> list[str]:
    zone = plausibility.ukraine_zone(con)
    geom = shapely.from_wkb(parsed.rows[0][2])
    return plausibility.unless_accepted(
        con, source.name, payload.sha256, lambda: plausibility.on_ukraine(source.name, payload.uri, None, geom, zone)
    )


DEEPSTATE = Source.declared("deepstate", table=TABLE, parse=_rows, check=_on_ukraine)
