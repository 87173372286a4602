"""What every source parser shares: the error type, the parsed-rows type and the readers of JSON
and CSV payloads that refuse an error page, an empty or a non-UTF-8 payload.

Every error is a :class:`ParseError` that names the source, the URI and the row (line for CSV,
array element and date for JSON, feature for GeoJSON), so an operator can open the quarantined
file at the right place. The parsers themselves live with their source (``sources/<name>.py``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import re
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


def looks_like_html(content: bytes) -> bool:
    head = content.lstrip()[:100].lower()
    return head.startswith((b"<!doctype", b"<html", b"<"))


def read_json(source: str, payload: Payload):
    """The payload's JSON document (BOM allowed); truncated JSON names line and column."""
    if not payload.content.strip():
        raise ParseError(source, payload.uri, None, "empty payload")
    if looks_like_html(payload.content):
        raise ParseError(source, payload.uri, None, "got an HTML page, not JSON (an error page served with 200?)")
    try:
        return json.loads(payload.content.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise ParseError(source, payload.uri, None, f"not UTF-8: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise ParseError(
            source, payload.uri, f"line {exc.lineno} column {exc.colno}", f"invalid JSON (truncated?): {exc.msg}"
        ) from exc


# A GeoJSON coordinate array: numbers, commas, brackets and whitespace only (no NaN, no string).
_COORDINATES = re.compile(rb'("coordinates"\s*:\s*)\[[-+0-9.eE,\s\[\]]*\]')


@dataclass
class FeatureGeometries:
    """A GeoJSON FeatureCollection read by the C path: ``document`` is the JSON document with every
    coordinate array replaced by 0 (types, properties and structure as ``json.loads`` reads them),
    ``geometries`` the geometry of each feature, in order."""

    document: dict
    geometries: list


def feature_geometries(content: bytes) -> FeatureGeometries | None:
    """The features of a GeoJSON FeatureCollection read by GEOS (``shapely.from_geojson``) instead
    of ``json.loads`` + ``shapely.geometry.shape`` walking Python lists: about 3× less CPU, and the
    same geometries (the WKB of every file of the mirror, archive and API, compared byte for byte).

    None whenever the result could differ from the Python path or an error must be named: GEOS
    refuses the text (NaN, a null or unknown geometry, an unclosed ring, truncated JSON, a BOM…),
    the document is not a FeatureCollection, or a feature's declared type is not the type of the
    geometry read for it. Callers then take the Python path, whose checks and messages name the
    feature and the value."""
    try:
        collection = shapely.from_geojson(content)
        document = json.loads(_COORDINATES.sub(rb"\1 0", content))
    except Exception:  # any refusal: the Python path decides and names the error
        return None
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        return None
    features = document.get("features")
    if not isinstance(features, list) or collection.geom_type != "GeometryCollection":
        return None
    geometries = list(shapely.get_parts(collection))
    if len(geometries) != len(features):
        return None
    for feature, geom in zip(features, geometries, strict=True):
        declared = (feature or {}).get("geometry") if isinstance(feature, dict) else None
        if not isinstance(declared, dict) or declared.get("type") != geom.geom_type:
            return None
    return FeatureGeometries(document, geometries)


def _has_non_finite(coordinates) -> bool:
    if isinstance(coordinates, float):
        return not math.isfinite(coordinates)
    return isinstance(coordinates, list) and any(_has_non_finite(c) for c in coordinates)


def feature_object(source: str, uri: str, row: str, feature, key: str):
    """``feature[key]`` (``properties``, ``geometry``) of a GeoJSON feature, None when absent; a
    feature or member of the wrong JSON type (a string, a list) is named, not an AttributeError."""
    if not isinstance(feature, dict):
        raise ParseError(source, uri, row, f"a feature must be a JSON object, got {type(feature).__name__}")
    value = feature.get(key)
    if value is not None and not isinstance(value, dict):
        raise ParseError(source, uri, row, f"'{key}' must be a JSON object or null, got {type(value).__name__}")
    return value


def _finite_position(position) -> bool:
    return isinstance(position, list) and all(isinstance(c, (int, float)) and math.isfinite(c) for c in position)


def unclosed_ring(geometry: dict, where: str = "") -> str | None:
    """Where the first polygon ring of a GeoJSON geometry whose last position differs from its
    first is (``[geometry G ][polygon P ]ring R``), with both positions; None when every ring closes. RFC 7946
    §3.1.6 requires them identical; shapely would close such a ring silently, adding an edge no
    one drew. Rings with a non-finite end are left to the NaN check (the clearer error)."""
    kind, coordinates = geometry.get("type"), geometry.get("coordinates")
    if kind == "GeometryCollection":
        for g, member in enumerate(geometry.get("geometries") or ()):
            if isinstance(member, dict) and (found := unclosed_ring(member, f"{where}geometry {g} ")):
                return found
        return None
    if kind == "Polygon":
        polygons = [coordinates]
    elif kind == "MultiPolygon" and isinstance(coordinates, list):
        polygons = coordinates
    else:
        return None
    for p, rings in enumerate(polygons):
        polygon = f"polygon {p} " if kind == "MultiPolygon" else ""
        for r, ring in enumerate(rings if isinstance(rings, list) else ()):
            if not isinstance(ring, list) or len(ring) < 2 or not _finite_position(ring[0]):
                continue
            if _finite_position(ring[-1]) and ring[0] != ring[-1]:
                return (
                    f"{where}{polygon}ring {r} is not closed: its last position {ring[-1]} differs from its "
                    f"first {ring[0]} ({len(ring)} positions; RFC 7946 §3.1.6 requires them identical, so "
                    "the ring is not closed here by guessing an edge)"
                )
    return None


def read_geometry(source: str, uri: str, row: str, geometry: dict):
    """``shapely.geometry.shape(geometry)``, or a ParseError naming the feature: a polygon ring that
    does not close (:func:`unclosed_ring`), a NaN or infinite coordinate as such (GEOS may refuse
    it as an unclosed ring first), anything else unreadable with GEOS's or shapely's reason."""
    if unclosed := unclosed_ring(geometry):
        raise ParseError(source, uri, row, unclosed)
    try:
        return shape(geometry)
    except (ValueError, TypeError, AttributeError, IndexError, KeyError, shapely.errors.GEOSException) as exc:
        if _has_non_finite(geometry.get("coordinates")):
            raise ParseError(source, uri, row, "a coordinate is not a finite number (NaN or infinite)") from exc
        raise ParseError(source, uri, row, f"unreadable geometry: {exc}") from exc


def csv_reader(source: str, payload: Payload) -> csv.DictReader:
    """A dict reader over the payload's CSV text (BOM allowed)."""
    if not payload.content.strip():
        raise ParseError(source, payload.uri, None, "empty payload")
    if looks_like_html(payload.content):
        raise ParseError(source, payload.uri, None, "got an HTML page, not CSV (an error page served with 200?)")
    try:
        text = payload.content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError(source, payload.uri, None, f"not UTF-8: {exc}") from exc
    reader = csv.DictReader(io.StringIO(text))
    try:
        reader.fieldnames  # noqa: B018 - reads the header now, so a broken one is named here
    except csv.Error as exc:
        raise ParseError(source, payload.uri, "line 1", f"unreadable CSV: {exc}") from exc
    header = reader.fieldnames or []
    if repeated := sorted({c for c in header if header.count(c) > 1}):
        # read by name, the last of them would win without a word
        raise ParseError(source, payload.uri, "line 1", f"columns {repeated} appear more than once")
    return reader


def iso_date(source: str, uri: str, row: str, value) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise ParseError(source, uri, row, f"bad date {value!r}") from exc


def records(source: str, uri: str, reader: csv.DictReader):
    """Yield ("line N", record) for every row of ``reader``. A row with more or fewer fields than
    the header (a line cut off mid-download, split, or with a stray delimiter) is an error: read
    by name, its missing cells would be empty and its extra ones ignored, without a word. So is
    text the csv module cannot read (a lone CR line ending, a NUL byte)."""
    width = len(reader.fieldnames or ())
    rows = iter(reader)
    while True:
        try:
            record = next(rows)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ParseError(source, uri, f"line {reader.line_num}", f"unreadable CSV: {exc}") from exc
        line = f"line {reader.line_num}"
        if None in record or None in record.values():
            fields = width + len(record[None]) if None in record else sum(v is not None for v in record.values())
            raise ParseError(
                source, uri, line, f"{fields} fields where the header has {width} (a line cut off or split?)"
            )
        yield line, record


def data_rows(source: str, uri: str, reader: csv.DictReader, out: Parsed):
    """:func:`records`, with empty rows reported as quirks and skipped."""
    for line, record in records(source, uri, reader):
        if not any(v.strip() for v in record.values()):
            out.quirks.append(f"{line}: empty row skipped")
            continue
        yield line, record


def require_columns(source: str, payload: Payload, reader: csv.DictReader, columns, known=None) -> None:
    """Every column of ``columns`` is there; with ``known`` (a predicate on a column name), every
    column is one of them or known: a column upstream adds (a new measure, a renamed one beside
    the old) would otherwise be dropped without a word, as an unknown General Staff field would."""
    missing = [c for c in columns if c not in (reader.fieldnames or ())]
    if missing:
        raise ParseError(source, payload.uri, "line 1", f"missing columns {missing} (layout changed upstream?)")
    if known is not None:
        unknown = [c for c in reader.fieldnames or () if c not in columns and not known(c)]
        if unknown:
            raise ParseError(
                source,
                payload.uri,
                "line 1",
                f"unknown columns {unknown}: nothing reads them, so their values would be dropped "
                f"(a new measure upstream? map it in warehouse/ingest/sources/)",
            )


def number(source: str, uri: str, line: str, column: str, text: str) -> float | None:
    """A CSV cell as a finite number; None when empty."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError as exc:
        raise ParseError(source, uri, line, f"{column!r} is not a number: {text!r}") from exc
    if not math.isfinite(value):
        raise ParseError(source, uri, line, f"{column!r} is not finite: {text!r}")
    return value
