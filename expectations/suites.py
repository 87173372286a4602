"""The quality suites, declared as data: one list of `Spec`s per published table.

Nothing here imports Great Expectations; `runner.py` turns each `Spec` into the GX 1.x expectation
named by `expectation_type` (a class in `gx.expectations`). Severity sits beside every expectation
with a one-line reason; keys, types, nullability and date columns all come from warehouse.catalog.

Each expectation validates one *frame* (a pandas DataFrame read from DuckDB):

- ``table``     the published table itself, ``SELECT * FROM core.<table>``
- ``schema``    its columns from ``duckdb_columns()`` next to the catalog's (sql/schema.sql)
- ``steps``     fact_losses_daily with each category's previous cumulative
                (sql/losses_daily_steps.sql)
- ``reconcile`` monthly values next to the sums of their days (sql/reconcile_*_monthly.sql)
- ``freshness`` newest date per source next to the allowed lag (sql/freshness_*.sql + cadence.py)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from warehouse import catalog

from .cadence import CADENCE, FRESHNESS_SQL
from .outcome import Severity

UKRAINE_AREA_KM2 = 603_628.0  # total area of Ukraine incl. Crimea: no area figure can exceed it
RECONCILE_TOLERANCE_KM2 = 1e-6

FRAMES = ("table", "schema", "steps", "reconcile", "freshness")

RECONCILE_SQL = {
    "fact_control_monthly": "reconcile_control_monthly.sql",
    "fact_losses_monthly": "reconcile_losses_monthly.sql",
}
STEPS_SQL = {"fact_losses_daily": "losses_daily_steps.sql"}

# Severity reasons, one line each, stored in the GX expectation's meta.
WHY_SCHEMA = "Consumers, the publisher and the manifest read columns by name, order and type."
WHY_KEYS = "A missing or duplicated key drops or double-counts figures in every aggregate."
WHY_NOT_NULL = "The catalog promises this column is never NULL; consumers rely on it."
WHY_RANGE = "A value outside its physical range is a unit or join bug, never a real figure."
WHY_GAPS = "Gap days must not pretend to be observations; changes after a gap stay on the next day."
WHY_LOSSES = "Upstream totals only fall through corrections; an unflagged fall is a parsing bug."
WHY_RECONCILE = "Monthly figures must be exactly the roll-up of the published days."
WHY_FUTURE = "A date after today is a parsing or time-zone bug."
WHY_EMPTY = "An empty table means the build lost its input."
WHY_FRESH = "Stale upstream is reported, not a reason to withhold data that passed its checks."


@dataclass(frozen=True)
class Spec:
    """One expectation: what to run (GX class + kwargs), on which frame, how much it matters."""

    name: str
    expectation_type: str  # class name in great_expectations.expectations
    kwargs: Mapping[str, Any]
    severity: Severity
    reason: str
    description: str
    frame: str = "table"
    # (column, operator, value) → great_expectations.expectations.row_conditions.Column(...)
    row_condition: tuple[str, str, Any] | None = None
    show: tuple[str, ...] = field(default=())  # extra columns to show in examples

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns the expectation is about (shown in examples after the keys)."""
        cols: list[str] = []
        for key in ("column", "column_A", "column_B"):
            if key in self.kwargs:
                cols.append(self.kwargs[key])
        cols.extend(self.kwargs.get("column_list", ()))
        cols.extend(self.show)
        return tuple(dict.fromkeys(cols))


def frame_keys(table: catalog.Table, frame: str) -> tuple[str, ...]:
    """Columns that identify a row of a frame (GX `unexpected_index_column_names`)."""
    if frame == "schema":
        return ("column_name",)
    if frame == "freshness":
        return ("source",)
    return table.grain


def _between(
    table: catalog.Table,
    column: str,
    lo: float | None,
    hi: float | None,
    description: str,
    reason: str = WHY_RANGE,
) -> Spec:
    kwargs: dict[str, Any] = {"column": column}
    if lo is not None:
        kwargs["min_value"] = lo
    if hi is not None:
        kwargs["max_value"] = hi
    return Spec(
        name=f"range_{column}",
        expectation_type="ExpectColumnValuesToBeBetween",
        kwargs=kwargs,
        severity="error",
        reason=reason,
        description=description,
    )


def _reconcile(column: str, tolerance: float, what: str) -> Spec:
    return Spec(
        name=f"reconcile_{column}",
        expectation_type="ExpectColumnValuesToBeBetween",
        kwargs={"column": f"{column}_diff", "min_value": -tolerance, "max_value": tolerance},
        severity="error",
        reason=WHY_RECONCILE,
        description=what,
        frame="reconcile",
        show=(column, f"{column}_days") if column != "days_in_month" else (column, "calendar_days"),
    )


def _generic(table: catalog.Table, today: dt.date) -> list[Spec]:
    """Schema, emptiness, nullability, key uniqueness and no-future-dates: every table."""
    keys = table.grain
    specs = [
        Spec(
            name="schema_columns",
            expectation_type="ExpectColumnPairValuesToBeEqual",
            kwargs={"column_A": "expected_position", "column_B": "actual_position"},
            severity="error",
            reason=WHY_SCHEMA,
            description=(
                f"{table.qualified} has exactly the catalog's {len(table.columns)} columns, "
                "in the catalog's order."
            ),
            frame="schema",
            show=("expected_type", "data_type"),
        ),
        Spec(
            name="schema_types",
            expectation_type="ExpectColumnPairValuesToBeEqual",
            kwargs={
                "column_A": "expected_type",
                "column_B": "data_type",
                "ignore_row_if": "either_value_is_missing",
            },
            severity="error",
            reason=WHY_SCHEMA,
            description="Every column has the DuckDB type the catalog declares.",
            frame="schema",
        ),
        Spec(
            name="not_empty",
            expectation_type="ExpectTableRowCountToBeBetween",
            kwargs={"min_value": 1},
            severity="error",
            reason=WHY_EMPTY,
            description=f"{table.qualified} has at least one row.",
        ),
    ]
    for col in table.columns:
        if col.nullable:
            continue
        specs.append(
            Spec(
                name=f"not_null_{col.name}",
                expectation_type="ExpectColumnValuesToNotBeNull",
                kwargs={"column": col.name},
                severity="error",
                reason=WHY_KEYS if col.name in keys else WHY_NOT_NULL,
                description=f"{col.name} is never NULL"
                + (" (part of the grain)." if col.name in keys else "."),
            )
        )
    specs.append(
        Spec(
            name="keys_unique",
            expectation_type=(
                "ExpectCompoundColumnsToBeUnique"
                if len(keys) > 1
                else "ExpectColumnValuesToBeUnique"
            ),
            kwargs={"column_list": list(keys)} if len(keys) > 1 else {"column": keys[0]},
            severity="error",
            reason=WHY_KEYS,
            description=f"One row per ({', '.join(keys)}).",
        )
    )
    if table.date_column:
        specs.append(
            Spec(
                name="no_future_dates",
                expectation_type="ExpectColumnValuesToBeBetween",
                # DuckDB DATE arrives in pandas as datetime64: compare with a datetime, not a date.
                kwargs={
                    "column": table.date_column,
                    "max_value": dt.datetime.combine(today, dt.time()),
                },
                severity="error",
                reason=WHY_FUTURE,
                description=f"No {table.date_column} is after today ({today.isoformat()}).",
            )
        )
    return specs


def _control_daily(table: catalog.Table) -> list[Spec]:
    a = UKRAINE_AREA_KM2
    specs = [
        Spec(
            name="area_present_when_observed",
            expectation_type="ExpectColumnValuesToNotBeNull",
            kwargs={"column": "area_km2"},
            severity="error",
            reason=WHY_GAPS,
            description="Every observed day (is_observed = true) has an area.",
            row_condition=("is_observed", "==", True),
            show=("is_observed",),
        )
    ]
    for col in ("area_km2", "gained_km2", "lost_km2", "net_change_km2", "days_since_previous"):
        specs.append(
            Spec(
                name=f"gap_day_null_{col}",
                expectation_type="ExpectColumnValuesToBeNull",
                kwargs={"column": col},
                severity="error",
                reason=WHY_GAPS,
                description=f"Gap days (is_observed = false) carry NULL {col}.",
                row_condition=("is_observed", "==", False),
                show=("is_observed",),
            )
        )
    specs += [
        _between(table, "area_km2", 0, a, f"area_km2 is between 0 and {a:,.0f} km² (Ukraine)."),
        _between(table, "gained_km2", 0, a, f"gained_km2 is between 0 and {a:,.0f} km²."),
        _between(table, "lost_km2", 0, a, f"lost_km2 is between 0 and {a:,.0f} km²."),
        _between(table, "net_change_km2", -a, a, f"net_change_km2 is within ±{a:,.0f} km²."),
        _between(table, "days_since_previous", 1, None, "days_since_previous is at least 1."),
    ]
    return specs


def _control_monthly(table: catalog.Table) -> list[Spec]:
    a = UKRAINE_AREA_KM2
    tol = RECONCILE_TOLERANCE_KM2
    return [
        _between(table, "area_end_km2", 0, a, f"area_end_km2 is between 0 and {a:,.0f} km²."),
        _between(table, "gained_km2", 0, a, f"gained_km2 is between 0 and {a:,.0f} km²."),
        _between(table, "lost_km2", 0, a, f"lost_km2 is between 0 and {a:,.0f} km²."),
        _between(table, "net_change_km2", -a, a, f"net_change_km2 is within ±{a:,.0f} km²."),
        _between(table, "observed_days", 0, None, "observed_days is not negative."),
        Spec(
            name="observed_days_within_month",
            expectation_type="ExpectColumnPairValuesAToBeGreaterThanB",
            kwargs={"column_A": "days_in_month", "column_B": "observed_days", "or_equal": True},
            severity="error",
            reason=WHY_RANGE,
            description="observed_days is at most days_in_month.",
        ),
        Spec(
            name="months_match_days",
            expectation_type="ExpectColumnValuesToBeInSet",
            kwargs={"column": "in_both", "value_set": [True]},
            severity="error",
            reason=WHY_RECONCILE,
            description="Every monthly row has days in fact_control_daily, and vice versa.",
            frame="reconcile",
            show=("in_monthly", "in_daily"),
        ),
        _reconcile("gained_km2", tol, "gained_km2 equals the sum of its days' gained_km2 (±1e-6)."),
        _reconcile("lost_km2", tol, "lost_km2 equals the sum of its days' lost_km2 (±1e-6)."),
        _reconcile(
            "net_change_km2",
            tol,
            "net_change_km2 equals the sum of its days' net_change_km2 (±1e-6).",
        ),
        _reconcile(
            "area_end_km2", tol, "area_end_km2 equals area_km2 on the month's last observed day."
        ),
        _reconcile("observed_days", 0, "observed_days equals the count of observed days."),
        _reconcile("days_in_month", 0, "days_in_month equals the calendar length of the month."),
    ]


def _losses_daily(table: catalog.Table) -> list[Spec]:
    return [
        _between(table, "cumulative", 0, None, "cumulative is not negative."),
        Spec(
            name="negative_daily_is_correction",
            expectation_type="ExpectColumnValuesToBeInSet",
            kwargs={"column": "is_correction", "value_set": [True]},
            severity="error",
            reason=WHY_LOSSES,
            description="Every negative daily (a fall of the cumulative) is flagged is_correction.",
            row_condition=("daily", "<", 0),
            show=("daily", "cumulative", "correction"),
        ),
        Spec(
            name="daily_matches_cumulative",
            expectation_type="ExpectColumnPairValuesToBeEqual",
            kwargs={
                "column_A": "daily",
                "column_B": "cumulative_step",
                "ignore_row_if": "both_values_are_missing",
            },
            severity="error",
            reason=WHY_LOSSES,
            description="daily equals cumulative minus the category's previous cumulative.",
            frame="steps",
            show=("cumulative", "previous_cumulative", "is_correction"),
        ),
    ]


def _losses_monthly(table: catalog.Table) -> list[Spec]:
    return [
        _between(table, "cumulative_end", 0, None, "cumulative_end is not negative."),
        _between(table, "reported_days", 0, 31, "reported_days is between 0 and 31."),
        Spec(
            name="months_match_days",
            expectation_type="ExpectColumnValuesToBeInSet",
            kwargs={"column": "in_both", "value_set": [True]},
            severity="error",
            reason=WHY_RECONCILE,
            description="Every monthly row has reports in fact_losses_daily, and vice versa.",
            frame="reconcile",
            show=("in_monthly", "in_daily"),
        ),
        _reconcile("total", 0, "total equals the sum of the month's daily values."),
        _reconcile(
            "cumulative_end", 0, "cumulative_end equals the cumulative of the month's last report."
        ),
        _reconcile("reported_days", 0, "reported_days equals the count of the month's reports."),
    ]


def _freshness(table: catalog.Table) -> list[Spec]:
    if table.name not in FRESHNESS_SQL:
        return []
    _, sources = FRESHNESS_SQL[table.name]
    lags = ", ".join(f"{s} {CADENCE[s].allowed_lag_days} d" for s in sources)
    return [
        Spec(
            name="fresh",
            expectation_type="ExpectColumnPairValuesAToBeGreaterThanB",
            kwargs={"column_A": "newest", "column_B": "oldest_acceptable", "or_equal": True},
            severity="warn",
            reason=WHY_FRESH,
            description=f"Each source's newest date is within its allowed lag of today ({lags}).",
            frame="freshness",
            show=("lag_days", "allowed_lag_days"),
        )
    ]


_SPECIFIC = {
    "fact_control_daily": _control_daily,
    "fact_control_monthly": _control_monthly,
    "fact_losses_daily": _losses_daily,
    "fact_losses_monthly": _losses_monthly,
}


def specs_for(table_name: str, today: dt.date) -> list[Spec]:
    """Every expectation of one published table, in a stable order."""
    table = catalog.table(table_name)
    specific = _SPECIFIC.get(table.name)
    specs = _generic(table, today) + (specific(table) if specific else []) + _freshness(table)
    names = [s.name for s in specs]
    assert len(names) == len(set(names)), f"duplicate expectation names in {table_name}: {names}"
    return specs
