"""What a source module declares: its :class:`Source` (where the files are, licence, cadence, how
to parse a payload, what to check before landing it) and the :class:`RawTable` its rows go to.

:func:`warehouse.ingest.land.land` is the one path that uses these to land a payload.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from warehouse.ingest.parse import Parsed
from warehouse.ingest.plausibility import whole_file_rows

GITHUB_RAW = "https://raw.githubusercontent.com"
# The Economist's compilation (ISW areas, Mediazona vintages, official estimates).
ECONOMIST = (
    f"{GITHUB_RAW}/TheEconomist/the-economist-ukraine-war-dead-and-wounded-estimates/main/"
    "source-data/deaths-and-casualties-data"
)


@dataclass(frozen=True)
class Freshness:
    """How far behind today a source's newest date may be before it counts as stale: used by the
    freshness expectations (WARN) and the status page. ``None``: no fixed cadence (a closed
    vintage, irregular publications, a reference file), never stale."""

    allowed_lag_days: int | None
    why: str


@dataclass(frozen=True)
class RawTable:
    """A table in schema ``raw`` (created by the source's ``sql/<module>.sql``) and the columns of
    the rows its parser yields, in order: every column but ``version``, which landing adds. The rows of
    one payload are those of its version, narrowed by ``key_column`` (holds the payload key: a day,
    a snapshot id) and ``source_column`` (holds the source name, for a table several sources
    share). Table names come only from source modules: the whitelist SQL is built from."""

    name: str
    columns: tuple[str, ...]
    key_column: str | None = None
    source_column: str | None = None


@dataclass(frozen=True, eq=False)
class Source:
    name: str
    description: str
    publisher: str
    licence: str
    live_url: str  # may contain {yyyymmdd}
    mirror_path: str  # relative to a mirror base, may contain {yyyymmdd}
    freshness: Freshness
    daily: bool = False  # one file per day (else one file with the whole history)
    # Landing (warehouse.ingest.land): the raw table, or one per payload key ("*": every other key).
    table: RawTable | Mapping[str, RawTable] | None = None
    # (payload, key) → rows for the key's table; raises ParseError.
    parse: Callable[..., Parsed] | None = None
    # (con, source, key, payload, parsed, current version or None, today) → quirks; raises Implausible.
    check: Callable[..., list[str]] = whole_file_rows
    # True: a payload from another URI is a new version even with the same bytes (the URI names
    # the package version the bytes come from: settlements).
    uri_is_version: bool = False
    # The day a payload key stands for, when it is not an ISO date (a snapshot id): `reparse --since`.
    key_date: Callable[[str], dt.date | None] | None = None

    def table_of(self, key: str) -> RawTable:
        if isinstance(self.table, RawTable):
            return self.table
        return self.table[key] if key in self.table else self.table["*"]

    def relative_path(self, day: dt.date | None = None) -> str:
        return self.mirror_path.format(yyyymmdd=day.strftime("%Y%m%d") if day else "")

    def file_name(self, day: dt.date | None = None) -> str:
        return self.relative_path(day).rsplit("/", 1)[-1]

    def url(self, base: str | None, day: dt.date | None = None) -> str:
        """The URI to fetch: the live URL, or the mirror path under ``base``."""
        if base is None:
            return self.live_url.format(yyyymmdd=day.strftime("%Y%m%d") if day else "")
        return base.rstrip("/") + "/" + self.relative_path(day)
