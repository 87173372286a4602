"""Territory: the DeepState history API and oblast boundaries (raw), and the territory tables of
the model registry (the per-region geometry step, dim_region, the control facts, coverage, source
agreement, change maps)."""

import dagster as dg

from orchestration.model_assets import assets_of
from orchestration.raw_assets import (
    FETCH_RETRY,
    _fail_on,
    _summary,
    _whole_file_asset,
    current_parser,
    unreachable_fails_now,
)
from orchestration.resources import WarehouseResource
from warehouse.ingest import sources
from warehouse.ingest.parse import ParseError
from warehouse.ingest.sources import deepstate_api


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
        reparsed = current_parser(con, sources.DEEPSTATE_API)
        try:
            result = deepstate_api.ingest(con, warehouse.settings)
        except ParseError as exc:
            context.log.error(str(exc))
            _fail_on([exc])
    return dg.MaterializeResult(metadata={**_summary(result), **reparsed})


oblast_boundaries = _whole_file_asset(sources.OBLAST_BOUNDARIES)


territory_assets = [deepstate_api_snapshots, oblast_boundaries, *assets_of("transforms.territory")]
