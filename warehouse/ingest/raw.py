"""Land payloads in schema ``raw`` with provenance, versioned, inside one transaction each."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa
import shapely

from warehouse.ingest import parse, parse_casualties, plausibility, quarantine
from warehouse.ingest.fetch import Payload, fetch
from warehouse.ingest.sources import DEEPSTATE, Source
from warehouse.store.config import Settings

WHOLE_FILE_KEY = "all"

# Parsed-row tables per whole-history source, with the parser and the arrow schema of its rows.
# The table names are the whitelist the insert statements are built from.
_ROW_TABLES: dict[str, tuple[str, object, pa.Schema]] = {
    "isw": (
        "raw.isw_area",
        parse.isw_area,
        pa.schema([("line", pa.int32()), ("date", pa.date32()), ("area_m2", pa.float64())]),
    ),
    "gs_personnel": (
        "raw.gs_personnel",
        parse.gs_personnel,
        pa.schema(
            [
                ("element", pa.int32()),
                ("date", pa.date32()),
                ("personnel", pa.int64()),
                ("qualifier", pa.string()),
                ("pow", pa.int64()),
            ]
        ),
    ),
    "gs_equipment": (
        "raw.gs_equipment",
        lambda p: parse.gs_counts(p, "gs_equipment"),
        pa.schema(
            [("element", pa.int32()), ("date", pa.date32()), ("upstream_field", pa.string()), ("value", pa.int64())]
        ),
    ),
    "gs_equipment_corrections": (
        "raw.gs_equipment_corrections",
        lambda p: parse.gs_counts(p, "gs_equipment_corrections"),
        pa.schema(
            [("element", pa.int32()), ("date", pa.date32()), ("upstream_field", pa.string()), ("value", pa.int64())]
        ),
    ),
}

_ROW_TABLES.update(parse_casualties.ROW_TABLES)


@dataclass
class Ingested:
    source: str
    key: str
    status: str  # "new" | "unchanged" | "not_yet"
    uri: str
    version: int | None = None
    sha256: str | None = None
    quirks: list[str] = field(default_factory=list)


def _current(con: duckdb.DuckDBPyConnection, source: str, key: str) -> tuple[int, str] | None:
    rows = con.execute(
        "SELECT version, sha256 FROM raw.payloads WHERE source = ? AND key = ? ORDER BY version DESC LIMIT 1",
        [source, key],
    ).fetchall()
    return (rows[0][0], rows[0][1]) if rows else None


def _insert_payload(con, source: str, key: str, version: int, payload: Payload) -> None:
    con.execute(
        "INSERT INTO raw.payloads VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [source, key, version, payload.uri, payload.sha256, payload.fetched_at, len(payload.content), payload.content],
    )


def _plausible_rows(con, source: str, uri: str, current, rows: list[tuple], today: dt.date) -> None:
    plausibility.known_fields(source, uri, rows)
    plausibility.rows(source, uri, rows, today)
    plausibility.history_kept(con, source, uri, current[0] if current else None, rows)


def ingest(con: duckdb.DuckDBPyConnection, settings: Settings, source: Source, day: dt.date | None = None) -> Ingested:
    """Fetch one file and land it. Same bytes as the current version: nothing happens.
    A payload that fails parsing is quarantined and the :class:`parse.ParseError` re-raised."""
    key = day.isoformat() if day else WHOLE_FILE_KEY
    uri = source.url(settings.sources, day)
    payload = fetch(uri, interval_s=settings.http_interval_s)
    if payload is None:
        return Ingested(source.name, key, "not_yet", uri)
    current = _current(con, source.name, key)
    if current and current[1] == payload.sha256:
        return Ingested(source.name, key, "unchanged", uri, current[0], payload.sha256)
    version = (current[0] if current else 0) + 1
    try:
        if source is DEEPSTATE:
            wkb, repaired = parse.deepstate_snapshot(payload)
            quirks = ["geometry repaired with make_valid"] if repaired else []
            zone = plausibility.ukraine_zone(con)
            quirks += plausibility.unless_accepted(
                con,
                source.name,
                payload.sha256,
                lambda: plausibility.on_ukraine(source.name, uri, None, shapely.from_wkb(wkb), zone),
            )
        else:
            table, parser, schema = _ROW_TABLES[source.name]
            parsed = parser(payload)
            quirks = parsed.quirks + plausibility.unless_accepted(
                con,
                source.name,
                payload.sha256,
                lambda: _plausible_rows(con, source.name, uri, current, parsed.rows, settings.today),
            )
    except parse.ParseError as exc:
        quarantine.put(settings.quarantine_dir, source.name, key, payload, exc)
        raise
    con.begin()
    try:
        _insert_payload(con, source.name, key, version, payload)
        if source is DEEPSTATE:
            con.execute(
                "INSERT INTO raw.deepstate_snapshots VALUES (?, ?, ?, ?, ?)",
                [day, version, payload.sha256, wkb, repaired],
            )
        else:
            incoming = pa.Table.from_pylist(
                [dict(zip(schema.names, r, strict=True)) for r in parsed.rows], schema=schema
            )
            con.register("incoming_rows", incoming)
            con.execute(f"INSERT INTO {table} SELECT ?::INTEGER AS version, * FROM incoming_rows", [version])  # noqa: S608 - whitelisted
            con.unregister("incoming_rows")
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return Ingested(source.name, key, "new", uri, version, payload.sha256, quirks)
