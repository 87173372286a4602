"""Towns and the front line (issue 11): the settlements source (raw), the incremental settlement
step, dim_settlement, the settlement facts and the front line."""

import dagster as dg

from orchestration.raw_assets import _fail_on, _summary
from orchestration.resources import WarehouseResource
from orchestration.territory_assets import _table_asset
from transforms.settlements import settlement_models
from warehouse.ingest import sources
from warehouse.ingest.parse import ParseError
from warehouse.ingest.sources import settlements


@dg.asset(key=["raw", "settlements"], group_name="raw", kinds={"duckdb"}, description=sources.SETTLEMENTS.description)
def settlements_raw(warehouse: WarehouseResource) -> dg.MaterializeResult:
    with warehouse.connect() as con:
        try:
            result = settlements.ingest(con, warehouse.settings)
        except ParseError as exc:
            _fail_on([exc])
    meta = _summary([result])
    meta["uri"] = result.uri
    return dg.MaterializeResult(metadata=meta)


@dg.asset(
    key=["core", "settlement_day_status"],
    group_name="core",
    kinds={"duckdb"},
    deps=[
        ["raw", "deepstate_snapshots"],
        ["raw", "deepstate_api"],
        ["raw", "oblast_boundaries"],
        ["raw", "settlements"],
    ],
    description="Internal: every settlement's status and distance to the front, and the front line, per DeepState day; recomputed only for changed days.",
)
def settlement_day_status(warehouse: WarehouseResource) -> dg.MaterializeResult:
    with warehouse.connect() as con:
        computed = settlement_models.build_day_step(con)
    return dg.MaterializeResult(metadata={"days_computed": computed})


def _sql(name: str):
    return lambda con: settlement_models.build(con, name)


_DAYS = [["core", "settlement_day_status"], ["core", "fact_control_coverage_daily"]]
settlement_assets = [
    settlements_raw,
    settlement_day_status,
    _table_asset(
        "dim_settlement", [["raw", "settlements"], ["raw", "oblast_boundaries"]], settlement_models.build_dim_settlement
    ),
    _table_asset("fact_settlement_status_flips", _DAYS, _sql("fact_settlement_status_flips")),
    _table_asset("fact_settlement_control_daily", _DAYS, _sql("fact_settlement_control_daily")),
    _table_asset(
        "fact_settlement_control_changes",
        [*_DAYS, ["core", "fact_settlement_status_flips"]],
        _sql("fact_settlement_control_changes"),
    ),
    _table_asset("fact_front_line_daily", _DAYS, _sql("fact_front_line_daily")),
    _table_asset("front_line_daily", [["core", "settlement_day_status"]], _sql("front_line_daily")),
]
