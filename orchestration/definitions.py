"""The Dagster code location: `dagster dev -m orchestration.definitions` (or `frontline dev`)."""

import dagster as dg

from orchestration import conventions
from orchestration.alerting import alert_sensors
from orchestration.casualty_assets import casualty_assets
from orchestration.checks import suite_checks
from orchestration.model_assets import assets_of
from orchestration.publish_assets import extracts
from orchestration.raw_assets import deepstate_snapshots, whole_file_assets
from orchestration.resources import WarehouseResource
from orchestration.schedules import daily_refresh_job, daily_refresh_schedule
from orchestration.serving_assets import ObjectStoreTarget, PostgresTarget, object_storage, postgres_views
from orchestration.settlement_assets import settlement_assets
from orchestration.territory_assets import territory_assets
from warehouse.store.config import Settings

# Owners, tags, freshness and the catalog's column schema on every asset (orchestration/conventions.py).
all_assets = dg.map_asset_specs(
    conventions.annotate,
    [
        deepstate_snapshots,
        *whole_file_assets,
        *territory_assets,
        *casualty_assets,  # General Staff losses and casualties
        *settlement_assets,
        *assets_of("transforms"),  # dim_source, dim_date: shared by every domain
        extracts,
        postgres_views,
        object_storage,
    ],
)


def resources(settings: Settings | None = None, secrets_by_name: bool = False) -> dict:
    settings = settings or Settings.from_env()
    return {
        "warehouse": WarehouseResource.from_settings(settings, secrets_by_name),
        "postgres": PostgresTarget.from_settings(settings, secrets_by_name),
        "object_store": ObjectStoreTarget.from_settings(settings),
    }


defs = dg.Definitions(
    assets=all_assets,
    asset_checks=suite_checks,
    jobs=[daily_refresh_job],
    schedules=[daily_refresh_schedule],
    sensors=alert_sensors,
    resources=resources(secrets_by_name=True),  # the UI shows env var names, not passwords
    # DuckDB allows one writer process per file: run every step in the run's own process.
    executor=dg.in_process_executor,
)
