"""Territory: the DeepState history API and oblast boundaries (raw), and the territory tables of
the model registry (the per-region geometry step, dim_region, the control facts, coverage, source
agreement, change maps)."""

import dagster as dg

from orchestration.model_assets import assets_of
from orchestration.raw_assets import FETCH_RETRY, _fail_on, unreachable_fails_now
from orchestration.resources import WarehouseResource
from warehouse.ingest import sources
from warehouse.ingest.parse import ParseError
from warehouse.ingest.sources import boundaries, deepstate_api


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
    meta = {
        "payloads_new": len(result.new),
        "payloads_unchanged": result.unchanged,
        "payloads_not_yet": 0,
        "listed": result.listed,
        "index": result.index_status,
    }
    if result.quirks:
        meta["quirks"] = "\n".join(result.quirks)[:4000]
    return dg.MaterializeResult(metadata=meta)


@dg.asset(
    key=["raw", "oblast_boundaries"],
    group_name="raw",
    kinds={"duckdb"},
    retry_policy=FETCH_RETRY,
    description=sources.OBLAST_BOUNDARIES.description,
)
def oblast_boundaries(warehouse: WarehouseResource) -> dg.MaterializeResult:
    with warehouse.connect() as con, unreachable_fails_now():
        try:
            result = boundaries.ingest(con, warehouse.settings)
        except ParseError as exc:
            _fail_on([exc])
    meta = {f"payloads_{k}": int(result.status == k) for k in ("new", "unchanged", "not_yet")}
    if result.quirks:
        meta["quirks"] = "\n".join(result.quirks)
    return dg.MaterializeResult(metadata=meta)


territory_assets = [deepstate_api_snapshots, oblast_boundaries, *assets_of("transforms.territory")]
