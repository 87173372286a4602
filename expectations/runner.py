"""Run a table's suite through Great Expectations 1.x and reduce the result to plain outcomes.

One ephemeral GX context per process (a cache, never a channel for results: created on first
use, ~10 s of imports on a cold start), one pandas Data Source in it with one dataframe asset,
and one GX validation per frame and row_condition, or on a large frame per expectation, each
given only the columns it reads (:func:`validate_specs`):
``batch.validate(ExpectationSuite, result_format=COMPLETE)``. A pipeline run validates in a *session* (its run id): each outcome is
recorded in ``audit.check_results`` under it, and the run's report (expectations.report) is
rendered from those rows, read back by run id in whichever process publishes: every suite runs
once per run. The GX import happens inside these functions, never at module import, so the CLI
stays fast.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import os
import re
import threading
import time
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from warehouse.store import audit, catalog, db

from . import bounds, incremental
from . import cache as validation_cache
from .cadence import CADENCE, FRESHNESS_SQL
from .outcome import MAX_EXAMPLES, ExpectationOutcome, SuiteOutcome
from .suites import ANOMALY_SQL, RECONCILE_SQL, REFERENCES_SQL, STEPS_SQL, Spec, frame_keys, specs_for

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

SQL_DIR = Path(__file__).parent / "sql"
DATASOURCE = "frontline"
ROW_ID = "_row"  # position of a row in its frame; lets examples show the full offending row
_GX_SEVERITY = {"error": "critical", "warn": "warning"}

_lock = threading.RLock()
_context = None


# --------------------------------------------------------------------------------------------
# SQL: files under sql/, table identifiers only from the catalog whitelist, values bound.
# --------------------------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def qualified(table_name: str) -> str:
    """`<schema>."<table>"` for a published table; anything else raises KeyError."""
    t = catalog.table(table_name)  # the whitelist
    return f'{t.schema}."{t.name}"'


@cache
def _sql_text(filename: str) -> str:
    path = SQL_DIR / filename
    if path.parent != SQL_DIR or not path.is_file():
        raise FileNotFoundError(f"no SQL file {filename!r} in {SQL_DIR}")
    return path.read_text(encoding="utf-8")


def render_sql(filename: str) -> str:
    """The SQL of `sql/<filename>` with every `{table}` replaced by its qualified name."""
    return _PLACEHOLDER.sub(lambda m: qualified(m.group(1)), _sql_text(filename))


def read_sql(con: duckdb.DuckDBPyConnection, filename: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
    return query_frame(con, render_sql(filename), params)


def _arrow_safe(table) -> bool:
    """Whether Arrow → pandas gives exactly DuckDB's ``.df()`` for this result: strings with at
    least one value (``.df()`` infers pandas' string dtype from them; an all-NULL or empty column
    stays objects), integers and booleans without NULL (``.df()`` makes them nullable), floats,
    dates (``.df()``: datetime64[us]) and naive microsecond timestamps. Not blobs, lists, decimals…"""
    import pyarrow as pa

    for column, field in zip(table.columns, table.schema, strict=True):
        t, nulls = field.type, column.null_count
        if pa.types.is_string(t) or pa.types.is_large_string(t):
            ok = nulls < len(table)
        elif pa.types.is_integer(t) or pa.types.is_boolean(t):
            ok = nulls == 0
        else:
            ok = (
                pa.types.is_floating(t)
                or pa.types.is_date32(t)
                or (pa.types.is_timestamp(t) and t.tz is None and t.unit == "us")
            )
        if not ok:
            return False
    return True


def _arrow_table(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any] | None):
    """The result of ``sql`` as Arrow, its strings with 64-bit offsets (``large_string``): what
    pandas' Arrow-backed strings hold, so pandas takes them as they are. DuckDB's default 32-bit
    offsets made pandas copy every string column (a third of reading the settlement table)."""
    import duckdb

    setting = "arrow_large_buffer_size"
    try:
        before = con.execute("SELECT current_setting(?)", [setting]).fetchall()[0][0]
        if not before:
            con.execute(f"SET {setting} = true")
    except duckdb.Error:  # a connection whose configuration is locked: DuckDB's default layout
        before = True
    try:
        return con.sql(sql, params=params or None).to_arrow_table()
    finally:
        if not before:
            con.execute(f"SET {setting} = false")


def query_frame(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
    """The result of ``sql`` as the pandas frame DuckDB's ``.df()`` builds, through Arrow: ``.df()``
    makes a Python object per string cell first, which for the settlement tables (millions of rows)
    was the run's peak memory (issue 12). Arrow strings go to pandas' Arrow-backed strings as they
    are. Where the two conversions could differ (:func:`_arrow_safe`), the frame is ``.df()``'s."""
    import pyarrow as pa

    con.complete()  # a result another caller left unfinished (DuckDB runs nothing else until it ends)
    table = _arrow_table(con, sql, params)
    if table.nbytes > 64 << 20:  # what DuckDB used to build a large result, before pandas' copy
        db.release_freed_memory(con)
    if not _arrow_safe(table):
        del table
        return con.execute(sql, params or {}).df()
    dates = [f.name for f in table.schema if pa.types.is_date32(f.type)]
    df = table.to_pandas(date_as_object=False, split_blocks=True, self_destruct=True)
    del table
    for name in dates:
        df[name] = df[name].astype("datetime64[us]")
    return df


# --------------------------------------------------------------------------------------------
# Frames
# --------------------------------------------------------------------------------------------


def _table_query(table: catalog.Table) -> str:
    order = ", ".join(db.sql_identifier(c) for c in table.sort_keys)
    return f"SELECT * FROM {qualified(table.name)} ORDER BY {order}"


def _table_frame(con: duckdb.DuckDBPyConnection, table: catalog.Table, today: dt.date):
    return query_frame(con, _table_query(table))


def _schema_frame(con: duckdb.DuckDBPyConnection, table: catalog.Table, today: dt.date):
    import pandas as pd

    actual = read_sql(con, "schema.sql", {"schema_name": table.schema, "table_name": table.name})
    expected = pd.DataFrame(
        {
            "column_name": table.column_names,
            "expected_position": range(1, len(table.columns) + 1),
            "expected_type": [c.type for c in table.columns],
        }
    )
    df = expected.merge(actual, on="column_name", how="outer")
    # A column absent on one side gets position 0, so schema_columns sees a mismatch instead of
    # a NULL it would skip; its type stays NULL, so schema_types reports only present columns.
    df["expected_position"] = df["expected_position"].fillna(0).astype("int64")
    df["actual_position"] = df["actual_position"].fillna(0).astype("int64")
    first = df[["expected_position", "actual_position"]].where(lambda x: x > 0).min(axis=1)
    return df.assign(_o=first).sort_values(["_o", "column_name"]).drop(columns="_o")


def _steps_frame(con: duckdb.DuckDBPyConnection, table: catalog.Table, today: dt.date):
    return read_sql(con, STEPS_SQL[table.name])


def _reconcile_frame(con: duckdb.DuckDBPyConnection, table: catalog.Table, today: dt.date):
    return read_sql(con, RECONCILE_SQL[table.name])


def _freshness_frame(con: duckdb.DuckDBPyConnection, table: catalog.Table, today: dt.date):
    import pandas as pd

    sql_file, sources = FRESHNESS_SQL[table.name]
    actual = read_sql(con, sql_file)
    expected = pd.DataFrame(
        {
            "source": list(sources),
            "allowed_lag_days": [CADENCE[s].allowed_lag_days for s in sources],
        }
    )
    # outer: a source missing from the table is stale; a source without a cadence is reported too
    df = expected.merge(actual, on="source", how="outer")
    today_ts = pd.Timestamp(today)
    df["newest"] = pd.to_datetime(df["newest"])
    df["oldest_acceptable"] = today_ts - pd.to_timedelta(df["allowed_lag_days"], unit="D")
    df["lag_days"] = (today_ts - df["newest"]).dt.days
    return df.sort_values("source")


def _references_frame(con: duckdb.DuckDBPyConnection, table: catalog.Table, today: dt.date):
    return read_sql(con, REFERENCES_SQL[table.name])


def _anomaly_frame(con: duckdb.DuckDBPyConnection, table: catalog.Table, today: dt.date):
    return read_sql(con, ANOMALY_SQL[table.name])


def _bounds_frame(con: duckdb.DuckDBPyConnection, table: catalog.Table, today: dt.date):
    return bounds.frame(read_sql(con, bounds.FRAME_SQL[table.name]))


def frame_query(table: catalog.Table, frame: str) -> str | None:
    """The SQL query a frame is, row for row, or None for the frames that add values from code
    (schema, freshness, bounds: their source query, :func:`_source_query`). The validation cache
    fingerprints these queries inside DuckDB."""
    if frame == "table":
        return _table_query(table)
    files = {"references": REFERENCES_SQL, "anomaly": ANOMALY_SQL, "reconcile": RECONCILE_SQL, "steps": STEPS_SQL}.get(
        frame
    )
    return render_sql(files[table.name]) if files and table.name in files else None


def _source_query(table: catalog.Table, frame: str, today: dt.date) -> tuple[str, dict[str, Any], list] | None:
    """For a frame built in code (schema, freshness, bounds): the query (and its parameters) whose
    rows it is computed from, and everything else it is computed from (the catalog entry, this
    package's code, expectations.cache.code_version; for freshness, ``today`` and each source's
    allowed lag, which lives in warehouse.ingest.sources). Fingerprinted in DuckDB like a query
    frame, so a frame unchanged since its last validation is never built (nor pandas used)."""
    depends = [validation_cache.code_version(), repr(table)]
    if frame == "schema":
        return render_sql("schema.sql"), {"schema_name": table.schema, "table_name": table.name}, depends
    if frame == "freshness" and table.name in FRESHNESS_SQL:
        sql_file, sources = FRESHNESS_SQL[table.name]
        depends += [today.isoformat(), [repr(CADENCE[s]) for s in sources]]
        return render_sql(sql_file), {}, depends
    if frame == "bounds" and table.name in bounds.FRAME_SQL:
        return render_sql(bounds.FRAME_SQL[table.name]), {}, depends
    return None


def _prepared(df: pd.DataFrame) -> pd.DataFrame:
    """A frame as GX is given it: positions as row ids, microsecond datetimes as nanoseconds."""
    df = df.reset_index(drop=True)
    df[ROW_ID] = range(len(df))
    for name in df.columns[df.dtypes == "datetime64[us]"]:
        # GX compares datetime64[ns] columns vectorised, any other unit one Python object per
        # cell (the settlement table's dates: the run's peak memory, issue 12); same values
        df[name] = df[name].astype("datetime64[ns]")
    return df


def _day_frame(con: duckdb.DuckDBPyConnection, table: catalog.Table, frame: str, query: str):
    try:
        return incremental.day_frame(con, table, frame, query)
    except Exception:  # a query that does not bind (a missing column…): validated whole, which reports it
        return None


_FRAME_BUILDERS = {
    "bounds": _bounds_frame,
    "references": _references_frame,
    "anomaly": _anomaly_frame,
    "table": _table_frame,
    "schema": _schema_frame,
    "steps": _steps_frame,
    "reconcile": _reconcile_frame,
    "freshness": _freshness_frame,
}


# --------------------------------------------------------------------------------------------
# GX
# --------------------------------------------------------------------------------------------


def _gx():
    # Read by the data context when it is created; no usage statistics leave this machine.
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.execution_engine import pandas_execution_engine

    # GX labels every pandas batch with an md5 of the whole frame (pandas' row hashes first) for
    # its batch markers, which frontline never reads: it knows what it validated from its own
    # fingerprints (expectations/cache.py). On the 1.85 M settlement rows that label cost seconds
    # and set the full rebuild's memory peak (issue 12); frames below this size are hashed.
    pandas_execution_engine.HASH_THRESHOLD = 0
    return gx


def get_context():
    """The process-wide ephemeral GX context (created once, reused by every suite run)."""
    global _context
    with _lock:
        if _context is None:
            gx = _gx()
            from great_expectations.data_context.types.base import ProgressBarsConfig

            ctx = gx.get_context(mode="ephemeral")
            ctx.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
            ctx.data_sources.add_pandas(DATASOURCE)
            _context = ctx
        return _context


def _batch_definition(ctx, asset_name: str = "frame"):
    """The one dataframe asset every frame is validated through: adding an asset rewrites the
    context's data source config (~9 ms each; a run validates ~60 frames), and a batch holds
    nothing once it is validated (:func:`_forget`)."""
    ds = ctx.data_sources.get(DATASOURCE)
    try:
        asset = ds.get_asset(asset_name)
    except LookupError:
        asset = ds.add_dataframe_asset(asset_name)
    try:
        return asset.get_batch_definition("whole")
    except KeyError:
        return asset.add_batch_definition_whole_dataframe("whole")


def _row_condition(cond: tuple[str, str, Any] | None):
    if cond is None:
        return None
    from great_expectations.expectations.row_conditions import Column

    column, op, value = cond
    col = Column(column)
    ops = {
        "==": col.__eq__,
        "!=": col.__ne__,
        "<": col.__lt__,
        "<=": col.__le__,
        ">": col.__gt__,
        ">=": col.__ge__,
    }
    return ops[op](value)


def build_expectation(spec: Spec):
    """The GX 1.x expectation object for one Spec."""
    gx = _gx()
    cls = getattr(gx.expectations, spec.expectation_type)
    kwargs = dict(spec.kwargs)
    if spec.row_condition is not None:
        kwargs["row_condition"] = _row_condition(spec.row_condition)
    return cls(
        **kwargs,
        description=spec.description,
        severity=_GX_SEVERITY[spec.severity],
        meta={"name": spec.name, "severity": spec.severity, "severity_reason": spec.reason},
    )


def build_suite(name: str, specs: Iterable[Spec]):
    gx = _gx()
    return gx.ExpectationSuite(name=name, expectations=[build_expectation(s) for s in specs])


# --------------------------------------------------------------------------------------------
# Result → plain values
# --------------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A JSON-able version of a cell: dates as ISO strings, NULL/NaN as None, numpy → Python."""
    import numpy as np
    import pandas as pd

    if value is None or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp | dt.datetime):
        ts = pd.Timestamp(value)
        return ts.date().isoformat() if ts == ts.normalize() else ts.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, bool | int | str):
        return value
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return str(value)


def _exception_text(info: Any) -> str | None:
    """GX puts exceptions either flat or keyed per metric; collect any message."""
    if hasattr(info, "to_json_dict"):
        info = info.to_json_dict()
    if not isinstance(info, dict) or not info:
        return None
    if "raised_exception" in info:
        if not info["raised_exception"]:
            return None
        return str(info.get("exception_message") or "exception")
    texts = [t for t in (_exception_text(v) for v in info.values()) if t]
    return "; ".join(dict.fromkeys(texts)) or None


def _examples(spec: Spec, keys: tuple[str, ...], df: pd.DataFrame, result: dict) -> list[dict]:
    rows = result.get("unexpected_index_list") or []
    positions: list[int] = []
    for r in rows:
        if isinstance(r, dict) and ROW_ID in r:
            positions.append(int(r[ROW_ID]))
        elif isinstance(r, int):
            positions.append(r)
        if len(positions) >= MAX_EXAMPLES:
            break
    cols = [c for c in dict.fromkeys((*keys, *spec.columns)) if c in df.columns]
    out = []
    for pos in positions:
        row = df.iloc[pos]
        out.append({c: _plain(row[c]) for c in cols})
    return out


def _outcome(spec: Spec, keys, df, vr) -> ExpectationOutcome:
    result = dict(vr.result or {})
    exception = _exception_text(vr.exception_info)
    success = bool(vr.success)
    if not success and not exception and not result:
        exception = "GX returned no result (the expectation could not be evaluated)"
    count = result.get("unexpected_count")
    if count is None:  # aggregate expectations (row count): 1 when failed, 0 when not evaluated
        count = 0 if success or exception else 1
    observed = result.get("observed_value")
    return ExpectationOutcome(
        name=spec.name,
        expectation_type=spec.expectation_type,
        severity=spec.severity,
        success=success,
        description=spec.description,
        unexpected_count=int(count),
        examples=_examples(spec, keys, df, result) if not success else [],
        reason=spec.reason,
        observed_value=_plain(observed) if observed is not None else None,
        exception=exception,
    )


def _failed_frame(spec: Spec, error: Exception) -> ExpectationOutcome:
    return ExpectationOutcome(
        name=spec.name,
        expectation_type=spec.expectation_type,
        severity=spec.severity,
        success=False,
        description=spec.description,
        unexpected_count=0,
        reason=spec.reason,
        exception=f"could not build the {spec.frame!r} frame: {type(error).__name__}: {error}",
    )


# --------------------------------------------------------------------------------------------
# Public entry points
# --------------------------------------------------------------------------------------------


def _result_format(index_columns: list[str]) -> dict:
    return {
        "result_format": "COMPLETE",
        "unexpected_index_column_names": index_columns,
        "return_unexpected_index_query": False,
    }


def validate_frame(
    table_name: str, frame: str, df: pd.DataFrame, specs: list[Spec], index_columns: list[str] | None = None
):
    """One GX validation of `specs` against `df` in the cached context (nothing is stored). GX
    reports each unexpected row by ``index_columns`` (default: the frame's keys and its row id)."""
    table = catalog.table(table_name)
    if index_columns is None:
        index_columns = [*frame_keys(table, frame), ROW_ID]
    ctx = get_context()
    with _lock:
        batch = _batch_definition(ctx).get_batch(batch_parameters={"dataframe": df})
        try:
            suite = build_suite(f"{table.name}.{frame}", specs)
            return batch.validate(suite, result_format=_result_format(index_columns))
        finally:
            _forget(batch)


def _forget(batch) -> None:
    """Drop a validated batch from GX's execution engine, which otherwise keeps every frame it was
    given (and the per-row metrics computed on it) for the life of the process: a run held each
    table's frames, the settlement tables' millions of rows included, until it ended (issue 12)."""
    engine = batch.data.execution_engine
    engine.batch_manager.batch_cache.pop(batch.id, None)
    engine.batch_manager.batch_data_cache.pop(batch.id, None)
    engine._metric_cache.clear()  # resolved metrics: keyed by batch, useless once it is validated


def _frame_outcomes(table_name: str, frame: str, df, specs: list[Spec], vres) -> dict[str, ExpectationOutcome]:
    by_name = {r.expectation_config.meta["name"]: r for r in vres.results}
    keys = frame_keys(catalog.table(table_name), frame)
    return {s.name: _outcome(s, keys, df, by_name[s.name]) for s in specs}


def _rows_where(df: pd.DataFrame, cond: tuple[str, str, Any]) -> pd.Series | None:
    """Which rows of ``df`` GX keeps for a row_condition, by GX's own filter (the clause its pandas
    engine builds, evaluated as ``DataFrame.query`` evaluates it before selecting its rows); None
    when the filter fails (a missing column…) or is no plain boolean mask: GX then filters, and
    reports the error as it always did."""
    import pandas as pd

    engine = get_context().data_sources.get(DATASOURCE).get_execution_engine()
    try:
        mask = df.eval(engine.condition_to_filter_clause(_row_condition(cond)))
    except Exception:
        return None
    if not isinstance(mask, pd.Series) or mask.dtype != bool or not mask.index.equals(df.index):
        return None
    return mask


def _kwarg_columns(spec: Spec) -> set[str]:
    """The columns an expectation reads (not the ones only shown in its examples)."""
    cols = {spec.kwargs[k] for k in ("column", "column_A", "column_B") if k in spec.kwargs}
    return cols | set(spec.kwargs.get("column_list", ()))


# From this many rows on, each expectation is validated on a frame of its own columns.
SEPARATE_ROWS = 50_000


def _batches(df: pd.DataFrame, specs: list[Spec]) -> list[list[Spec]]:
    """How ``specs`` are validated: together, or on a large frame one by one. GX copies the rows
    of the whole frame it is given several times for every expectation (null filter, unexpected
    rows: ~5 copies each); a validation of its own costs ~2 ms, a copy of a column of the
    settlement table's 1.85 M rows 5–25 ms."""
    return [[s] for s in specs] if len(df) >= SEPARATE_ROWS else [specs]


def _gx_frame(df: pd.DataFrame, specs: list[Spec], rows: pd.Series | None) -> pd.DataFrame:
    """The rows of ``df`` kept by ``rows`` (all if None), with only the columns ``specs`` read and
    the row id (what GX reports of an unexpected row; examples are read from ``df``). A column
    missing from ``df`` stays missing, and GX reports it as before."""
    cols = {ROW_ID, *(c for s in specs for c in _kwarg_columns(s))}
    keep = [c for c in df.columns if c in cols]
    if rows is None:
        return df if len(keep) == len(df.columns) else df[keep]
    return df.loc[rows, keep]


def validate_specs(table_name: str, frame: str, df: pd.DataFrame, specs: list[Spec]) -> dict[str, ExpectationOutcome]:
    """The outcomes of ``specs`` on ``df`` as GX reports them validating the whole frame, for less:

    - GX filters the whole frame again for every metric of every expectation with a row_condition
      (on the settlement tables' millions of rows, most of a validation's time, issue 12): each
      condition is evaluated once, by GX's own filter, and its rows validated without it;
    - GX copies every column of the frame it is given for every metric, but reads only an
      expectation's own columns: it is given those and the row id (:func:`_gx_frame`), on a
      large frame one expectation at a time (:func:`_batches`), and reports unexpected rows by
      row id alone (plus any key column missing from ``df``, whose absence GX reports as before).

    What GX reports is computed on the same rows and values either way; examples come from ``df``
    (by row id)."""
    keys = frame_keys(catalog.table(table_name), frame)
    index_columns = [*(k for k in keys if k not in df.columns), ROW_ID]
    groups: dict[Any, list[Spec]] = {}
    for s in specs:
        groups.setdefault(s.row_condition, []).append(s)
    outcomes: dict[str, ExpectationOutcome] = {}
    for cond, group in groups.items():
        rows = None if cond is None else _rows_where(df, cond)
        if cond is not None and rows is None:
            vres = validate_frame(table_name, frame, df, group)
            outcomes.update(_frame_outcomes(table_name, frame, df, group, vres))
            continue
        for batch in _batches(df, group):
            unconditioned = [dataclasses.replace(s, row_condition=None) for s in batch]
            part = _gx_frame(df, batch, rows)
            vres = validate_frame(table_name, frame, part, unconditioned, index_columns)
            outcomes.update(_frame_outcomes(table_name, frame, df, batch, vres))
    return {s.name: outcomes[s.name] for s in specs}


def _validate_unstored(table_name: str, frame: str, df, specs: list[Spec], con=None) -> dict[str, ExpectationOutcome]:
    return validate_specs(table_name, frame, df, specs)


def _validate_cached(
    table_name: str, frame: str, df, specs: list[Spec], con=None, key: str | None = None
) -> dict[str, ExpectationOutcome]:
    """The outcomes stored for the same fingerprint (expectations/cache.py; ``key``: the frame
    query's, else the frame's) if nothing the frame's validation depends on changed; otherwise a
    GX validation, stored for the next run."""
    if key is None and con is not None:
        key = validation_cache.fingerprint(table_name, frame, df, specs)
    stored = validation_cache.lookup(con, table_name, frame, key) if key else None
    if stored is not None:
        return stored
    outcomes = _validate_unstored(table_name, frame, df, specs)
    if key:
        validation_cache.save(con, table_name, frame, key, outcomes)
    return outcomes


def _run(con, table_name: str, today: dt.date | None, validate) -> SuiteOutcome:
    started = time.perf_counter()
    table = catalog.table(table_name)  # whitelist check before any SQL is built
    today = today or dt.datetime.now(dt.UTC).date()
    specs = specs_for(table.name, today)
    by_frame: dict[str, list[Spec]] = {}
    for s in specs:
        by_frame.setdefault(s.frame, []).append(s)

    outcomes: dict[str, ExpectationOutcome] = {}
    for frame, frame_specs in by_frame.items():
        key = days = None
        if validate is _validate_cached and (query := frame_query(table, frame)) is not None:
            # unchanged since its last validation? asked of DuckDB before any frame is built
            key = validation_cache.query_fingerprint(con, table.name, frame, query, frame_specs)
            stored = validation_cache.lookup(con, table.name, frame, key) if key else None
            days = _day_frame(con, table, frame, query) if key else None
            if stored is not None:
                outcomes.update(stored)
                if days is not None:
                    incremental.ensure_remembered(con, days, key, frame_specs)
                continue
            if days is not None:  # changed: perhaps on a few days only
                try:
                    found = incremental.validate(con, days, frame_specs, key, validate_specs, _prepared)
                except Exception:  # a missing table or column…: validated whole below, which reports it
                    found = None
                if found is not None:
                    outcomes.update(found)
                    continue
        elif validate is _validate_cached and (source := _source_query(table, frame, today)) is not None:
            query, params, depends = source
            key = validation_cache.query_fingerprint(con, table.name, frame, query, frame_specs, params, depends)
            stored = validation_cache.lookup(con, table.name, frame, key) if key else None
            if stored is not None:
                outcomes.update(stored)
                continue
        try:
            df = _prepared(_FRAME_BUILDERS[frame](con, table, today))
        except Exception as e:  # a missing table or column: report it, don't crash the check
            for s in frame_specs:
                outcomes[s.name] = _failed_frame(s, e)
            continue
        if key:
            outcomes.update(_validate_cached(table.name, frame, df, frame_specs, con, key))
            if days is not None:
                incremental.remember(con, days, key, frame_specs, len(df))
        else:
            outcomes.update(validate(table.name, frame, df, frame_specs, con))
        del df  # before the next frame is built: the settlement tables' frames are large

    return SuiteOutcome(
        table=table.name,
        results=[outcomes[s.name] for s in specs],
        today=today.isoformat(),
        seconds=time.perf_counter() - started,
    )


def run_suite(
    con: duckdb.DuckDBPyConnection, table_name: str, today: dt.date | None = None, session: str | None = None
) -> SuiteOutcome:
    """Validate one published table (schema `core`) against its suite.

    `today` anchors the time-relative expectations (no future dates, freshness); it defaults to
    the current UTC date. Never raises for bad data: every failure is an ExpectationOutcome.
    Raises KeyError for a name that is not in warehouse.store.catalog.

    With `session` (a pipeline run's id), frames unchanged since their last validation reuse its
    stored outcomes (expectations/cache.py) and the outcome is recorded in `audit.check_results`
    under the run's id: `run_suites(..., session=...)` (publishing, in whichever process it runs)
    reads it from there instead of validating the table a second time. Validating a table again
    in the same session (a retried check) replaces its recorded outcome.
    """
    today = today or dt.datetime.now(dt.UTC).date()
    if session is None:
        return _run(con, table_name, today, _validate_unstored)
    outcome = _run(con, table_name, today, _validate_cached)
    audit.record(con, session, outcome.table, outcome.results, today=today, seconds=outcome.seconds)
    return outcome


def recorded_outcomes(con: duckdb.DuckDBPyConnection, session: str, today: dt.date) -> dict[str, SuiteOutcome]:
    """The outcomes `run_suite` recorded in `session` against the same `today`, by table."""
    return {
        table: SuiteOutcome(
            table=table,
            results=[ExpectationOutcome(**r) for r in suite["results"]],
            today=suite["today"].isoformat(),
            seconds=suite["seconds"],
        )
        for table, suite in audit.recorded(con, session).items()
        if suite["today"] == today
    }


def run_suites(
    con: duckdb.DuckDBPyConnection,
    names: Iterable[str] | None = None,
    today: dt.date | None = None,
    session: str | None = None,
) -> dict[str, SuiteOutcome]:
    """Run several tables' suites (default: every published table), keyed by table name.

    With `session`, tables whose outcome the session recorded (the run's asset checks, on the
    same data) are read back from `audit.check_results`, not validated again: the report
    (expectations.report) is rendered from those results. A table the session did not check
    (e.g. its step was not re-executed) is validated here, with the validation cache.
    """
    names = [t.name for t in catalog.PUBLISHED] if names is None else list(names)
    for n in names:
        catalog.table(n)
    today = today or dt.datetime.now(dt.UTC).date()
    if session is None:
        return {n: run_suite(con, n, today) for n in names}
    stored = recorded_outcomes(con, session, today)
    return {n: stored[n] if n in stored else _run(con, n, today, _validate_cached) for n in names}
