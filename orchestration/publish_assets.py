"""Publishing: runs only after every blocking check of every published table passed."""

import shutil

import dagster as dg

from orchestration.resources import WarehouseResource
from warehouse import audit, catalog, publish


@dg.asset(
    key=["published", "extracts"],
    group_name="published",
    kinds={"parquet", "duckdb"},
    deps=[[t.schema, t.name] for t in catalog.PUBLISHED],
    description="Parquet extracts, manifest.json and a read-only DuckDB snapshot of every published table.",
)
def extracts(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    from expectations import run_suites  # GX import is slow: only when publishing

    settings = warehouse.settings
    report_dir = settings.home / "tmp" / f"report-{context.run_id}"
    for leftover in report_dir.parent.glob("report-*"):  # of runs that died before their cleanup
        shutil.rmtree(leftover, ignore_errors=True)
    try:
        with warehouse.connect() as con:
            checks = audit.run_summary(con, context.run_id)
            # the report of the validations this run's checks made (a table they did not reach,
            # e.g. in a re-executed step, is validated here)
            run_suites(con, today=settings.today, docs_dir=report_dir, session=context.run_id)
            result = publish.publish(
                con, settings.published_dir, checks=checks, report_dir=report_dir, keep_versions=settings.keep_versions
            )
    finally:
        shutil.rmtree(report_dir, ignore_errors=True)
    return dg.MaterializeResult(
        metadata={"version": result.version, "new_version": result.is_new, "path": str(result.path)}
    )
