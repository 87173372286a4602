"""Dagster's standard asset metadata, owners, tags and freshness, from the catalog.

The Dagster UI (and any tool reading the instance) knows a few metadata keys: ``dagster/column_schema``
(the Columns table on an asset's page), ``dagster/row_count`` (plotted over materializations),
``dagster/table_name`` and ``dagster/uri``. Published tables declare their column schema and table
name on the definition (shown before any run) and repeat them with the row count on every
materialization. Everything here is derived from warehouse.store.catalog, never written twice.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg

from warehouse.store import catalog

OWNERS = ["team:frontline"]

# Every asset is rebuilt by the daily_refresh schedule (07:30 UTC). Dagster 1.13's freshness
# policy (evaluated by the daemon, shown as Fresh/Warning/Failing on the asset): a materialization
# older than 26 h means that morning's run is late; older than 48 h, a whole day was missed.
FRESHNESS = dg.FreshnessPolicy.time_window(fail_window=dt.timedelta(hours=48), warn_window=dt.timedelta(hours=26))

# The DuckDB catalog name of $FRONTLINE_HOME/warehouse.duckdb (DuckDB names it after the file).
WAREHOUSE_DATABASE = "warehouse"

# Sources (and the assets outside the catalog) by subject; a table's domain is its sources'.
_DOMAIN = {
    "deepstate": "territory",
    "deepstate_snapshots": "territory",
    "region_daily_area": "territory",
    "region_changes": "territory",
    "region_day_inputs": "territory",
    "api_occupied_layers": "territory",
    "loss_value_events": "losses",
    "loss_payloads": "losses",
    "loss_field_map": "losses",
    "deepstate_api": "territory",
    "isw": "territory",
    "oblast_boundaries": "territory",
    "gs_personnel": "losses",
    "gs_equipment": "losses",
    "gs_equipment_corrections": "losses",
    "mediazona_2024": "casualties",
    "mediazona_2025": "casualties",
    "mediazona_2026": "casualties",
    "official_estimates": "casualties",
}


def column_schema(table: catalog.Table) -> dg.TableSchema:
    """The catalog's columns as Dagster shows them: DuckDB type, description with the unit, the
    unit again as a column tag, and whether NULL is allowed."""
    return dg.TableSchema(
        columns=[
            dg.TableColumn(
                name=c.name,
                type=c.type,
                description=c.doc,
                constraints=dg.TableColumnConstraints(nullable=c.nullable),
                tags={"unit": c.unit} if c.unit else None,
            )
            for c in table.columns
        ]
    )


def table_name(table: catalog.Table) -> str:
    return f"{WAREHOUSE_DATABASE}.{table.qualified}"


def table_metadata(table: catalog.Table, row_count: int | None = None) -> dict:
    """``dagster/*`` metadata of a published table; with ``row_count`` for a materialization."""
    meta = {"dagster/column_schema": column_schema(table), "dagster/table_name": table_name(table)}
    if row_count is not None:
        meta["dagster/row_count"] = dg.MetadataValue.int(int(row_count))
    return meta


def materialized(con, table: catalog.Table) -> dg.MaterializeResult:
    """What a published table's asset reports: its COUNT(*) and the catalog's description of it."""
    rows = con.execute(f"SELECT count(*) FROM {table.qualified}").fetchall()[0][0]  # whitelisted name
    return dg.MaterializeResult(metadata=table_metadata(table, rows))


def _domain(spec: dg.AssetSpec) -> str:
    name = spec.key.path[-1]
    if name not in catalog.BY_NAME:
        return _DOMAIN.get(name, "pipeline")
    domains = {_DOMAIN.get(n, "reference") for n in catalog.BY_NAME[name].sources} or {"reference"}
    return domains.pop() if len(domains) == 1 else "cross_domain"


def annotate(spec: dg.AssetSpec) -> dg.AssetSpec:
    """Owners, tags (layer, domain), the freshness policy and, for a published table, its
    column schema and table name as definition metadata."""
    name = spec.key.path[-1]
    metadata = table_metadata(catalog.BY_NAME[name]) if name in catalog.BY_NAME else {}
    return spec.merge_attributes(
        owners=OWNERS, tags={"layer": spec.key.path[0], "domain": _domain(spec)}, metadata=metadata
    ).replace_attributes(freshness_policy=FRESHNESS)
