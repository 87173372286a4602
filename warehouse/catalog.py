"""The one description of every published table.

Column names, DuckDB types, units and descriptions are written once, here. The publisher copies
them into `manifest.json` and Parquet field metadata, the warehouse into DuckDB `COMMENT ON`, the
README's data dictionary is generated from them, and the quality suites read keys and ranges from
them — so the four can never drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # DuckDB logical type as `duckdb_columns().data_type` reports it
    description: str
    unit: str | None = None
    nullable: bool = True

    @property
    def doc(self) -> str:
        """The text users see for this column, identical in manifest, DuckDB and README."""
        return f"{self.description} Unit: {self.unit}." if self.unit else self.description


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    grain: tuple[str, ...]
    columns: tuple[Column, ...]
    sources: tuple[str, ...]
    date_column: str | None = None
    order_by: tuple[str, ...] = field(default=())
    schema: str = "core"  # warehouse schema: core (dims, facts) or marts (joined answers)

    @property
    def qualified(self) -> str:
        """``schema.name`` in the warehouse (identifiers from this whitelist only)."""
        return f"{self.schema}.{self.name}"

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def sort_keys(self) -> tuple[str, ...]:
        return self.order_by or self.grain


def _key(name: str, type_: str, description: str, unit: str | None = None) -> Column:
    return Column(name, type_, description, unit, nullable=False)


CONTROL_SOURCES_NOTE = (
    "`deepstate` = DeepStateMap daily archive (occupied territory incl. Crimea and areas held "
    "since 2014, geodesic area on WGS84); `isw` = ISW/CTP area assessed as Russian-controlled."
)

FACT_CONTROL_DAILY = Table(
    name="fact_control_daily",
    description=(
        "Area held by Russia per day, source and region, with the area gained and lost since the "
        "previous observed snapshot. One row per calendar day from a source's first to its last "
        "snapshot; days without a snapshot are present with is_observed = false and NULL measures, "
        "and the next observed day carries the change for the whole gap (days_since_previous)."
    ),
    grain=("date", "source", "region_code"),
    date_column="date",
    sources=("deepstate", "isw"),
    columns=(
        _key(
            "date",
            "DATE",
            "Snapshot date. DeepState: the archive file of that date, the map as of ~03:00 UTC "
            "(mostly the previous day's update). ISW: the assessment date.",
        ),
        _key("source", "VARCHAR", "Which source measured the area. " + CONTROL_SOURCES_NOTE),
        _key("region_code", "VARCHAR", "'UA' = the whole of Ukraine."),
        Column("area_km2", "DOUBLE", "Area held by Russia on this date.", "km²"),
        Column(
            "gained_km2",
            "DOUBLE",
            "Geodesic area held today but not at the previous observed snapshot (today − previous). "
            "NULL for ISW (totals only) and on a source's first day.",
            "km²",
        ),
        Column(
            "lost_km2",
            "DOUBLE",
            "Geodesic area held at the previous observed snapshot but not today (previous − today). "
            "NULL for ISW and on a source's first day.",
            "km²",
        ),
        Column(
            "net_change_km2",
            "DOUBLE",
            "area_km2 minus the area of the previous observed snapshot. NULL on the first day.",
            "km²",
        ),
        _key(
            "is_observed",
            "BOOLEAN",
            "True when the source published a snapshot for this date; false for a gap day "
            "(all measures NULL).",
        ),
        Column(
            "days_since_previous",
            "INTEGER",
            "Days since the previous observed snapshot: 1 normally, more after a gap (the change "
            "covers all of them). NULL on the first day and on gap days.",
            "days",
        ),
    ),
)

FACT_CONTROL_MONTHLY = Table(
    name="fact_control_monthly",
    description=(
        "Monthly roll-up of fact_control_daily: area at the last observed day of the month and the "
        "sums of the daily changes. A change after a gap is counted in the month of the day that "
        "reports it."
    ),
    grain=("month", "source", "region_code"),
    date_column="month",
    sources=("deepstate", "isw"),
    columns=(
        _key("month", "DATE", "First day of the calendar month."),
        _key("source", "VARCHAR", "Which source measured the area. " + CONTROL_SOURCES_NOTE),
        _key("region_code", "VARCHAR", "'UA' = the whole of Ukraine."),
        Column("area_end_km2", "DOUBLE", "Area held on the last observed day of the month.", "km²"),
        Column("gained_km2", "DOUBLE", "Sum of the month's daily gained_km2 (NULL for ISW).", "km²"),
        Column("lost_km2", "DOUBLE", "Sum of the month's daily lost_km2 (NULL for ISW).", "km²"),
        Column("net_change_km2", "DOUBLE", "Sum of the month's daily net_change_km2.", "km²"),
        _key("observed_days", "INTEGER", "Days in the month with a snapshot.", "days"),
        _key("days_in_month", "INTEGER", "Calendar days in the month.", "days"),
    ),
)

FACT_LOSSES_DAILY = Table(
    name="fact_losses_daily",
    description=(
        "Russian losses claimed by the General Staff of the Armed Forces of Ukraine, per report "
        "date and category. Upstream publishes cumulative totals; daily is their difference. "
        "These are claims by a warring party, not verified counts."
    ),
    grain=("date", "category"),
    date_column="date",
    sources=("gs_personnel", "gs_equipment", "gs_equipment_corrections"),
    columns=(
        _key("date", "DATE", "Report date of the cumulative total."),
        _key(
            "category",
            "VARCHAR",
            "Stable snake_case category (see dim_loss_category for the upstream names it covers).",
        ),
        _key("cumulative", "BIGINT", "Cumulative total claimed as of this date.", "count"),
        Column(
            "daily",
            "BIGINT",
            "cumulative minus the previous report's cumulative, including any correction; "
            "negative values are kept. NULL on a category's first report.",
            "count",
        ),
        Column(
            "correction",
            "BIGINT",
            "Signed amount the corrections file says the General Staff folded into this day's "
            "total (0 when none).",
            "count",
        ),
        _key(
            "is_correction",
            "BOOLEAN",
            "True when daily is negative or the corrections file lists an amount for this date "
            "and category.",
        ),
        Column(
            "qualifier",
            "VARCHAR",
            "Upstream qualifier of the personnel figure ('about' or 'more'); NULL elsewhere.",
        ),
    ),
)

FACT_LOSSES_MONTHLY = Table(
    name="fact_losses_monthly",
    description="Monthly roll-up of fact_losses_daily.",
    grain=("month", "category"),
    date_column="month",
    sources=("gs_personnel", "gs_equipment", "gs_equipment_corrections"),
    columns=(
        _key("month", "DATE", "First day of the calendar month."),
        _key("category", "VARCHAR", "Stable snake_case category."),
        Column(
            "total",
            "BIGINT",
            "Sum of the month's daily values (corrections included).",
            "count",
        ),
        _key("cumulative_end", "BIGINT", "Cumulative total at the month's last report.", "count"),
        _key("reported_days", "INTEGER", "Days in the month with a report.", "days"),
    ),
)

DIM_DATE = Table(
    name="dim_date",
    description="Calendar from the first to the last date of any fact table.",
    grain=("date",),
    date_column="date",
    sources=(),
    columns=(
        _key("date", "DATE", "Calendar day."),
        _key("year", "INTEGER", "Calendar year."),
        _key("month", "DATE", "First day of the month containing date."),
        _key("iso_year", "INTEGER", "ISO 8601 week-numbering year."),
        _key("iso_week", "INTEGER", "ISO 8601 week number (1–53)."),
        _key("week_start", "DATE", "Monday of the ISO week."),
        _key("day_of_war", "INTEGER", "Days since 2022-02-24 (that day = 1).", "days"),
    ),
)

DIM_SOURCE = Table(
    name="dim_source",
    description="Every upstream source frontline ingests, with its licence and live URL.",
    grain=("source",),
    sources=(),
    columns=(
        _key("source", "VARCHAR", "Source name as used in the fact tables and the raw layer."),
        _key("description", "VARCHAR", "What the source publishes."),
        _key("publisher", "VARCHAR", "Who produces the data."),
        _key("licence", "VARCHAR", "Licence of the data as published upstream."),
        _key("upstream_url", "VARCHAR", "Live URL (or URL pattern) frontline fetches by default."),
    ),
)

DIM_LOSS_CATEGORY = Table(
    name="dim_loss_category",
    description=(
        "The stable loss categories and the upstream field names each one sums, so every figure "
        "in fact_losses_daily can be traced back to the upstream file."
    ),
    grain=("category",),
    sources=("gs_personnel", "gs_equipment"),
    columns=(
        _key("category", "VARCHAR", "Stable snake_case category."),
        _key("upstream_fields", "VARCHAR", "Upstream JSON field names summed into it, ' + '-joined."),
        _key("file", "VARCHAR", "Upstream file the fields come from."),
        _key("description", "VARCHAR", "What is counted, and its history upstream."),
    ),
)

CORE_TABLES: tuple[Table, ...] = (
    FACT_CONTROL_DAILY,
    FACT_CONTROL_MONTHLY,
    FACT_LOSSES_DAILY,
    FACT_LOSSES_MONTHLY,
    DIM_DATE,
    DIM_SOURCE,
    DIM_LOSS_CATEGORY,
)

# --- territory in depth (issue 3): regions, coverage, source agreement -----------------------
TERRITORY_TABLES: tuple[Table, ...] = ()

# --- casualty reports in depth (issue 4): vintages, estimates, cost of advance ---------------
CASUALTY_TABLES: tuple[Table, ...] = ()

PUBLISHED: tuple[Table, ...] = CORE_TABLES + TERRITORY_TABLES + CASUALTY_TABLES

BY_NAME: dict[str, Table] = {t.name: t for t in PUBLISHED}


def table(name: str) -> Table:
    """Look a published table up by name; the whitelist every identifier comes from."""
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeyError(f"{name!r} is not a published table; known: {sorted(BY_NAME)}") from None
