"""Publishing: runs only after every blocking check of every published table passed."""

import dagster as dg

from orchestration.resources import WarehouseResource
from warehouse.publish import publish
from warehouse.store import audit, catalog


@dg.asset(
    key=["published", "extracts"],
    group_name="published",
    kinds={"parquet", "duckdb"},
    deps=[[t.schema, t.name] for t in catalog.PUBLISHED],
    description="Parquet extracts, manifest.json and a read-only DuckDB snapshot of every published table.",
)
def extracts(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    from expectations import report, run_suites  # GX import is slow: only when publishing

    settings = warehouse.settings
    with warehouse.connect() as con:
        checks = audit.run_summary(con, context.run_id)
        # payloads an operator let past a plausibility rule or a fact bound: who, when, why
        checks["acceptances"] = audit.acceptances(con)
        # the validations this run's checks recorded under its id in audit.check_results (a table
        # they did not reach, e.g. in a re-executed step, is validated here), rendered into report/
        outcomes = run_suites(con, today=settings.today, session=context.run_id)
        result = publish.publish(
            con,
            settings.published_dir,
            checks=checks,
            write_report=lambda folder, version: report.write(folder, outcomes, run_id=context.run_id, version=version),
            keep_versions=settings.keep_versions,
        )
    return dg.MaterializeResult(
        metadata={
            "version": result.version,
            "new_version": result.is_new,
            "path": str(result.path),
            "dagster/uri": result.path.resolve().as_uri(),
        }
    )
