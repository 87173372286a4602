"""Every table transforms/ builds: one registry (table → how it is built, what it reads) and
one runner, :func:`run_model`.

A SQL model is one ``.sql`` file named after its table in the ``sql/`` folder of its domain package,
run in one transaction with its bound parameters; the catalog's comments go on the result. It is a
cheap, deterministic full refresh: re-running it leaves every row identical, so it is skipped (a step
is not even called) while its build key is that of its last build (transforms/build_keys.py). A model
``by_day`` over a long history also has a day-keys file (``by_day`` names it: a key per (source, day)
of what it reads; models that read the same share one) and ``<table>_update.sql`` (replaces the rows of the days in the temp table
``model_changed_days``): when only some days' keys changed since its last build, only those days
are rebuilt, with the same rows a full build gives (tests/test_models.py). A few tables are built
by a Python step instead (geometry measured with shapely/pyproj, payload versions folded as they
arrive, points placed in oblasts): the entry names the step and the SQL files it reads.

Inputs are never written by hand: they are the schema-qualified names the model's SQL reads after
FROM/JOIN, minus the tables the model writes itself (tests/test_models.py holds them against
DuckDB's own parser). orchestration/model_assets.py makes the Dagster assets, with their
dependencies, from this registry.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

import duckdb

from transforms import build_keys, dim_source
from transforms.losses import dim_loss_category, loss_history
from transforms.settlements import dim_settlement, status_step
from transforms.settlements.model_params import FRONT_ZONE_KM, HOLD_DAYS, HOLD_DEPTH_KM, LONG_HOLD_DAYS
from transforms.tables import comment, row_count, transaction
from transforms.territory import dim_region, region_step
from warehouse.ingest.sources.estimates import WARRING_PARTY_SOURCES
from warehouse.store.sqlfiles import load

_COMMENT = re.compile(r"--[^\n]*")
_READ = re.compile(r"\b(?:FROM|JOIN)\s+((?:raw|core|marts)\.\w+)", re.IGNORECASE)


@cache
def reads(package: str, name: str) -> frozenset[str]:
    """The schema-qualified tables ``<package>/sql/<name>.sql`` reads (FROM/JOIN; comments skipped)."""
    return frozenset(t.lower() for t in _READ.findall(_COMMENT.sub("", load(package, name))))


@dataclass(frozen=True)
class Model:
    table: str
    package: str  # the domain package whose sql/ folder holds its SQL
    schema: str = "core"
    params: Callable[[], list | dict] | None = None  # bound parameters of a SQL model
    step: Callable[..., int] | None = None  # a Python step builds it (returns what it counted)
    sql: tuple[tuple[str, str], ...] = ()  # a step's SQL files, (package, name)
    also_writes: tuple[str, ...] = ()  # other tables the step writes, schema-qualified
    counts: str | None = None  # the step's count, as asset metadata (else the table's row count)
    progress: str | None = None  # the progress label `frontline run` shows for the step
    internal: dict[str, str] = field(default_factory=dict)  # description of written tables outside the catalog
    by_day: str | None = None  # its day-keys SQL file; with <table>_update.sql it rebuilds changed days only

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.table}"

    @property
    def writes(self) -> tuple[str, ...]:
        """Every table the model writes, its own first."""
        return (self.qualified, *self.also_writes)

    @property
    def sql_files(self) -> tuple[tuple[str, str], ...]:
        return self.sql if self.step else ((self.package, self.table),)

    @property
    def inputs(self) -> frozenset[str]:
        read = frozenset().union(*(reads(package, name) for package, name in self.sql_files))
        return read - set(self.writes)


_T, _L, _C, _S = "transforms.territory", "transforms.losses", "transforms.casualties", "transforms.settlements"
_BOUNDARIES = (_T, "oblast_current_boundaries")
_GEOMETRIES = ((_T, "deepstate_current_geometries"), (_T, "deepstate_api_snapshot_features"))

# In the order a full run builds them (each after what it reads).
_MODELS = (
    # reference, shared by every domain
    Model("dim_source", "transforms", step=dim_source.build),
    # territory
    Model("dim_region", _T, step=dim_region.build, sql=((_T, "oblast_dim_rows"),)),
    Model(
        "region_daily_area",
        _T,
        step=region_step.update,
        sql=((_T, "region_wanted_days"), *_GEOMETRIES, _BOUNDARIES),
        also_writes=("core.region_changes", "core.region_day_inputs", "core.api_occupied_layers"),
        counts="days_computed",
        progress="geometry",
        internal={
            "core.region_daily_area": "Internal: per-oblast area, gained and lost per DeepState day and class, "
            "recomputed only for changed days.",
            "core.region_changes": "Internal: the gained and lost polygons per oblast, DeepState day and class "
            "(for the change maps); written with region_daily_area.",
            "core.region_day_inputs": "Internal: the input hashes and method each stored region day was computed "
            "from; written with region_daily_area.",
            "core.api_occupied_layers": "Internal: each API snapshot's occupied layers as united for its region "
            "days (WKB), read by the settlement step; written with region_daily_area.",
        },
    ),
    Model("fact_control_coverage_daily", _T),
    Model("fact_control_daily", _T),
    Model("fact_control_monthly", _T),
    Model("mart_control_source_agreement_daily", _T, schema="marts"),
    Model("control_changes_daily", _T),
    # General Staff losses
    Model(
        "dim_loss_category",
        _L,
        step=dim_loss_category.build,
        sql=((_L, "unmapped_loss_fields"),),
        also_writes=("core.loss_field_map",),
        internal={
            "core.loss_field_map": "Internal: which loss category each upstream General Staff field counts "
            "towards; written with dim_loss_category."
        },
    ),
    Model("fact_losses_daily", _L),
    Model("fact_losses_monthly", _L),
    Model(
        "loss_value_events",
        _L,
        step=loss_history.update,
        sql=((_L, "loss_pending_payloads"), (_L, "loss_fold_payload"), (_L, "loss_record_payload")),
        also_writes=("core.loss_payloads",),
        counts="payloads_folded",
        internal={
            "core.loss_value_events": "Internal: what each General Staff payload version changed against the "
            "one before it (folded once per version).",
            "core.loss_payloads": "Internal: every General Staff payload version folded so far, with its "
            "vintage; written with loss_value_events.",
        },
    ),
    Model("fact_losses_bitemporal", _L),
    Model("fact_loss_revisions", _L),
    # casualties
    Model("fact_confirmed_deaths_weekly", _C),
    Model("fact_casualty_estimates", _C, params=lambda: {"warring_party_sources": sorted(WARRING_PARTY_SOURCES)}),
    Model("mart_cost_of_advance_monthly", _C, schema="marts"),
    # settlements
    Model(
        "settlement_day_status",
        _S,
        step=status_step.update,
        sql=(
            (_S, "settlement_places"),
            (_S, "settlement_wanted_days"),
            *_GEOMETRIES,
            (_S, "api_occupied_layers"),
            _BOUNDARIES,
        ),
        also_writes=("core.front_line_day", "core.settlement_day_inputs"),
        counts="days_computed",
        internal={
            "core.settlement_day_status": "Internal: every settlement's status and distance to the front, and "
            "the front line, per DeepState day; recomputed only for changed days.",
            "core.front_line_day": "Internal: the front line per DeepState day; written with settlement_day_status.",
            "core.settlement_day_inputs": "Internal: the input hashes and method each stored settlement day was "
            "computed from; written with settlement_day_status.",
        },
    ),
    Model("dim_settlement", _S, step=dim_settlement.build, sql=((_S, "dim_settlement_rows"), _BOUNDARIES)),
    Model("fact_settlement_status_flips", _S, by_day="settlement_status_day_keys"),
    Model(
        "fact_settlement_control_daily",
        _S,
        params=lambda: {"front_zone_km": FRONT_ZONE_KM},
        by_day="settlement_status_day_keys",
    ),
    Model(
        "fact_settlement_control_changes",
        _S,
        params=lambda: [
            HOLD_DAYS["deepstate"],
            HOLD_DAYS["deepstate_api"],
            HOLD_DEPTH_KM,
            LONG_HOLD_DAYS["deepstate"],
            LONG_HOLD_DAYS["deepstate_api"],
        ],
    ),
    Model("fact_front_line_daily", _S),
    Model("front_line_daily", _S, by_day="front_line_daily_day_keys"),
    # shared calendar, after every fact it spans
    Model("dim_date", "transforms"),
)
MODELS: dict[str, Model] = {m.table: m for m in _MODELS}

# Which model writes each table (its own or one it writes beside it).
WRITER: dict[str, Model] = {t: m for m in _MODELS for t in m.writes}


def run_model(con: duckdb.DuckDBPyConnection, table: str, **step_options) -> int:
    """Build ``table`` (and whatever its model writes beside it). Returns the table's row count,
    or, for an incremental step, what it counted (days computed, payload versions folded). A model
    whose build key matches its last build's (code, SQL/method, parameters, the keys of its inputs:
    transforms/build_keys.py) and whose tables are still as that build left them is not built, nor
    its step called: it returns the stored count (0 for an incremental step: nothing computed)."""
    if table not in MODELS:
        raise KeyError(f"no model builds {table!r}; known: {sorted(MODELS)}")
    model = MODELS[table]
    params = model.params() if model.params else None
    texts = [load(package, name) for package, name in model.sql_files]
    if model.by_day:
        day_keys, update = load(model.package, model.by_day), load(model.package, f"{table}_update")
        texts += [day_keys, update]
    method = build_keys.method_of(model.step) if model.step else None
    inputs = {t: (WRITER[t].qualified if t in WRITER else None) for t in model.inputs}
    key = build_keys.build_key(con, model.qualified, texts, params, method, inputs)
    if key is not None and (counted := build_keys.unchanged(con, model.qualified, model.writes, key)) is not None:
        return 0 if model.counts else counted
    if model.step:
        counted = model.step(con, **step_options)
        if key is not None:
            build_keys.record(con, model.qualified, model.writes, key, counted)
        return counted
    with transaction(con):
        by_day = key is not None and model.by_day
        model_key = build_keys.model_key(con, model.qualified, texts, params) if by_day else None
        if by_day and build_keys.changed_days(con, model.qualified, model.writes, model_key, day_keys):
            _execute(con, update, params)
        else:
            con.execute(texts[0], params) if params else con.execute(texts[0])
        comment(con, table)
        rows = row_count(con, model.qualified)
        if key is not None:
            build_keys.record(con, model.qualified, model.writes, key, rows)
        if by_day:
            build_keys.record_days(con, model.qualified, model_key)
    return rows


def _execute(con: duckdb.DuckDBPyConnection, sql: str, params: dict | None) -> None:
    """Run a file of several statements, each with the named parameters it uses."""
    for statement in con.extract_statements(sql):
        used = statement.named_parameters
        con.execute(statement, {name: params[name] for name in used}) if used else con.execute(statement)
