"""Validate a changed table by the days that changed, when that is what validating it whole gives.

A new DeepState day changes a fact table on one or two days out of hundreds; validating the whole
table again (the settlement table's 1.9 M rows) made one new day cost what the history costs
(issue 12). So a table with a DATE key keeps, beside its stored outcomes (expectations/cache.py),
what it held day by day when they were computed (row count and two sums of 64-bit row hashes per
day, ``audit.validation_days``, and the expectations then, ``audit.validation_bases``). When it
changes, the days whose rows differ are found in DuckDB, and:

- an expectation about each row on its own (values in a range or a set, not null, A > B…) that
  held on every row last time (no unexpected row, no error) and is the same expectation, or a
  looser range of the same column, is validated by GX on the changed days' rows only: the other
  rows are the ones that passed, so the unexpected rows of the whole table are the changed days'
  ones, in the same order (the examples are the same);
- uniqueness over a set of columns that includes the day is validated the same way: two rows with
  the same key have the same day, so a duplicate lies within a changed day;
- anything else (the row count, a uniqueness without the day, an expectation that failed or warned
  last time or changed) is validated by GX on the whole table, reading only the columns it needs
  (the row count: a frame of the table's rows without columns).

The outcomes are therefore those of a whole validation (tests/test_incremental_validation.py
compares them, examples included, on real slices). When most rows changed (a rebuild), or nothing
is stored to compare with, the whole table is validated as before.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from warehouse.store.db import sql_identifier

from . import cache as validation_cache
from .outcome import ExpectationOutcome
from .suites import frame_keys

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

    from warehouse.store import catalog

    from .suites import Spec

# GX expectations whose result on a frame is the union of their results on its rows
ROW_WISE = frozenset(
    {
        "ExpectColumnValuesToBeBetween",
        "ExpectColumnValuesToBeInSet",
        "ExpectColumnValuesToNotBeNull",
        "ExpectColumnValuesToBeNull",
        "ExpectColumnValuesToMatchRegex",
        "ExpectColumnPairValuesAToBeGreaterThanB",
        "ExpectColumnPairValuesToBeEqual",
    }
)
UNIQUE = frozenset({"ExpectCompoundColumnsToBeUnique", "ExpectColumnValuesToBeUnique"})
MAX_CHANGED_SHARE = 0.5  # beyond this share of the rows, the whole table is validated


def day_column(table: catalog.Table) -> str | None:
    """The first DATE column of the table's sort keys: what a table is compared by, day by day."""
    return next((k for k in table.sort_keys if table.column(k).type.upper() == "DATE"), None)


@dataclasses.dataclass(frozen=True)
class DayFrame:
    """A frame that is one SQL query (the table, its references…) whose rows carry the table's day
    column, and the output columns its final ORDER BY sorts by (to read some days in frame order)."""

    table: catalog.Table
    name: str
    rows: str  # the query without its final ORDER BY
    day: str
    order: tuple[str, ...]

    def select(self, columns: list[str] | None, where: str = "true") -> str:
        cols = "*" if columns is None else ", ".join(sql_identifier(c) for c in columns)
        order = ", ".join(sql_identifier(c) for c in self.order)
        return f"SELECT {cols} FROM ({self.rows}) AS q WHERE {where} ORDER BY {order}"  # noqa: S608 - whitelisted


_SORT_KEY = re.compile(r'^(?:\w+\.)?"?(\w+)"?$')


def day_frame(con: duckdb.DuckDBPyConnection, table: catalog.Table, name: str, query: str) -> DayFrame | None:
    """The frame as a :class:`DayFrame`, or None: no day column, no final ORDER BY of plain
    column names, or those not among its output columns."""
    day = day_column(table)
    rows = validation_cache.unordered(query)
    if day is None or rows == query:
        return None
    keys = re.sub(r"(?is)^\s*ORDER\s+BY\s+", "", query[len(rows) :].strip().rstrip(";"))
    order = [_SORT_KEY.match(k.strip()) for k in keys.split(",")]
    if not all(order):
        return None
    columns = set(con.sql(query).columns)
    order_names = tuple(m.group(1) for m in order)
    if day not in columns or not columns.issuperset(order_names):
        return None
    return DayFrame(table, name, rows, day, order_names)


def _spec_json(spec: Spec) -> dict[str, Any]:
    return json.loads(json.dumps(dataclasses.asdict(spec), sort_keys=True, default=str))


def _looser_or_same(old: dict, new: dict) -> bool:
    """Whether every value within ``old``'s range is within ``new``'s: the same expectation, or a
    range of the same column that only grew (``today`` moved on, and with it a date's upper bound)."""
    if old == new:
        return True
    if new["expectation_type"] != "ExpectColumnValuesToBeBetween" or old["expectation_type"] != new["expectation_type"]:
        return False
    bounds, said = ("min_value", "max_value"), ("kwargs", "description")  # the description names the bounds
    if {k: v for k, v in old.items() if k not in said} != {k: v for k, v in new.items() if k not in said}:
        return False
    if {k: v for k, v in old["kwargs"].items() if k not in bounds} != {
        k: v for k, v in new["kwargs"].items() if k not in bounds
    }:
        return False
    for bound, wider in (("min_value", lambda o, n: n <= o), ("max_value", lambda o, n: n >= o)):
        o, n = old["kwargs"].get(bound), new["kwargs"].get(bound)
        if n is None:
            continue
        if o is None or type(o) is not type(n) or not wider(o, n):
            return False
    return True


def _by_day(spec: Spec, day: str) -> bool:
    """Whether the whole table's outcome of ``spec`` is decided by the changed days' rows alone
    (given it held on every row before)."""
    if spec.expectation_type in ROW_WISE:
        return "mostly" not in spec.kwargs
    if spec.expectation_type in UNIQUE:
        columns = spec.kwargs.get("column_list") or [spec.kwargs.get("column")]
        return day in columns and spec.row_condition is None
    return False


def _days(con: duckdb.DuckDBPyConnection, frame: DayFrame) -> dict[Any, tuple[int, int, int]]:
    """Per value of the day column: row count and two sums of 64-bit row hashes (two seeds)."""
    rows = con.execute(_DAYS_SQL.format(day=sql_identifier(frame.day), rows=frame.rows)).fetchall()
    return {d: (int(n), int(a), int(b)) for d, n, a, b in rows}


_DAYS_SQL = (
    "SELECT {day}, count(*), sum(hash(f)::HUGEINT), sum(hash(f, 'frontline')::HUGEINT) FROM ({rows}) AS f GROUP BY ALL"
)


def _base(con: duckdb.DuckDBPyConnection, frame: DayFrame):
    """(fingerprint, specs by name, days) of the frame's last validation, or None."""
    row = con.execute(
        "SELECT b.fingerprint, b.specs_json FROM audit.validation_bases AS b"
        " JOIN audit.validation_cache AS c USING (table_name, frame, fingerprint)"
        " WHERE b.table_name = ? AND b.frame = ? AND b.day_column = ?",
        [frame.table.name, frame.name, frame.day],
    ).fetchone()
    if row is None:
        return None
    days = con.execute(
        "SELECT day, row_count, hash_a, hash_b FROM audit.validation_days"
        " WHERE table_name = ? AND frame = ? AND fingerprint = ?",
        [frame.table.name, frame.name, row[0]],
    ).fetchall()
    return row[0], {s["name"]: s for s in json.loads(row[1])}, {d: (int(n), int(a), int(b)) for d, n, a, b in days}


def remember(con: duckdb.DuckDBPyConnection, frame: DayFrame, key: str, specs: list[Spec], rows_validated: int) -> None:
    """Store what the frame holds, day by day, beside the outcomes just stored under ``key``."""
    if not validation_cache.has_audit_table(con, "validation_bases"):
        return
    t = frame.table.name
    # The base row last: until it names ``key``, the days stored under ``key`` are not used.
    con.execute("DELETE FROM audit.validation_days WHERE table_name = ? AND frame = ?", [t, frame.name])
    con.execute(
        "INSERT INTO audit.validation_days SELECT ?, ?, ?, * FROM ("
        + _DAYS_SQL.format(day=sql_identifier(frame.day), rows=frame.rows)
        + ")",
        [t, frame.name, key],
    )
    con.execute(
        "INSERT OR REPLACE INTO audit.validation_bases VALUES (?, ?, ?, ?, ?, ?, now())",
        [t, frame.name, key, frame.day, json.dumps([_spec_json(s) for s in specs]), rows_validated],
    )


def ensure_remembered(con: duckdb.DuckDBPyConnection, frame: DayFrame, key: str, specs: list[Spec]) -> None:
    """Remember the days of a frame whose stored outcomes were just reused, if nothing is
    remembered for them (a warehouse validated before this module existed): its next change is
    then validated by day too."""
    if not validation_cache.has_audit_table(con, "validation_bases"):
        return
    known = con.execute(
        "SELECT count(*) FROM audit.validation_bases WHERE table_name = ? AND frame = ? AND fingerprint = ?",
        [frame.table.name, frame.name, key],
    ).fetchone()[0]
    if not known:
        remember(con, frame, key, specs, 0)


Check = Callable[[str, str, "pd.DataFrame", list], dict[str, ExpectationOutcome]]
Prepare = Callable[["pd.DataFrame"], "pd.DataFrame"]


def validate(
    con: duckdb.DuckDBPyConnection, frame: DayFrame, specs: list[Spec], key: str, check: Check, prepare: Prepare
) -> dict[str, ExpectationOutcome] | None:
    """The outcomes of ``specs`` on the frame, validating its changed days only where that gives
    the whole frame's outcome; None when the whole frame is to be validated as usual.

    ``check(table, frame, df, specs)`` validates a pandas frame; ``prepare(df)`` makes one what GX
    is given (row ids…)."""
    from .runner import query_frame

    def read(sql: str, params: list):
        return prepare(query_frame(con, sql, params))

    if not validation_cache.has_audit_table(con, "validation_bases"):
        return None
    base = _base(con, frame)
    if base is None:
        return None
    fingerprint, old_specs, old_days = base
    stored = validation_cache.lookup(con, frame.table.name, frame.name, fingerprint)
    if stored is None:
        return None
    days = _days(con, frame)
    changed = [d for d, v in days.items() if old_days.get(d) != v]
    changed_rows, total = sum(days[d][0] for d in changed), sum(n for n, _, _ in days.values())
    if changed_rows > MAX_CHANGED_SHARE * total:
        return None

    by_day, whole = [], []
    for s in specs:
        old, before = old_specs.get(s.name), stored.get(s.name)
        held = before is not None and before.success and before.unexpected_count == 0 and before.exception is None
        if held and old is not None and _looser_or_same(old, _spec_json(s)) and _by_day(s, frame.day):
            by_day.append(s)
        else:
            whole.append(s)

    t = frame.table.name
    outcomes: dict[str, ExpectationOutcome] = {}
    if by_day:
        if changed:
            day = sql_identifier(frame.day)
            where = f"(list_contains(?::DATE[], {day}) OR ({day} IS NULL AND ?))"
            dates = [d for d in changed if d is not None]
            outcomes.update(check(t, frame.name, read(frame.select(None, where), [dates, None in changed]), by_day))
        else:  # days only removed: every remaining row passed before
            outcomes.update({s.name: stored[s.name] for s in by_day})
    read_rows = changed_rows if by_day else 0
    if whole:
        columns = _columns(frame, whole)
        if columns:
            df = read(frame.select(columns), [])
        else:  # the row count: the frame's rows, no column read
            import pandas as pd

            df = prepare(pd.DataFrame(index=range(total)))
        outcomes.update(check(t, frame.name, df, whole))
        read_rows += total if columns else 0
    result = {s.name: outcomes[s.name] for s in specs}
    validation_cache.save(con, t, frame.name, key, result)
    remember(con, frame, key, specs, read_rows)
    return result


def _columns(frame: DayFrame, specs: list[Spec]) -> list[str]:
    """The columns validating ``specs`` reads or shows, and the frame's row keys; none for
    expectations about the frame as a whole (the row count: its rows without columns)."""
    read = {c for s in specs for c in s.columns} | {s.row_condition[0] for s in specs if s.row_condition}
    if not read:
        return []
    return list(dict.fromkeys([*frame_keys(frame.table, frame.name), *sorted(read)]))
