"""Casualty reports in depth (issue 4): raw Mediazona vintages and official estimates, the
bitemporal General Staff layer, its revisions, and the cost-of-advance mart."""

import dagster as dg

from orchestration.raw_assets import _whole_file_asset
from orchestration.resources import WarehouseResource
from transforms import casualties
from warehouse import catalog, sources

casualty_raw_assets = [_whole_file_asset(s) for s in sources.CASUALTY_SOURCES]

_LOSS_RAW = [["raw", "gs_personnel"], ["raw", "gs_equipment"], ["core", "dim_loss_category"]]
_MEDIAZONA_RAW = [["raw", s.name] for s in sources.CASUALTY_SOURCES if s.name.startswith("mediazona")]

# model → (asset key prefix, upstream asset keys)
_MODELS = {
    "loss_values_by_version": ("core", _LOSS_RAW),
    "fact_losses_bitemporal": ("core", [["core", "loss_values_by_version"]]),
    "fact_loss_revisions": ("core", [["core", "loss_values_by_version"]]),
    "fact_confirmed_deaths_weekly": ("core", _MEDIAZONA_RAW),
    "fact_casualty_estimates": ("core", [["raw", "official_estimates"]]),
    "mart_cost_of_advance_monthly": (
        "marts",
        [
            ["core", "fact_control_monthly"],
            ["core", "fact_losses_monthly"],
            ["core", "fact_confirmed_deaths_weekly"],
        ],
    ),
}


def _model_asset(name: str, prefix: str, deps: list) -> dg.AssetsDefinition:
    table = catalog.BY_NAME.get(name)

    @dg.asset(
        key=[prefix, name],
        group_name=prefix,
        kinds={"duckdb"},
        deps=deps,
        description=table.description
        if table
        else "Internal: every General Staff value in every payload version, with its vintage.",
    )
    def _asset(warehouse: WarehouseResource) -> dg.MaterializeResult:
        with warehouse.connect() as con:
            rows = casualties.build(con, name)
        return dg.MaterializeResult(metadata={"rows": rows})

    return _asset


casualty_model_assets = [_model_asset(name, prefix, deps) for name, (prefix, deps) in _MODELS.items()]
casualty_assets = [*casualty_raw_assets, *casualty_model_assets]
