"""The blocking physical bounds (expectations/bounds.py) on the hand-made warehouse of
test_expectations: each bound refuses a value beyond it with severity ERROR and shows the row; a
payload an operator accepted passes; the real whole mirror stays inside every bound (README)."""

import datetime as dt

import pytest

from expectations import bounds, run_suite
from tests.test_expectations import TODAY, con, warehouse  # noqa: F401 (fixtures)

DAY = dt.date(2026, 6, 15)


def _refused(con, table, name):
    outcome = run_suite(con, table, today=TODAY)
    result = outcome.result(name)
    assert not result.success and result.severity == "error", outcome.summary_text()
    return result


def _bump(con, column, delta, regions=("UA", "UA-14")):
    """Change one day's value in 'UA' and one oblast alike, so the regions still add up."""
    con.execute(
        f"UPDATE core.fact_control_daily SET {column} = {column} + ? "  # noqa: S608 - column from the test
        "WHERE source = 'deepstate' AND date = ? AND region_code IN (SELECT unnest(?::VARCHAR[]))",
        [delta, DAY, list(regions)],
    )


@pytest.mark.parametrize("column", ["gained_km2", "lost_km2"])
def test_a_gain_or_loss_beyond_the_bound_blocks(con, column):
    _bump(con, column, 6_000.0)
    result = _refused(con, "fact_control_daily", f"bound_{column}_per_day")
    assert result.unexpected_count == 1
    example = result.examples[0]
    assert example["date"] == DAY.isoformat() and example["source"] == "deepstate" and example["region_code"] == "UA"
    assert example["value"] > 6_000 and example["hi"] == 3_000.0


def test_a_doubled_area_blocks_on_the_day_over_day_ratio(con):
    _bump(con, "area_km2", 109_361.0)
    result = _refused(con, "fact_control_daily", "bound_ua_area_ratio")
    dates = [e["date"] for e in result.examples]
    assert DAY.isoformat() in dates  # up on the day, and down again the day after
    assert (DAY + dt.timedelta(days=1)).isoformat() in dates


def test_a_large_unattributed_remainder_blocks(con):
    _bump(con, "area_km2", 6_000.0, regions=("UA", "UNATTRIBUTED"))
    result = _refused(con, "fact_control_daily", "bound_unattributed_km2")
    assert [(e["date"], e["region_code"]) for e in result.examples] == [(DAY.isoformat(), "UNATTRIBUTED")]
    before = con.execute(
        "SELECT area_km2 FROM core.fact_control_daily WHERE source = 'deepstate' AND region_code = 'UNATTRIBUTED' "
        "AND date = ?",
        [DAY - dt.timedelta(days=1)],
    ).fetchall()[0][0]
    assert result.examples[0]["value"] == pytest.approx(before + 6.5 - 2.75 + 6_000.0)
    assert result.examples[0]["hi"] == 5_000.0


def test_an_isw_area_in_the_wrong_unit_blocks(con):
    con.execute("UPDATE core.fact_control_daily SET area_km2 = 112.4 WHERE source = 'isw' AND date = ?", [DAY])
    result = _refused(con, "fact_control_daily", "bound_isw_area_km2")
    assert result.examples == [
        dict(
            source="isw",
            date=DAY.isoformat(),
            region_code="UA",
            passes=False,
            value=112.4,
            lo=30_000.0,
            hi=330_000.0,
            payload_uri=None,
            payload_sha256=None,
            accepted=False,
        )
    ]


def test_a_general_staff_day_beyond_its_category_bound_blocks(con):
    con.execute("UPDATE core.fact_losses_daily SET daily = 1_500 WHERE category = 'tanks' AND date = ?", [DAY])
    result = _refused(con, "fact_losses_daily", "bound_gs_daily")
    assert [(e["date"], e["category"], e["value"], e["hi"]) for e in result.examples] == [
        (DAY.isoformat(), "tanks", 1_500, 1_000.0)
    ]
    # personnel has its own, larger bound: 1,500 a day is an ordinary day there
    assert bounds.limits("gs_daily", "personnel").hi == 10_000.0


def test_an_accepted_payload_passes_its_bound(con):
    con.execute("UPDATE core.fact_control_daily SET area_km2 = 112.4 WHERE source = 'isw' AND date = ?", [DAY])
    con.execute("INSERT INTO raw.payloads VALUES ('isw', 'all', 1, 'mirror/isw.csv', 'cafe', now(), 1, 'x'::BLOB)")
    assert not run_suite(con, "fact_control_daily", today=TODAY).result("bound_isw_area_km2").success
    con.execute(
        "INSERT INTO audit.acceptances VALUES ('isw', 'all', 'cafe', 'mirror/isw.csv', 'ops', now(), 'test', NULL)"
    )
    outcome = run_suite(con, "fact_control_daily", today=TODAY)
    assert outcome.result("bound_isw_area_km2").success
    assert outcome.result("bound_ua_area_ratio").success  # its ratio rows come from the same payload
