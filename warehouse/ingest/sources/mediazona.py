"""Mediazona/BBC Russian/Meduza named-death lists and excess-death estimates (compiled by The
Economist), landed in ``raw.mediazona_weekly`` (schema: ``sql/mediazona.sql``).

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

import datetime as dt
import re

from warehouse.ingest.fetch import Payload
from warehouse.ingest.parse import Parsed, ParseError, csv_reader, data_rows, number, require_columns
from warehouse.ingest.sources.base import RawTable, Source

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


def _count(source: str, uri: str, line: str, column: str, text: str) -> float | None:
    value = number(source, uri, line, column, text)
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
    reader = csv_reader(source, payload)
    require_columns(source, payload, reader, ["Date", *columns], known=lambda c: False)
    out = Parsed(rows=[])
    weeks: list[tuple[int, dt.date, dict[str, float]]] = []
    seen: set[dt.date] = set()
    for line, record in data_rows(source, payload.uri, reader, out):
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
            parse = _count if measure == NAMED else number
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
    reader = csv_reader(source, payload)
    fields = list(reader.fieldnames or ())
    years = sorted(int(m.group(1)) for f in fields if (m := _BMZ_YEAR.match(f)))
    if not years:
        raise ParseError(source, payload.uri, "line 1", "no Bmz<year> vintage columns")
    require_columns(
        source, payload, reader, ["Year", "Week", BMZ_NOW, *MEDIAZONA_2026_ESTIMATES], known=_BMZ_YEAR.match
    )
    weeks = []
    seen: set[dt.date] = set()
    out = Parsed(rows=[])
    for line, record in data_rows(source, payload.uri, reader, out):
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
        # (vintage, column naming it, measure, value): named deaths in every vintage, then the estimates.
        cells = [(v, c, NAMED, _count(source, payload.uri, line, c, record[c])) for c, v in vintages]
        cells += [
            (now, BMZ_NOW, m, number(source, payload.uri, line, c, record[c]))
            for c, m in MEDIAZONA_2026_ESTIMATES.items()
        ]
        out.rows.extend(
            (source, line_num, vintage, f"meduza_2026_weekly.csv:{label}", day, measure, value, False)
            for vintage, label, measure, value in cells
            if value is not None
        )
    return out


TABLE = RawTable(
    "raw.mediazona_weekly",
    ("source", "line", "vintage", "vintage_label", "week_start", "measure", "value", "is_running_total"),
    source_column="source",
)
MEDIAZONA_2024 = Source.declared("mediazona_2024", table=TABLE, parse=lambda payload, key: mediazona_2024(payload))
MEDIAZONA_2025 = Source.declared("mediazona_2025", table=TABLE, parse=lambda payload, key: mediazona_2025(payload))
MEDIAZONA_2026 = Source.declared("mediazona_2026", table=TABLE, parse=lambda payload, key: mediazona_2026(payload))
SOURCES = (MEDIAZONA_2024, MEDIAZONA_2025, MEDIAZONA_2026)
