"""Small good rows for the casualty tables of issue 4, for tests that build a warehouse by hand
(tests/test_expectations.py): every casualty suite must pass on them."""

from __future__ import annotations

import datetime as dt

D = dt.date
FETCHED = [dt.datetime(2026, 6, 5, 8, tzinfo=dt.UTC), dt.datetime(2026, 6, 30, 8, tzinfo=dt.UTC)]

ROWS: dict[str, list[dict]] = {
    "fact_losses_bitemporal": [
        {
            "date": D(2026, 6, 3),
            "category": "cruise_missiles",
            "cumulative": 4693,
            "qualifier": None,
            "known_from": D(2026, 6, 3),
            "known_to": D(2026, 6, 30),
            "source": "gs_equipment",
            "payload_version": 1,
            "payload_vintage": D(2026, 6, 5),
            "fetched_at": FETCHED[0],
        },
        {
            "date": D(2026, 6, 3),
            "category": "cruise_missiles",
            "cumulative": 4733,
            "qualifier": None,
            "known_from": D(2026, 6, 30),
            "known_to": None,
            "source": "gs_equipment",
            "payload_version": 2,
            "payload_vintage": D(2026, 6, 30),
            "fetched_at": FETCHED[1],
        },
    ],
    "fact_loss_revisions": [
        {
            "date": D(2026, 6, 3),
            "category": "tanks",  # a small rewrite: within the anomaly bound (tanks move ~3 a day)
            "old_cumulative": 11_520,
            "new_cumulative": 11_522,
            "change": 2,
            "source": "gs_equipment",
            "old_payload_version": 1,
            "new_payload_version": 2,
            "old_vintage": D(2026, 6, 5),
            "new_vintage": D(2026, 6, 30),
            "detected_at": FETCHED[1],
        },
    ],
    "fact_confirmed_deaths_weekly": [
        {
            "week_start": D(2022, 2, 21),
            "vintage": D(2022, 12, 31),
            "vintage_label": "meduza_2026_weekly.csv:Bmz2022",
            "is_latest_vintage": False,
            "named_deaths": 388,
            "named_deaths_cumulative": 388,
            "source": "mediazona_2026",
            "payload_version": 1,
        },
        {
            "week_start": D(2022, 2, 21),
            "vintage": D(2026, 1, 1),
            "vintage_label": "meduza_2026_weekly.csv:BmzNow",
            "is_latest_vintage": True,
            "named_deaths": 427,
            "named_deaths_cumulative": 427,
            "excess_deaths_estimate": 430.9,
            "excess_deaths_low": 310.9,
            "excess_deaths_high": 550.8,
            "total_deaths_estimate": 456.2,
            "total_deaths_low": 336.2,
            "total_deaths_high": 576.2,
            "mia_floor_estimate": 18.1,
            "mia_estimate": 25.3,
            "mia_courts_estimate": 21.4,
            "source": "mediazona_2026",
            "payload_version": 1,
        },
    ],
    "fact_casualty_estimates": [
        {
            "report_date": D(2022, 8, 11),
            "losses_of": "russia",
            "measure": "casualties",
            "estimate": None,
            "estimate_low": 70000.0,
            "estimate_high": 80000.0,
            "source_name": "US officials (via NYT)",
            "source_url": "https://www.nytimes.com/2022/08/11/us/politics/russian-casualties-ukraine.html",
            "is_warring_party": False,
            "line": 15,
            "payload_version": 1,
            "payload_vintage": D(2026, 6, 30),
            "fetched_at": FETCHED[1],
        },
        {
            "report_date": D(2023, 12, 19),
            "losses_of": "ukraine",
            "measure": "casualties",
            "estimate": 383000.0,
            "estimate_low": None,
            "estimate_high": None,
            "source_name": "Russian Ministry of Defense",
            "source_url": "https://tass.com/defense/1723781",
            "is_warring_party": True,
            "line": 3,
            "payload_version": 1,
            "payload_vintage": D(2026, 6, 30),
            "fetched_at": FETCHED[1],
        },
    ],
    "mart_cost_of_advance_monthly": [
        {
            "month": D(2024, 10, 1),
            "deepstate_gained_km2": 500.0,
            "deepstate_lost_km2": 20.0,
            "deepstate_net_change_km2": 480.0,
            "deepstate_observed_days": 31,
            "isw_net_change_km2": 600.0,
            "personnel_claimed": 41980,
            "named_deaths": 2000,
            "named_deaths_vintage": D(2026, 1, 1),
            "personnel_claimed_per_km2_gained": 83.96,
            "named_deaths_per_km2_gained": 4.0,
        },
    ],
}
