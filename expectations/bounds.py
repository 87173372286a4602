"""Blocking physical bounds on the facts: what no real day has come near, so a day beyond them is
refused (ERROR) until an operator accepts its payload (``frontline accept``).

The WARN anomaly guards (sql/anomaly_*.sql) flag what is unusual *for the recent weeks*; these
bounds refuse what is implausible *for the whole war*. Each number is the largest real value in the
whole mirror history (DeepState archive 2024-07-08 … 2026-06-30, the API's weekly snapshots
2022-04-03 … 2025-08-03 with the Kharkiv and Kherson operations of autumn 2022, ISW from
2022-02-22, the General Staff from 2022-02-25) times a margin, written beside it. `FRAME_SQL`
reads the values with the raw payload each row was computed from; :func:`frame` adds the bound and
whether the row passes (inside the bound, or its payload accepted by an operator).
"""

from __future__ import annotations

from dataclasses import dataclass

FRAME_SQL = {
    "fact_control_daily": "bounds_control_daily.sql",
    "fact_losses_daily": "bounds_losses_daily.sql",
}


@dataclass(frozen=True)
class Bound:
    name: str
    applies_to: str  # a source (territory) or a category (General Staff); "*" = every other one
    lo: float | None
    hi: float | None
    unit: str
    derivation: str


# Largest real values, whole mirror (2026-07-01 run): DeepState API 2022-04-03 … 2025-08-03 (weekly
# snapshots, so a value is a week's mean per day), archive 2024-07-08 … 2026-06-30, ISW 2022-02-22 …
# 2026-06-30, General Staff 2022-02-25 … 2026-06-30.
# fmt: off
BOUNDS: tuple[Bound, ...] = (
    # --- territory: fact_control_daily, region 'UA' (and UNATTRIBUTED), class occupied_total ----
    # The same bound for gains and losses: the largest real week (Kharkiv) × ~2.4, since a week's mean
    # hides single days larger than it. A polygon displaced by 0.05° (~4 km) gains and loses ~3,600.
    Bound("gained_km2_per_day", "*", None, 3_000.0, "km²/day",
          "largest real 799 km²/day (API, week to 2022-04-17, the spring 2022 advance; archive: 92 on "
          "2025-07-04) × ~3.8"),
    Bound("lost_km2_per_day", "*", None, 3_000.0, "km²/day",
          "largest real 1,266 km²/day (API, week to 2022-09-12, the Kharkiv counter-offensive; archive: 46 "
          "on 2026-05-30) × ~2.4"),
    Bound("ua_area_ratio", "*", 0.8, 1.2, "ratio",
          "real extremes 0.929 (API, Kharkiv, 2022-09-12) and 1.047 (API, 2022-04-17); archive 0.9996 … "
          "1.0008; bound ~3× their distance from 1"),
    Bound("ua_area_ratio", "isw", 0.6, 2.5, "ratio",
          "real extremes 0.885 (2022-04-05, the withdrawal from the north) and 1.877 (2022-02-24, the "
          "invasion) × margin"),
    Bound("unattributed_km2", "*", None, 5_000.0, "km²",
          "largest real 2,138 km² (API, 2022-09-05; archive 1,916 on 2026-04-20: coast, Sevastopol, "
          "boundary mismatches) × ~2.3"),
    Bound("isw_area_km2", "isw", 30_000.0, 330_000.0, "km²",
          "real 43,679 km² (2022-02-22: Crimea and ORDLO) × ~0.7 … 166,336 km² (2022-03-24) × ~2"),
    # --- General Staff: fact_losses_daily, daily amount per category (corrections are negative) --
    Bound("gs_daily", "personnel", None, 10_000.0, "count/day", "largest real 3,160 × ~3"),
    Bound("gs_daily", "drones", None, 10_000.0, "count/day",
          "largest real 2,558 × ~4 (drone claims have grown every year)"),
    Bound("gs_daily", "vehicles_and_fuel_tanks", None, 3_000.0, "count/day", "largest real 626 × ~5"),
    Bound("gs_daily", "*", None, 1_000.0, "count/day",
          "every other category: largest real 200 (POW), 190 (armoured vehicles), 122 (artillery), 112 "
          "(cruise missiles, a mass-strike day) × ≥ 5"),
)
# fmt: on


def limits(bound: str, subject: str) -> Bound:
    specific = [b for b in BOUNDS if b.name == bound and b.applies_to == subject]
    return (specific or [b for b in BOUNDS if b.name == bound and b.applies_to == "*"])[0]


NAMES = tuple(dict.fromkeys(b.name for b in BOUNDS))
TABLE_OF = {
    **{n: "fact_control_daily" for n in NAMES if n != "gs_daily"},
    "gs_daily": "fact_losses_daily",
}


def describe(name: str) -> str:
    parts = []
    own = [b for b in BOUNDS if b.name == name]
    for b in own:
        span = (
            f"{b.lo:,g} … {b.hi:,g}"
            if b.lo is not None and b.hi is not None
            else f"≤ {b.hi:,g}"
            if b.hi is not None
            else f"≥ {b.lo:,g}"
        )
        if b.applies_to != "*":
            span += f" ({b.applies_to})"
        elif len(own) > 1:
            span += " (otherwise)"
        parts.append(f"{span} {b.unit}")
    return "; ".join(parts)


def frame(df):
    """The SQL frame with its bounds (lo, hi), `within_bound` and `passes` (within, or accepted)."""
    import pandas as pd

    lo, hi = [], []
    subjects = df["category"] if "category" in df.columns else df["source"]
    for bound, subject in zip(df["bound"], subjects, strict=True):
        b = limits(bound, subject)
        lo.append(b.lo)
        hi.append(b.hi)
    df = df.assign(lo=pd.array(lo, dtype="Float64"), hi=pd.array(hi, dtype="Float64"))
    value = df["value"].astype("Float64")
    within = (df["lo"].isna() | (value >= df["lo"])) & (df["hi"].isna() | (value <= df["hi"]))
    df["within_bound"] = within.fillna(True).astype(bool)
    df["passes"] = df["within_bound"] | df["accepted"].astype(bool)
    return df


def quarantine_refused(con, quarantine_dir, outcome) -> list[str]:
    """Trace each row a bound refused back to its raw payload, keep that payload in quarantine
    (it stays landed in ``raw``: the facts are recomputed from it until it is accepted or
    corrected upstream) and say, per payload, what to do. Returns the lines for the run summary."""
    from warehouse.ingest import quarantine
    from warehouse.ingest.fetch import Payload
    from warehouse.ingest.parse import ParseError

    refused: dict[tuple[str, str], list[tuple[str, dict]]] = {}  # (source, sha256) → (bound, first row)
    for result in outcome.errors:
        if not result.name.startswith("bound_"):
            continue
        bound = result.name.removeprefix("bound_")
        for ex in result.examples:
            sha = ex.get("payload_sha256")
            if not sha or ex.get("accepted"):
                continue
            found = refused.setdefault((ex["source"], sha), [])
            if bound not in [b for b, _ in found]:
                found.append((bound, ex))
    lines: list[str] = []
    for (source, sha), items in refused.items():
        found = con.execute(
            "SELECT key, uri, fetched_at, content FROM raw.payloads WHERE source = ? AND sha256 = ? "
            "ORDER BY version DESC LIMIT 1",
            [source, sha],
        ).fetchall()
        if not found:
            continue
        key, uri, fetched_at, content = found[0]
        ex = items[0][1]
        subject = ex.get("region_code") or ex.get("category")
        error = ParseError(
            source,
            uri,
            f"date {ex['date']} ({subject})",
            "; ".join(
                f"{bound} {row['value']:,.6g} (date {row['date']}) is beyond the bound {describe(bound)}"
                for bound, row in items
            ),
        )
        quarantine.put(quarantine_dir, source, key, Payload(uri, bytes(content), fetched_at), error, date=ex["date"])
        accept_key = ex["date"] if source in ("deepstate", "deepstate_api") else key
        lines += [
            f"refused: {error}",
            f"    quarantined: {error.quarantined}",
            f'    to proceed: if this is real, `frontline accept {source} {accept_key} --reason "…"` '
            "lets the next run publish it; if not, wait for upstream to correct the file",
        ]
    return lines
