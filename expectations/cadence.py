"""How fresh each upstream source is expected to be — the one place the cadence lives.

A source is stale when its newest date in the warehouse is older than `today − allowed lag`.
Staleness is a WARN: the pipeline still publishes what it has checked, and reports the lag.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Cadence:
    source: str
    allowed_lag_days: int
    why: str


CADENCE: dict[str, Cadence] = {
    c.source: c
    for c in (
        Cadence("deepstate", 3, "DeepState archives a map file daily; 3 days absorbs mirror gaps."),
        Cadence("isw", 7, "ISW/CTP area assessments are irregular, roughly weekly at worst."),
        Cadence("general_staff", 3, "The General Staff reports losses every morning."),
    )
}

# Which freshness sources each table is measured on, and how its rows map onto them
# (the SQL file under expectations/sql/ that yields one `source, newest` row per source).
FRESHNESS_SQL: dict[str, tuple[str, tuple[str, ...]]] = {
    "fact_control_daily": ("freshness_control_daily.sql", ("deepstate", "isw")),
    "fact_losses_daily": ("freshness_losses_daily.sql", ("general_staff",)),
}
