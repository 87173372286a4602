"""Territory in depth (issue 3): the DeepState history API and oblast boundaries (raw), the
incremental per-region geometry step, dim_region, coverage, source agreement and change maps."""

import dagster as dg

from orchestration import conventions
from orchestration.progress import step_counter
from orchestration.raw_assets import FETCH_RETRY, _fail_on, _summary, _whole_file_asset, unreachable_fails_now
from orchestration.resources import WarehouseResource
from transforms.territory import territory
from warehouse.ingest import sources
from warehouse.ingest.parse import ParseError
from warehouse.ingest.sources import deepstate_api
from warehouse.store import catalog


@dg.asset(
    key=["raw", "deepstate_api"],
    group_name="raw",
    kinds={"duckdb"},
    retry_policy=FETCH_RETRY,
    deps=[["raw", "oblast_boundaries"]],  # the snapshot must lie on Ukraine (warehouse.ingest.plausibility)
    description=sources.DEEPSTATE_API.description,
)
def deepstate_api_snapshots(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    with warehouse.connect() as con, unreachable_fails_now():
        try:
            result = deepstate_api.ingest(con, warehouse.settings)
        except ParseError as exc:
            context.log.error(str(exc))
            _fail_on([exc])
    return dg.MaterializeResult(metadata=_summary(result))


oblast_boundaries = _whole_file_asset(sources.OBLAST_BOUNDARIES)


@dg.asset(
    key=["core", "region_daily_area"],
    group_name="core",
    kinds={"duckdb"},
    deps=[["raw", "deepstate_snapshots"], ["raw", "deepstate_api"], ["raw", "oblast_boundaries"]],
    description="Internal: per-oblast area, gained and lost per DeepState day and class, recomputed only for changed days.",
)
def region_daily_area(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    def counted(done: int, total: int) -> None:  # `frontline run` shows these as its progress
        if line := step_counter("geometry", done, total):
            context.log.info(line)

    with warehouse.connect() as con:
        computed = territory.build_region_areas(con, on_day=counted)
    return dg.MaterializeResult(metadata={"days_computed": computed})


def _table_asset(name: str, deps: list, build) -> dg.AssetsDefinition:
    table = catalog.table(name)

    @dg.asset(
        key=[table.schema, name], group_name=table.schema, kinds={"duckdb"}, deps=deps, description=table.description
    )
    def _asset(warehouse: WarehouseResource) -> dg.MaterializeResult:
        with warehouse.connect() as con:
            build(con)
            return conventions.materialized(con, table)

    return _asset


territory_assets = [
    deepstate_api_snapshots,
    oblast_boundaries,
    region_daily_area,
    _table_asset("dim_region", [["raw", "oblast_boundaries"]], territory.build_dim_region),
    _table_asset(
        "fact_control_coverage_daily",
        [["raw", "deepstate_snapshots"], ["raw", "deepstate_api"], ["raw", "isw"]],
        lambda con: territory.build(con, "fact_control_coverage_daily"),
    ),
    _table_asset(
        "mart_control_source_agreement_daily",
        [["core", "fact_control_daily"]],
        lambda con: territory.build(con, "mart_control_source_agreement_daily"),
    ),
    _table_asset(
        "control_changes_daily",
        [["core", "region_daily_area"]],
        lambda con: territory.build(con, "control_changes_daily"),
    ),
]
