"""Dated casualty and death estimates for both sides by governments, intelligence services and
researchers (compiled by The Economist), landed in ``raw.official_estimates``
(schema: ``sql/estimates.sql``). Dates are D/M/YYYY; numbers may carry thousands separators."""

from __future__ import annotations

import datetime as dt
import re

from warehouse.ingest.fetch import Payload
from warehouse.ingest.parse import Parsed, ParseError, csv_reader, data_rows, number, require_columns
from warehouse.ingest.sources.base import RawTable, Source

ESTIMATE_COLUMNS = (
    "date",
    "estimate_low",
    "estimate_high",
    "estimate",
    "type",
    "source",
    "source_url",
    "country",
)
WARRING_FLAG = "ignore for chart, data from warring parties"
LOSSES_OF = ("russia", "ukraine")
ESTIMATE_MEASURES = ("deaths", "casualties")
# Governments and armed forces of the two warring states, flagged even where upstream did not.
WARRING_PARTY_SOURCES = frozenset(
    {
        "Armed Forces of Ukraine",
        "General Staff of the Armed Forces of Ukraine",
        "Office of the President of Ukraine",
        "Ukrainian estimate (leak via WSJ)",
        "Russian Ministry of Defense",
    }
)
_THOUSANDS = re.compile(r"^\d{1,3}(,\d{3})+$")


def _estimate_number(source: str, uri: str, line: str, column: str, text: str, quirks: list[str]) -> float | None:
    text = (text or "").strip()
    if _THOUSANDS.match(text):
        quirks.append(f"{line}: {column} {text!r} has thousands separators")
        text = text.replace(",", "")
    value = number(source, uri, line, column, text)
    if value is not None and value < 0:
        raise ParseError(source, uri, line, f"{column!r} is negative: {value}")
    if value is not None and not value.is_integer():
        # Every estimate is a count of people (all 124 rows of the mirror are whole numbers):
        # '390.580' is 390,580 with a European thousands separator, read as 390.58.
        raise ParseError(
            source, uri, line, f"{column!r} is not a whole number of people: {text!r} (a thousands separator?)"
        )
    return value


def official_estimates(payload: Payload, source: str = "official_estimates") -> Parsed:
    """Rows ``(line, report_date, losses_of, measure, estimate, estimate_low, estimate_high,
    source_name, source_url, warring_party_upstream)``. Dates are D/M/YYYY; numbers may carry
    thousands separators (a documented quirk)."""
    reader = csv_reader(source, payload)
    require_columns(source, payload, reader, [*ESTIMATE_COLUMNS, WARRING_FLAG], known=lambda c: False)
    out = Parsed(rows=[])
    for line, record in data_rows(source, payload.uri, reader, out):
        try:
            day = dt.datetime.strptime(record["date"].strip(), "%d/%m/%Y").date()
        except ValueError as exc:
            raise ParseError(source, payload.uri, line, f"bad date {record['date']!r} (expected DD/MM/YYYY)") from exc
        losses_of, measure = record["country"].strip().lower(), record["type"].strip().lower()
        if losses_of not in LOSSES_OF:
            raise ParseError(
                source,
                payload.uri,
                line,
                f"country {record['country']!r} is not one of {LOSSES_OF}",
            )
        if measure not in ESTIMATE_MEASURES:
            raise ParseError(
                source,
                payload.uri,
                line,
                f"type {record['type']!r} is not one of {ESTIMATE_MEASURES}",
            )
        point, low, high = (
            _estimate_number(source, payload.uri, line, c, record[c], out.quirks)
            for c in ("estimate", "estimate_low", "estimate_high")
        )
        if point is None and low is None and high is None:
            raise ParseError(source, payload.uri, line, "no estimate, estimate_low or estimate_high")
        name, url = record["source"].strip(), record["source_url"].strip()
        if not name or not url:
            raise ParseError(source, payload.uri, line, "an estimate needs a source and a source_url")
        if name != record["source"]:
            out.quirks.append(f"{line}: source name {record['source']!r} had surrounding spaces")
        flag = (record[WARRING_FLAG] or "").strip().lower()
        if flag not in ("", "yes"):
            raise ParseError(
                source,
                payload.uri,
                line,
                f"warring-party flag {record[WARRING_FLAG]!r} is neither empty nor 'yes'",
            )
        out.rows.append((reader.line_num, day, losses_of, measure, point, low, high, name, url, flag == "yes"))
    if not out.rows:
        raise ParseError(source, payload.uri, None, "no data rows")
    return out


TABLE = RawTable(
    "raw.official_estimates",
    (
        "line",
        "report_date",
        "losses_of",
        "measure",
        "estimate",
        "estimate_low",
        "estimate_high",
        "source_name",
        "source_url",
        "warring_party_upstream",
    ),
)
OFFICIAL_ESTIMATES = Source.declared(
    "official_estimates", table=TABLE, parse=lambda payload, key: official_estimates(payload)
)
