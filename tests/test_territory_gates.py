"""The territory quality gates on the hand-made warehouse of test_expectations: regions that do
not add up to 'UA', and the archive disagreeing with the API's occupied union."""

import pytest

from expectations import run_suite
from tests.test_expectations import TODAY, _only_failure, con, warehouse  # noqa: F401 (fixtures)


def test_regions_that_do_not_add_up_to_ukraine_block(con):
    con.execute(
        "UPDATE core.fact_control_daily SET area_km2 = area_km2 + 3 "
        "WHERE source = 'deepstate' AND region_code = 'UA-14' AND date = DATE '2026-06-15'"
    )
    result = _only_failure(run_suite(con, "fact_control_daily", today=TODAY), "regions_sum_to_ua_area_km2")
    assert result.severity == "error" and result.unexpected_count == 1
    assert result.examples[0]["date"] == "2026-06-15" and result.examples[0]["area_km2_diff"] == pytest.approx(3.0)


def test_archive_and_api_disagreeing_by_more_than_a_tenth_of_a_percent_blocks(con):
    con.execute(
        "UPDATE marts.mart_control_source_agreement_daily SET area_b_km2 = area_a_km2 / 1.002, ratio = 1.002 "
        "WHERE source_b = 'deepstate_api'"
    )
    result = _only_failure(run_suite(con, "mart_control_source_agreement_daily", today=TODAY), "archive_matches_api")
    assert result.severity == "error" and result.examples[0]["ratio"] == pytest.approx(1.002)
