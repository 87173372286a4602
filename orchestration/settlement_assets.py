"""Towns and the front line: the settlements source (raw) and the settlement tables of the model
registry (the incremental status step, dim_settlement, the settlement facts, the front line)."""

import dagster as dg

from orchestration.model_assets import assets_of
from orchestration.raw_assets import _fail_on, _summary, current_parser
from orchestration.resources import WarehouseResource
from warehouse.ingest import sources
from warehouse.ingest.parse import ParseError
from warehouse.ingest.sources import settlements


@dg.asset(key=["raw", "settlements"], group_name="raw", kinds={"duckdb"}, description=sources.SETTLEMENTS.description)
def settlements_raw(warehouse: WarehouseResource) -> dg.MaterializeResult:
    with warehouse.connect() as con:
        reparsed = current_parser(con, sources.SETTLEMENTS)
        try:
            result = settlements.ingest(con, warehouse.settings)
        except ParseError as exc:
            _fail_on([exc])
    meta = {**_summary([result]), **reparsed}
    meta["uri"] = result.uri
    return dg.MaterializeResult(metadata=meta)


settlement_assets = [settlements_raw, *assets_of("transforms.settlements")]
