"""The original DeepStateMap history API: the list of snapshots and every snapshot's layers.

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
from dataclasses import dataclass, field
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

import duckdb
import pyarrow as pa
import shapely
from shapely.geometry import shape

from transforms.territory.layers import UnknownLayer, classify_or_raise
from warehouse.ingest import plausibility, quarantine
from warehouse.ingest.fetch import Payload, fetch
from warehouse.ingest.parse import ParseError
from warehouse.ingest.sources import DEEPSTATE_API
from warehouse.store.config import Settings

KYIV = ZoneInfo("Europe/Kyiv")
INDEX_KEY = "index"
POLYGONAL = ("Polygon", "MultiPolygon")


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
    return gzip.decompress(payload.content) if payload.content[:2] == b"\x1f\x8b" else payload.content


def _json(payload: Payload, row: str | None = None):
    content = _decoded(payload)
    if not content.strip():
        raise ParseError(DEEPSTATE_API.name, payload.uri, row, "empty payload")
    try:
        return json.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ParseError(DEEPSTATE_API.name, payload.uri, row, f"invalid JSON: {exc}") from exc


def parse_index(payload: Payload) -> list[tuple[int, dt.datetime]]:
    """``(id, created_at)`` per listed snapshot, oldest first."""
    doc = _json(payload)
    if not isinstance(doc, list) or not doc:
        raise ParseError(DEEPSTATE_API.name, payload.uri, None, "expected a non-empty JSON array of snapshots")
    out = []
    for i, item in enumerate(doc):
        try:
            snapshot_id = int(item["id"])
            created = dt.datetime.fromisoformat(str(item["createdAt"]).replace("Z", "+00:00"))
        except (KeyError, TypeError, ValueError) as exc:
            raise ParseError(
                DEEPSTATE_API.name,
                payload.uri,
                f"element {i}",
                f"needs integer 'id' and ISO 'createdAt': {exc}",
            ) from exc
        if created.tzinfo is None:
            raise ParseError(DEEPSTATE_API.name, payload.uri, f"element {i}", "createdAt has no time zone")
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
    doc = _json(payload)
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection" or not isinstance(doc.get("features"), list):
        raise ParseError(DEEPSTATE_API.name, payload.uri, None, "not a GeoJSON FeatureCollection")
    out = Snapshot()
    for i, feature in enumerate(doc["features"]):
        geometry = (feature or {}).get("geometry") or {}
        kind = geometry.get("type")
        if kind in ("Point", "MultiPoint", "LineString", "MultiLineString"):
            out.points += 1  # directions of attack, units, labels: not territory
            continue
        if kind not in (*POLYGONAL, "GeometryCollection"):
            raise ParseError(
                DEEPSTATE_API.name,
                payload.uri,
                f"feature {i}",
                f"unexpected geometry type {kind!r}",
            )
        name = str(((feature.get("properties") or {}).get("name")) or "")
        try:
            cls = classify_or_raise(name, DEEPSTATE_API.name, f"{snapshot_id} ({payload.uri}) feature {i}")
            as_published = shape(geometry)
            out.quirks.extend(plausibility.api_layer(payload.uri, f"feature {i}", cls, as_published))
            geom, dropped = _polygonal(as_published)
        except (ValueError, TypeError, AttributeError, IndexError) as exc:
            if isinstance(exc, ParseError):
                raise
            if isinstance(exc, UnknownLayer):
                raise ParseError(DEEPSTATE_API.name, payload.uri, f"feature {i}", str(exc)) from exc
            raise ParseError(DEEPSTATE_API.name, payload.uri, f"feature {i}", f"unreadable geometry: {exc}") from exc
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


@dataclass
class ApiIngested:
    listed: int
    new: list[int] = field(default_factory=list)
    unchanged: int = 0
    index_status: str = "unchanged"  # "new" | "unchanged"
    quirks: list[str] = field(default_factory=list)


def _land_payload(con, key: str, payload: Payload) -> int:
    current = con.execute(
        "SELECT max(version) FROM raw.payloads WHERE source = ? AND key = ?",
        [DEEPSTATE_API.name, key],
    ).fetchall()[0][0]
    version = (current or 0) + 1
    con.execute(
        "INSERT INTO raw.payloads VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            DEEPSTATE_API.name,
            key,
            version,
            payload.uri,
            payload.sha256,
            payload.fetched_at,
            len(payload.content),
            payload.content,
        ],
    )
    return version


_FEATURE_SCHEMA = pa.schema(
    [
        ("feature", pa.int32()),
        ("name", pa.string()),
        ("class", pa.string()),
        ("geometry_wkb", pa.binary()),
    ]
)


def ingest(con: duckdb.DuckDBPyConnection, settings: Settings) -> ApiIngested:
    """Land the listing (a new version when its bytes changed) and every listed snapshot not held
    yet, each in its own transaction. Bad payloads are quarantined and the first error re-raised
    after the good ones have landed."""
    base = settings.sources
    listing = fetch(index_uri(base), interval_s=settings.http_interval_s)
    if listing is None:
        raise ParseError(DEEPSTATE_API.name, index_uri(base), None, "snapshot listing not found")
    try:
        entries = parse_index(listing)
        index_quirks = plausibility.unless_accepted(
            con, DEEPSTATE_API.name, listing.sha256, _plausible_index, con, listing, entries, settings.today
        )
    except ParseError as exc:
        quarantine.put(settings.quarantine_dir, DEEPSTATE_API.name, INDEX_KEY, listing, exc)
        raise
    result = ApiIngested(listed=len(entries), quirks=index_quirks)
    latest = con.execute(
        "SELECT sha256 FROM raw.current_payloads WHERE source = ? AND key = ?",
        [DEEPSTATE_API.name, INDEX_KEY],
    ).fetchall()
    if not latest or latest[0][0] != listing.sha256:
        con.begin()
        try:
            version = _land_payload(con, INDEX_KEY, listing)
            con.executemany(
                "INSERT INTO raw.deepstate_api_index VALUES (?, ?, ?, ?)",
                [[version, i, created, snapshot_date(created)] for i, created in entries],
            )
            con.commit()
        except BaseException:
            con.rollback()
            raise
        result.index_status = "new"
    held = {
        int(k)
        for (k,) in con.execute(
            "SELECT DISTINCT key FROM raw.payloads WHERE source = ? AND key <> ?",
            [DEEPSTATE_API.name, INDEX_KEY],
        ).fetchall()
    }
    errors: list[ParseError] = []
    for snapshot_id in last_of_each_day(entries):
        if snapshot_id in held:
            result.unchanged += 1
            continue
        uri = snapshot_uri(base, snapshot_id)
        payload = fetch(uri, interval_s=settings.http_interval_s)
        if payload is None:
            errors.append(ParseError(DEEPSTATE_API.name, uri, None, f"snapshot {snapshot_id} is listed but not found"))
            continue
        try:
            parsed = parse_snapshot(payload, snapshot_id)
            zone = plausibility.ukraine_zone(con)
            parsed.quirks += plausibility.unless_accepted(
                con,
                DEEPSTATE_API.name,
                payload.sha256,
                plausibility.on_ukraine,
                DEEPSTATE_API.name,
                uri,
                "occupied layers",
                _occupied_union(parsed),
                zone,
            )
        except ParseError as exc:
            quarantine.put(settings.quarantine_dir, DEEPSTATE_API.name, str(snapshot_id), payload, exc)
            errors.append(exc)
            continue
        _land_snapshot(con, snapshot_id, payload, parsed)
        result.new.append(snapshot_id)
        result.quirks.extend(f"{snapshot_id}: {q}" for q in parsed.quirks)
    if errors:
        raise errors[0]
    return result


def _occupied_union(parsed: Snapshot) -> shapely.Geometry:
    polys = [shapely.from_wkb(wkb) for _, _, cls, wkb in parsed.rows if cls.startswith("occupied")]
    return shapely.union_all(polys) if polys else shapely.Polygon()


def _plausible_index(con, listing: Payload, entries: list[tuple[int, dt.datetime]], today: dt.date) -> None:
    for snapshot_id, created in entries:
        plausibility.not_future(
            DEEPSTATE_API.name, listing.uri, f"snapshot {snapshot_id}", snapshot_date(created), today
        )
    previous = {
        r[0]
        for r in con.execute(
            "SELECT i.snapshot_id FROM raw.deepstate_api_index i JOIN raw.current_payloads p "
            "ON p.source = ? AND p.key = ? AND i.version = p.version",
            [DEEPSTATE_API.name, INDEX_KEY],
        ).fetchall()
    }
    plausibility.listing_kept(DEEPSTATE_API.name, listing.uri, previous, {i for i, _ in entries})


def _land_snapshot(con, snapshot_id: int, payload: Payload, parsed: Snapshot) -> None:
    incoming = pa.Table.from_pylist(
        [dict(zip(_FEATURE_SCHEMA.names, r, strict=True)) for r in parsed.rows],
        schema=_FEATURE_SCHEMA,
    )
    con.begin()
    try:
        version = _land_payload(con, str(snapshot_id), payload)
        con.register("incoming_features", incoming)
        con.execute(
            "INSERT INTO raw.deepstate_api_features SELECT ?::BIGINT, ?::INTEGER, * FROM incoming_features",
            [snapshot_id, version],
        )
        con.unregister("incoming_features")
        con.commit()
    except BaseException:
        con.rollback()
        raise
