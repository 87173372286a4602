"""Build the casualty tables of issue 4 from the raw layer: one SQL model per table.

Order matters: ``core.loss_value_events`` (internal, folded incrementally by
:mod:`transforms.losses.loss_history`) feeds the bitemporal General Staff table and its revisions; the mart reads the territory, losses and Mediazona facts. Each model runs in its own
transaction and gets the catalog's comments, like transforms.models.
"""

from __future__ import annotations

import duckdb

from warehouse.ingest.sources.estimates import WARRING_PARTY_SOURCES
from warehouse.store import catalog
from warehouse.store.db import comment_on
from warehouse.store.sqlfiles import load

MODELS = (
    "fact_losses_bitemporal",
    "fact_loss_revisions",
    "fact_confirmed_deaths_weekly",
    "fact_casualty_estimates",
    "mart_cost_of_advance_monthly",
)

# Bound parameters per model (values never enter the SQL text).
_PARAMS = {"fact_casualty_estimates": {"warring_party_sources": sorted(WARRING_PARTY_SOURCES)}}


def build(con: duckdb.DuckDBPyConnection, name: str) -> int:
    """Run one casualty model; returns the row count of the table it builds."""
    if name not in MODELS:
        raise KeyError(f"no casualty model {name!r}; known: {MODELS}")
    table = catalog.BY_NAME.get(name)
    qualified = table.qualified if table else f"core.{name}"
    con.begin()
    try:
        con.execute(load("transforms", name), _PARAMS.get(name, {}))
        if table:
            comment_on(con, qualified, table)
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return con.execute(f"SELECT count(*) FROM {qualified}").fetchall()[0][0]  # noqa: S608 - whitelisted


def build_all(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    return {name: build(con, name) for name in MODELS}
