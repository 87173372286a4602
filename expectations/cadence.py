"""How fresh each checked source is expected to be, from each source's ``freshness``
(warehouse.ingest.sources: the one place the cadence lives, also read by the status page).

A source is stale when its newest date in the warehouse is older than `today − allowed lag`.
Staleness is a WARN: the pipeline still publishes what it has checked, and reports the lag.
"""

from __future__ import annotations

from dataclasses import dataclass

from warehouse.ingest import sources


@dataclass(frozen=True)
class Cadence:
    source: str
    allowed_lag_days: int
    why: str


# "general_staff": personnel and equipment come from the same daily report.
CADENCE: dict[str, Cadence] = {
    name: Cadence(name, source.freshness.allowed_lag_days, source.freshness.why)
    for name, source in (
        ("deepstate", sources.DEEPSTATE),
        ("isw", sources.ISW),
        ("general_staff", sources.GS_PERSONNEL),
    )
}

# Which freshness sources each table is measured on, and how its rows map onto them
# (the SQL file under expectations/sql/ that yields one `source, newest` row per source).
FRESHNESS_SQL: dict[str, tuple[str, tuple[str, ...]]] = {
    "fact_control_daily": ("freshness_control_daily.sql", ("deepstate", "isw")),
    "fact_losses_daily": ("freshness_losses_daily.sql", ("general_staff",)),
}
