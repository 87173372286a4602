"""Run someone else's SQL on the published read-only snapshot, safely.

The published snapshot is a DuckDB file. `frontline query "SQL"` and library callers read it
through the functions here, which open it *hardened*:

* read-only, no extension auto-install/auto-load, no Python replacement scans (a query cannot read
  a pandas DataFrame that happens to be a variable in this process);
* bounded: `memory_limit`, `threads`, `max_execution_time` (ms, new in DuckDB 2.0, cooperative:
  checked between chunks, so a query stops shortly after the limit, not exactly at it), no spilling
  to disk unless a `temp_directory` is given, and at most `max_rows` rows handed back to Python;
* `SET enable_external_access=false` (no read_csv/read_text/glob/COPY/ATTACH/INSTALL/LOAD; it can
  never be turned back on), then `SET lock_configuration=true` (every later SET/RESET fails);
* only SELECT and EXPLAIN statements are run (`check_statements`); for EXPLAIN the explained
  statement must itself be a SELECT, because `EXPLAIN ANALYZE CREATE TEMP TABLE …` executes and a
  read-only database still accepts TEMP objects, which would shadow the snapshot's tables for later
  queries on the same connection.

Every refusal raises `QueryRefused` (a `ValueError`), every failure a `duckdb.Error`; neither leaves
the connection unusable, so a caller can keep one connection and call `execute` repeatedly:

    con = open_snapshot(path)
    try:
        table = execute(con, "SELECT * FROM t WHERE day >= ?", ["2024-01-01"])
    finally:
        con.close()

DuckDB caches one database instance per file inside a process: opening the same snapshot again with
the *same* settings while a connection is open returns the already hardened instance (handled here);
opening it with *different* settings, or without them, raises `duckdb.ConnectionException`.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import duckdb
import pyarrow as pa

__all__ = [
    "DEFAULT_MAX_ROWS",
    "QueryRefused",
    "ResultTooLarge",
    "check_statements",
    "execute",
    "format_result",
    "open_snapshot",
    "run_query",
]

DEFAULT_MAX_ROWS = 1_000_000
ALLOWED_STATEMENTS = ("SELECT", "EXPLAIN")

Params = Sequence[Any] | dict[str, Any] | None
Format = Literal["table", "csv", "json"]


class QueryRefused(ValueError):
    """The SQL was not run because it is not allowed on the snapshot."""


class ResultTooLarge(QueryRefused):
    """The query ran but returned more rows than the caller accepts."""


# --------------------------------------------------------------------------------------------
# Opening


def open_snapshot(
    path: Path | str,
    *,
    memory_limit: str = "1GB",
    threads: int = 1,
    max_execution_time_ms: int = 30_000,
    temp_directory: Path | str | None = None,
    max_temp_directory_size: str = "1GB",
) -> duckdb.DuckDBPyConnection:
    """Open the snapshot file read-only, with resource limits, no file/network access and a
    locked configuration.

    Without `temp_directory` nothing spills to disk (a query that needs more than `memory_limit`
    fails with an out-of-memory error instead of writing `<snapshot>.tmp/` next to the published
    file); with it, spilling goes there, up to `max_temp_directory_size`.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"snapshot not found: {path}")
    if temp_directory is None:
        temp_dir, temp_size = "", "0GB"
    else:
        temp_dir, temp_size = str(temp_directory), max_temp_directory_size

    config: dict[str, Any] = {
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
        "python_enable_replacements": False,
        "memory_limit": memory_limit,
        "threads": int(threads),
        "temp_directory": temp_dir,
        "max_temp_directory_size": temp_size,
        "max_execution_time": int(max_execution_time_ms),
    }
    con = duckdb.connect(str(path), read_only=True, config=config)
    try:
        # A second open of the same file with the same config inside this process gets DuckDB's
        # cached instance, which is already locked: SET would fail, and is not needed.
        if not _setting(con, "lock_configuration"):
            con.execute("SET enable_external_access = false")
            con.execute("SET lock_configuration = true")
        _verify_hardened(con)
    except BaseException:
        con.close()
        raise
    return con


def _setting(con: duckdb.DuckDBPyConnection, name: str) -> Any:
    rows = con.execute("SELECT current_setting(?)", [name]).fetchall()
    return rows[0][0] if rows else None


def _verify_hardened(con: duckdb.DuckDBPyConnection) -> None:
    expected = {
        "access_mode": "read_only",
        "enable_external_access": "false",
        "python_enable_replacements": "false",
        "autoinstall_known_extensions": "false",
        "autoload_known_extensions": "false",
        "lock_configuration": "true",
    }
    rows = con.execute(
        "SELECT name, lower(value) FROM duckdb_settings() WHERE name IN "
        "('access_mode', 'enable_external_access', 'python_enable_replacements', "
        "'autoinstall_known_extensions', 'autoload_known_extensions', 'lock_configuration')"
    ).fetchall()
    actual = dict(rows)
    wrong = {k: actual.get(k) for k, v in expected.items() if actual.get(k) != v}
    if wrong:
        raise RuntimeError(f"snapshot connection is not hardened as expected: {wrong}")


# --------------------------------------------------------------------------------------------
# Checking


def check_statements(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Raise `QueryRefused` unless `sql` holds at least one statement and every statement is a
    SELECT (incl. WITH/FROM-first/VALUES/DESCRIBE/SUMMARIZE/SHOW/PIVOT … IN (…)) or an EXPLAIN of
    one. A syntax error raises `duckdb.ParserException`."""
    statements = con.extract_statements(sql)
    if not statements:
        raise QueryRefused("no SQL statement given")
    for number, statement in enumerate(statements, start=1):
        kind = statement.type.name
        where = f"statement {number}" if len(statements) > 1 else "the statement"
        if kind not in ALLOWED_STATEMENTS:
            hint = ""
            if kind == "MULTI":
                hint = (
                    " (PIVOT without an explicit IN list runs as several statements;"
                    " list the pivot values: PIVOT t ON col IN ('a', 'b') USING …)"
                )
            raise QueryRefused(
                f"only SELECT and EXPLAIN statements are allowed on the snapshot; {where} is "
                f"{kind}: {_excerpt(statement.query)}{hint}"
            )
        if kind == "EXPLAIN":
            inner = _explained_type(con, statement.query)
            if inner != "SELECT":
                raise QueryRefused(
                    f"only EXPLAIN of a SELECT is allowed on the snapshot; {where} explains "
                    f"{inner or 'something that could not be checked'}: "
                    f"{_excerpt(statement.query)}"
                )


def _excerpt(query: str, limit: int = 80) -> str:
    text = " ".join(query.split()).rstrip(";").strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _explained_type(con: duckdb.DuckDBPyConnection, query: str) -> str | None:
    """Type of the statement an EXPLAIN statement explains, found with DuckDB's own tokenizer
    (comments nest in DuckDB, so a regex would misread `/* /* */ … */`); None if it cannot be
    determined."""
    tokens = duckdb.tokenize(query)
    spans: list[tuple[int, str, Any]] = []  # (position, text, token type), comments dropped
    for i, (pos, kind) in enumerate(tokens):
        end = tokens[i + 1][0] if i + 1 < len(tokens) else len(query)
        if kind != duckdb.token_type.comment:
            spans.append((pos, query[pos:end].strip(), kind))

    def word(i: int) -> str:
        return spans[i][1].upper() if i < len(spans) else ""

    i = 0
    if word(i) != "EXPLAIN":
        return None
    i += 1
    if word(i) in ("ANALYZE", "ANALYSE"):
        i += 1
    if i < len(spans) and spans[i][2] == duckdb.token_type.operator and word(i).startswith("("):
        depth = 0  # skip the option list: EXPLAIN (ANALYZE, FORMAT json) …
        while i < len(spans):
            _, text, kind = spans[i]
            if kind == duckdb.token_type.operator:
                depth += text.count("(") - text.count(")")
            i += 1
            if depth <= 0:
                break
        if depth != 0:
            return None
    if i >= len(spans):
        return None
    try:
        inner = con.extract_statements(query[spans[i][0] :])
    except duckdb.Error:
        return None
    if len(inner) != 1:
        return None
    return inner[0].type.name


# --------------------------------------------------------------------------------------------
# Running


def execute(
    con: duckdb.DuckDBPyConnection,
    sql: str,
    params: Params = None,
    *,
    max_rows: int | None = DEFAULT_MAX_ROWS,
) -> pa.Table:
    """Check and run one SELECT/EXPLAIN statement on `con` and return its rows as an Arrow table.

    `params` binds `?`/`$1` (list) or `$name` (dict) placeholders. More than `max_rows` rows raise
    `ResultTooLarge` (None: no cap). Refusals raise `QueryRefused`, failures (syntax, binder,
    conversion, out-of-memory, `max_execution_time`) a `duckdb.Error`; `con` stays usable.
    """
    check_statements(con, sql)
    statements = con.extract_statements(sql)
    if len(statements) != 1:
        raise QueryRefused(f"run one statement at a time; got {len(statements)} statements")
    rel = con.sql(statements[0], params=params)
    names = list(rel.columns)
    if max_rows is None:
        return rel.to_arrow_table()
    table = rel.limit(max_rows + 1).to_arrow_table()
    if table.num_rows > max_rows:
        raise ResultTooLarge(f"the result has more than {max_rows:,} rows; add a LIMIT or aggregate")
    # The LIMIT wrapper renames duplicate column names (a, a_1); give back the query's own.
    return table.rename_columns(names)


def run_query(
    path: Path | str,
    sql: str,
    params: Params = None,
    *,
    memory_limit: str = "1GB",
    threads: int = 1,
    max_execution_time_ms: int = 30_000,
    temp_directory: Path | str | None = None,
    max_temp_directory_size: str = "1GB",
    max_rows: int | None = DEFAULT_MAX_ROWS,
) -> pa.Table:
    """Open the snapshot hardened (see `open_snapshot`), run one statement, close it."""
    con = open_snapshot(
        path,
        memory_limit=memory_limit,
        threads=threads,
        max_execution_time_ms=max_execution_time_ms,
        temp_directory=temp_directory,
        max_temp_directory_size=max_temp_directory_size,
    )
    try:
        return execute(con, sql, params, max_rows=max_rows)
    finally:
        con.close()


# --------------------------------------------------------------------------------------------
# Formatting


def format_result(table: pa.Table, fmt: Format = "table") -> str:
    """Render an Arrow table as text ending in a newline.

    * ``table``: aligned columns (numbers right, text left), a dashed rule under the header,
      NULL shown as ``NULL``, multi-line values (EXPLAIN plans) kept on their own lines, and a
      ``(N rows)`` footer;
    * ``csv``: RFC 4180 with a header row, NULL as an empty field, ``\\n`` line ends;
    * ``json``: an array of objects, one per line, keys in column order; dates and times ISO 8601,
      decimals as numbers, NaN/±inf as null.
    """
    names = table.column_names
    columns = [col.to_pylist() for col in table.columns]
    rows = list(zip(*columns, strict=True)) if columns else []
    if fmt == "table":
        return _format_table(names, [_is_numeric(f.type) for f in table.schema], rows)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(names)
        for row in rows:
            writer.writerow(["" if v is None else _text(v) for v in row])
        return out.getvalue()
    if fmt == "json":
        if not rows:
            return "[]\n"
        lines = [
            json.dumps(
                {n: _jsonable(v) for n, v in zip(names, row, strict=True)},
                ensure_ascii=False,
                allow_nan=False,
            )
            for row in rows
        ]
        return "[\n" + ",\n".join(lines) + "\n]\n"
    raise ValueError(f"unknown format {fmt!r}; use 'table', 'csv' or 'json'")


def _is_numeric(t: pa.DataType) -> bool:
    return pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t)


def _format_table(names: list[str], numeric: list[bool], rows: list[tuple]) -> str:
    cells = [[("NULL" if v is None else _text(v).rstrip("\n")).split("\n") for v in row] for row in rows]
    widths = [len(n) for n in names]
    for row in cells:
        for j, lines in enumerate(row):
            widths[j] = max(widths[j], *(len(line) for line in lines))

    def line(values: list[str]) -> str:
        parts = [v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric, strict=True)]
        return "  ".join(parts).rstrip()

    out = [line(list(names)), line(["-" * w for w in widths])]
    for row in cells:
        height = max((len(lines) for lines in row), default=1)
        for k in range(height):
            out.append(line([lines[k] if k < len(lines) else "" for lines in row]))
    n = len(rows)
    out.append(f"({n} row{'' if n == 1 else 's'})")
    return "\n".join(out) + "\n"


def _text(v: Any) -> str:
    """A non-null value as plain text (table and CSV)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dt.date | dt.time):  # datetime is a date
        return v.isoformat()
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, bytes):
        return "\\x" + v.hex()
    if isinstance(v, list | dict):
        return json.dumps(_jsonable(v), ensure_ascii=False)
    if type(v).__name__ == "MonthDayNano":
        return _interval_text(v)
    return str(v)


def _jsonable(v: Any) -> Any:
    if v is None or isinstance(v, bool | int | str):
        return v
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if isinstance(v, decimal.Decimal):
        if not v.is_finite():
            return None
        return int(v) if v == v.to_integral_value() else float(v)
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, list | tuple) and type(v).__name__ != "MonthDayNano":
        return [_jsonable(x) for x in v]
    return _text(v)


def _interval_text(v: Any) -> str:
    parts = []
    years, months = divmod(v.months, 12)
    for amount, unit in ((years, "year"), (months, "month"), (v.days, "day")):
        if amount:
            parts.append(f"{amount} {unit}{'' if abs(amount) == 1 else 's'}")
    if v.nanoseconds or not parts:
        sign = "-" if v.nanoseconds < 0 else ""
        micros = abs(v.nanoseconds) // 1000
        secs, micros = divmod(micros, 1_000_000)
        hours, secs = divmod(secs, 3600)
        mins, secs = divmod(secs, 60)
        clock = f"{sign}{hours:02d}:{mins:02d}:{secs:02d}"
        parts.append(clock + (f".{micros:06d}" if micros else ""))
    return " ".join(parts)
