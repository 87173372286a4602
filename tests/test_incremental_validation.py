"""A table that changed on a few days has only those days' rows validated again (with the row
count and what cannot be decided by day validated on the whole table), and reports exactly what
validating the whole table reports: outcomes, counts and examples, whether the new rows pass or not."""

from __future__ import annotations

import datetime as dt
import shutil

import duckdb
import pytest

from expectations import run_suites
from expectations.runner import frame_query
from tests.test_expectations import TODAY, warehouse  # noqa: F401 - the module fixture
from warehouse.store import catalog
from warehouse.store.sqlfiles import load

TABLES = ["fact_control_daily", "fact_losses_daily", "fact_settlement_control_daily"]


@pytest.fixture
def con(warehouse, tmp_path):  # noqa: F811 - the imported fixture
    path = tmp_path / "warehouse.duckdb"
    shutil.copy(warehouse, path)
    c = duckdb.connect(str(path))
    c.execute(load("warehouse", "raw_schema"))  # audit.validation_cache
    c.execute(load("warehouse.store", "migration_006_validation_days"))
    yield c
    c.close()


def _plain(outcomes) -> dict:
    return {n: [r.to_dict() for r in o.results] for n, o in outcomes.items()}


def _validated(con, frame: str = "table") -> dict[str, int]:
    """Rows the last validation of each table's ``frame`` read."""
    return dict(
        con.execute("SELECT table_name, rows_validated FROM audit.validation_bases WHERE frame = ?", [frame]).fetchall()
    )


def _frame_rows(con, table: str, frame: str, since) -> int:
    """Rows of a table's frame on or after ``since``, counted from the frame's own query."""
    query = frame_query(catalog.table(table), frame)
    return con.execute(f"SELECT count(*) FROM ({query}) AS q WHERE date >= ?", [since]).fetchone()[0]


def _add_day(con, name: str, **changes) -> int:
    """A copy of the table's last day as the next day (with ``changes`` to its values); its rows."""
    t = catalog.table(name)
    con.execute(
        f"CREATE TEMP TABLE new_day AS SELECT * FROM {t.qualified} WHERE date = (SELECT max(date) FROM {t.qualified})"
    )
    con.execute("UPDATE new_day SET date = date + 1")
    for column, value in changes.items():
        con.execute(f'UPDATE new_day SET "{column}" = ?', [value])
    con.execute(f"INSERT INTO {t.qualified} SELECT * FROM new_day")
    rows = con.execute("SELECT count(*) FROM new_day").fetchone()[0]
    con.execute("DROP TABLE new_day")
    return rows


def _whole(con, today=TODAY):
    """What validating every table whole says (no session: nothing stored is used)."""
    return _plain(run_suites(con, TABLES, today))


def test_a_new_day_alone_is_validated_and_the_outcomes_are_the_whole_tables(con):
    first = run_suites(con, TABLES, TODAY, session="a")
    totals = {n: con.execute(f"SELECT count(*) FROM {catalog.table(n).qualified}").fetchone()[0] for n in TABLES}
    assert _validated(con) == totals  # the first validation reads every row
    assert all(o.passed for o in first.values())

    new_day = {n: con.execute(f"SELECT max(date) + 1 FROM {catalog.table(n).qualified}").fetchone()[0] for n in TABLES}
    _add_day(con, "fact_control_coverage_daily")  # the calendar the references check the facts against
    added = {n: _add_day(con, n) for n in TABLES}
    second = run_suites(con, TABLES, TODAY, session="b")
    assert _plain(second) == _whole(con)
    assert _validated(con) == added  # only the new day's rows were read
    # and of the frames joining other tables to them, the new day's rows
    references = {n: _frame_rows(con, n, "references", new_day[n]) for n in TABLES}
    assert _validated(con, "references") == references
    # (the settlement table's references frame holds only rows with a false flag: none here)
    assert references["fact_settlement_control_daily"] == 0 and all(
        v for n, v in references.items() if n != "fact_settlement_control_daily"
    )

    # a later `today` loosens "no future dates": the stored days still count
    later = TODAY + dt.timedelta(days=3)
    added = {n: _add_day(con, n) for n in TABLES}
    assert _plain(run_suites(con, TABLES, later, session="c")) == _whole(con, later)
    assert _validated(con) == added


def test_bad_rows_on_the_new_day_fail_as_in_the_whole_table(con):
    run_suites(con, TABLES, TODAY, session="a")
    _add_day(con, "fact_settlement_control_daily", distance_to_front_km=9_999.0, status="somewhere")
    _add_day(con, "fact_losses_daily", category=None)
    second = run_suites(con, TABLES, TODAY, session="b")
    assert _plain(second) == _whole(con)
    failed = {n: sorted(r.name for r in o.failed) for n, o in second.items()}
    assert "status_known" in failed["fact_settlement_control_daily"]
    assert any("category" in r.description for r in second["fact_losses_daily"].failed)
    assert all(r.examples for o in second.values() for r in o.failed if r.unexpected_count)

    # the next day passes, but the failed expectations are validated on the whole table again
    _add_day(con, "fact_control_daily")
    third = run_suites(con, TABLES, TODAY, session="c")
    assert _plain(third) == _whole(con)
    assert not third["fact_settlement_control_daily"].passed


def test_an_old_day_changed_in_place_is_validated_again(con):
    run_suites(con, TABLES, TODAY, session="a")
    t = catalog.table("fact_losses_daily")
    day = con.execute(f"SELECT min(date) FROM {t.qualified}").fetchone()[0]
    con.execute(f"UPDATE {t.qualified} SET category = NULL WHERE date = ?", [day])
    changed = con.execute(f"SELECT count(*) FROM {t.qualified} WHERE date = ?", [day]).fetchone()[0]
    second = run_suites(con, TABLES, TODAY, session="b")
    assert _plain(second) == _whole(con)
    assert not second["fact_losses_daily"].passed
    assert _validated(con)["fact_losses_daily"] == changed


def test_a_rebuild_that_changes_most_rows_is_validated_whole(con):
    run_suites(con, TABLES, TODAY, session="a")
    t = catalog.table("fact_settlement_control_daily")
    con.execute(f"UPDATE {t.qualified} SET distance_to_front_km = distance_to_front_km * 1.0001")
    total = con.execute(f"SELECT count(*) FROM {t.qualified}").fetchone()[0]
    assert _plain(run_suites(con, TABLES, TODAY, session="b")) == _whole(con)
    assert _validated(con)["fact_settlement_control_daily"] == total
