"""Publishing: runs only after every blocking check of every published table passed."""


import dagster as dg

from orchestration.resources import WarehouseResource
from warehouse import audit, catalog, publish


@dg.asset(
    key=["published", "extracts"],
    group_name="published",
    kinds={"parquet", "duckdb"},
    deps=[["core", t.name] for t in catalog.PUBLISHED],
    description="Parquet extracts, manifest.json and a read-only DuckDB snapshot of every published table.",
)
def extracts(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    settings = warehouse.settings
    with warehouse.connect() as con:
        checks = audit.run_summary(con, context.run_id)
        result = publish.publish(con, settings.published_dir, checks=checks, keep_versions=settings.keep_versions)
    return dg.MaterializeResult(
        metadata={"version": result.version, "new_version": result.is_new, "path": str(result.path)}
    )
