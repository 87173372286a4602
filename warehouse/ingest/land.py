"""The one path that lands a payload in schema ``raw``: find the current version of (source, key),
do nothing for the same bytes, else parse, check plausibility (quarantine on failure) and insert
the payload (with its provenance) and its parsed rows as the next version, in one transaction.

Every source goes through :func:`land` (its module declares the parser, the checks and the raw
table in its :class:`~warehouse.ingest.sources.base.Source`); :func:`ingest` fetches a source's
file first. The stored payload bytes can be parsed again without re-downloading: :func:`reparse`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

import duckdb
import pyarrow as pa

from warehouse.ingest import quarantine
from warehouse.ingest.fetch import Payload, fetch
from warehouse.ingest.parse import Parsed, ParseError
from warehouse.store.config import Settings
from warehouse.store.db import registered
from warehouse.store.sqlfiles import load

if TYPE_CHECKING:  # (the source modules import this one)
    from warehouse.ingest.sources.base import RawTable, Source

WHOLE_FILE_KEY = "all"


@dataclass
class Landed:
    """What landing one payload did: ``new`` (a new version), ``unchanged`` (same bytes as the
    current version) or ``not_yet`` (the file is not published yet)."""

    source: str
    key: str
    status: str  # "new" | "unchanged" | "not_yet"
    uri: str
    version: int | None = None
    sha256: str | None = None
    quirks: list[str] = field(default_factory=list)


class Current(NamedTuple):
    version: int
    sha256: str
    uri: str


def current(con: duckdb.DuckDBPyConnection, source: str, key: str) -> Current | None:
    """The current (highest) version of a payload, or None when none is held."""
    rows = con.execute(
        "SELECT version, sha256, uri FROM raw.current_payloads WHERE source = ? AND key = ?", [source, key]
    ).fetchall()
    return Current(*rows[0]) if rows else None


def land(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    source: Source,
    key: str,
    payload: Payload,
    parsed: Parsed | None = None,
) -> Landed:
    """Land ``payload`` as the next version of (source, key) unless it is the current one.
    ``parsed``: rows already parsed from it (else ``source.parse``). A payload that fails parsing
    or plausibility is quarantined and the :class:`ParseError` re-raised; nothing is written."""
    held = current(con, source.name, key)
    if held and held.sha256 == payload.sha256 and (not source.uri_is_version or held.uri == payload.uri):
        return Landed(source.name, key, "unchanged", payload.uri, held.version, payload.sha256)
    table = source.table_of(key)
    try:
        parsed, incoming = _read(source, payload, key, table, parsed)
        quirks = parsed.quirks + source.check(
            con, source, key, payload, parsed, held.version if held else None, settings.today
        )
    except ParseError as exc:
        quarantine.put(settings.quarantine_dir, source.name, key, payload, exc)
        raise
    version = (held.version if held else 0) + 1
    con.begin()
    try:
        con.execute(
            "INSERT INTO raw.payloads VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [source.name, key, version, payload.uri, payload.sha256, payload.fetched_at, len(payload.content),
             payload.content],
        )  # fmt: skip
        _insert_rows(con, table, version, incoming)
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return Landed(source.name, key, "new", payload.uri, version, payload.sha256, quirks)


def ingest(con: duckdb.DuckDBPyConnection, settings: Settings, source: Source, day: dt.date | None = None) -> Landed:
    """Fetch a source's file (of ``day`` for a daily source) and land it."""
    key = day.isoformat() if day else WHOLE_FILE_KEY
    uri = source.url(settings.sources, day)
    payload = fetch(uri, interval_s=settings.http_interval_s)
    if payload is None:
        return Landed(source.name, key, "not_yet", uri)
    return land(con, settings, source, key, payload)


def _read(
    source: Source, payload: Payload, key: str, table: RawTable, parsed: Parsed | None
) -> tuple[Parsed, pa.Table | None]:
    """The payload's parsed rows (``parsed``, else ``source.parse``) and the Arrow table they are
    inserted from. Whatever goes wrong here is the payload's doing (a parser met bytes of a shape
    no rule names yet; a field whose JSON type changes from row to row, which Arrow cannot put in
    one column): it becomes a ParseError naming the source and file, so the payload is
    quarantined and the step fails once, not a bare traceback that Dagster retries three times."""
    try:
        parsed = parsed or source.parse(payload, key)
        return parsed, _arrow(table, parsed.rows)
    except ParseError:
        raise
    except Exception as exc:
        raise ParseError(
            source.name, payload.uri, None, f"unreadable ({type(exc).__name__}: {exc}); no parser rule covers this"
        ) from exc


def _arrow(table: RawTable, rows: list[tuple]) -> pa.Table | None:
    # Arrow infers each column's type from its values; DuckDB casts them to the table's on insert.
    if not rows:
        return None
    return pa.Table.from_pydict(dict(zip(table.columns, zip(*rows, strict=True), strict=True)))


def _insert_rows(con: duckdb.DuckDBPyConnection, table: RawTable, version: int, incoming: pa.Table | None) -> None:
    if incoming is None:
        return
    with registered(con, "incoming_rows", incoming):
        con.execute(f"INSERT INTO {table.name} BY NAME SELECT ?::INTEGER AS version, * FROM incoming_rows", [version])  # noqa: S608 - whitelisted


def _payload_rows(table: RawTable, source: Source, key: str) -> tuple[str, list]:
    """The WHERE clause (after ``version = ?``) and parameters selecting one payload's rows."""
    clause, params = "", []
    if table.key_column:
        clause += f" AND CAST({table.key_column} AS VARCHAR) = ?"
        params.append(key)
    if table.source_column:
        clause += f" AND {table.source_column} = ?"
        params.append(source.name)
    return clause, params


@dataclass
class Reparsed:
    key: str
    version: int
    rows: int
    changed: bool  # the rebuilt rows differ from the stored ones


def reparse(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    since: dt.date | None = None,
    on_changed: Callable[[duckdb.DuckDBPyConnection, str], None] | None = None,
) -> list[Reparsed]:
    """Rebuild the parsed raw rows of every stored payload version of ``source`` from the bytes in
    ``raw.payloads`` (after a parser fix), one transaction per payload; nothing is fetched and no
    version is added. ``since``: only payloads whose day (the key's date, ``source.key_date``; for a
    whole-history file, the day it was fetched) is on or after it. Plausibility is not re-checked:
    these bytes passed it (or were accepted) when they landed. ``on_changed(con, key)`` runs inside
    the transaction of a payload whose rows changed (to make the next run recompute what depends on
    them). A payload that no longer parses raises :class:`ParseError`; its rows stay as they were."""
    stored = con.execute(
        "SELECT key, version, uri, fetched_at FROM raw.payloads WHERE source = ? ORDER BY key, version",
        [source.name],
    ).fetchall()
    done = []
    for key, version, uri, fetched_at in stored:
        day = (source.key_date(key) if source.key_date else _iso_day(key)) or fetched_at.date()
        if since is not None and day < since:
            continue
        (content,) = con.execute(
            "SELECT content FROM raw.payloads WHERE source = ? AND key = ? AND version = ?",
            [source.name, key, version],
        ).fetchone()
        parsed = source.parse(Payload(uri, content, fetched_at), key)
        table = source.table_of(key)
        clause, params = _payload_rows(table, source, key)
        where = f"FROM {table.name} WHERE version = ?{clause}"  # whitelisted table and columns
        rows_sql = f"SELECT * EXCLUDE (version) {where} ORDER BY ALL"  # noqa: S608
        con.begin()
        try:
            before = con.execute(rows_sql, [version, *params]).fetchall()
            con.execute(f"DELETE {where}", [version, *params])
            _insert_rows(con, table, version, _arrow(table, parsed.rows))
            changed = con.execute(rows_sql, [version, *params]).fetchall() != before
            if changed and on_changed:
                on_changed(con, key)
            con.commit()
        except BaseException:
            con.rollback()
            raise
        done.append(Reparsed(key, version, len(parsed.rows), changed))
    return done


def ensure_current_parser(
    con: duckdb.DuckDBPyConnection, source: Source, on_changed: Callable[[duckdb.DuckDBPyConnection, str], None]
) -> list[Reparsed]:
    """Rebuild ``source``'s stored rows (:func:`reparse`, ``on_changed`` as there) when they were
    made by another parser version than the code's (``Source.parser_version``), then record the
    code's: a parser fix reaches an existing warehouse on its next run, not only through
    ``frontline reparse``. Rows stored before versions were recorded count as version 1. A
    stored payload the new parser refuses raises :class:`ParseError` (the version is not recorded,
    so the next run tries again)."""
    recorded, has_payloads = con.execute(load("warehouse.ingest", "parser_version"), {"source": source.name}).fetchone()
    if recorded == source.parser_version:
        return []
    done = []
    if has_payloads and (recorded or 1) != source.parser_version:
        done = reparse(con, source, None, on_changed)
    params = {"source": source.name, "parser_version": source.parser_version}
    con.execute(load("warehouse.ingest", "record_parser_version"), params)
    return done


def _iso_day(key: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(key)
    except ValueError:
        return None
