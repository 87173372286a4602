"""Casualty reports in depth (issue 4): raw Mediazona vintages and official estimates, the
bitemporal General Staff layer, its revisions, and the cost-of-advance mart."""

import dagster as dg

from orchestration import conventions
from orchestration.raw_assets import _whole_file_asset
from orchestration.resources import WarehouseResource
from transforms.casualties import casualties
from transforms.losses import loss_history
from warehouse.ingest import sources
from warehouse.store import catalog

casualty_raw_assets = [_whole_file_asset(s) for s in sources.CASUALTY_SOURCES]

_LOSS_RAW = [["raw", "gs_personnel"], ["raw", "gs_equipment"], ["core", "dim_loss_category"]]
_MEDIAZONA_RAW = [["raw", s.name] for s in sources.CASUALTY_SOURCES if s.name.startswith("mediazona")]

# model → (asset key prefix, upstream asset keys)
_MODELS = {
    "fact_losses_bitemporal": ("core", [["core", "loss_value_events"]]),
    "fact_loss_revisions": ("core", [["core", "loss_value_events"]]),
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
    table = catalog.table(name)

    @dg.asset(key=[prefix, name], group_name=prefix, kinds={"duckdb"}, deps=deps, description=table.description)
    def _asset(warehouse: WarehouseResource) -> dg.MaterializeResult:
        with warehouse.connect() as con:
            casualties.build(con, name)
            return conventions.materialized(con, table)

    return _asset


@dg.asset(
    key=["core", "loss_value_events"],
    group_name="core",
    kinds={"duckdb"},
    deps=_LOSS_RAW,
    description="Internal: what each General Staff payload version changed against the one before it "
    "(folded once per version).",
)
def loss_value_events(warehouse: WarehouseResource) -> dg.MaterializeResult:
    with warehouse.connect() as con:
        folded = loss_history.update(con)
    return dg.MaterializeResult(metadata={"payloads_folded": folded})


casualty_model_assets = [
    loss_value_events,
    *(_model_asset(name, prefix, deps) for name, (prefix, deps) in _MODELS.items()),
]
casualty_assets = [*casualty_raw_assets, *casualty_model_assets]
