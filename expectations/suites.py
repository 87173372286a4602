"""The quality suites, declared as data: one list of `Spec`s per published table.

Nothing here imports Great Expectations; `runner.py` turns each `Spec` into the GX 1.x expectation
named by `expectation_type` (a class in `gx.expectations`). Severity sits beside every expectation
with a one-line reason; keys, types, nullability and date columns all come from warehouse.store.catalog.

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

from warehouse.store import catalog

from . import bounds
from .cadence import CADENCE, FRESHNESS_SQL
from .outcome import Severity

UKRAINE_AREA_KM2 = 603_628.0  # total area of Ukraine incl. Crimea: no area figure can exceed it
RECONCILE_TOLERANCE_KM2 = 1e-6

FRAMES = ("table", "schema", "steps", "reconcile", "freshness", "references", "anomaly", "bounds")

RECONCILE_SQL = {
    "fact_control_monthly": "reconcile_control_monthly.sql",
    "fact_losses_monthly": "reconcile_losses_monthly.sql",
}
STEPS_SQL = {"fact_losses_daily": "losses_daily_steps.sql"}
# Facts → dims: each frame flags whether a row's key is found in its dimension.
REFERENCES_SQL = {
    "fact_control_daily": "references_control_daily.sql",
    "fact_losses_daily": "references_losses_daily.sql",
    "dim_date": "references_dim_date.sql",
}
# Anomaly guards: each frame holds the value, its bound derived from the series' own history
# (see the SQL file for the rule) and `within_bound`.
ANOMALY_SQL = {
    "fact_control_daily": "anomaly_control_daily.sql",
    "fact_losses_daily": "anomaly_losses_daily.sql",
    "fact_loss_revisions": "anomaly_loss_revisions.sql",
}

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
WHY_REFERENCES = "A fact whose key has no dimension row disappears from every join users write."
WHY_ANOMALY = (
    "An implausible jump is usually an upstream error, but can be real (a breakthrough, a big "
    "report): newsrooms want it flagged and looked at, not withheld."
)


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
    if frame == "references" and table.name == "dim_date":
        return ("fact_table", "date")
    if frame == "bounds":
        return ("source", "date", "region_code" if table.name == "fact_control_daily" else "category")
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
                f"{table.qualified} has exactly the catalog's {len(table.columns)} columns, in the catalog's order."
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
                description=f"{col.name} is never NULL" + (" (part of the grain)." if col.name in keys else "."),
            )
        )
    specs.append(
        Spec(
            name="keys_unique",
            expectation_type=("ExpectCompoundColumnsToBeUnique" if len(keys) > 1 else "ExpectColumnValuesToBeUnique"),
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
        # UNATTRIBUTED is a residual ('UA' minus the oblasts): rounding may leave it a few m² below 0.
        _between(
            table,
            "area_km2",
            -REGIONS_TOLERANCE_KM2,
            a,
            f"area_km2 is between 0 (−0.01 for the UNATTRIBUTED residual) and {a:,.0f} km² (Ukraine).",
        ),
        _between(
            table,
            "gained_km2",
            -REGIONS_TOLERANCE_KM2,
            a,
            f"gained_km2 is between 0 (−0.01 for UNATTRIBUTED) and {a:,.0f} km².",
        ),
        _between(
            table,
            "lost_km2",
            -REGIONS_TOLERANCE_KM2,
            a,
            f"lost_km2 is between 0 (−0.01 for UNATTRIBUTED) and {a:,.0f} km².",
        ),
        _between(table, "net_change_km2", -a, a, f"net_change_km2 is within ±{a:,.0f} km²."),
        _between(table, "days_since_previous", 1, None, "days_since_previous is at least 1."),
    ]
    return specs + _control_daily_regions(table)


def _control_monthly(table: catalog.Table) -> list[Spec]:
    a = UKRAINE_AREA_KM2
    tol = RECONCILE_TOLERANCE_KM2
    lo = -REGIONS_TOLERANCE_KM2 * 31  # a month of UNATTRIBUTED residuals, each ≥ −0.01 km²
    return [
        _between(table, "area_end_km2", lo, a, f"area_end_km2 is between 0 (−0.31 for UNATTRIBUTED) and {a:,.0f} km²."),
        _between(table, "gained_km2", lo, a, f"gained_km2 is between 0 (−0.31 for UNATTRIBUTED) and {a:,.0f} km²."),
        _between(table, "lost_km2", lo, a, f"lost_km2 is between 0 (−0.31 for UNATTRIBUTED) and {a:,.0f} km²."),
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
        _reconcile("area_end_km2", tol, "area_end_km2 equals area_km2 on the month's last observed day."),
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
        _in_set_true(
            "daily_matches_cumulative",
            "daily_matches",
            "error",
            WHY_LOSSES,
            "daily equals cumulative minus the category's previous cumulative.",
            "steps",
            ("daily", "cumulative", "previous_cumulative", "is_correction"),
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
        _reconcile("cumulative_end", 0, "cumulative_end equals the cumulative of the month's last report."),
        _reconcile("reported_days", 0, "reported_days equals the count of the month's reports."),
    ]


def _in_set_true(
    name: str, column: str, severity: Severity, reason: str, description: str, frame: str, show=()
) -> Spec:
    return Spec(
        name=name,
        expectation_type="ExpectColumnValuesToBeInSet",
        kwargs={"column": column, "value_set": [True]},
        severity=severity,
        reason=reason,
        description=description,
        frame=frame,
        show=tuple(show),
    )


_REFERENCES = {
    "fact_control_daily": [
        ("references_dim_source", "source_known", "Every source is a row of dim_source.", ("source",))
    ],
    "fact_losses_daily": [
        (
            "references_dim_loss_category",
            "category_known",
            "Every category is a row of dim_loss_category.",
            ("category",),
        )
    ],
    "dim_date": [("covers_fact_dates", "in_dim_date", "Every date of every daily fact is a row of dim_date.", ())],
}

_ANOMALIES = {
    "fact_control_daily": (
        "anomaly_gained_km2",
        "A DeepState day's gain per day covered stays under max(150 km², 8 × the median of the "
        "previous 28 observed days' gains per day).",
        ("gained_per_day_km2", "bound_km2", "days_since_previous"),
    ),
    "fact_loss_revisions": (
        "anomaly_revision_size",
        "A rewrite of a past total moves it by at most max(10, 28 × the category's median |daily|), "
        "about four weeks of typical reports; a past total dropped from or restored to the file is "
        "flagged too.",
        ("old_cumulative", "new_cumulative", "change", "bound"),
    ),
    "fact_losses_daily": (
        "anomaly_personnel_daily",
        "A day's personnel claim stays under max(500, 3 × the median of the previous 28 reports).",
        ("daily", "bound"),
    ),
}


def _references(table: catalog.Table) -> list[Spec]:
    return [
        _in_set_true(name, column, "error", WHY_REFERENCES, description, "references", show)
        for name, column, description, show in _REFERENCES.get(table.name, [])
    ]


def _anomalies(table: catalog.Table) -> list[Spec]:
    if table.name not in _ANOMALIES:
        return []
    name, description, show = _ANOMALIES[table.name]
    return [_in_set_true(name, "within_bound", "warn", WHY_ANOMALY, description, "anomaly", show)]


WHY_BOUND = (
    "Beyond what the whole war has ever shown (largest real value × a margin): an upstream error "
    "until an operator accepts the payload with `frontline accept`."
)


def _bounds(table: catalog.Table) -> list[Spec]:
    """Blocking physical bounds (expectations/bounds.py), one expectation per bound."""
    return [
        Spec(
            name=f"bound_{name}",
            expectation_type="ExpectColumnValuesToBeInSet",
            kwargs={"column": "passes", "value_set": [True]},
            severity="error",
            reason=WHY_BOUND,
            description=f"{name}: {bounds.describe(name)} (expectations/bounds.py says why).",
            frame="bounds",
            row_condition=("bound", "==", name),
            show=("value", "lo", "hi", "payload_uri", "payload_sha256", "accepted"),
        )
        for name in bounds.NAMES
        if bounds.TABLE_OF[name] == table.name
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


# --- casualty reports in depth (issue 4) ------------------------------------------------------
WHY_VINTAGES = "As-of queries pick a week's newest vintage by date: vintages must be unambiguous."
WHY_INTERVAL = "An estimate outside its own interval means columns were swapped or misparsed."
WHY_UPSTREAM_INTERVAL = "Mediazona publishes one week (2022-06-13) with an inverted interval: reported, not withheld."
WHY_BITEMPORAL = "A value's knowledge period must be well ordered, or as-of queries return two values."
WHY_SOURCE = "An estimate nobody can trace back to its publisher cannot be cited."
# Tables where no rows is a normal state (no upstream revision seen yet).
MAY_BE_EMPTY = frozenset({"fact_loss_revisions"})

STEPS_SQL.update(
    {
        "fact_confirmed_deaths_weekly": "confirmed_deaths_weekly_steps.sql",
        "fact_losses_bitemporal": "losses_bitemporal_steps.sql",
    }
)


def _pair(
    name: str, a: str, b: str, description: str, reason: str, severity: Severity = "error", or_equal: bool = True
) -> Spec:
    """a >= b (or a > b), skipped where either side is NULL."""
    return Spec(
        name=name,
        expectation_type="ExpectColumnPairValuesAToBeGreaterThanB",
        kwargs={"column_A": a, "column_B": b, "or_equal": or_equal, "ignore_row_if": "either_value_is_missing"},
        severity=severity,
        reason=reason,
        description=description,
    )


def _in_set(
    name: str, column: str, values: list, description: str, reason: str, frame: str = "table", show: tuple = ()
) -> Spec:
    return Spec(
        name=name,
        expectation_type="ExpectColumnValuesToBeInSet",
        kwargs={"column": column, "value_set": values},
        severity="error",
        reason=reason,
        description=description,
        frame=frame,
        show=show,
    )


def _losses_bitemporal(table: catalog.Table) -> list[Spec]:
    return [
        _between(table, "cumulative", 0, None, "cumulative is not negative."),
        _pair(
            "known_from_not_before_date",
            "known_from",
            "date",
            "A value is never known before its report date.",
            WHY_BITEMPORAL,
        ),
        _pair(
            "known_to_after_known_from", "known_to", "known_from", "known_to is not before known_from.", WHY_BITEMPORAL
        ),
        _pair(
            "vintage_covers_date",
            "payload_vintage",
            "date",
            "A payload's vintage is on or after every report date in it.",
            WHY_BITEMPORAL,
        ),
        _in_set(
            "one_current_value",
            "current_values",
            [0, 1],
            "Every (date, category) has at most one current value (known_to IS NULL); none once the "
            "latest payload dropped the date.",
            WHY_BITEMPORAL,
            frame="steps",
        ),
    ]


def _loss_revisions(table: catalog.Table) -> list[Spec]:
    return [
        _pair(
            "versions_ordered",
            "new_payload_version",
            "old_payload_version",
            "A revision goes from an older payload to a newer one.",
            WHY_BITEMPORAL,
            or_equal=False,
        ),
        _pair(
            "vintages_ordered",
            "new_vintage",
            "old_vintage",
            "The revising payload's vintage is not before the revised one's.",
            WHY_BITEMPORAL,
        ),
        _pair(
            "vintage_covers_date",
            "old_vintage",
            "date",
            "The revised value's payload covered its date.",
            WHY_BITEMPORAL,
        ),
    ]


def _confirmed_deaths_weekly(table: catalog.Table) -> list[Spec]:
    specs = [
        _between(table, "named_deaths", 0, None, "Named deaths in a week are never negative."),
        _between(table, "named_deaths_cumulative", 0, None, "Cumulative named deaths are never negative."),
        _in_set(
            "weeks_are_mondays", "iso_weekday", [1], "week_start is a Monday (ISO weekday 1).", WHY_RANGE, frame="steps"
        ),
        _in_set(
            "one_label_per_vintage",
            "labels_per_vintage",
            [1],
            "Each vintage date comes from exactly one upstream file/column.",
            WHY_VINTAGES,
            frame="steps",
            show=("vintage_label",),
        ),
        _in_set(
            "latest_is_newest",
            "latest_is_newest",
            [True],
            "is_latest_vintage is true exactly for each week's newest vintage.",
            WHY_VINTAGES,
            frame="steps",
            show=("is_latest_vintage",),
        ),
        Spec(
            name="named_never_shrink_across_vintages",
            expectation_type="ExpectColumnValuesToBeBetween",
            kwargs={"column": "change_from_previous_vintage", "min_value": 0},
            severity="warn",
            reason="Names are added as deaths are confirmed; a week shrinking in a later vintage is worth a look.",
            description="In meduza_2026_weekly.csv, a week's named count never falls from one vintage to the next.",
            frame="steps",
            show=("named_deaths", "vintage_label"),
        ),
    ]
    for what in ("excess_deaths", "flash_estimate", "total_deaths"):
        point = (
            "excess_deaths_estimate"
            if what == "excess_deaths"
            else ("total_deaths_estimate" if what == "total_deaths" else what)
        )
        low = f"{what}_low" if what != "flash_estimate" else "flash_estimate_low"
        high = f"{what}_high" if what != "flash_estimate" else "flash_estimate_high"
        specs += [
            _pair(f"{point}_at_least_low", point, low, f"{point} ≥ {low}.", WHY_UPSTREAM_INTERVAL, severity="warn"),
            _pair(f"{point}_at_most_high", high, point, f"{point} ≤ {high}.", WHY_UPSTREAM_INTERVAL, severity="warn"),
        ]
    return specs


def _casualty_estimates(table: catalog.Table) -> list[Spec]:
    return [
        _pair(
            "estimate_at_least_low",
            "estimate",
            "estimate_low",
            "estimate_low ≤ estimate wherever both are given.",
            WHY_INTERVAL,
        ),
        _pair(
            "estimate_at_most_high",
            "estimate_high",
            "estimate",
            "estimate ≤ estimate_high wherever both are given.",
            WHY_INTERVAL,
        ),
        _pair(
            "low_at_most_high",
            "estimate_high",
            "estimate_low",
            "estimate_low ≤ estimate_high wherever both are given.",
            WHY_INTERVAL,
        ),
        _between(table, "estimate", 0, None, "estimate is not negative."),
        _between(table, "estimate_low", 0, None, "estimate_low is not negative."),
        _between(table, "estimate_high", 0, None, "estimate_high is not negative."),
        _in_set(
            "losses_of_known", "losses_of", ["russia", "ukraine"], "losses_of is 'russia' or 'ukraine'.", WHY_RANGE
        ),
        _in_set(
            "measure_known", "measure", ["deaths", "casualties"], "measure is 'deaths' or 'casualties'.", WHY_RANGE
        ),
        Spec(
            name="source_url_is_a_url",
            expectation_type="ExpectColumnValuesToMatchRegex",
            kwargs={"column": "source_url", "regex": r"^https?://"},
            severity="warn",
            reason=WHY_SOURCE,
            description="source_url is an http(s) URL (upstream cites an e-mail for one Mediazona estimate).",
            show=("source_name",),
        ),
    ]


def _cost_of_advance(table: catalog.Table) -> list[Spec]:
    a = UKRAINE_AREA_KM2
    return [
        _between(table, "deepstate_gained_km2", 0, a, f"deepstate_gained_km2 is between 0 and {a:,.0f} km²."),
        _between(table, "deepstate_lost_km2", 0, a, f"deepstate_lost_km2 is between 0 and {a:,.0f} km²."),
        _between(table, "deepstate_net_change_km2", -a, a, f"deepstate_net_change_km2 is within ±{a:,.0f} km²."),
        _between(table, "isw_net_change_km2", -a, a, f"isw_net_change_km2 is within ±{a:,.0f} km²."),
        _between(table, "named_deaths", 0, None, "named_deaths is not negative."),
        _between(
            table, "personnel_claimed_per_km2_gained", 0, None, "personnel_claimed_per_km2_gained is not negative."
        ),
        _between(table, "named_deaths_per_km2_gained", 0, None, "named_deaths_per_km2_gained is not negative."),
    ]


# --- territory in depth (issue 3) ---------------------------------------------------------
RECONCILE_SQL["fact_control_daily"] = "reconcile_control_regions.sql"
REGIONS_TOLERANCE_KM2 = 0.01
ARCHIVE_API_TOLERANCE = 0.001  # the archive is the dissolved union of the API's occupied layers
CONTROL_CLASSES = [
    "occupied_total",
    "occupied_after_2022",
    "occupied_before_2022",
    "grey_zone",
    "liberated",
    "held_by_ukraine",
]
WHY_REGIONS = "Regional rows that do not add up to the country double-count or drop territory."
WHY_AGREEMENT = "The archive is a dissolved copy of the API's occupied layers: a gap is a parsing bug."


def _control_daily_regions(table: catalog.Table) -> list[Spec]:
    specs = [
        _between(table, "share_of_region", 0, 1.000001, "share_of_region is a fraction of the region (0–1)."),
        _in_set("class_known", "class", CONTROL_CLASSES, "class is one of the documented classes.", WHY_RANGE),
        _in_set(
            "coverage_known",
            "coverage",
            ["observed", "partial", "missing"],
            "coverage is observed, partial or missing.",
            WHY_GAPS,
        ),
    ]
    for col in ("area_km2", "gained_km2", "lost_km2"):
        specs.append(
            _reconcile_named(
                f"regions_sum_to_ua_{col}",
                f"{col}_diff",
                REGIONS_TOLERANCE_KM2,
                f"Oblast rows + UNATTRIBUTED add up to the 'UA' row's {col} (±0.01 km²) per date, source and class.",
                WHY_REGIONS,
            )
        )
    return specs


def _reconcile_named(name: str, column: str, tolerance: float, description: str, reason: str) -> Spec:
    return Spec(
        name=name,
        expectation_type="ExpectColumnValuesToBeBetween",
        kwargs={"column": column, "min_value": -tolerance, "max_value": tolerance},
        severity="error",
        reason=reason,
        description=description,
        frame="reconcile",
    )


def _dim_region(table: catalog.Table) -> list[Spec]:
    return [
        _between(table, "area_km2", 1, UKRAINE_AREA_KM2, "A region's geodesic area is positive and at most Ukraine's."),
        _in_set(
            "region_kind_known",
            "region_kind",
            ["oblast", "country", "remainder", "foreign"],
            "region_kind is documented.",
            WHY_RANGE,
        ),
    ]


def _control_coverage(table: catalog.Table) -> list[Spec]:
    return [
        _in_set(
            "status_known",
            "status",
            ["observed", "partial", "missing"],
            "status is observed, partial or missing.",
            WHY_GAPS,
        )
    ]


def _source_agreement(table: catalog.Table) -> list[Spec]:
    lo, hi = 1 - ARCHIVE_API_TOLERANCE, 1 + ARCHIVE_API_TOLERANCE
    return [
        _between(table, "area_a_km2", 0, UKRAINE_AREA_KM2, "area_a_km2 is a possible area."),
        _between(table, "area_b_km2", 1, UKRAINE_AREA_KM2, "area_b_km2 is a possible, non-zero area."),
        Spec(
            name="archive_matches_api",
            expectation_type="ExpectColumnValuesToBeBetween",
            kwargs={"column": "ratio", "min_value": lo, "max_value": hi},
            severity="error",
            reason=WHY_AGREEMENT,
            description="Where archive and API overlap, the archive polygon is within 0.1 % of the API's occupied union.",
            row_condition=("source_b", "==", "deepstate_api"),
            show=("area_a_km2", "area_b_km2"),
        ),
    ]


def _control_changes(table: catalog.Table) -> list[Spec]:
    return [
        _in_set("change_known", "change", ["gained", "lost"], "change is gained or lost.", WHY_RANGE),
        _in_set("class_known", "class", CONTROL_CLASSES, "class is one of the documented classes.", WHY_RANGE),
        _between(table, "area_km2", 0, UKRAINE_AREA_KM2, "A piece's area is positive and at most Ukraine's."),
        _between(table, "days_since_previous", 1, None, "days_since_previous is at least 1."),
    ]


_SPECIFIC = {
    "dim_region": _dim_region,
    "fact_control_coverage_daily": _control_coverage,
    "mart_control_source_agreement_daily": _source_agreement,
    "control_changes_daily": _control_changes,
    "fact_control_daily": _control_daily,
    "fact_control_monthly": _control_monthly,
    "fact_losses_daily": _losses_daily,
    "fact_losses_monthly": _losses_monthly,
    "fact_losses_bitemporal": _losses_bitemporal,
    "fact_loss_revisions": _loss_revisions,
    "fact_confirmed_deaths_weekly": _confirmed_deaths_weekly,
    "fact_casualty_estimates": _casualty_estimates,
    "mart_cost_of_advance_monthly": _cost_of_advance,
}


def specs_for(table_name: str, today: dt.date) -> list[Spec]:
    """Every expectation of one published table, in a stable order."""
    table = catalog.table(table_name)
    specific = _SPECIFIC.get(table.name)
    specs = (
        _generic(table, today)
        + (specific(table) if specific else [])
        + _references(table)
        + _anomalies(table)
        + _bounds(table)
        + _freshness(table)
    )
    if table.name in MAY_BE_EMPTY:
        specs = [s for s in specs if s.name != "not_empty"]
    names = [s.name for s in specs]
    assert len(names) == len(set(names)), f"duplicate expectation names in {table_name}: {names}"
    return specs


# --- towns and the front line (issue 11) ----------------------------------------------------
SETTLEMENT_STATUSES = ["ukraine", "grey_zone", "occupied"]
API_LAYER_CLASSES = ["occupied_before_2022", "occupied_after_2022", "grey_zone", "liberated"]
MAX_DISTANCE_KM = 1_500.0  # Ukraine spans ~1,300 km west to east: no point is farther from the front
MAX_FRONT_KM = 5_000.0  # the whole occupied boundary is ~3,000 km; the front a part of it
WHY_FRONT_SIGN = "distance_to_front_km is negative exactly inside occupied territory: a sign bug inverts every answer."
WHY_CHANGE_ORDER = "A change lies in (last_seen_before, first_seen]: an inverted interval is a window bug."
REFERENCES_SQL.update(
    {
        "dim_settlement": "references_dim_settlement.sql",
        "fact_settlement_control_daily": "references_settlement_daily.sql",
        "fact_settlement_control_changes": "references_settlement_changes.sql",
        "fact_settlement_status_flips": "references_settlement_flips.sql",
    }
)
_REFERENCES.update(
    {
        "dim_settlement": [
            ("references_dim_region", "region_known", "Every region_code is a row of dim_region.", ("region_code",))
        ],
        "fact_settlement_control_daily": [
            ("references_dim_settlement", "settlement_known", "Every settlement_id is a row of dim_settlement.", ()),
            ("references_dim_source", "source_known", "Every source is a row of dim_source.", ()),
            (
                "calendar_matches_coverage",
                "calendar_ok",
                "One row per calendar day of fact_control_coverage_daily for the source, observed exactly "
                "on its non-missing days.",
                ("coverage", "is_observed"),
            ),
        ],
        "fact_settlement_control_changes": [
            ("references_dim_settlement", "settlement_known", "Every settlement_id is a row of dim_settlement.", ())
        ],
        "fact_settlement_status_flips": [
            ("references_dim_settlement", "settlement_known", "Every settlement_id is a row of dim_settlement.", ())
        ],
    }
)


def _not_null_when_observed(column: str) -> Spec:
    return Spec(
        name=f"{column}_present_when_observed",
        expectation_type="ExpectColumnValuesToNotBeNull",
        kwargs={"column": column},
        severity="error",
        reason=WHY_GAPS,
        description=f"Every observed day (is_observed = true) has a {column}.",
        row_condition=("is_observed", "==", True),
        show=("is_observed",),
    )


def _null_on_gap_days(column: str) -> Spec:
    return Spec(
        name=f"gap_day_null_{column}",
        expectation_type="ExpectColumnValuesToBeNull",
        kwargs={"column": column},
        severity="error",
        reason=WHY_GAPS,
        description=f"Gap days (is_observed = false) carry NULL {column}.",
        row_condition=("is_observed", "==", False),
        show=("is_observed",),
    )


def _dim_settlement(table: catalog.Table) -> list[Spec]:
    from warehouse.ingest.sources.settlements import LAT_RANGE, LON_RANGE

    return [
        _between(table, "latitude", *LAT_RANGE, f"latitude is within Ukraine's range {LAT_RANGE}."),
        _between(table, "longitude", *LON_RANGE, f"longitude is within Ukraine's range {LON_RANGE}."),
        _between(table, "population", 0, None, "population is not negative."),
        _in_set(
            "region_match_known",
            "region_match",
            ["contains", "nearest"],
            "Every place lies in or next to an oblast.",
            WHY_RANGE,
        ),
    ]


def _settlement_daily(table: catalog.Table) -> list[Spec]:
    d = MAX_DISTANCE_KM
    return [
        _not_null_when_observed("status"),
        _not_null_when_observed("distance_to_front_km"),
        _null_on_gap_days("status"),
        _null_on_gap_days("distance_to_front_km"),
        _in_set("status_known", "status", SETTLEMENT_STATUSES, "status is ukraine, grey_zone or occupied.", WHY_RANGE),
        _in_set(
            "api_class_known", "api_class", API_LAYER_CLASSES, "api_class is one of the API's layer classes.", WHY_RANGE
        ),
        _in_set("coverage_known", "coverage", ["observed", "partial", "missing"], "coverage is documented.", WHY_GAPS),
        _between(table, "distance_to_front_km", -d, d, f"distance_to_front_km is within ±{d:,.0f} km."),
        Spec(
            name="occupied_is_behind_the_front",
            expectation_type="ExpectColumnValuesToBeBetween",
            kwargs={"column": "distance_to_front_km", "max_value": 0},
            severity="error",
            reason=WHY_FRONT_SIGN,
            description="An occupied settlement's distance_to_front_km is ≤ 0.",
            row_condition=("status", "==", "occupied"),
            show=("status",),
        ),
        Spec(
            name="held_is_before_the_front",
            expectation_type="ExpectColumnValuesToBeBetween",
            kwargs={"column": "distance_to_front_km", "min_value": 0},
            severity="error",
            reason=WHY_FRONT_SIGN,
            description="A settlement not occupied has distance_to_front_km ≥ 0.",
            row_condition=("status", "!=", "occupied"),
            show=("status",),
        ),
    ]


def _settlement_changes(table: catalog.Table) -> list[Spec]:
    return [
        _in_set("from_status_known", "from_status", SETTLEMENT_STATUSES, "from_status is documented.", WHY_RANGE),
        _in_set("to_status_known", "to_status", SETTLEMENT_STATUSES, "to_status is documented.", WHY_RANGE),
        _pair(
            "first_seen_after_last_seen",
            "first_seen",
            "last_seen_before",
            "first_seen is after last_seen_before.",
            WHY_CHANGE_ORDER,
            or_equal=False,
        ),
        _pair(
            "first_seen_not_before_flicker",
            "first_seen",
            "flicker_from",
            "first_seen is on or after flicker_from.",
            WHY_CHANGE_ORDER,
            or_equal=True,
        ),
        _between(table, "raw_flips", 1, None, "A change takes at least one raw flip."),
    ]


def _settlement_flips(table: catalog.Table) -> list[Spec]:
    return [
        _in_set("from_status_known", "from_status", SETTLEMENT_STATUSES, "from_status is documented.", WHY_RANGE),
        _in_set("to_status_known", "to_status", SETTLEMENT_STATUSES, "to_status is documented.", WHY_RANGE),
        _pair(
            "date_after_previous",
            "date",
            "previous_date",
            "date is after previous_date.",
            WHY_CHANGE_ORDER,
            or_equal=False,
        ),
    ]


def _front_line_daily(table: catalog.Table) -> list[Spec]:
    return [
        _not_null_when_observed("length_km"),
        _null_on_gap_days("length_km"),
        _between(table, "length_km", 0, MAX_FRONT_KM, f"length_km is between 0 and {MAX_FRONT_KM:,.0f} km."),
        _in_set("coverage_known", "coverage", ["observed", "partial", "missing"], "coverage is documented.", WHY_GAPS),
    ]


def _front_lines(table: catalog.Table) -> list[Spec]:
    return [
        _between(table, "length_km", 1, MAX_FRONT_KM, f"A drawn front is between 1 and {MAX_FRONT_KM:,.0f} km long.")
    ]


# Few days without a settlement changing hands is a normal state (a short slice, a quiet week).
MAY_BE_EMPTY = MAY_BE_EMPTY | {"fact_settlement_control_changes", "fact_settlement_status_flips"}
_SPECIFIC.update(
    {
        "dim_settlement": _dim_settlement,
        "fact_settlement_control_daily": _settlement_daily,
        "fact_settlement_control_changes": _settlement_changes,
        "fact_settlement_status_flips": _settlement_flips,
        "fact_front_line_daily": _front_line_daily,
        "front_line_daily": _front_lines,
    }
)
