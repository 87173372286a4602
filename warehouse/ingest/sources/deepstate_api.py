"""The original DeepStateMap history API: the list of snapshots and every snapshot's layers,
landed in ``raw.deepstate_api_index`` and ``raw.deepstate_api_features`` (schema: ``sql/deepstate_api.sql``).

Two layouts, one connector:

- over HTTP(S) the API's own shape: ``GET {base}/api/history/public`` lists ``{id, createdAt, …}``
  and ``GET {base}/api/history/{id}/geojson`` returns one snapshot (every layer, points included);
- a folder or ``file://`` base laid out like the mirror: ``deepstate_api/index.json`` and
  ``deepstate_api/{id}.geojson.gz`` (gzip is recognised by its magic bytes, whatever the layout).

A snapshot id is the unix second of publication and never changes upstream, so a snapshot already
landed is not fetched again; the listing is re-read every run (versioned like any payload). Only
the last snapshot of each Kyiv day is fetched (the one the facts use); the listing keeps them all.
Each polygon feature is landed with its upstream name, the class :mod:`transforms.territory.layers` gives it
and its geometry; a name no rule knows sends the whole payload to quarantine
(:class:`~transforms.territory.layers.UnknownLayer` names source, snapshot and name).

Which date a snapshot carries: its ``createdAt`` converted to Kyiv local time (Europe/Kyiv, where
the map is edited). Several snapshots can fall on one day; the day's fact uses the last one.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import zlib
from dataclasses import dataclass, field
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

import duckdb
import shapely

from transforms.territory.layers import UnknownLayer, classify_or_raise
from warehouse.ingest import land, plausibility
from warehouse.ingest.fetch import Payload, fetch
from warehouse.ingest.parse import Parsed, ParseError, feature_geometries, feature_object, read_geometry
from warehouse.ingest.sources.base import RawTable, Source
from warehouse.store.config import Settings

KYIV = ZoneInfo("Europe/Kyiv")
INDEX_KEY = "index"
POLYGONAL = ("Polygon", "MultiPolygon")
NAME = "deepstate_api"

INDEX_TABLE = RawTable(
    "raw.deepstate_api_index",
    ("snapshot_id", "created_at", "date"),
)
FEATURES_TABLE = RawTable(
    "raw.deepstate_api_features",
    ("snapshot_id", "feature", "name", "class", "geometry_wkb"),
    key_column="snapshot_id",
)


def _is_http(base: str | None) -> bool:
    return base is None or urlparse(base).scheme in ("http", "https")


def index_uri(base: str | None) -> str:
    if base is None:
        return DEEPSTATE_API.live_url
    if _is_http(base):
        return base.rstrip("/") + "/api/history/public"
    return base.rstrip("/") + "/deepstate_api/index.json"


def snapshot_uri(base: str | None, snapshot_id: int) -> str:
    if base is None:
        return DEEPSTATE_API.live_url.replace("/public", f"/{snapshot_id}/geojson")
    if _is_http(base):
        return base.rstrip("/") + f"/api/history/{snapshot_id}/geojson"
    return base.rstrip("/") + f"/deepstate_api/{snapshot_id}.geojson.gz"


def _decoded(payload: Payload) -> bytes:
    if payload.content[:2] != b"\x1f\x8b":
        return payload.content
    try:
        return gzip.decompress(payload.content)
    except (EOFError, OSError, zlib.error) as exc:  # cut off in transfer, or corrupt
        raise ParseError(NAME, payload.uri, None, f"not a readable gzip file (cut off?): {exc}") from exc


def _json(payload: Payload, row: str | None = None):
    content = _decoded(payload)
    if not content.strip():
        raise ParseError(NAME, payload.uri, row, "empty payload")
    try:
        return json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ParseError(NAME, payload.uri, row, f"invalid JSON: {exc}") from exc


def parse_index(payload: Payload) -> list[tuple[int, dt.datetime]]:
    """``(id, created_at)`` per listed snapshot, oldest first."""
    doc = _json(payload)
    if not isinstance(doc, list) or not doc:
        raise ParseError(NAME, payload.uri, None, "expected a non-empty JSON array of snapshots")
    out, listed = [], {}
    for i, item in enumerate(doc):
        try:
            snapshot_id = int(item["id"])
            created = dt.datetime.fromisoformat(str(item["createdAt"]).replace("Z", "+00:00"))
        except (KeyError, TypeError, ValueError) as exc:
            raise ParseError(
                NAME,
                payload.uri,
                f"element {i}",
                f"needs integer 'id' and ISO 'createdAt': {exc}",
            ) from exc
        if created.tzinfo is None:
            raise ParseError(NAME, payload.uri, f"element {i}", "createdAt has no time zone")
        if snapshot_id in listed:  # (the listing's table keys on the id: a DuckDB error otherwise)
            raise ParseError(
                NAME,
                payload.uri,
                f"element {i}",
                f"snapshot {snapshot_id} is listed twice (first at element {listed[snapshot_id]})",
            )
        listed[snapshot_id] = i
        out.append((snapshot_id, created))
    return sorted(out)


def snapshot_date(created_at: dt.datetime) -> dt.date:
    """The day a snapshot counts for: its publication time in Kyiv."""
    return created_at.astimezone(KYIV).date()


def last_of_each_day(entries: list[tuple[int, dt.datetime]]) -> list[int]:
    """Ids of the snapshots the facts use — the last published each Kyiv day — oldest first.
    Upstream lists several a day; only these are fetched."""
    last: dict[dt.date, tuple[dt.datetime, int]] = {}
    for snapshot_id, created in entries:
        day = snapshot_date(created)
        if day not in last or (created, snapshot_id) > last[day]:
            last[day] = (created, snapshot_id)
    return [snapshot_id for _, snapshot_id in sorted(last.values())]


@dataclass
class Snapshot:
    """Polygon features of one snapshot: rows ``(feature, name, class, geometry_wkb)``."""

    rows: list[tuple[int, str, str, bytes]] = field(default_factory=list)
    points: int = 0
    quirks: list[str] = field(default_factory=list)


def _polygonal(geom: shapely.Geometry) -> tuple[shapely.Geometry, int]:
    """The polygons of a geometry (GeometryCollections unwrapped) and how many other parts it had."""
    if geom.geom_type in POLYGONAL:
        return geom, 0
    parts = shapely.get_parts(geom)
    polys = [p for p in parts if p.geom_type in POLYGONAL]
    polys = [p if p.is_valid else shapely.make_valid(p, method="structure") for p in polys]
    return shapely.union_all(polys) if polys else shapely.Polygon(), len(parts) - len(polys)


def parse_snapshot(payload: Payload, snapshot_id: int) -> Snapshot:
    """Read by GEOS when it can (:func:`~warehouse.ingest.parse.feature_geometries`), else
    walked in Python; the same rows either way."""
    fast = feature_geometries(_decoded(payload))
    doc = fast.document if fast else _json(payload)
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection" or not isinstance(doc.get("features"), list):
        raise ParseError(NAME, payload.uri, None, "not a GeoJSON FeatureCollection")
    out = Snapshot()
    for i, feature in enumerate(doc["features"]):
        geometry = feature_object(NAME, payload.uri, f"feature {i}", feature, "geometry") or {}
        properties = feature_object(NAME, payload.uri, f"feature {i}", feature, "properties") or {}
        kind = geometry.get("type")
        if kind in ("Point", "MultiPoint", "LineString", "MultiLineString"):
            out.points += 1  # directions of attack, units, labels: not territory
            continue
        if kind not in (*POLYGONAL, "GeometryCollection"):
            raise ParseError(
                NAME,
                payload.uri,
                f"feature {i}",
                f"unexpected geometry type {kind!r}",
            )
        name = str(properties.get("name") or "")
        as_published = fast.geometries[i] if fast else read_geometry(NAME, payload.uri, f"feature {i}", geometry)
        try:
            cls = classify_or_raise(name, NAME, f"{snapshot_id} ({payload.uri}) feature {i}")
            out.quirks.extend(plausibility.api_layer(payload.uri, f"feature {i}", cls, as_published))
            geom, dropped = _polygonal(as_published)
        except (ValueError, TypeError, AttributeError, IndexError) as exc:
            if isinstance(exc, ParseError):
                raise
            if isinstance(exc, UnknownLayer):
                raise ParseError(NAME, payload.uri, f"feature {i}", str(exc)) from exc
            raise ParseError(NAME, payload.uri, f"feature {i}", f"unreadable geometry: {exc}") from exc
        if dropped:
            out.quirks.append(f"feature {i}: {dropped} non-polygon parts of a GeometryCollection ignored")
        if not geom.is_valid:
            geom = shapely.make_valid(geom, method="structure")
            out.quirks.append(f"feature {i}: geometry repaired with make_valid")
        if geom.is_empty:
            out.quirks.append(f"feature {i}: empty polygon layer {name!r}")
            continue
        out.rows.append((i, name, cls, shapely.to_wkb(shapely.orient_polygons(geom, exterior_cw=False))))
    return out


def _rows(payload: Payload, key: str) -> Parsed:
    """The listing's rows ``(snapshot_id, created_at, date)`` or a snapshot's ``(snapshot_id, feature,
    name, class, geometry_wkb)``, by payload key."""
    if key == INDEX_KEY:
        return Parsed([(i, created, snapshot_date(created)) for i, created in parse_index(payload)])
    snapshot_id = int(key)
    parsed = parse_snapshot(payload, snapshot_id)
    return Parsed([(snapshot_id, *row) for row in parsed.rows], parsed.quirks)


def _check(con, source: Source, key: str, payload: Payload, parsed: Parsed, current_version, today) -> list[str]:
    if key == INDEX_KEY:
        return plausibility.unless_accepted(con, NAME, payload.sha256, _plausible_index, con, payload, parsed, today)
    zone = plausibility.ukraine_zone(con)
    return plausibility.unless_accepted(
        con,
        NAME,
        payload.sha256,
        plausibility.on_ukraine,
        NAME,
        payload.uri,
        "occupied layers",
        _occupied_union(parsed),
        zone,
    )


def _occupied_union(parsed: Parsed) -> shapely.Geometry:
    polys = [shapely.from_wkb(wkb) for *_, cls, wkb in parsed.rows if cls.startswith("occupied")]
    return shapely.union_all(polys) if polys else shapely.Polygon()


def _plausible_index(con, listing: Payload, parsed: Parsed, today: dt.date) -> None:
    for snapshot_id, _, day in parsed.rows:
        plausibility.not_future(NAME, listing.uri, f"snapshot {snapshot_id}", day, today)
    previous = {
        r[0]
        for r in con.execute(
            "SELECT i.snapshot_id FROM raw.deepstate_api_index i JOIN raw.current_payloads p "
            "ON p.source = ? AND p.key = ? AND i.version = p.version",
            [NAME, INDEX_KEY],
        ).fetchall()
    }
    plausibility.listing_kept(NAME, listing.uri, previous, {i for i, _, _ in parsed.rows})


def _key_date(key: str) -> dt.date | None:
    return None if key == INDEX_KEY else snapshot_date(dt.datetime.fromtimestamp(int(key), dt.UTC))


DEEPSTATE_API = Source.declared(
    NAME,
    table={INDEX_KEY: INDEX_TABLE, "*": FEATURES_TABLE},
    parse=_rows,
    check=_check,
    key_date=_key_date,
)


def ingest(con: duckdb.DuckDBPyConnection, settings: Settings) -> list[land.Landed]:
    """Land the listing (a new version when its bytes changed) and every listed snapshot not held
    yet, each through :func:`warehouse.ingest.land.land`. Bad payloads are quarantined and the
    first error re-raised after the good ones have landed."""
    base = settings.sources
    listing = fetch(index_uri(base), interval_s=settings.http_interval_s)
    if listing is None:
        raise ParseError(NAME, index_uri(base), None, "snapshot listing not found")
    results = [land.land(con, settings, DEEPSTATE_API, INDEX_KEY, listing)]
    entries = parse_index(listing)
    held = {
        int(k)
        for (k,) in con.execute(
            "SELECT DISTINCT key FROM raw.payloads WHERE source = ? AND key <> ?", [NAME, INDEX_KEY]
        ).fetchall()
    }
    errors: list[ParseError] = []
    for snapshot_id in last_of_each_day(entries):
        uri = snapshot_uri(base, snapshot_id)
        if snapshot_id in held:  # a snapshot id never changes upstream: not fetched again
            results.append(land.Landed(NAME, str(snapshot_id), "unchanged", uri))
            continue
        payload = fetch(uri, interval_s=settings.http_interval_s)
        if payload is None:
            errors.append(ParseError(NAME, uri, None, f"snapshot {snapshot_id} is listed but not found"))
            continue
        try:
            results.append(land.land(con, settings, DEEPSTATE_API, str(snapshot_id), payload))
        except ParseError as exc:
            errors.append(exc)
    if errors:
        raise errors[0]
    return results
