"""Oblast boundaries: land the OSM GeoJSON of Ukraine's 25 first-level regions in the raw layer.

Three of the polygons are invalid as published; they are repaired with ``shapely.make_valid`` and
flagged (``repaired``). Every feature must carry an ISO 3166-2 code ``UA-nn`` and both names.
"""

from __future__ import annotations

import json

import duckdb
import shapely
from shapely.geometry import shape

from warehouse.ingest import plausibility, quarantine
from warehouse.ingest.fetch import fetch
from warehouse.ingest.parse import ParseError
from warehouse.ingest.raw import WHOLE_FILE_KEY, Ingested
from warehouse.ingest.sources import OBLAST_BOUNDARIES
from warehouse.store.config import Settings

SOURCE = OBLAST_BOUNDARIES.name


def parse(payload) -> list[tuple]:
    """Rows ``(feature, region_code, name_en, name_uk, geometry_wkb, repaired)``."""
    try:
        doc = json.loads(payload.content.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ParseError(SOURCE, payload.uri, None, f"invalid GeoJSON: {exc}") from exc
    features = doc.get("features") if isinstance(doc, dict) else None
    if not features:
        raise ParseError(SOURCE, payload.uri, None, "not a FeatureCollection with features")
    rows, seen = [], set()
    for i, feature in enumerate(features):
        props = feature.get("properties") or {}
        code = props.get("iso3166-2")
        name_en, name_uk = props.get("name:en"), props.get("name:uk") or props.get("name")
        if not (isinstance(code, str) and code.startswith("UA-") and name_en and name_uk):
            raise ParseError(
                SOURCE, payload.uri, f"feature {i}", f"needs iso3166-2 'UA-nn', name:en and name:uk, got {code!r}"
            )
        if code in seen:
            raise ParseError(SOURCE, payload.uri, f"feature {i}", f"region {code} appears twice")
        seen.add(code)
        try:
            geom = shape(feature["geometry"])
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ParseError(SOURCE, payload.uri, f"feature {i}", f"unreadable geometry: {exc}") from exc
        plausibility.geometry(SOURCE, payload.uri, f"feature {i} ({code})", geom)
        repaired = not geom.is_valid
        if repaired:
            geom = shapely.make_valid(geom, method="structure")
        if geom.geom_type not in ("Polygon", "MultiPolygon") or geom.is_empty:
            raise ParseError(SOURCE, payload.uri, f"feature {i}", f"expected a (Multi)Polygon, got {geom.geom_type}")
        wkb = shapely.to_wkb(shapely.orient_polygons(geom, exterior_cw=False))
        rows.append((i, code, name_en, name_uk, wkb, repaired))
    return rows


def ingest(con: duckdb.DuckDBPyConnection, settings: Settings) -> Ingested:
    """Same bytes as the current version: nothing happens; new bytes: a new version."""
    uri = OBLAST_BOUNDARIES.url(settings.sources)
    payload = fetch(uri, interval_s=settings.http_interval_s)
    if payload is None:
        raise ParseError(SOURCE, uri, None, "boundaries file not found")
    current = con.execute(
        "SELECT version, sha256 FROM raw.current_payloads WHERE source = ? AND key = ?", [SOURCE, WHOLE_FILE_KEY]
    ).fetchall()
    if current and current[0][1] == payload.sha256:
        return Ingested(SOURCE, WHOLE_FILE_KEY, "unchanged", uri, current[0][0], payload.sha256)
    try:
        rows = parse(payload)
        if current:  # a cut-off file that still parses loses regions
            before = {
                r[0]
                for r in con.execute(
                    "SELECT region_code FROM raw.oblast_boundaries WHERE version = ?", [current[0][0]]
                ).fetchall()
            }
            lost = sorted(before - {r[1] for r in rows})
            if lost:
                raise plausibility.Implausible(
                    SOURCE, uri, None, f"regions of the previous version are missing: {', '.join(lost)}"
                )
    except ParseError as exc:
        quarantine.put(settings.quarantine_dir, SOURCE, WHOLE_FILE_KEY, payload, exc)
        raise
    version = (current[0][0] if current else 0) + 1
    con.begin()
    try:
        con.execute(
            "INSERT INTO raw.payloads VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                SOURCE,
                WHOLE_FILE_KEY,
                version,
                uri,
                payload.sha256,
                payload.fetched_at,
                len(payload.content),
                payload.content,
            ],
        )
        con.executemany("INSERT INTO raw.oblast_boundaries VALUES (?, ?, ?, ?, ?, ?, ?)", [[version, *r] for r in rows])
        con.commit()
    except BaseException:
        con.rollback()
        raise
    repaired = [r[1] for r in rows if r[5]]
    quirks = [f"{len(repaired)} region polygons repaired with make_valid: {', '.join(repaired)}"] if repaired else []
    return Ingested(SOURCE, WHOLE_FILE_KEY, "new", uri, version, payload.sha256, quirks)
