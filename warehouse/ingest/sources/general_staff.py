"""General Staff of the Armed Forces of Ukraine: cumulative loss claims (compiled by
PetroIvaniuk) — personnel, equipment by category, and the signed corrections file — landed in
``raw.gs_personnel``, ``raw.gs_equipment`` and ``raw.gs_equipment_corrections``
(schema: ``sql/general_staff.sql``)."""

from __future__ import annotations

import datetime as dt

from warehouse.ingest.fetch import Payload
from warehouse.ingest.parse import Parsed, ParseError, iso_date, read_json
from warehouse.ingest.sources.base import RawTable, Source

PERSONNEL_TABLE = RawTable(
    "raw.gs_personnel",
    ("element", "date", "personnel", "qualifier", "pow"),
)
_COUNTS = ("element", "date", "upstream_field", "value")
EQUIPMENT_TABLE = RawTable("raw.gs_equipment", _COUNTS)
CORRECTIONS_TABLE = RawTable("raw.gs_equipment_corrections", _COUNTS)


def _records(source: str, payload: Payload) -> list[dict]:
    doc = read_json(source, payload)
    if not isinstance(doc, list) or not doc:
        raise ParseError(source, payload.uri, None, "expected a non-empty JSON array of daily records")
    return doc


def _count(source: str, uri: str, row: str, key: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise ParseError(source, uri, row, f"{key!r} is not an integer: {value!r}")
    return value


def _daily_records(source: str, payload: Payload):
    """Yield (row label, index, date, record), rejecting duplicated dates."""
    seen: set[dt.date] = set()
    for i, record in enumerate(_records(source, payload)):
        if not isinstance(record, dict):
            raise ParseError(source, payload.uri, f"element {i}", "not a JSON object")
        row = f"element {i} (date {record.get('date')})"
        day = iso_date(source, payload.uri, row, record.get("date"))
        if day in seen:
            raise ParseError(source, payload.uri, row, f"date {day} appears twice")
        seen.add(day)
        yield row, i, day, record


# The personnel file's fields ("day": the war's day number, derived from the date, read by nothing).
PERSONNEL_FIELDS = frozenset({"date", "day", "personnel", "personnel*", "POW"})


def gs_personnel(payload: Payload, source: str = "gs_personnel") -> Parsed:
    """Rows ``(element, date, personnel, qualifier, pow)``. A field the file never had is refused,
    as in the equipment file: read by nothing, its values would be dropped without a word."""
    out = Parsed(rows=[])
    for row, i, day, record in _daily_records(source, payload):
        if unknown := sorted(set(record) - PERSONNEL_FIELDS):
            raise ParseError(source, payload.uri, row, f"unknown fields {unknown}: nothing reads them (new upstream?)")
        if "personnel" not in record:
            raise ParseError(source, payload.uri, row, "no 'personnel' value")
        personnel = _count(source, payload.uri, row, "personnel", record["personnel"])
        pow_ = record.get("POW")
        pow_ = None if pow_ is None else _count(source, payload.uri, row, "POW", pow_)
        qualifier = record.get("personnel*")  # "about" or "more" in the mirror
        if qualifier is not None and not isinstance(qualifier, str):
            raise ParseError(source, payload.uri, row, f"'personnel*' must be text or null, got {qualifier!r}")
        out.rows.append((i, day, personnel, qualifier, pow_))
    return out


# Fields of the equipment files that are not counts.
NON_COUNT_FIELDS = frozenset({"date", "day", "greatest losses direction"})


def gs_counts(payload: Payload, source: str) -> Parsed:
    """Long rows ``(element, date, upstream_field, value)`` for the equipment totals and the
    corrections file alike; null values mean the field did not exist yet and are skipped."""
    out = Parsed(rows=[])
    for row, i, day, record in _daily_records(source, payload):
        for key, value in record.items():
            if key in NON_COUNT_FIELDS or value is None:
                continue
            out.rows.append((i, day, key, _count(source, payload.uri, row, key, value)))
    return out


GS_PERSONNEL = Source.declared("gs_personnel", table=PERSONNEL_TABLE, parse=lambda payload, key: gs_personnel(payload))
GS_EQUIPMENT = Source.declared(
    "gs_equipment", table=EQUIPMENT_TABLE, parse=lambda payload, key: gs_counts(payload, "gs_equipment")
)
GS_EQUIPMENT_CORRECTIONS = Source.declared(
    "gs_equipment_corrections",
    table=CORRECTIONS_TABLE,
    parse=lambda payload, key: gs_counts(payload, "gs_equipment_corrections"),
)
SOURCES = (GS_PERSONNEL, GS_EQUIPMENT, GS_EQUIPMENT_CORRECTIONS)
