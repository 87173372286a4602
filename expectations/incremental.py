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
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import cache as validation_cache
from .outcome import ExpectationOutcome

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


def _days(con: duckdb.DuckDBPyConnection, qualified: str, day: str) -> dict[Any, tuple[int, int, int]]:
    """Per value of the day column: row count and two sums of 64-bit row hashes (as the frame
    fingerprint, expectations/cache.py)."""
    rows = con.execute(
        f"SELECT \"{day}\", count(*), sum(hash(f)::HUGEINT), sum(hash(f, 'frontline')::HUGEINT)"  # noqa: S608 - catalog names
        f" FROM (SELECT * FROM {qualified}) AS f GROUP BY ALL"
    ).fetchall()
    return {d: (int(n), int(a), int(b)) for d, n, a, b in rows}


def _base(con: duckdb.DuckDBPyConnection, table_name: str, day: str):
    """(fingerprint, specs by name, days) of the table's last validation, or None."""
    row = con.execute(
        "SELECT b.fingerprint, b.specs_json FROM audit.validation_bases AS b"
        " JOIN audit.validation_cache AS c ON c.table_name = b.table_name AND c.frame = 'table'"
        " AND c.fingerprint = b.fingerprint WHERE b.table_name = ? AND b.day_column = ?",
        [table_name, day],
    ).fetchone()
    if row is None:
        return None
    days = con.execute(
        "SELECT day, row_count, hash_a, hash_b FROM audit.validation_days WHERE table_name = ? AND fingerprint = ?",
        [table_name, row[0]],
    ).fetchall()
    return row[0], {s["name"]: s for s in json.loads(row[1])}, {d: (int(n), int(a), int(b)) for d, n, a, b in days}


def remember(
    con: duckdb.DuckDBPyConnection, table: catalog.Table, key: str, specs: list[Spec], rows_validated: int
) -> None:
    """Store what the table holds, day by day, beside the outcomes just stored under ``key``."""
    day = day_column(table)
    if day is None or not validation_cache.has_audit_table(con, "validation_bases"):
        return
    # The base row last: until it names ``key``, the days stored under ``key`` are not used.
    con.execute("DELETE FROM audit.validation_days WHERE table_name = ?", [table.name])
    con.execute(
        f'INSERT INTO audit.validation_days SELECT ?, ?, "{day}", count(*), sum(hash(f)::HUGEINT),'  # noqa: S608 - catalog names
        f" sum(hash(f, 'frontline')::HUGEINT) FROM (SELECT * FROM {table.qualified}) AS f GROUP BY ALL",
        [table.name, key],
    )
    con.execute(
        "INSERT OR REPLACE INTO audit.validation_bases VALUES (?, ?, ?, ?, ?, now())",
        [table.name, key, day, json.dumps([_spec_json(s) for s in specs]), rows_validated],
    )


def ensure_remembered(con: duckdb.DuckDBPyConnection, table: catalog.Table, key: str, specs: list[Spec]) -> None:
    """Remember the days of a table whose stored outcomes were just reused, if nothing is
    remembered for them (a warehouse validated before this module existed): its next change is
    then validated by day too."""
    if day_column(table) is None or not validation_cache.has_audit_table(con, "validation_bases"):
        return
    known = con.execute(
        "SELECT count(*) FROM audit.validation_bases WHERE table_name = ? AND fingerprint = ?", [table.name, key]
    ).fetchone()[0]
    if not known:
        remember(con, table, key, specs, 0)


Check = Callable[[str, str, "pd.DataFrame", list], dict[str, ExpectationOutcome]]
Frame = Callable[[str, list, "list[str] | None"], "pd.DataFrame"]


def validate(
    con: duckdb.DuckDBPyConnection, table: catalog.Table, specs: list[Spec], key: str, check: Check, frame: Frame
) -> dict[str, ExpectationOutcome] | None:
    """The outcomes of ``specs`` on the table, validating its changed days only where that gives
    the whole table's outcome; None when the whole table is to be validated as usual.

    ``check(table, "table", df, specs)`` validates a frame; ``frame(where, params, columns)`` reads
    the table's rows that satisfy the SQL condition ``where``, in frame order, with ``columns``
    only (None: all of them)."""
    day = day_column(table)
    if day is None or not validation_cache.has_audit_table(con, "validation_bases"):
        return None
    base = _base(con, table.name, day)
    if base is None:
        return None
    fingerprint, old_specs, old_days = base
    stored = validation_cache.lookup(con, table.name, "table", fingerprint)
    if stored is None:
        return None
    days = _days(con, table.qualified, day)
    changed = [d for d, v in days.items() if old_days.get(d) != v]
    changed_rows, total = sum(days[d][0] for d in changed), sum(n for n, _, _ in days.values())
    if changed_rows > MAX_CHANGED_SHARE * total:
        return None

    by_day, whole = [], []
    for s in specs:
        old, before = old_specs.get(s.name), stored.get(s.name)
        held = before is not None and before.success and before.unexpected_count == 0 and before.exception is None
        if held and old is not None and _looser_or_same(old, _spec_json(s)) and _by_day(s, day):
            by_day.append(s)
        else:
            whole.append(s)

    outcomes: dict[str, ExpectationOutcome] = {}
    if by_day:
        if changed:
            nulls = None in changed
            dates = [d for d in changed if d is not None]
            where = f'(list_contains(?::DATE[], "{day}") OR ("{day}" IS NULL AND ?))'
            outcomes.update(check(table.name, "table", frame(where, [dates, nulls], None), by_day))
        else:  # days only removed: every remaining row passed before
            outcomes.update({s.name: stored[s.name] for s in by_day})
    read = changed_rows if by_day else 0
    if whole:
        columns = _columns(table, whole)
        outcomes.update(check(table.name, "table", frame("true", [], columns), whole))
        read += total if columns else 0
    result = {s.name: outcomes[s.name] for s in specs}
    validation_cache.save(con, table.name, "table", key, result)
    remember(con, table, key, specs, read)
    return result


def _columns(table: catalog.Table, specs: list[Spec]) -> list[str]:
    """The columns validating ``specs`` reads or shows, and the row keys; none for expectations
    about the table as a whole (the row count)."""
    read = {c for s in specs for c in s.columns} | {s.row_condition[0] for s in specs if s.row_condition}
    if not read:
        return []
    return [c for c in table.column_names if c in read or c in table.grain]
