"""The model registry (transforms.models) and the assets built from it (orchestration/model_assets.py):
inputs parsed from the SQL agree with DuckDB's own parser, the derived asset dependencies are the
ones the asset factories used to list by hand, and every table a run writes is an asset."""

from __future__ import annotations

import json
import re

import dagster as dg
import duckdb
import pytest

from orchestration.definitions import defs
from transforms.models import MODELS, WRITER, reads, run_model
from warehouse.store.sqlfiles import load

_LEADING_COMMENTS = re.compile(r"^(?:\s*--[^\n]*\n)*")
_WRITE_PREFIX = re.compile(
    r"^\s*(?:CREATE\s+OR\s+REPLACE\s+TABLE\s+\S+\s+AS|INSERT\s+INTO\s+\S+(?:\s*\([^)]*\))?)\s", re.I | re.S
)


def _base_tables(node, found: set[str]) -> set[str]:
    if isinstance(node, dict):
        if node.get("type") == "BASE_TABLE" and node.get("schema_name"):
            found.add(f"{node['schema_name']}.{node['table_name']}".lower())
        for value in node.values():
            _base_tables(value, found)
    elif isinstance(node, list):
        for value in node:
            _base_tables(value, found)
    return found


def _duckdb_reads(con: duckdb.DuckDBPyConnection, sql: str) -> set[str]:
    """The schema-qualified tables DuckDB's parser finds in each statement's query (its
    json_serialize_sql AST, BASE_TABLE nodes; CTE references carry no schema)."""
    found: set[str] = set()
    for statement in con.extract_statements(sql):
        query = _WRITE_PREFIX.sub("", _LEADING_COMMENTS.sub("", statement.query).lstrip())
        if not re.match(r"\s*(WITH|SELECT)\b", query, re.I):
            assert not re.search(r"\b(FROM|JOIN)\b", query, re.I), f"statement not checked: {query[:200]}"
            continue
        tree = json.loads(con.execute("SELECT json_serialize_sql(?)", [query]).fetchone()[0])
        assert not tree.get("error"), tree
        _base_tables(tree, found)
    return found


def test_every_models_inputs_are_what_duckdbs_parser_finds_in_its_sql():
    con = duckdb.connect()
    checked = 0
    for model in MODELS.values():
        for package, name in model.sql_files:
            assert reads(package, name) == _duckdb_reads(con, load(package, name)), (model.table, name)
            checked += 1
        assert model.inputs == frozenset().union(*(_duckdb_reads(con, load(p, n)) for p, n in model.sql_files)) - set(
            model.writes
        )
    assert checked >= 30  # every SQL model and every SQL file a step reads
    # spot values, written by hand from the SQL files
    assert MODELS["fact_control_daily"].inputs == {
        "core.region_daily_area",
        "raw.isw_area",
        "core.dim_region",
        "core.fact_control_coverage_daily",
    }
    assert MODELS["loss_value_events"].inputs == {
        "raw.payloads",
        "raw.gs_personnel",
        "raw.gs_equipment",
        "core.loss_field_map",
    }  # its own core.loss_value_events and core.loss_payloads are not inputs


# The dependencies the asset factories listed by hand before the registry (core_assets.py,
# territory_assets.py, casualty_assets.py, settlement_assets.py), where an internal table now
# named as its own asset replaces the step that writes it: core/loss_field_map for
# core/dim_loss_category, core/front_line_day for core/settlement_day_status, core/loss_payloads
# beside core/loss_value_events, core/region_changes + region_day_inputs for region_daily_area.
_RAW_DS = {"raw/deepstate_snapshots", "raw/deepstate_api", "raw/oblast_boundaries"}
_SETTLEMENT_DAYS = {"core/settlement_day_status", "core/fact_control_coverage_daily"}
EXPECTED_DEPS = {
    "core/dim_source": set(),
    "core/dim_region": {"raw/oblast_boundaries"},
    "core/region_daily_area": _RAW_DS,
    "core/region_changes": _RAW_DS,
    "core/region_day_inputs": _RAW_DS,
    "core/api_occupied_layers": _RAW_DS,
    "core/fact_control_coverage_daily": {"raw/deepstate_snapshots", "raw/deepstate_api", "raw/isw"},
    "core/fact_control_daily": {
        "core/region_daily_area",
        "raw/isw",
        "core/dim_region",
        "core/fact_control_coverage_daily",
    },
    "core/fact_control_monthly": {"core/fact_control_daily"},
    "marts/mart_control_source_agreement_daily": {"core/fact_control_daily"},
    "core/control_changes_daily": {"core/region_changes", "core/region_day_inputs"},
    "core/dim_loss_category": {"raw/gs_equipment", "raw/gs_equipment_corrections"},
    "core/loss_field_map": {"raw/gs_equipment", "raw/gs_equipment_corrections"},
    "core/fact_losses_daily": {
        "raw/gs_personnel",
        "raw/gs_equipment",
        "raw/gs_equipment_corrections",
        "core/loss_field_map",
    },
    "core/fact_losses_monthly": {"core/fact_losses_daily"},
    "core/loss_value_events": {"raw/gs_personnel", "raw/gs_equipment", "core/loss_field_map"},
    "core/loss_payloads": {"raw/gs_personnel", "raw/gs_equipment", "core/loss_field_map"},
    "core/fact_losses_bitemporal": {"core/loss_value_events", "core/loss_payloads"},
    "core/fact_loss_revisions": {"core/loss_value_events", "core/loss_payloads"},
    "core/fact_confirmed_deaths_weekly": {"raw/mediazona_2024", "raw/mediazona_2025", "raw/mediazona_2026"},
    "core/fact_casualty_estimates": {"raw/official_estimates"},
    "marts/mart_cost_of_advance_monthly": {
        "core/fact_control_monthly",
        "core/fact_losses_monthly",
        "core/fact_confirmed_deaths_weekly",
    },
    # and the API snapshots' occupied layers the per-region step united (read, not united again)
    "core/settlement_day_status": {*_RAW_DS, "raw/settlements", "core/api_occupied_layers"},
    "core/front_line_day": {*_RAW_DS, "raw/settlements", "core/api_occupied_layers"},
    "core/settlement_day_inputs": {*_RAW_DS, "raw/settlements", "core/api_occupied_layers"},
    "core/dim_settlement": {"raw/settlements", "raw/oblast_boundaries"},
    "core/fact_settlement_status_flips": _SETTLEMENT_DAYS,
    "core/fact_settlement_control_daily": _SETTLEMENT_DAYS,
    "core/fact_settlement_control_changes": {*_SETTLEMENT_DAYS, "core/fact_settlement_status_flips"},
    "core/fact_front_line_daily": {"core/fact_control_coverage_daily", "core/front_line_day"},
    "core/front_line_daily": {"core/front_line_day"},
    "core/dim_date": {"core/fact_control_daily", "core/fact_losses_daily"},
}


def test_table_assets_depend_on_what_their_sql_reads():
    repo = defs.get_repository_def()
    graph = repo.asset_graph
    built = {k.to_user_string() for k in graph.get_all_asset_keys() if k.path[0] in ("core", "marts")}
    assert built == set(EXPECTED_DEPS)
    for key, expected in EXPECTED_DEPS.items():
        parents = {p.to_user_string() for p in graph.get(dg.AssetKey(key.split("/"))).parent_keys}
        assert parents == expected, key
    # a model writing several tables is one step (a multi-asset) naming each of them, and its op
    # keeps the name a single asset of its own table had (run summaries and alerts name steps)
    for model in MODELS.values():
        assets_def = repo.assets_defs_by_key[dg.AssetKey([model.schema, model.table])]
        assert {k.to_user_string().replace("/", ".") for k in assets_def.keys} == set(model.writes)
        assert assets_def.op.name == f"{model.schema}__{model.table}"


def test_every_table_a_run_writes_is_an_asset(published):
    """After a real run, every table in core and marts is an asset key of the code location and
    its writer is the model whose asset it is (no step quietly writes a table of its own)."""
    keys = {k.to_user_string().replace("/", ".") for k in defs.get_repository_def().asset_graph.get_all_asset_keys()}
    with duckdb.connect(str(published["home"] / "warehouse.duckdb"), read_only=True) as con:
        tables = {
            f"{schema}.{name}"
            for schema, name in con.execute(
                "SELECT schema_name, table_name FROM duckdb_tables() WHERE schema_name IN ('core', 'marts')"
            ).fetchall()
        }
    assert len(tables) == 32  # 22 published + 10 internal (incremental steps, field map)
    assert tables <= keys
    assert tables == set(WRITER)


def test_run_model_names_an_unknown_table():
    with pytest.raises(KeyError, match="no model builds 'fact_nothing'"):
        run_model(duckdb.connect(), "fact_nothing")


def test_a_by_day_models_day_keys_cover_every_input_and_its_update_reads_nothing_else():
    """A by-day model rebuilds only the days whose key changed: its ``_day_keys.sql`` must read each
    of its inputs, or the bookkeeping of the step writing it (replaced with the step's days), and its
    ``_update.sql`` no table but those (and that bookkeeping) and its own."""
    from transforms.build_keys import BOOKKEEPING

    by_day = [m for m in MODELS.values() if m.by_day]
    assert {m.table for m in by_day} == {
        "fact_settlement_control_daily",
        "fact_settlement_status_flips",
        "front_line_daily",
    }
    for model in by_day:
        day_keys, update = reads(model.package, model.by_day), reads(model.package, f"{model.table}_update")
        for table in model.inputs:
            kept = {t for t in BOOKKEEPING if table in WRITER and t in WRITER[table].writes}
            assert table in day_keys or kept & day_keys, (model.table, table)
        assert update <= model.inputs | set(model.writes) | BOOKKEEPING, (model.table, update - model.inputs)
        assert day_keys <= model.inputs | BOOKKEEPING, model.table
