"""Core assets: dims and facts built from the raw layer by transforms.models."""

import dagster as dg

from orchestration import conventions
from orchestration.resources import WarehouseResource
from transforms import models
from warehouse.store import catalog


def _core(name: str, deps: list, build) -> dg.AssetsDefinition:
    table = catalog.table(name)

    @dg.asset(key=["core", name], group_name="core", kinds={"duckdb"}, deps=deps, description=table.description)
    def _asset(warehouse: WarehouseResource) -> dg.MaterializeResult:
        with warehouse.connect() as con:
            build(con)
            return conventions.materialized(con, table)

    return _asset


def _sql(name: str):
    return lambda con: models.build(con, name)


core_assets = [
    _core(
        "fact_control_daily",
        [
            ["core", "region_daily_area"],
            ["raw", "isw"],
            ["core", "dim_region"],
            ["core", "fact_control_coverage_daily"],
        ],
        _sql("fact_control_daily"),
    ),
    _core("fact_control_monthly", [["core", "fact_control_daily"]], _sql("fact_control_monthly")),
    _core(
        "dim_loss_category",
        [["raw", "gs_equipment"], ["raw", "gs_equipment_corrections"]],
        models.build_loss_categories,
    ),
    _core(
        "fact_losses_daily",
        [
            ["raw", "gs_personnel"],
            ["raw", "gs_equipment"],
            ["raw", "gs_equipment_corrections"],
            ["core", "dim_loss_category"],
        ],
        _sql("fact_losses_daily"),
    ),
    _core("fact_losses_monthly", [["core", "fact_losses_daily"]], _sql("fact_losses_monthly")),
    _core("dim_source", [], models.build_dim_source),
    _core("dim_date", [["core", "fact_control_daily"], ["core", "fact_losses_daily"]], _sql("dim_date")),
]
