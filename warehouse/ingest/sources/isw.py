"""ISW/CTP area assessed as Russian-controlled (m², compiled by The Economist): one CSV with the
whole history, landed in ``raw.isw_area`` (schema: ``sql/isw.sql``)."""

from __future__ import annotations

import datetime as dt
import math

from warehouse.ingest.fetch import Payload
from warehouse.ingest.parse import Parsed, ParseError, csv_reader, iso_date, records, require_columns
from warehouse.ingest.sources.base import RawTable, Source

TABLE = RawTable("raw.isw_area", ("line", "date", "area_m2"))

ISW_DATE = "date"
ISW_AREA = "area_assessed_as_russia_controlled"
# Derived from the area by The Economist (daily, 7- and 30-day changes, share of Ukraine): the
# facts compute their own, so these are read by nothing; any other column is refused.
ISW_DERIVED = frozenset(
    {
        "change_in_area_assessed_as_russia_controlled",
        "change_in_area_assessed_as_russia_controlled_in_past_7_days",
        "change_in_area_assessed_as_russia_controlled_in_past_30_days",
        "area_assessed_as_russia_controlled_percent",
    }
)


def isw_area(payload: Payload, source: str = "isw") -> Parsed:
    """Rows ``(line, date, area_m2)``. A date repeated with the same area (2026-04-04 upstream)
    is a documented quirk: the first row is kept and the repeat reported; a repeat with a
    different area is an error."""
    reader = csv_reader(source, payload)
    require_columns(source, payload, reader, [ISW_DATE, ISW_AREA], known=ISW_DERIVED.__contains__)
    out = Parsed(rows=[])
    seen: dict[dt.date, float] = {}
    for line, record in records(source, payload.uri, reader):
        day = iso_date(source, payload.uri, line, record[ISW_DATE])
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


ISW = Source.declared("isw", table=TABLE, parse=lambda payload, key: isw_area(payload))
