"""The GX suites of the casualty tables catch what they promise: each test breaks one thing in
otherwise good rows (tests/casualty_rows.py, which pass every suite in test_expectations.py) and
expects exactly the expectations about it to fail."""

from __future__ import annotations

import copy
import datetime as dt

import duckdb
import pandas as pd
import pytest

from expectations import run_suite
from tests.casualty_rows import ROWS
from warehouse.store import catalog

TODAY = dt.date(2026, 11, 25)


def _warehouse(rows: dict[str, list[dict]]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE SCHEMA core; CREATE SCHEMA marts")
    for t in catalog.PUBLISHED:  # every table exists (empty unless given): some frames join others
        con.execute(f"CREATE TABLE {t.qualified} ({', '.join(f'{c.name} {c.type}' for c in t.columns)})")
    for name, table_rows in rows.items():
        t = catalog.table(name)
        frame = pd.DataFrame(table_rows, columns=t.column_names)  # noqa: F841 (read by DuckDB)
        con.execute(f"INSERT INTO {t.qualified} SELECT * FROM frame")
    return con


def _failures(table: str, change) -> list[str]:
    rows = copy.deepcopy(ROWS)
    change(rows[table])
    con = _warehouse({table: rows[table]})
    try:
        return [r.name for r in run_suite(con, table, today=TODAY).failed]
    finally:
        con.close()


def _set(index: int, **values):
    return lambda rows: rows[index].update(values)


@pytest.mark.parametrize(
    ("table", "change", "expected"),
    [
        (
            "fact_confirmed_deaths_weekly",
            _set(0, week_start=dt.date(2022, 2, 22)),
            {"weeks_are_mondays", "latest_is_newest"},
        ),
        ("fact_confirmed_deaths_weekly", _set(0, named_deaths=-3), {"range_named_deaths"}),
        (
            "fact_confirmed_deaths_weekly",
            _set(0, vintage_label="meduza_2024.csv", vintage=dt.date(2026, 1, 1)),
            {"keys_unique", "one_label_per_vintage", "latest_is_newest"},
        ),
        ("fact_casualty_estimates", _set(0, estimate=90000.0), {"estimate_at_most_high"}),
        ("fact_casualty_estimates", _set(1, source_url=None), {"not_null_source_url"}),
        (
            "fact_casualty_estimates",
            _set(1, source_name=None),
            {"not_null_source_name"},
        ),
        ("fact_losses_bitemporal", _set(0, known_to=None), {"one_current_value"}),
        (
            "fact_losses_bitemporal",
            _set(1, known_from=dt.date(2026, 6, 1)),
            {"known_from_not_before_date"},
        ),
        ("fact_loss_revisions", _set(0, old_payload_version=2), {"versions_ordered"}),
    ],
)
def test_a_broken_row_fails_its_expectation(table, change, expected):
    assert set(_failures(table, change)) == expected
