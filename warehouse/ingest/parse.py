"""Parse raw payloads into rows, failing loudly on anything that is not the documented shape.

Every error is a :class:`ParseError` that names the source, the URI and the row (line for CSV,
array element and date for JSON, feature for GeoJSON), so an operator can open the quarantined
file at the right place. Documented upstream quirks are handled here and counted, never hidden.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
from dataclasses import dataclass, field

import shapely
from shapely.geometry import shape

from warehouse.ingest.fetch import Payload


class ParseError(ValueError):
    def __init__(self, source: str, uri: str, row: str | None, message: str):
        self.source, self.uri, self.row, self.message = source, uri, row, message
        where = f", {row}" if row else ""
        super().__init__(f"{source}: {uri}{where}: {message}")


@dataclass
class Parsed:
    """Rows for the raw tables plus the quirks met on the way (for run metadata)."""

    rows: list[tuple]
    quirks: list[str] = field(default_factory=list)


def _looks_like_html(content: bytes) -> bool:
    head = content.lstrip()[:100].lower()
    return head.startswith((b"<!doctype", b"<html", b"<"))


def _json(source: str, payload: Payload):
    if not payload.content.strip():
        raise ParseError(source, payload.uri, None, "empty payload")
    if _looks_like_html(payload.content):
        raise ParseError(source, payload.uri, None, "got an HTML page, not JSON (an error page served with 200?)")
    try:
        return json.loads(payload.content.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise ParseError(source, payload.uri, None, f"not UTF-8: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise ParseError(
            source, payload.uri, f"line {exc.lineno} column {exc.colno}", f"invalid JSON (truncated?): {exc.msg}"
        ) from exc


def _date(source: str, uri: str, row: str, value) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise ParseError(source, uri, row, f"bad date {value!r}") from exc


def deepstate_snapshot(payload: Payload, source: str = "deepstate") -> tuple[bytes, bool]:
    """The day's occupied territory as WKB (polygons oriented counter-clockwise) and whether
    ``shapely.make_valid`` had to repair it. Several polygonal features are unioned."""
    doc = _json(source, payload)
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise ParseError(source, payload.uri, None, "not a GeoJSON FeatureCollection")
    features = doc.get("features")
    if not features:
        raise ParseError(source, payload.uri, None, "FeatureCollection has no features")
    parts = []
    for i, feature in enumerate(features):
        geometry = (feature or {}).get("geometry")
        if not geometry:
            raise ParseError(source, payload.uri, f"feature {i}", "feature has no geometry")
        try:
            geom = shape(geometry)
        except (ValueError, TypeError, AttributeError, IndexError) as exc:
            raise ParseError(source, payload.uri, f"feature {i}", f"unreadable geometry: {exc}") from exc
        if geom.geom_type not in ("Polygon", "MultiPolygon") or geom.is_empty:
            raise ParseError(source, payload.uri, f"feature {i}", f"expected a (Multi)Polygon, got {geom.geom_type}")
        from warehouse.ingest import plausibility  # (imports this module)

        plausibility.geometry(source, payload.uri, f"feature {i}", geom)
        parts.append(geom)
    geom = parts[0] if len(parts) == 1 else shapely.union_all(parts)
    repaired = not geom.is_valid
    if repaired:
        geom = shapely.make_valid(geom, method="structure")
    geom = shapely.orient_polygons(geom, exterior_cw=False)
    return shapely.to_wkb(geom), repaired


ISW_DATE = "date"
ISW_AREA = "area_assessed_as_russia_controlled"


def isw_area(payload: Payload, source: str = "isw") -> Parsed:
    """Rows ``(line, date, area_m2)``. A date repeated with the same area (2026-04-04 upstream)
    is a documented quirk: the first row is kept and the repeat reported; a repeat with a
    different area is an error."""
    if _looks_like_html(payload.content):
        raise ParseError(source, payload.uri, None, "got an HTML page, not CSV (an error page served with 200?)")
    text = payload.content.decode("utf-8-sig", errors="strict")
    reader = csv.DictReader(io.StringIO(text))
    missing = {ISW_DATE, ISW_AREA} - set(reader.fieldnames or ())
    if missing:
        raise ParseError(source, payload.uri, "line 1", f"missing columns {sorted(missing)}")
    out = Parsed(rows=[])
    seen: dict[dt.date, float] = {}
    for record in reader:
        line = f"line {reader.line_num}"
        day = _date(source, payload.uri, line, record[ISW_DATE])
        try:
            area = float(record[ISW_AREA])
        except (TypeError, ValueError) as exc:
            raise ParseError(source, payload.uri, line, f"non-numeric area {record[ISW_AREA]!r}") from exc
        if not math.isfinite(area) or area < 0:
            raise ParseError(source, payload.uri, line, f"area {area!r} is not a finite non-negative number")
        if day in seen:
            if seen[day] != area:
                raise ParseError(
                    source, payload.uri, line, f"date {day} repeated with a different area ({seen[day]} then {area})"
                )
            out.quirks.append(f"{line}: date {day} repeated with the same area; kept the first")
            continue
        seen[day] = area
        out.rows.append((reader.line_num, day, area))
    if not out.rows:
        raise ParseError(source, payload.uri, None, "no data rows")
    return out


def _records(source: str, payload: Payload) -> list[dict]:
    doc = _json(source, payload)
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
        day = _date(source, payload.uri, row, record.get("date"))
        if day in seen:
            raise ParseError(source, payload.uri, row, f"date {day} appears twice")
        seen.add(day)
        yield row, i, day, record


def gs_personnel(payload: Payload, source: str = "gs_personnel") -> Parsed:
    """Rows ``(element, date, personnel, qualifier, pow)``."""
    out = Parsed(rows=[])
    for row, i, day, record in _daily_records(source, payload):
        if "personnel" not in record:
            raise ParseError(source, payload.uri, row, "no 'personnel' value")
        personnel = _count(source, payload.uri, row, "personnel", record["personnel"])
        pow_ = record.get("POW")
        pow_ = None if pow_ is None else _count(source, payload.uri, row, "POW", pow_)
        out.rows.append((i, day, personnel, record.get("personnel*"), pow_))
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
