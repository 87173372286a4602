"""Core assets: dims and facts built from the raw layer by transforms.models."""

import dagster as dg

from orchestration.resources import WarehouseResource
from transforms import models
from warehouse import catalog


def _core(name: str, deps: list, build, description: str | None = None) -> dg.AssetsDefinition:
    table = catalog.BY_NAME.get(name)

    @dg.asset(
        key=["core", name],
        group_name="core",
        kinds={"duckdb"},
        deps=deps,
        description=description or (table.description if table else None),
    )
    def _asset(warehouse: WarehouseResource) -> dg.MaterializeResult:
        with warehouse.connect() as con:
            work = build(con)
            metadata = {"rows": models.row_count(con, name)} if table else {}
            if name == "deepstate_daily_area":
                metadata["days_computed"] = work
        return dg.MaterializeResult(metadata=metadata)

    return _asset


def _sql(name: str):
    return lambda con: models.build(con, name)


core_assets = [
    _core(
        "deepstate_daily_area",
        [["raw", "deepstate_snapshots"]],
        models.build_deepstate_areas,
        "Internal: geodesic area, gained and lost per DeepState day, recomputed only for changed days.",
    ),
    _core(
        "fact_control_daily",
        [
            ["core", "deepstate_daily_area"],
            ["raw", "isw"],
            # issue 3: per-region rows, share_of_region, coverage
            ["core", "region_daily_area"],
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
