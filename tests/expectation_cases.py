"""One failing case per expectation, for tests/test_expectation_cases.py.

Every case breaks the good hand-made warehouse of tests/test_expectations.py (which passes every
suite) with a few SQL statements, run in a transaction that is rolled back. The test then runs
the table's suite for real (GX) and expects exactly the named expectation, with its severity, to
fail, plus the ones listed in `also` (a defect that also breaks a roll-up, say, said out loud).

Most cases are derived from the expectation's own Spec (`derived_case`: a value just outside a
range, a value outside a set, a NULL, a duplicated key row, a column added or retyped, …). Frames
other than `table` (reconcile, steps, references, anomaly, freshness) and derived cases that also
break something else have an explicit entry in `CASES`, keyed by (table, expectation name).
An expectation with neither fails test_every_expectation_has_a_failing_case.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from expectations.suites import Spec
from tests.settlement_rows import KURAKHOVE, TORETSK
from warehouse.store import catalog


@dataclass(frozen=True)
class Case:
    """A real-shaped defect: SQL run on the good warehouse (or a different `today`)."""

    sql: tuple[str, ...] = ()
    today: dt.date | None = None  # evaluate the suite as of this day instead of the tests' TODAY
    also: frozenset[str] = field(default_factory=frozenset)  # other expectations this defect fails
    why: str = ""  # the real defect it stands for, when not obvious


def case(*sql: str, today: dt.date | None = None, also: tuple[str, ...] = (), why: str = "") -> Case:
    return Case(tuple(sql), today, frozenset(also), why)


def _lit(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, dt.datetime):
        return f"TIMESTAMP '{value.isoformat(sep=' ')}'"
    if isinstance(value, dt.date):
        return f"DATE '{value.isoformat()}'"
    return "'" + str(value).replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _where(spec: Spec, *not_null: str) -> str:
    conds = [f"{_ident(c)} IS NOT NULL" for c in not_null]
    if spec.row_condition is not None:
        col, op, value = spec.row_condition
        conds.append(f"{_ident(col)} {'=' if op == '==' else op} {_lit(value)}")
    return " AND ".join(conds) or "true"


def _update_first_row(t: catalog.Table, assignment: str, where: str) -> str:
    """UPDATE the first row (in sort-key order) that matches `where`."""
    order = ", ".join(_ident(c) for c in t.sort_keys)
    return (
        f"UPDATE {t.qualified} SET {assignment} WHERE rowid = "
        f"(SELECT rowid FROM {t.qualified} WHERE {where} ORDER BY {order} LIMIT 1)"
    )


# A column retyped to a type that holds the same values (preferred in this order).
_OTHER_TYPE = {"BIGINT": "INTEGER", "INTEGER": "BIGINT", "DATE": "TIMESTAMP", "VARCHAR": "BLOB", "DOUBLE": "FLOAT"}


def derived_case(t: catalog.Table, spec: Spec) -> Case | None:
    """The case an expectation of the `table` or `schema` frame implies by itself, if any."""
    k = spec.kwargs
    kind = spec.expectation_type
    if spec.frame == "schema":
        if spec.name == "schema_columns":
            return case(f"ALTER TABLE {t.qualified} ADD COLUMN extra_column INTEGER", why="an unlisted column")
        if spec.name == "schema_types":
            cols = [c for c in t.columns if c.name not in t.grain]
            col = min(cols, key=lambda c: list(_OTHER_TYPE).index(c.type) if c.type in _OTHER_TYPE else 99)
            new = _OTHER_TYPE[col.type]
            return case(f"ALTER TABLE {t.qualified} ALTER {_ident(col.name)} TYPE {new}", why=f"{col.name} as {new}")
        return None
    if spec.frame != "table":
        return None
    if spec.name == "no_future_dates":
        return case(today=dt.date(2022, 1, 1), why="every date is after a 'today' before the war")
    if kind == "ExpectTableRowCountToBeBetween":
        return case(f"DELETE FROM {t.qualified}")
    if kind in ("ExpectColumnValuesToBeUnique", "ExpectCompoundColumnsToBeUnique"):
        order = ", ".join(_ident(c) for c in t.sort_keys)
        return case(f"INSERT INTO {t.qualified} SELECT * FROM {t.qualified} ORDER BY {order} LIMIT 1")
    col = k.get("column")
    if kind == "ExpectColumnValuesToNotBeNull":
        return case(_update_first_row(t, f"{_ident(col)} = NULL", _where(spec, col)))
    if kind == "ExpectColumnValuesToBeNull":
        return case(_update_first_row(t, f"{_ident(col)} = 1", _where(spec)))
    if kind == "ExpectColumnValuesToBeBetween":
        bad = k["max_value"] + 1 if "max_value" in k else k["min_value"] - 1
        return case(_update_first_row(t, f"{_ident(col)} = {_lit(bad)}", _where(spec, col)))
    if kind == "ExpectColumnValuesToBeInSet":
        values = k["value_set"]
        if all(isinstance(v, bool) for v in values):
            bad: Any = not values[0]
        elif all(isinstance(v, int) for v in values):
            bad = max(values) + 1
        else:
            bad = f"not_a_{col}"
        return case(_update_first_row(t, f"{_ident(col)} = {_lit(bad)}", _where(spec, col)))
    if kind == "ExpectColumnValuesToMatchRegex":
        return case(_update_first_row(t, f"{_ident(col)} = 'mailto:someone@example.org'", _where(spec, col)))
    if kind == "ExpectColumnPairValuesAToBeGreaterThanB":
        a, b = k["column_A"], k["column_B"]
        return case(_update_first_row(t, f"{_ident(a)} = {_ident(b)} - 1", _where(spec, a, b)))
    return None


# --------------------------------------------------------------------------------------------
# Explicit cases: frames other than `table`, and derived cases that break more than one thing.
# The good warehouse: tests/test_expectations.py (control/losses facts, monthly roll-ups, dims),
# tests/casualty_rows.py and tests/territory_rows.py.
# --------------------------------------------------------------------------------------------

CD = "core.fact_control_daily"
CM = "core.fact_control_monthly"
LD = "core.fact_losses_daily"
LM = "core.fact_losses_monthly"
UA_JUN15 = "source = 'deepstate' AND date = DATE '2026-06-15'"
UA_OCT1 = "source = 'deepstate' AND region_code = 'UA' AND date = DATE '2026-10-01'"
ST = "core.dim_settlement"
SD = "core.fact_settlement_control_daily"
REST_OCT1 = "source = 'deepstate' AND region_code = 'UNATTRIBUTED' AND date = DATE '2026-10-01'"

CASES: dict[tuple[str, str], Case] = {
    # --- fact_control_daily ---------------------------------------------------------------
    ("fact_control_daily", "not_empty"): case(
        f"DELETE FROM {CD}", also=("fresh",), why="no DeepState or ISW date at all: both sources stale"
    ),
    ("fact_control_daily", "keys_unique"): case(
        f"INSERT INTO {CD} SELECT * FROM {CD} WHERE source = 'isw' AND date = DATE '2026-04-04'",
        why="the ISW file lists 2026-04-04 twice",
    ),
    ("fact_control_daily", "area_present_when_observed"): case(
        f"UPDATE {CD} SET area_km2 = NULL WHERE source = 'isw' AND date = DATE '2026-06-15'"
    ),
    ("fact_control_daily", "range_area_km2"): case(
        f"UPDATE {CD} SET area_km2 = 700000 WHERE source = 'isw' AND date = DATE '2026-06-15'",
        also=("bound_isw_area_km2", "bound_ua_area_ratio"),
        why="m² read as km² (ISW's unit): more than Ukraine, so beyond ISW's bound and a jump from and back",
    ),
    ("fact_control_daily", "range_gained_km2"): case(
        f"UPDATE {CD} SET gained_km2 = -1 WHERE {UA_OCT1}",
        f"UPDATE {CD} SET gained_km2 = gained_km2 - 16.5 WHERE {REST_OCT1}",
        why="a negative gain (regions adjusted so they still add up to 'UA')",
    ),
    ("fact_control_daily", "range_lost_km2"): case(
        f"UPDATE {CD} SET lost_km2 = -1 WHERE source = 'isw' AND date >= DATE '2026-11-11'"
    ),
    ("fact_control_daily", "range_net_change_km2"): case(
        f"UPDATE {CD} SET net_change_km2 = -700000 WHERE source = 'isw' AND date = DATE '2026-06-15'"
    ),
    ("fact_control_daily", "range_days_since_previous"): case(
        f"UPDATE {CD} SET days_since_previous = 0 WHERE source = 'isw' AND date = DATE '2026-06-15'"
    ),
    ("fact_control_daily", "range_share_of_region"): case(
        f"UPDATE {CD} SET share_of_region = 1.2 WHERE source = 'deepstate' AND region_code = 'UA-14'"
        " AND date = DATE '2026-06-15'",
        why="area divided by the wrong region's area",
    ),
    ("fact_control_daily", "class_known"): case(
        f"UPDATE {CD} SET class = 'occupied' WHERE source = 'isw' AND date = DATE '2026-06-15'"
    ),
    ("fact_control_daily", "coverage_known"): case(
        f"UPDATE {CD} SET coverage = 'gap' WHERE source = 'isw' AND date = DATE '2026-06-15'"
    ),
    ("fact_control_daily", "not_null_date"): case(
        f"UPDATE {CD} SET date = NULL WHERE source = 'isw' AND date = DATE '2026-06-15'"
    ),
    ("fact_control_daily", "not_null_source"): case(
        f"UPDATE {CD} SET source = NULL WHERE source = 'isw' AND date = DATE '2026-06-15'",
        also=("references_dim_source",),
    ),
    ("fact_control_daily", "not_null_region_code"): case(
        f"UPDATE {CD} SET region_code = NULL WHERE source = 'isw' AND date = DATE '2026-06-15'"
    ),
    ("fact_control_daily", "not_null_class"): case(
        f"UPDATE {CD} SET class = NULL WHERE source = 'isw' AND date = DATE '2026-06-15'"
    ),
    ("fact_control_daily", "not_null_is_observed"): case(
        f"UPDATE {CD} SET is_observed = NULL WHERE source = 'isw' AND date = DATE '2026-06-15'"
    ),
    ("fact_control_daily", "not_null_coverage"): case(
        f"UPDATE {CD} SET coverage = NULL WHERE source = 'isw' AND date = DATE '2026-06-15'"
    ),
    ("fact_control_daily", "regions_sum_to_ua_area_km2"): case(
        f"UPDATE {CD} SET area_km2 = area_km2 + 1 WHERE source = 'deepstate' AND region_code = 'UA-14'"
        " AND date = DATE '2026-06-15'",
        why="an oblast's area 1 km² off the country's",
    ),
    ("fact_control_daily", "regions_sum_to_ua_gained_km2"): case(
        f"UPDATE {CD} SET gained_km2 = gained_km2 + 1 WHERE source = 'deepstate' AND region_code = 'UA-14'"
        " AND date = DATE '2026-06-15'"
    ),
    ("fact_control_daily", "regions_sum_to_ua_lost_km2"): case(
        f"UPDATE {CD} SET lost_km2 = lost_km2 + 1 WHERE source = 'deepstate' AND region_code = 'UA-14'"
        " AND date = DATE '2026-06-15'"
    ),
    ("fact_control_daily", "references_dim_source"): case("DELETE FROM core.dim_source WHERE source = 'isw'"),
    ("fact_control_daily", "anomaly_gained_km2"): case(
        f"UPDATE {CD} SET gained_km2 = 2500 WHERE {UA_OCT1}",
        f"UPDATE {CD} SET gained_km2 = gained_km2 + 2500 - 15.5 WHERE {REST_OCT1}",
        why="a doubled polygon adds thousands of km² in a day",
    ),
    ("fact_control_daily", "bound_gained_km2_per_day"): case(
        f"UPDATE {CD} SET gained_km2 = gained_km2 + 6000 WHERE {UA_JUN15} AND region_code IN ('UA', 'UA-14')",
        also=("anomaly_gained_km2",),
        why="a displaced polygon gains 6,000 km² in a day (regions still add up); far above recent weeks too",
    ),
    ("fact_control_daily", "bound_lost_km2_per_day"): case(
        f"UPDATE {CD} SET lost_km2 = lost_km2 + 6000 WHERE {UA_JUN15} AND region_code IN ('UA', 'UA-14')",
        why="a displaced polygon loses 6,000 km² in a day (regions still add up)",
    ),
    ("fact_control_daily", "bound_ua_area_ratio"): case(
        f"UPDATE {CD} SET area_km2 = area_km2 / 2 WHERE source = 'isw' AND date = DATE '2026-06-15'",
        why="ISW's day with half the area (a layer dropped): ratio ~0.5, below 0.6",
    ),
    ("fact_control_daily", "bound_unattributed_km2"): case(
        f"UPDATE {CD} SET area_km2 = area_km2 + 6000 WHERE {UA_JUN15} AND region_code IN ('UA', 'UNATTRIBUTED')",
        why="6,000 km² no oblast contains (a region layer that failed to load)",
    ),
    ("fact_control_daily", "bound_isw_area_km2"): case(
        f"UPDATE {CD} SET area_km2 = 112.4 WHERE source = 'isw' AND date = DATE '2026-06-15'",
        also=("bound_ua_area_ratio",),
        why="ISW's area in thousands of km²; one such day is also a jump from and back to its neighbours",
    ),
    ("fact_control_daily", "fresh"): case(today=dt.date(2026, 11, 29), why="DeepState 5 days old (allowed 3)"),
    # --- fact_control_monthly -------------------------------------------------------------
    ("fact_control_monthly", "months_match_days"): case(
        f"DELETE FROM {CM} WHERE month = DATE '2026-06-01' AND source = 'isw'",
        also=("reconcile_area_end_km2", "reconcile_net_change_km2", "reconcile_observed_days"),
        why="the missing month's figures differ from its days' too",
    ),
    ("fact_control_monthly", "reconcile_gained_km2"): case(
        f"UPDATE {CM} SET gained_km2 = gained_km2 + 5 WHERE month = DATE '2026-10-01' AND source = 'deepstate'"
        " AND region_code = 'UA'"
    ),
    ("fact_control_monthly", "reconcile_lost_km2"): case(
        f"UPDATE {CM} SET lost_km2 = lost_km2 + 5 WHERE month = DATE '2026-10-01' AND source = 'deepstate'"
        " AND region_code = 'UA'"
    ),
    ("fact_control_monthly", "reconcile_net_change_km2"): case(
        f"UPDATE {CM} SET net_change_km2 = net_change_km2 + 5 WHERE month = DATE '2026-10-01' AND source = 'isw'"
    ),
    ("fact_control_monthly", "reconcile_area_end_km2"): case(
        f"UPDATE {CM} SET area_end_km2 = area_end_km2 - 7.125 WHERE month = DATE '2026-10-01' AND source = 'isw'",
        why="the area of the month's second-to-last day",
    ),
    ("fact_control_monthly", "reconcile_observed_days"): case(
        f"UPDATE {CM} SET observed_days = 31 WHERE month = DATE '2026-08-01' AND source = 'deepstate'"
        " AND region_code = 'UA'",
        why="the gap day 2026-08-18 counted as observed",
    ),
    ("fact_control_monthly", "reconcile_days_in_month"): case(
        f"UPDATE {CM} SET days_in_month = 30, observed_days = 30 WHERE month = DATE '2026-10-01' AND source = 'isw'",
        also=("reconcile_observed_days",),
        why="October given 30 days",
    ),
    ("fact_control_monthly", "observed_days_within_month"): case(
        f"UPDATE {CM} SET days_in_month = 30 WHERE month = DATE '2026-10-01' AND source = 'isw'",
        also=("reconcile_days_in_month",),
        why="31 observed days in a month said to have 30",
    ),
    ("fact_control_monthly", "range_observed_days"): case(
        f"UPDATE {CM} SET observed_days = -1 WHERE month = DATE '2026-10-01' AND source = 'isw'",
        also=("reconcile_observed_days",),
    ),
    ("fact_control_monthly", "not_null_days_in_month"): case(
        f"UPDATE {CM} SET days_in_month = NULL WHERE month = DATE '2026-10-01' AND source = 'isw'",
        also=("observed_days_within_month",),
        why="the pair expectation cannot compare a NULL (GX raises 'boolean value of NA is ambiguous')",
    ),
    ("fact_control_monthly", "not_null_observed_days"): case(
        f"UPDATE {CM} SET observed_days = NULL WHERE month = DATE '2026-10-01' AND source = 'isw'",
        also=("observed_days_within_month", "reconcile_observed_days"),
        why="the pair expectation cannot compare a NULL (GX raises 'boolean value of NA is ambiguous')",
    ),
    # --- fact_losses_daily ----------------------------------------------------------------
    ("fact_losses_daily", "negative_daily_is_correction"): case(
        f"UPDATE {LD} SET is_correction = false, correction = 0 WHERE category = 'tanks' AND date = DATE '2026-10-05'",
        why="the General Staff took 5 tanks back and nobody flagged it",
    ),
    ("fact_losses_daily", "daily_matches_cumulative"): case(
        f"UPDATE {LD} SET daily = 1200 WHERE category = 'personnel' AND date = DATE '2026-07-01'"
    ),
    ("fact_losses_daily", "references_dim_loss_category"): case(
        f"INSERT INTO {LD} VALUES (DATE '2026-06-01', 'tank', 11419, NULL, 0, false, NULL)",
        why="an upstream field that slipped past the mapping",
    ),
    ("fact_losses_daily", "anomaly_personnel_daily"): case(
        f"UPDATE {LD} SET daily = 5000, cumulative = cumulative + 3900 WHERE category = 'personnel'"
        " AND date = DATE '2026-09-10'",
        also=("daily_matches_cumulative",),
        why="the next day's daily no longer matches the shifted cumulative",
    ),
    ("fact_losses_daily", "bound_gs_daily"): case(
        f"UPDATE {LD} SET cumulative = cumulative + 1497 WHERE category = 'tanks' AND date >= DATE '2026-06-15'",
        f"UPDATE {LD} SET daily = daily + 1497 WHERE category = 'tanks' AND date = DATE '2026-06-15'",
        why="1,500 tanks in a day (a digit too many in the cumulative, kept since)",
    ),
    ("fact_losses_daily", "fresh"): case(today=dt.date(2026, 12, 1), why="General Staff 7 days old"),
    # --- fact_losses_monthly ----------------------------------------------------------------
    ("fact_losses_monthly", "months_match_days"): case(
        f"DELETE FROM {LM} WHERE month = DATE '2026-06-01' AND category = 'personnel'",
        also=("reconcile_total", "reconcile_cumulative_end", "reconcile_reported_days"),
    ),
    ("fact_losses_monthly", "reconcile_total"): case(
        f"UPDATE {LM} SET total = total + 1 WHERE month = DATE '2026-10-01' AND category = 'tanks'"
    ),
    ("fact_losses_monthly", "reconcile_cumulative_end"): case(
        f"UPDATE {LM} SET cumulative_end = cumulative_end - 3 WHERE month = DATE '2026-10-01' AND category = 'tanks'"
    ),
    ("fact_losses_monthly", "reconcile_reported_days"): case(
        f"UPDATE {LM} SET reported_days = 30 WHERE month = DATE '2026-10-01' AND category = 'tanks'"
    ),
    # --- dim_date ---------------------------------------------------------------------------
    ("dim_date", "covers_fact_dates"): case("DELETE FROM core.dim_date WHERE date = DATE '2026-07-04'"),
    # --- casualty tables ----------------------------------------------------------------------
    ("fact_confirmed_deaths_weekly", "flash_estimate_at_least_low"): case(
        "UPDATE core.fact_confirmed_deaths_weekly SET flash_estimate = 100, flash_estimate_low = 120,"
        " flash_estimate_high = 150 WHERE is_latest_vintage"
    ),
    ("fact_confirmed_deaths_weekly", "flash_estimate_at_most_high"): case(
        "UPDATE core.fact_confirmed_deaths_weekly SET flash_estimate = 160, flash_estimate_low = 120,"
        " flash_estimate_high = 150 WHERE is_latest_vintage"
    ),
    ("fact_casualty_estimates", "estimate_at_least_low"): case(
        "UPDATE core.fact_casualty_estimates SET estimate = 60000 WHERE line = 15", why="70,000–80,000, said 60,000"
    ),
    ("fact_casualty_estimates", "estimate_at_most_high"): case(
        "UPDATE core.fact_casualty_estimates SET estimate = 90000 WHERE line = 15", why="70,000–80,000, said 90,000"
    ),
    ("fact_losses_bitemporal", "one_current_value"): case(
        "UPDATE core.fact_losses_bitemporal SET known_to = NULL WHERE payload_version = 1",
        why="the superseded value left open",
    ),
    ("fact_loss_revisions", "anomaly_revision_size"): case(
        "UPDATE core.fact_loss_revisions SET new_cumulative = old_cumulative + 500, change = 500",
        why="tanks (3 a day) rewritten by 500",
    ),
    ("fact_confirmed_deaths_weekly", "weeks_are_mondays"): case(
        "UPDATE core.fact_confirmed_deaths_weekly SET week_start = DATE '2022-02-22' WHERE NOT is_latest_vintage",
        also=("latest_is_newest",),
        why="a Tuesday week is a week of its own, whose only vintage is then the latest",
    ),
    ("fact_confirmed_deaths_weekly", "one_label_per_vintage"): case(
        "INSERT INTO core.fact_confirmed_deaths_weekly (week_start, vintage, vintage_label, is_latest_vintage,"
        " named_deaths, named_deaths_cumulative, source, payload_version) VALUES"
        " (DATE '2022-02-28', DATE '2026-01-01', 'meduza_2024.csv', true, 500, 927, 'mediazona_2026', 1)",
        why="two files claim the same vintage date",
    ),
    ("fact_confirmed_deaths_weekly", "latest_is_newest"): case(
        "UPDATE core.fact_confirmed_deaths_weekly SET is_latest_vintage = true WHERE NOT is_latest_vintage"
    ),
    ("fact_confirmed_deaths_weekly", "named_never_shrink_across_vintages"): case(
        "UPDATE core.fact_confirmed_deaths_weekly SET named_deaths = 400 WHERE is_latest_vintage",
        "UPDATE core.fact_confirmed_deaths_weekly SET named_deaths = 450 WHERE NOT is_latest_vintage",
        why="388 → 427 named becomes 450 → 400",
    ),
    # --- settlement tables (tests/settlement_rows.py: Kurakhove occupied throughout, Toretsk
    # taken on the tenth day; the first row in key order is Kurakhove's, occupied at -12.5 km) ---
    ("dim_settlement", "references_dim_region"): case(
        f"UPDATE {ST} SET region_code = 'UA-40' WHERE settlement_id = {TORETSK}",
        why="a code (Sevastopol) the region dimension lacks",
    ),
    ("fact_settlement_control_daily", "schema_types"): case(
        f"ALTER TABLE {SD} ALTER distance_to_front_km TYPE FLOAT",
        why="distance_to_front_km as FLOAT (a status retyped to BLOB would fail its set and sign checks too)",
    ),
    ("fact_settlement_control_daily", "status_present_when_observed"): case(
        f"UPDATE {SD} SET status = NULL WHERE settlement_id = {TORETSK} AND date = DATE '2026-03-20'",
        why="Toretsk, held at +0.4 km (a NULL status counts as 'not occupied' in the sign check)",
    ),
    ("fact_settlement_control_daily", "gap_day_null_status"): case(
        f"UPDATE {SD} SET status = 'occupied' WHERE settlement_id = {KURAKHOVE} AND NOT is_observed",
        why="the missing day filled forward with the day before's status",
    ),
    ("fact_settlement_control_daily", "status_known"): case(
        f"UPDATE {SD} SET status = 'Ukraine' WHERE settlement_id = {TORETSK} AND date = DATE '2026-03-20'",
        why="a label in another spelling, on a held town (so the sign checks still hold)",
    ),
    ("fact_settlement_control_daily", "api_class_known"): case(
        f"UPDATE {SD} SET api_class = 'occupied' WHERE settlement_id = {KURAKHOVE} AND date = DATE '2026-03-20'",
        why="the archive's status written where the API's layer class belongs",
    ),
    ("fact_settlement_control_daily", "range_distance_to_front_km"): case(
        f"UPDATE {SD} SET distance_to_front_km = -12500 WHERE settlement_id = {KURAKHOVE} AND date = DATE '2026-03-20'",
        why="metres written as km (occupied, so still behind the front)",
    ),
    ("fact_settlement_control_daily", "references_dim_settlement"): case(
        f"DELETE FROM {ST} WHERE settlement_id = {TORETSK}", why="a town dropped from the gazetteer, its facts kept"
    ),
    ("fact_settlement_control_daily", "references_dim_source"): case(
        "DELETE FROM core.dim_source WHERE source = 'deepstate'"
    ),
    ("fact_settlement_control_daily", "calendar_matches_coverage"): case(
        f"DELETE FROM {SD} WHERE settlement_id = {TORETSK} AND date = DATE '2026-06-15'",
        why="a day missing from one town's series",
    ),
    ("fact_settlement_status_flips", "references_dim_settlement"): case(
        f"DELETE FROM {ST} WHERE settlement_id = {TORETSK}", why="a town dropped from the gazetteer, its flips kept"
    ),
    ("fact_settlement_control_changes", "references_dim_settlement"): case(
        f"DELETE FROM {ST} WHERE settlement_id = {TORETSK}", why="a town dropped from the gazetteer, its change kept"
    ),
    ("fact_settlement_control_changes", "first_seen_not_before_flicker"): case(
        "UPDATE core.fact_settlement_control_changes SET flicker_from = first_seen + 1",
        why="the flicker dated after the change it led to (first_seen stays after last_seen_before)",
    ),
    ("fact_front_line_daily", "schema_types"): case(
        "ALTER TABLE core.fact_front_line_daily ALTER length_km TYPE FLOAT",
        why="length_km as FLOAT (coverage retyped to BLOB would fail coverage_known too)",
    ),
}


# Derived cases whose defect necessarily fails other expectations too: which, and why.
_MONTH_KEY = ("months_match_days", "reconcile_area_end_km2", "reconcile_gained_km2", "reconcile_lost_km2")
_MONTH_KEY += ("reconcile_net_change_km2", "reconcile_observed_days")
_LOSS_MONTH_KEY = ("months_match_days", "reconcile_cumulative_end", "reconcile_reported_days", "reconcile_total")
_ROW_OFF = "the month's row no longer matches its days"
ALSO: dict[tuple[str, str], tuple[tuple[str, ...], str]] = {
    ("fact_control_monthly", "not_empty"): (_MONTH_KEY, "no month has a row: every month of days is unmatched"),
    **{("fact_control_monthly", f"not_null_{c}"): (_MONTH_KEY, _ROW_OFF) for c in ("month", "source", "region_code")},
    ("fact_control_monthly", "not_null_class"): (_MONTH_KEY, _ROW_OFF),
    **{
        ("fact_control_monthly", f"range_{c}"): ((f"reconcile_{c}",), "the sum of the days is unchanged")
        for c in ("area_end_km2", "gained_km2", "lost_km2", "net_change_km2")
    },
    ("fact_losses_daily", "not_empty"): (("fresh",), "no General Staff date at all: stale"),
    **{
        ("fact_losses_daily", n): (("daily_matches_cumulative",), "the next day's daily no longer matches")
        for n in ("not_null_date", "not_null_cumulative", "keys_unique", "range_cumulative")
    },
    ("fact_losses_daily", "not_null_category"): (
        ("daily_matches_cumulative", "references_dim_loss_category"),
        "a NULL category is in no dimension row and breaks its series",
    ),
    ("fact_losses_monthly", "not_empty"): (_LOSS_MONTH_KEY, "no month has a row"),
    ("fact_losses_monthly", "not_null_month"): (_LOSS_MONTH_KEY, _ROW_OFF),
    ("fact_losses_monthly", "not_null_category"): (_LOSS_MONTH_KEY, _ROW_OFF),
    **{
        ("fact_losses_monthly", f"{k}_{c}"): ((f"reconcile_{c}",), "the days are unchanged")
        for k in ("not_null", "range")
        for c in ("cumulative_end", "reported_days")
    },
    ("dim_date", "not_empty"): (("covers_fact_dates",), "no fact date is covered"),
    ("dim_date", "not_null_date"): (("covers_fact_dates",), "the date NULL-ed is a fact date"),
    ("fact_confirmed_deaths_weekly", "not_null_week_start"): (
        ("latest_is_newest",),
        "a NULL week is a week of its own, whose only vintage is not flagged latest",
    ),
    ("fact_confirmed_deaths_weekly", "not_null_vintage"): (
        ("named_never_shrink_across_vintages",),
        "the NULL vintage sorts last: the counts then seem to shrink",
    ),
    ("fact_confirmed_deaths_weekly", "not_null_vintage_label"): (
        ("one_label_per_vintage",),
        "a vintage with no label has 0 labels",
    ),
    ("dim_settlement", "not_null_region_code"): (("references_dim_region",), "a NULL region is no row of dim_region"),
    ("fact_settlement_control_daily", "not_null_source"): (
        ("references_dim_source", "calendar_matches_coverage"),
        "a NULL source is no row of dim_source and has no calendar",
    ),
    ("fact_settlement_control_daily", "not_null_date"): (
        ("calendar_matches_coverage",),
        "a NULL date is no calendar day",
    ),
    ("fact_settlement_control_daily", "not_null_settlement_id"): (
        ("references_dim_settlement", "calendar_matches_coverage"),
        "a NULL town is no row of dim_settlement; its one day and the town's 249 are not the calendar",
    ),
    ("fact_settlement_control_daily", "keys_unique"): (
        ("calendar_matches_coverage",),
        "the duplicated day makes the town's series one day longer than the calendar",
    ),
    **{
        (t, "not_null_settlement_id"): (("references_dim_settlement",), "a NULL town is no row of dim_settlement")
        for t in ("fact_settlement_status_flips", "fact_settlement_control_changes")
    },
    ("fact_casualty_estimates", "range_estimate_high"): (("low_at_most_high",), "the low end 70,000 is above it"),
}


def case_for(t: catalog.Table, spec: Spec) -> Case | None:
    """The registered case, else the one derived from the Spec (with its ALSO, if any)."""
    if (t.name, spec.name) in CASES:
        return CASES[(t.name, spec.name)]
    derived = derived_case(t, spec)
    if derived is None or (t.name, spec.name) not in ALSO:
        return derived
    also, why = ALSO[(t.name, spec.name)]
    return Case(derived.sql, derived.today, frozenset(also), why)
