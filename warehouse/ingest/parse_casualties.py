"""Parse the Mediazona vintages and the official-estimates file into raw rows.

Three Mediazona files, three layouts (see ``meduza_2026_schema.txt`` upstream); each is turned into
the same long rows ``(source, line, vintage, vintage_label, week_start, measure, value,
is_running_total)`` so one SQL model can pivot them into ``fact_confirmed_deaths_weekly``.

The *vintage* of a row is the date on which that state of the named lists was current, decided
from the payload alone (never the wall clock), so re-ingesting a file is reproducible:

- ``meduza_2024.csv`` and ``meduza_2025_weekly.csv``: the Sunday ending the newest week in the file.
- ``meduza_2026_weekly.csv``, columns ``Bmz2022`` … ``Bmz2025``: 31 December of that year (the lists
  as they stood at the end of the year; upstream labels them by year only).
- ``meduza_2026_weekly.csv``, column ``BmzNow`` and every estimate in that file: the day after the
  newest week in the file ends, and never before 1 January of the year after the newest ``BmzYYYY``.

Every error is a :class:`ParseError` naming source, URI and line.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re

import pyarrow as pa

from warehouse.ingest.fetch import Payload
from warehouse.ingest.parse import Parsed, ParseError, _looks_like_html

# Canonical measure names (the columns of fact_confirmed_deaths_weekly they become).
NAMED = "named_deaths"

# Upstream column → measure, per layout. Columns listed here must all be present.
MEDIAZONA_2024_COLUMNS = {
    "Число погибших в поименных списках": NAMED,
    "Оценка на основе данных РНД": "excess_deaths_estimate",
    "ED_high": "excess_deaths_high",
    "ED_low": "excess_deaths_low",
    "Оперативная оценка, обучающий период": "flash_estimate",
    "ED_prediction_high": "flash_estimate_high",
    "ED_prediction_low": "flash_estimate_low",
    # The forecast continues the flash estimate after the training period (never both in a row).
    "Оперативная оценка, прогноз": "flash_estimate",
    "ED_onlyprediction_high": "flash_estimate_high",
    "ED_onlyprediction_low": "flash_estimate_low",
}
MEDIAZONA_2025_COLUMNS = {
    "Estimate based on probate data": "excess_deaths_estimate",
    "ED_high": "excess_deaths_high",
    "ED_low": "excess_deaths_low",
    "Flash estimate (by date of discovery)": "flash_estimate",
    "ED_prediction_high": "flash_estimate_high",
    "ED_prediction_low": "flash_estimate_low",
    "Number of confirmed deaths (by date of death)": NAMED,
}
MEDIAZONA_2026_ESTIMATES = {
    "ED": "excess_deaths_estimate",
    "EDHigh": "excess_deaths_high",
    "EDLow": "excess_deaths_low",
    "EDPrediction": "flash_estimate",
    "EDPredictionHigh": "flash_estimate_high",
    "EDPredictionLow": "flash_estimate_low",
    "ECSuperlates": "mia_floor_estimate",
    "EDSuperlatesFromCoeffs": "mia_estimate",
    "EDSuperlatesCourts": "mia_courts_estimate",
    "EDAssembled": "total_deaths_estimate",
    "EDAssembledHigh": "total_deaths_high",
    "EDAssembledLow": "total_deaths_low",
}
MEASURES = tuple(dict.fromkeys([NAMED, *MEDIAZONA_2024_COLUMNS.values(), *MEDIAZONA_2026_ESTIMATES.values()]))
_BMZ_YEAR = re.compile(r"^Bmz(\d{4})$")
BMZ_NOW = "BmzNow"


def _reader(source: str, payload: Payload) -> csv.DictReader:
    if not payload.content.strip():
        raise ParseError(source, payload.uri, None, "empty payload")
    if _looks_like_html(payload.content):
        raise ParseError(source, payload.uri, None, "got an HTML page, not CSV (an error page served with 200?)")
    try:
        text = payload.content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError(source, payload.uri, None, f"not UTF-8: {exc}") from exc
    return csv.DictReader(io.StringIO(text))


def _data_rows(reader: csv.DictReader, out: Parsed):
    """Yield ("line N", record) for every non-empty row; empty rows are reported as quirks."""
    for record in reader:
        line = f"line {reader.line_num}"
        if not any((v or "").strip() for v in record.values()):
            out.quirks.append(f"{line}: empty row skipped")
            continue
        yield line, record


def _require(source: str, payload: Payload, reader: csv.DictReader, columns) -> None:
    missing = [c for c in columns if c not in (reader.fieldnames or ())]
    if missing:
        raise ParseError(source, payload.uri, "line 1", f"missing columns {missing} (layout changed upstream?)")


def _number(source: str, uri: str, line: str, column: str, text: str) -> float | None:
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


def _count(source: str, uri: str, line: str, column: str, text: str) -> float | None:
    value = _number(source, uri, line, column, text)
    if value is not None and (value < 0 or not value.is_integer()):
        raise ParseError(source, uri, line, f"{column!r} is not a non-negative whole count: {text!r}")
    return value


def _monday(source: str, uri: str, line: str, day: dt.date) -> dt.date:
    if day.weekday() != 0:
        raise ParseError(source, uri, line, f"week {day} does not start on a Monday")
    return day


def _dated_layout(
    source: str,
    payload: Payload,
    columns: dict[str, str],
    date_format: str,
    running_total: bool,
    label: str,
) -> Parsed:
    """The 2024 and 2025 layouts: one row per week (``Date`` = its Monday), one vintage per file."""
    reader = _reader(source, payload)
    _require(source, payload, reader, ["Date", *columns])
    out = Parsed(rows=[])
    weeks: list[tuple[int, dt.date, dict[str, float]]] = []
    seen: set[dt.date] = set()
    for line, record in _data_rows(reader, out):
        try:
            day = dt.datetime.strptime(record["Date"].strip(), date_format).date()
        except ValueError as exc:
            raise ParseError(
                source, payload.uri, line, f"bad date {record['Date']!r} (expected {date_format})"
            ) from exc
        _monday(source, payload.uri, line, day)
        if day in seen:
            raise ParseError(source, payload.uri, line, f"week {day} appears twice")
        seen.add(day)
        values: dict[str, float] = {}
        for column, measure in columns.items():
            parse = _count if measure == NAMED else _number
            value = parse(source, payload.uri, line, column, record[column])
            if value is None:
                continue
            if measure in values:
                raise ParseError(
                    source,
                    payload.uri,
                    line,
                    f"two upstream columns give {measure} for the same week",
                )
            values[measure] = value
        weeks.append((reader.line_num, day, values))
    if not weeks:
        raise ParseError(source, payload.uri, None, "no data rows")
    vintage = max(day for _, day, _ in weeks) + dt.timedelta(days=6)
    for line_num, day, values in weeks:
        for measure, value in values.items():
            out.rows.append((source, line_num, vintage, label, day, measure, value, running_total))
    return out


def mediazona_2024(payload: Payload, source: str = "mediazona_2024") -> Parsed:
    """``meduza_2024.csv``: Russian headers, ISO dates, every column a running total by week."""
    return _dated_layout(source, payload, MEDIAZONA_2024_COLUMNS, "%Y-%m-%d", True, "meduza_2024.csv")


def mediazona_2025(payload: Payload, source: str = "mediazona_2025") -> Parsed:
    """``meduza_2025_weekly.csv``: English headers, BOM, DD/MM/YYYY, weekly values."""
    return _dated_layout(source, payload, MEDIAZONA_2025_COLUMNS, "%d/%m/%Y", False, "meduza_2025_weekly.csv")


def mediazona_2026(payload: Payload, source: str = "mediazona_2026") -> Parsed:
    """``meduza_2026_weekly.csv``: ISO year/week, one named-deaths column per vintage
    (``Bmz2022`` … ``BmzNow``) and the current estimates (attached to the ``BmzNow`` vintage)."""
    reader = _reader(source, payload)
    fields = list(reader.fieldnames or ())
    years = sorted(int(m.group(1)) for f in fields if (m := _BMZ_YEAR.match(f)))
    if not years:
        raise ParseError(source, payload.uri, "line 1", "no Bmz<year> vintage columns")
    _require(source, payload, reader, ["Year", "Week", BMZ_NOW, *MEDIAZONA_2026_ESTIMATES])
    weeks = []
    seen: set[dt.date] = set()
    out = Parsed(rows=[])
    for line, record in _data_rows(reader, out):
        try:
            day = dt.date.fromisocalendar(int(record["Year"]), int(record["Week"]), 1)
        except (TypeError, ValueError) as exc:
            raise ParseError(
                source,
                payload.uri,
                line,
                f"bad ISO year/week {record['Year']!r}/{record['Week']!r}",
            ) from exc
        if day in seen:
            raise ParseError(
                source,
                payload.uri,
                line,
                f"ISO week {record['Year']}-W{record['Week']} appears twice",
            )
        seen.add(day)
        weeks.append((reader.line_num, day, record, line))
    if not weeks:
        raise ParseError(source, payload.uri, None, "no data rows")
    newest = max(day for _, day, _, _ in weeks)
    now = max(newest + dt.timedelta(days=7), dt.date(years[-1] + 1, 1, 1))
    vintages = [(f"Bmz{y}", dt.date(y, 12, 31)) for y in years] + [(BMZ_NOW, now)]
    for line_num, day, record, line in weeks:
        for column, vintage in vintages:
            value = _count(source, payload.uri, line, column, record[column])
            if value is not None:
                out.rows.append(
                    (
                        source,
                        line_num,
                        vintage,
                        f"meduza_2026_weekly.csv:{column}",
                        day,
                        NAMED,
                        value,
                        False,
                    )
                )
        for column, measure in MEDIAZONA_2026_ESTIMATES.items():
            value = _number(source, payload.uri, line, column, record[column])
            if value is not None:
                out.rows.append(
                    (
                        source,
                        line_num,
                        now,
                        f"meduza_2026_weekly.csv:{BMZ_NOW}",
                        day,
                        measure,
                        value,
                        False,
                    )
                )
    return out


# --- official estimates ----------------------------------------------------------------------

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
    value = _number(source, uri, line, column, text)
    if value is not None and value < 0:
        raise ParseError(source, uri, line, f"{column!r} is negative: {value}")
    return value


def official_estimates(payload: Payload, source: str = "official_estimates") -> Parsed:
    """Rows ``(line, report_date, losses_of, measure, estimate, estimate_low, estimate_high,
    source_name, source_url, warring_party_upstream)``. Dates are D/M/YYYY; numbers may carry
    thousands separators (a documented quirk)."""
    reader = _reader(source, payload)
    _require(source, payload, reader, [*ESTIMATE_COLUMNS, WARRING_FLAG])
    out = Parsed(rows=[])
    for line, record in _data_rows(reader, out):
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


# --- raw tables: name, parser and arrow schema per source (registered in warehouse.ingest.raw) -------

_MEDIAZONA_SCHEMA = pa.schema(
    [
        ("source", pa.string()),
        ("line", pa.int32()),
        ("vintage", pa.date32()),
        ("vintage_label", pa.string()),
        ("week_start", pa.date32()),
        ("measure", pa.string()),
        ("value", pa.float64()),
        ("is_running_total", pa.bool_()),
    ]
)
_ESTIMATES_SCHEMA = pa.schema(
    [
        ("line", pa.int32()),
        ("report_date", pa.date32()),
        ("losses_of", pa.string()),
        ("measure", pa.string()),
        ("estimate", pa.float64()),
        ("estimate_low", pa.float64()),
        ("estimate_high", pa.float64()),
        ("source_name", pa.string()),
        ("source_url", pa.string()),
        ("warring_party_upstream", pa.bool_()),
    ]
)
ROW_TABLES = {
    "mediazona_2024": ("raw.mediazona_weekly", mediazona_2024, _MEDIAZONA_SCHEMA),
    "mediazona_2025": ("raw.mediazona_weekly", mediazona_2025, _MEDIAZONA_SCHEMA),
    "mediazona_2026": ("raw.mediazona_weekly", mediazona_2026, _MEDIAZONA_SCHEMA),
    "official_estimates": ("raw.official_estimates", official_estimates, _ESTIMATES_SCHEMA),
}
