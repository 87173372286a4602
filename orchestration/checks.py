"""Quality gates: the GX suite of every published table, run as asset checks.

`contract` is blocking: an ERROR-severity expectation that fails stops the run before anything
is published. `warnings` reports WARN-severity failures (e.g. stale upstream) without blocking.
"""

import dagster as dg

from orchestration.resources import WarehouseResource
from warehouse.store import catalog


def _checks(table: catalog.Table) -> dg.AssetChecksDefinition:
    asset = dg.AssetKey([table.schema, table.name])

    @dg.multi_asset_check(
        name=f"{table.name}_suite",
        specs=[
            dg.AssetCheckSpec(
                "contract",
                asset=asset,
                blocking=True,
                description="ERROR expectations of the GX suite; block publishing.",
            ),
            dg.AssetCheckSpec(
                "warnings", asset=asset, description="WARN expectations of the GX suite; published and reported."
            ),
        ],
    )
    def _suite(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
        from expectations import bounds, run_suite  # GX import is slow: only when a check runs

        run_id = context.op_execution_context.run_id
        with warehouse.connect() as con:
            # recorded in audit.check_results under the run's id: publishing reads it back from there
            outcome = run_suite(con, table.name, today=warehouse.settings.today, session=run_id)
            refused = bounds.quarantine_refused(con, warehouse.settings.quarantine_dir, outcome)
        metadata = outcome.to_metadata()
        yield dg.AssetCheckResult(
            check_name="contract",
            asset_key=asset,
            passed=not outcome.errors,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata=metadata,
            description="\n".join([outcome.summary_text(), *refused]) if outcome.errors else None,
        )
        yield dg.AssetCheckResult(
            check_name="warnings",
            asset_key=asset,
            passed=not outcome.warnings,
            severity=dg.AssetCheckSeverity.WARN,
            metadata=metadata,
            description=outcome.summary_text() if outcome.warnings else None,
        )

    return _suite


suite_checks = [_checks(t) for t in catalog.PUBLISHED]
