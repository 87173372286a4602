"""The quality suites against a real DuckDB file with small hand-made `core.*` tables.

The good warehouse passes every suite; each bad case is a real-shaped defect that must fail with
the right expectation name and severity, and show the offending row in `examples`.
Every bad case runs inside a transaction that is rolled back, so the file is built once.
"""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import pandas as pd
import pytest

from expectations import run_suite, specs_for
from tests.casualty_rows import ROWS as CASUALTY_ROWS
from tests.settlement_rows import SETTLEMENT_ROWS
from tests.territory_rows import TERRITORY_ROWS
from warehouse.store import catalog
from warehouse.store.sqlfiles import load, names

TODAY = dt.date(2026, 11, 25)
START = dt.date(2026, 3, 20)
DEEPSTATE_LAST = dt.date(2026, 11, 24)
ISW_LAST = dt.date(2026, 11, 22)
GAP_DAY = dt.date(2026, 8, 18)  # a missing DeepState archive day


def _days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def _control_rows() -> list[dict]:
    rows = []
    # DeepState: whole of Ukraine, Donetsk oblast and the remainder (UNATTRIBUTED, so the regional
    # rows add up to 'UA'), one gap day, gained/lost per snapshot.
    # (UNATTRIBUTED kept under its physical bound, expectations/bounds.py)
    regions = (("UA", 109_361.0, 15.5, 5.25), ("UA-14", 107_550.0, 9.0, 2.5), ("UNATTRIBUTED", 1_811.0, 6.5, 2.75))
    for region, base, gained, lost in regions:
        area = None
        last_obs = None
        for day in _days(START, DEEPSTATE_LAST):
            if day == GAP_DAY:
                rows.append(
                    dict(
                        date=day,
                        source="deepstate",
                        region_code=region,
                        **{"class": "occupied_total"},
                        coverage="missing",
                        area_km2=None,
                        gained_km2=None,
                        lost_km2=None,
                        net_change_km2=None,
                        is_observed=False,
                        days_since_previous=None,
                    )
                )
                continue
            if area is None:
                area, g, lo, net, since = base, None, None, None, None
            else:
                since = (day - last_obs).days
                g, lo = gained * since, lost * since
                net = g - lo
                area = area + net
            rows.append(
                dict(
                    date=day,
                    source="deepstate",
                    region_code=region,
                    **{"class": "occupied_total"},
                    coverage="observed",
                    area_km2=area,
                    gained_km2=g,
                    lost_km2=lo,
                    net_change_km2=net,
                    is_observed=True,
                    days_since_previous=since,
                )
            )
            last_obs = day
    # ISW: totals only (gained/lost NULL), converted from m² upstream.
    area = None
    for day in _days(START, ISW_LAST):
        net = None if area is None else 7.125
        area = 112_400.0 if area is None else area + net
        rows.append(
            dict(
                date=day,
                source="isw",
                region_code="UA",
                **{"class": "occupied_total"},
                coverage="observed",
                area_km2=area,
                gained_km2=None,
                lost_km2=None,
                net_change_km2=net,
                is_observed=True,
                days_since_previous=None if net is None else 1,
            )
        )
    return rows


def _losses_rows() -> list[dict]:
    rows = []
    for category, base, step in (("personnel", 1_090_000, 1_100), ("tanks", 11_200, 3)):
        cumulative = None
        for day in _days(START, DEEPSTATE_LAST):
            daily, correction, is_corr = step, 0, False
            if category == "tanks" and day == dt.date(2026, 10, 5):
                daily, correction, is_corr = -2, -5, True  # the General Staff took 5 tanks back
            if cumulative is None:
                cumulative, daily = base, None
            else:
                cumulative += daily
            rows.append(
                dict(
                    date=day,
                    category=category,
                    cumulative=cumulative,
                    daily=daily,
                    correction=correction,
                    is_correction=is_corr,
                    qualifier="about" if category == "personnel" else None,
                )
            )
    return rows


def _insert(con: duckdb.DuckDBPyConnection, table_name: str, rows: list[dict]) -> None:
    t = catalog.table(table_name)
    frame = pd.DataFrame(rows, columns=t.column_names)  # noqa: F841 (read by DuckDB below)
    cols = ", ".join(f'"{c}"' for c in t.column_names)
    con.execute(f"INSERT INTO {t.qualified} ({cols}) SELECT {cols} FROM frame")


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> str:
    path = str(tmp_path_factory.mktemp("wh") / "warehouse.duckdb")
    con = duckdb.connect(path)
    # raw and audit tables (empty): the bound expectations trace rows to payloads and acceptances
    con.execute(load("warehouse", "raw_schema"))
    con.execute(load("warehouse.store", "migration_002_check_results_detail"))  # whole outcomes per run
    for name in names("warehouse.ingest.sources"):  # every source's raw tables
        con.execute(load("warehouse.ingest.sources", name))
    con.execute("CREATE SCHEMA core")
    con.execute("CREATE SCHEMA marts")
    for t in catalog.PUBLISHED:
        cols = ", ".join(f'"{c.name}" {c.type}' for c in t.columns)
        con.execute(f"CREATE TABLE {t.qualified} ({cols})")
    for name, rows in CASUALTY_ROWS.items():
        _insert(con, name, rows)
    for name, rows in TERRITORY_ROWS.items():
        _insert(con, name, rows)
    for name, rows in SETTLEMENT_ROWS.items():
        _insert(con, name, rows)
    _insert(con, "fact_control_daily", _control_rows())
    _insert(con, "fact_losses_daily", _losses_rows())
    con.execute("""
        INSERT INTO core.fact_control_monthly
        SELECT date_trunc('month', date)::DATE, source, region_code, class,
               arg_max(area_km2, date) FILTER (WHERE is_observed),
               sum(gained_km2), sum(lost_km2), sum(net_change_km2),
               count(*) FILTER (WHERE is_observed), day(last_day(min(date)))
        FROM core.fact_control_daily GROUP BY ALL
    """)
    con.execute("""
        INSERT INTO core.fact_losses_monthly
        SELECT date_trunc('month', date)::DATE, category, sum(daily),
               arg_max(cumulative, date), count(*)
        FROM core.fact_losses_daily GROUP BY ALL
    """)
    con.execute("""
        INSERT INTO core.dim_date
        SELECT d::DATE, year(d), date_trunc('month', d)::DATE, isoyear(d), week(d),
               date_trunc('week', d)::DATE, date_diff('day', DATE '2022-02-24', d::DATE) + 1
        FROM range(DATE '2026-03-20', DATE '2026-11-25', INTERVAL 1 DAY) AS r(d)
    """)
    con.execute("""
        INSERT INTO core.dim_source VALUES
        ('deepstate', 'Daily map of occupied territory', 'DeepStateMap', 'CC BY-NC 4.0',
         'https://github.com/cyterat/deepstate-map-data'),
        ('isw', 'Assessed Russian-controlled area', 'ISW/CTP', 'see upstream', 'https://example.org/isw')
    """)
    con.execute("""
        INSERT INTO core.dim_loss_category VALUES
        ('personnel', 'personnel', 'russia_losses_personnel.json', 'Personnel killed or wounded'),
        ('tanks', 'tank', 'russia_losses_equipment.json', 'Main battle tanks')
    """)
    con.close()
    return path


@pytest.fixture
def con(warehouse):
    """A connection inside a transaction that is rolled back after the test."""
    c = duckdb.connect(warehouse)
    c.execute("BEGIN")
    yield c
    c.execute("ROLLBACK")
    c.close()


def _only_failure(outcome, name):
    failed = [r.name for r in outcome.failed]
    assert failed == [name], outcome.summary_text()
    return outcome.result(name)


# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("table", [t.name for t in catalog.PUBLISHED])
def test_good_warehouse_passes(con, table):
    outcome = run_suite(con, table, today=TODAY)
    assert outcome.passed, outcome.summary_text()
    assert outcome.failed == []
    assert outcome.names == [s.name for s in specs_for(table, TODAY)]
    assert all(r.exception is None for r in outcome.results)
    meta = outcome.to_metadata()
    json.dumps(meta)  # plain JSON-able
    assert meta["passed"] is True and meta["failed_errors"] == []


def test_good_suite_shapes(con):
    daily = run_suite(con, "fact_control_daily", today=TODAY)
    r = daily.result("keys_unique")
    assert (r.expectation_type, r.severity, r.success) == (
        "ExpectCompoundColumnsToBeUnique",
        "error",
        True,
    )
    assert daily.result("fresh").severity == "warn"
    assert daily.result("schema_types").expectation_type == "ExpectColumnPairValuesToBeEqual"
    assert daily.result("not_empty").observed_value == 3 * 250 + 248  # 3 DeepState regions + ISW
    monthly = run_suite(con, "fact_losses_monthly", today=TODAY)
    expected = {"reconcile_total", "reconcile_cumulative_end", "months_match_days"}
    assert expected <= set(monthly.names)


def test_duplicated_isw_day_fails_keys_unique(con):
    # The ISW file really lists 2026-04-04 twice.
    con.execute("""
        INSERT INTO core.fact_control_daily
        SELECT * REPLACE (area_km2 + 0.5 AS area_km2) FROM core.fact_control_daily
        WHERE source = 'isw' AND date = DATE '2026-04-04'
    """)
    outcome = run_suite(con, "fact_control_daily", today=TODAY)
    assert not outcome.passed
    r = _only_failure(outcome, "keys_unique")
    assert (r.severity, r.expectation_type, r.unexpected_count) == (
        "error",
        "ExpectCompoundColumnsToBeUnique",
        2,
    )
    assert r.examples == [
        {"date": "2026-04-04", "source": "isw", "region_code": "UA", "class": "occupied_total"},
        {"date": "2026-04-04", "source": "isw", "region_code": "UA", "class": "occupied_total"},
    ]
    assert [e.name for e in outcome.errors] == ["keys_unique"]
    text = outcome.summary_text()
    assert "ERROR keys_unique" in text and "date='2026-04-04', source='isw'" in text


def test_negative_daily_without_correction_flag(con):
    con.execute("""
        UPDATE core.fact_losses_daily SET is_correction = false, correction = 0
        WHERE category = 'tanks' AND date = DATE '2026-10-05'
    """)
    outcome = run_suite(con, "fact_losses_daily", today=TODAY)
    r = _only_failure(outcome, "negative_daily_is_correction")
    assert (r.severity, r.expectation_type, r.unexpected_count) == (
        "error",
        "ExpectColumnValuesToBeInSet",
        1,
    )
    cumulative = 11_200 + 3 * (dt.date(2026, 10, 4) - START).days - 2
    assert r.examples == [
        {
            "date": "2026-10-05",
            "category": "tanks",
            "is_correction": False,
            "daily": -2,
            "cumulative": cumulative,
            "correction": 0,
        }
    ]
    assert outcome.to_metadata()["failed_errors"] == ["negative_daily_is_correction"]


def test_daily_not_matching_cumulative(con):
    con.execute("""
        UPDATE core.fact_losses_daily SET daily = 1200
        WHERE category = 'personnel' AND date = DATE '2026-07-01'
    """)
    outcome = run_suite(con, "fact_losses_daily", today=TODAY)
    r = _only_failure(outcome, "daily_matches_cumulative")
    assert r.unexpected_count == 1
    assert r.examples[0]["date"] == "2026-07-01"
    e = r.examples[0]
    assert (e["daily"], e["cumulative"] - e["previous_cumulative"]) == (1200, 1100)


def test_monthly_control_total_differs_from_sum_of_days(con):
    con.execute("""
        UPDATE core.fact_control_monthly SET gained_km2 = gained_km2 + 5
        WHERE month = DATE '2026-10-01' AND source = 'deepstate' AND region_code = 'UA'
    """)
    outcome = run_suite(con, "fact_control_monthly", today=TODAY)
    r = _only_failure(outcome, "reconcile_gained_km2")
    assert (r.severity, r.expectation_type, r.unexpected_count) == (
        "error",
        "ExpectColumnValuesToBeBetween",
        1,
    )
    (ex,) = r.examples
    assert (ex["month"], ex["source"], ex["region_code"]) == ("2026-10-01", "deepstate", "UA")
    assert ex["gained_km2_diff"] == pytest.approx(5.0)
    assert ex["gained_km2"] == pytest.approx(31 * 15.5 + 5)
    assert ex["gained_km2_days"] == pytest.approx(31 * 15.5)


def test_monthly_losses_total_and_cumulative_end(con):
    con.execute("""
        UPDATE core.fact_losses_monthly SET total = total + 1, cumulative_end = cumulative_end - 3
        WHERE month = DATE '2026-10-01' AND category = 'tanks'
    """)
    con.execute("DELETE FROM core.fact_losses_monthly WHERE month = DATE '2026-06-01' AND category = 'personnel'")
    outcome = run_suite(con, "fact_losses_monthly", today=TODAY)
    assert sorted(r.name for r in outcome.errors) == [
        "months_match_days",
        "reconcile_cumulative_end",
        "reconcile_reported_days",
        "reconcile_total",
    ]
    total = outcome.result("reconcile_total")
    assert {
        "month": "2026-10-01",
        "category": "tanks",
        "total_diff": 1,
        "total": 30 * 3 - 2 + 1,
        "total_days": 30 * 3 - 2,
    } in total.examples
    cum_end = {(e["month"], e["category"]): e for e in outcome.result("reconcile_cumulative_end").examples}
    assert cum_end[("2026-10-01", "tanks")]["cumulative_end_diff"] == -3
    assert cum_end[("2026-06-01", "personnel")]["cumulative_end"] is None  # the missing month
    missing = outcome.result("months_match_days").examples
    assert missing == [
        {
            "month": "2026-06-01",
            "category": "personnel",
            "in_both": False,
            "in_monthly": False,
            "in_daily": True,
        }
    ]


def test_future_date(con):
    con.execute("""
        INSERT INTO core.fact_control_daily VALUES
        (DATE '2026-11-30', 'deepstate', 'UA', 'occupied_total', 115000.0, NULL, 1.0, 0.0, 1.0, true, 6, 'observed')
    """)
    outcome = run_suite(con, "fact_control_daily", today=TODAY)
    r = _only_failure(outcome, "no_future_dates")
    assert (r.severity, r.unexpected_count) == ("error", 1)
    assert r.examples == [{"date": "2026-11-30", "source": "deepstate", "region_code": "UA", "class": "occupied_total"}]
    assert not outcome.passed


def test_examples_are_capped_at_ten(con):
    con.execute("""
        UPDATE core.fact_control_daily SET lost_km2 = -1
        WHERE source = 'isw' AND region_code = 'UA' AND date >= DATE '2026-11-11'
    """)
    outcome = run_suite(con, "fact_control_daily", today=TODAY)
    r = _only_failure(outcome, "range_lost_km2")
    assert r.unexpected_count == 12
    assert len(r.examples) == 10
    assert r.examples[0] == {
        "date": "2026-11-11",
        "source": "isw",
        "region_code": "UA",
        "class": "occupied_total",
        "lost_km2": -1.0,
    }
    assert "… and 2 more" in outcome.summary_text()


def test_stale_source_is_a_warning_only(con):
    today = dt.date(2026, 11, 29)  # DeepState 5 days old (allowed 3); ISW 7 days (allowed 7)
    outcome = run_suite(con, "fact_control_daily", today=today)
    assert outcome.passed  # published anyway
    assert outcome.errors == []
    (w,) = outcome.warnings
    assert (w.name, w.severity, w.expectation_type, w.unexpected_count) == (
        "fresh",
        "warn",
        "ExpectColumnPairValuesAToBeGreaterThanB",
        1,
    )
    assert w.examples == [
        {
            "source": "deepstate",
            "newest": "2026-11-24",
            "oldest_acceptable": "2026-11-26",
            "lag_days": 5,
            "allowed_lag_days": 3,
        }
    ]
    meta = outcome.to_metadata()
    assert meta["failed_warnings"] == ["fresh"] and meta["passed"] is True
    assert "WARN fresh" in outcome.summary_text()


def test_general_staff_stale(con):
    outcome = run_suite(con, "fact_losses_daily", today=dt.date(2026, 12, 1))
    assert outcome.passed
    assert outcome.warnings[0].examples[0]["source"] == "general_staff"
    assert outcome.warnings[0].examples[0]["lag_days"] == 7


def test_area_larger_than_ukraine(con):
    con.execute("""
        UPDATE core.fact_control_daily SET area_km2 = 700000
        WHERE date = DATE '2026-06-15' AND source = 'isw' AND region_code = 'UA'
    """)
    outcome = run_suite(con, "fact_control_daily", today=TODAY)
    # the physical bounds on ISW's area and its day-over-day ratio refuse it too (test_fact_bounds)
    assert sorted(r.name for r in outcome.failed) == ["bound_isw_area_km2", "bound_ua_area_ratio", "range_area_km2"]
    r = outcome.result("range_area_km2")
    assert (r.severity, r.expectation_type, r.unexpected_count) == (
        "error",
        "ExpectColumnValuesToBeBetween",
        1,
    )
    assert r.examples == [
        {"date": "2026-06-15", "source": "isw", "region_code": "UA", "class": "occupied_total", "area_km2": 700000.0}
    ]


def test_gap_day_with_a_measure(con):
    con.execute("""
        UPDATE core.fact_control_daily SET area_km2 = 111000
        WHERE date = DATE '2026-08-18' AND source = 'deepstate' AND region_code = 'UA-14'
    """)
    outcome = run_suite(con, "fact_control_daily", today=TODAY)
    r = _only_failure(outcome, "gap_day_null_area_km2")
    assert r.examples == [
        {
            "date": "2026-08-18",
            "source": "deepstate",
            "region_code": "UA-14",
            "class": "occupied_total",
            "area_km2": 111000.0,
            "is_observed": False,
        }
    ]


def test_wrong_column_type(con):
    con.execute("ALTER TABLE core.fact_losses_daily ALTER cumulative TYPE DOUBLE")
    outcome = run_suite(con, "fact_losses_daily", today=TODAY)
    r = _only_failure(outcome, "schema_types")
    assert (r.severity, r.expectation_type, r.unexpected_count) == (
        "error",
        "ExpectColumnPairValuesToBeEqual",
        1,
    )
    assert r.examples == [{"column_name": "cumulative", "expected_type": "BIGINT", "data_type": "DOUBLE"}]


def test_missing_column(con):
    con.execute("ALTER TABLE core.fact_losses_daily DROP COLUMN qualifier")
    outcome = run_suite(con, "fact_losses_daily", today=TODAY)
    r = _only_failure(outcome, "schema_columns")
    assert r.examples == [
        {
            "column_name": "qualifier",
            "expected_position": 7,
            "actual_position": 0,
            "expected_type": "VARCHAR",
            "data_type": None,
        }
    ]


def test_missing_table_is_reported_not_raised(con):
    con.execute("DROP TABLE core.dim_source")
    outcome = run_suite(con, "dim_source", today=TODAY)
    assert not outcome.passed
    assert outcome.result("schema_columns").unexpected_count == 5
    r = outcome.result("keys_unique")
    assert not r.success and "could not build the 'table' frame" in r.exception
    json.dumps(outcome.to_metadata())


def test_unknown_table_is_refused(con):
    with pytest.raises(KeyError, match="not a published table"):
        run_suite(con, "core.fact_control_daily; DROP TABLE x", today=TODAY)


def test_run_suites_renders_a_report_naming_every_expectation_and_the_offending_rows(con, tmp_path):
    import html
    import re

    from expectations import report, run_suites

    con.execute("""
        UPDATE core.fact_losses_daily SET is_correction = false
        WHERE category = 'tanks' AND date = DATE '2026-10-05'
    """)
    outcomes = run_suites(con, ["fact_losses_daily", "dim_source"], TODAY)
    assert {n: o.passed for n, o in outcomes.items()} == {
        "fact_losses_daily": False,
        "dim_source": True,
    }
    failed = outcomes["fact_losses_daily"].errors[0]
    assert failed.name == "negative_daily_is_correction"
    index = report.write(tmp_path / "report", outcomes, run_id="run-1234", version="20261125T000000Z-abcd")
    assert sorted(p.name for p in index.parent.iterdir()) == ["dim_source.html", "fact_losses_daily.html", "index.html"]
    text = {p.name: html.unescape(re.sub(r"<[^>]+>", " ", p.read_text())) for p in index.parent.iterdir()}
    for name, page in text.items():
        assert "run-1234" in page and "20261125T000000Z-abcd" in page, name
    assert re.search(r"fact_losses_daily\s+FAILED: 1 error", text["index.html"])
    assert re.search(r"dim_source\s+passed\s+", text["index.html"])
    page = text["fact_losses_daily.html"]
    for r in outcomes["fact_losses_daily"].results:  # every expectation, with its severity
        assert re.search(rf"{r.name}\s+{r.expectation_type}\s+{r.severity.upper()}", page), r.name
    # the offending row itself: the date and category that were broken above
    assert failed.unexpected_count == 1 and failed.examples[0]["date"] == "2026-10-05"
    assert re.search(r"offending rows of negative_daily_is_correction.*2026-10-05.*tanks", page, re.S)
    assert "http" not in "".join(p.read_text() for p in index.parent.iterdir())  # nothing to fetch


def test_frames_through_arrow_are_the_frames_duckdb_builds(con):
    """runner.query_frame (Arrow, issue 12's memory) gives exactly DuckDB's `.df()` for every frame
    query of every published table, and for the cases where the two conversions differ (NULL in an
    integer or boolean column, all-NULL strings, blobs, no rows), where it falls back to `.df()`."""
    from expectations import runner

    queries = [
        q
        for t in catalog.PUBLISHED
        for frame in sorted({s.frame for s in specs_for(t.name, TODAY)})
        if (q := runner.frame_query(t, frame)) is not None
    ]
    assert len(queries) > len(catalog.PUBLISHED)
    con.execute(
        "CREATE TEMP TABLE edge AS SELECT * FROM (VALUES"
        " ('a', NULL::VARCHAR, 1, NULL::INTEGER, true, NULL::BOOLEAN, DATE '2024-07-08', NULL::DATE,"
        "  TIMESTAMP '2024-07-08 01:02:03', 1.5, NULL::DOUBLE, 'x'::BLOB),"
        " ('b', NULL, 2, 3, false, true, DATE '2024-07-09', DATE '2024-07-10', NULL, NULL, 2.5, NULL)"
        ") AS v(s, s_null, i, i_null, b, b_null, d, d_null, ts, f, f_null, blob)"
    )
    edge = [f"SELECT {c} FROM edge ORDER BY s" for c in con.execute("SELECT * FROM edge LIMIT 0").df().columns]
    for sql in [*queries, *edge, "SELECT * FROM edge WHERE false", "SELECT s, i, d, ts, f FROM edge ORDER BY s"]:
        pd.testing.assert_frame_equal(runner.query_frame(con, sql), con.execute(sql).df(), check_exact=True, obj=sql)
    schema = runner.read_sql(con, "schema.sql", {"schema_name": "core", "table_name": "fact_control_daily"})
    assert list(schema["column_name"]) == catalog.table("fact_control_daily").column_names
