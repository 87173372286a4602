"""The table assets, made from the model registry (transforms.models): one asset per table, its
dependencies the tables its SQL reads.

A model that writes several tables (an incremental step and its bookkeeping, dim_loss_category and
its field map) is one multi-asset naming every table it writes, so a model reading any of them
depends on the step that wrote it. Raw tables resolve to the raw asset that lands them.
"""

import dagster as dg

from orchestration import conventions
from orchestration.progress import step_counter
from orchestration.resources import WarehouseResource
from transforms.models import MODELS, WRITER, Model, run_model
from warehouse.ingest import sources
from warehouse.store import catalog

# The raw asset(s) landing each raw table a model reads.
RAW_LANDED_BY: dict[str, tuple[str, ...]] = {
    "raw.deepstate_snapshots": ("deepstate_snapshots",),
    "raw.deepstate_api_index": ("deepstate_api",),
    "raw.deepstate_api_features": ("deepstate_api",),
    "raw.oblast_boundaries": ("oblast_boundaries",),
    "raw.isw_area": (sources.ISW.name,),
    "raw.gs_personnel": (sources.GS_PERSONNEL.name,),
    "raw.gs_equipment": (sources.GS_EQUIPMENT.name,),
    "raw.gs_equipment_corrections": (sources.GS_EQUIPMENT_CORRECTIONS.name,),
    "raw.mediazona_weekly": tuple(s.name for s in sources.CASUALTY_SOURCES if s.name.startswith("mediazona")),
    "raw.official_estimates": (sources.OFFICIAL_ESTIMATES.name,),
    "raw.settlements": (sources.SETTLEMENTS.name,),
}
# The landing ledger: every raw asset writes its payload row beside its own rows, and every model
# reading the ledger reads a source's rows too (the dependency that counts).
LEDGER = frozenset({"raw.payloads", "raw.current_payloads"})


def upstream(table: str) -> list[dg.AssetKey]:
    """The asset keys a schema-qualified input resolves to; KeyError names an unknown table."""
    if table in LEDGER:
        return []
    if table in RAW_LANDED_BY:
        return [dg.AssetKey(["raw", name]) for name in RAW_LANDED_BY[table]]
    if table in WRITER:
        return [dg.AssetKey(table.split("."))]
    raise KeyError(f"{table}: no raw asset lands it and no model writes it (orchestration/model_assets.py)")


def deps(model: Model) -> list[dg.AssetKey]:
    return sorted({key for table in model.inputs for key in upstream(table)}, key=lambda k: k.path)


def _description(model: Model, table: str) -> str:
    name = table.split(".")[1]
    return catalog.table(name).description if name in catalog.BY_NAME else model.internal[table]


def _result(con, model: Model, table: str, counted: int) -> dg.MaterializeResult:
    name = table.split(".")[1]
    key = dg.AssetKey(table.split("."))
    if name in catalog.BY_NAME:
        metadata = conventions.materialized(con, catalog.table(name)).metadata  # row count, column schema
        return dg.MaterializeResult(asset_key=key, metadata=metadata)
    if table == model.qualified:
        return dg.MaterializeResult(asset_key=key, metadata={model.counts: counted})
    return dg.MaterializeResult(asset_key=key, metadata={"written_with": model.qualified})


def model_asset(model: Model) -> dg.AssetsDefinition:
    upstream_keys = deps(model)
    specs = [
        dg.AssetSpec(
            key=table.split("."),
            group_name=table.split(".")[0],
            kinds={"duckdb"},
            deps=upstream_keys,
            description=_description(model, table),
        )
        for table in model.writes
    ]

    # Named like a single asset's op (core__fact_control_daily): run summaries and alerts name steps.
    @dg.multi_asset(name=dg.AssetKey(model.qualified.split(".")).to_python_identifier(), specs=specs)
    def _asset(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        options = {}
        if model.progress:

            def log_progress(done: int, total: int) -> None:  # `frontline run` shows these as its progress
                if line := step_counter(model.progress, done, total):
                    context.log.info(line)

            options["on_day"] = log_progress
        with warehouse.connect() as con:
            counted = run_model(con, model.table, **options)
            for table in model.writes:
                yield _result(con, model, table, counted)

    return _asset


def assets_of(package: str) -> list[dg.AssetsDefinition]:
    """The table assets of one domain package (``transforms.territory``…; ``transforms``: shared)."""
    return [model_asset(m) for m in MODELS.values() if m.package == package]
