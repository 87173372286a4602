"""Oblast boundaries: the OSM GeoJSON of Ukraine's 25 first-level regions, landed in
``raw.oblast_boundaries`` (schema: ``sql/boundaries.sql``).

Three of the polygons are invalid as published; they are repaired with ``shapely.make_valid`` and
flagged (``repaired``). Every feature must carry an ISO 3166-2 code ``UA-nn`` and both names.
"""

from __future__ import annotations

import json

import shapely

from warehouse.ingest import plausibility
from warehouse.ingest.parse import Parsed, ParseError, feature_object, read_geometry
from warehouse.ingest.sources.base import RawTable, Source

SOURCE = "oblast_boundaries"
TABLE = RawTable(
    "raw.oblast_boundaries",
    ("feature", "region_code", "name_en", "name_uk", "geometry_wkb", "repaired"),
)


def parse(payload) -> list[tuple]:
    """Rows ``(feature, region_code, name_en, name_uk, geometry_wkb, repaired)``."""
    try:
        doc = json.loads(payload.content.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ParseError(SOURCE, payload.uri, None, f"invalid GeoJSON: {exc}") from exc
    features = doc.get("features") if isinstance(doc, dict) else None
    if not features or not isinstance(features, list):
        raise ParseError(SOURCE, payload.uri, None, "not a FeatureCollection with features")
    rows, seen = [], set()
    for i, feature in enumerate(features):
        props = feature_object(SOURCE, payload.uri, f"feature {i}", feature, "properties") or {}
        code = props.get("iso3166-2")
        name_en, name_uk = props.get("name:en"), props.get("name:uk") or props.get("name")
        if not (isinstance(code, str) and code.startswith("UA-") and name_en and name_uk):
            raise ParseError(
                SOURCE, payload.uri, f"feature {i}", f"needs iso3166-2 'UA-nn', name:en and name:uk, got {code!r}"
            )
        if code in seen:
            raise ParseError(SOURCE, payload.uri, f"feature {i}", f"region {code} appears twice")
        seen.add(code)
        geometry = feature_object(SOURCE, payload.uri, f"feature {i}", feature, "geometry")
        if not geometry:
            raise ParseError(SOURCE, payload.uri, f"feature {i}", "feature has no geometry")
        geom = read_geometry(SOURCE, payload.uri, f"feature {i}", geometry)
        plausibility.geometry(SOURCE, payload.uri, f"feature {i} ({code})", geom)
        repaired = not geom.is_valid
        if repaired:
            geom = shapely.make_valid(geom, method="structure")
        if geom.geom_type not in ("Polygon", "MultiPolygon") or geom.is_empty:
            raise ParseError(SOURCE, payload.uri, f"feature {i}", f"expected a (Multi)Polygon, got {geom.geom_type}")
        wkb = shapely.to_wkb(shapely.orient_polygons(geom, exterior_cw=False))
        rows.append((i, code, name_en, name_uk, wkb, repaired))
    return rows


def _rows(payload, key: str) -> Parsed:
    rows = parse(payload)
    repaired = [r[1] for r in rows if r[5]]
    quirks = [f"{len(repaired)} region polygons repaired with make_valid: {', '.join(repaired)}"] if repaired else []
    return Parsed(rows, quirks)


def _no_region_lost(
    con, source: Source, key: str, payload, parsed: Parsed, current_version: int | None, today
) -> list[str]:
    """A cut-off file that still parses loses regions (not acceptable by an operator)."""
    if current_version is not None:
        before = {
            r[0]
            for r in con.execute(
                "SELECT region_code FROM raw.oblast_boundaries WHERE version = ?", [current_version]
            ).fetchall()
        }
        lost = sorted(before - {r[1] for r in parsed.rows})
        if lost:
            raise plausibility.Implausible(
                SOURCE, payload.uri, None, f"regions of the previous version are missing: {', '.join(lost)}"
            )
    return []


OBLAST_BOUNDARIES = Source.declared(SOURCE, table=TABLE, parse=_rows, check=_no_region_lost)
