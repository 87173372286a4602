"""Referential integrity and anomaly guards, on the hand-made warehouse of test_expectations."""

import datetime as dt

from expectations import run_suite
from tests.test_expectations import TODAY, _only_failure, con, warehouse  # noqa: F401 (fixtures)


def test_good_rows_reference_their_dimensions(con):
    guards = {
        "fact_control_daily": "references_dim_source",
        "fact_losses_daily": "references_dim_loss_category",
        "dim_date": "covers_fact_dates",
    }
    for table, name in guards.items():
        outcome = run_suite(con, table, today=TODAY)
        r = outcome.result(name)
        assert (r.success, r.severity, r.unexpected_count, r.exception) == (True, "error", 0, None)
        assert outcome.failed == [], outcome.summary_text()


def test_a_source_missing_from_dim_source_blocks(con):
    con.execute("DELETE FROM core.dim_source WHERE source = 'isw'")
    outcome = run_suite(con, "fact_control_daily", today=TODAY)
    result = _only_failure(outcome, "references_dim_source")
    assert result.severity == "error" and not outcome.passed
    assert result.unexpected_count == 248  # every ISW day
    assert result.examples[0]["source"] == "isw"


def test_an_unknown_category_blocks(con):
    # An upstream field that slipped past the mapping: a category no dimension row describes.
    con.execute("INSERT INTO core.fact_losses_daily VALUES (DATE '2026-06-01', 'tank', 11419, NULL, 0, false, NULL)")
    result = _only_failure(run_suite(con, "fact_losses_daily", today=TODAY), "references_dim_loss_category")
    assert result.unexpected_count == 1
    assert result.examples[0]["date"] == "2026-06-01" and result.examples[0]["category"] == "tank"


def test_dim_date_must_cover_every_fact_date(con):
    con.execute("DELETE FROM core.dim_date WHERE date = DATE '2026-07-04'")
    result = _only_failure(run_suite(con, "dim_date", today=TODAY), "covers_fact_dates")
    assert result.unexpected_count == 2  # both daily facts have that date
    assert {e["fact_table"] for e in result.examples} == {"fact_control_daily", "fact_losses_daily"}


def test_an_implausible_gain_is_a_warning(con):
    # 15.5 km² a day is the series' normal; a doubled polygon would add thousands.
    con.execute(
        "UPDATE core.fact_control_daily SET gained_km2 = 2500 "
        "WHERE source = 'deepstate' AND region_code = 'UA' AND date = DATE '2026-10-01'"
    )
    con.execute(  # the same gain in the remainder, so the regions still add up to 'UA'
        "UPDATE core.fact_control_daily SET gained_km2 = gained_km2 + 2500 - 15.5 "
        "WHERE source = 'deepstate' AND region_code = 'UNATTRIBUTED' AND date = DATE '2026-10-01'"
    )
    outcome = run_suite(con, "fact_control_daily", today=TODAY)
    result = outcome.result("anomaly_gained_km2")
    assert not result.success and result.severity == "warn"
    assert outcome.passed  # published anyway, reported
    assert result.unexpected_count == 1
    example = result.examples[0]
    assert example["date"] == "2026-10-01" and example["gained_per_day_km2"] == 2500
    assert example["bound_km2"] == 150.0  # 8 × the trailing median of 15.5 is below the floor


def test_an_implausible_personnel_claim_is_a_warning(con):
    con.execute(
        "UPDATE core.fact_losses_daily SET daily = 11000, cumulative = cumulative + 9900 "
        "WHERE category = 'personnel' AND date = DATE '2026-09-10'"
    )
    outcome = run_suite(con, "fact_losses_daily", today=TODAY)
    result = outcome.result("anomaly_personnel_daily")
    assert not result.success and result.severity == "warn"
    assert result.examples[0]["date"] == "2026-09-10" and result.examples[0]["bound"] == 3300


def test_a_large_rewrite_of_a_past_total_is_a_warning(con):
    # The June 2026 rewrite moved cruise missiles by 40; here tanks (3 a day) move by 500.
    con.execute("UPDATE core.fact_loss_revisions SET new_cumulative = old_cumulative + 500, change = 500")
    outcome = run_suite(con, "fact_loss_revisions", today=TODAY)
    result = outcome.result("anomaly_revision_size")
    assert not result.success and result.severity == "warn" and outcome.passed
    assert result.examples[0]["change"] == 500 and result.examples[0]["bound"] == 84  # 28 × 3
