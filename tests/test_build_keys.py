"""A SQL model is skipped when its SQL, parameters and input rows are those of its last build and
its table still holds what that build wrote (transforms/build_keys.py), and rebuilt otherwise. The
keys cover only what the SQL reads: its SQL may call no function whose result depends on anything
else (the clock, randomness, settings, sequences) — such a value must come in as a parameter."""

from __future__ import annotations

import json
import re
import shutil

import duckdb
import pytest

from transforms import models
from transforms.models import MODELS, run_model
from warehouse.store import db
from warehouse.store.sqlfiles import load

# Special forms and built-in macros DuckDB lists without a stability that depend on their arguments only.
_STRUCTURAL = frozenset({"unnest", "nullif"})
_CREATE = re.compile(r"^(?:\s*--[^\n]*\n)*\s*CREATE\s+OR\s+REPLACE\s+TABLE\s+\S+\s+AS\s", re.I)


def _calls(node, found: set[str], bare: set[str]) -> None:
    """Every function name in a json_serialize_sql tree (table functions too), and every one-part
    column name (``current_date`` without parentheses parses as a column reference)."""
    if isinstance(node, dict):
        if node.get("class") == "FUNCTION" and node.get("function_name"):
            found.add(node["function_name"].lower())
        if node.get("class") == "COLUMN_REF" and len(node.get("column_names", ())) == 1:
            bare.add(node["column_names"][0].lower())
        for value in node.values():
            _calls(value, found, bare)
    elif isinstance(node, list):
        for value in node:
            _calls(value, found, bare)


def _uses(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[set[str], set[str], bool]:
    """(functions called, one-part column names, whether it binds parameters) of a model's SQL."""
    found: set[str] = set()
    bare: set[str] = set()
    parameters = False
    for statement in con.extract_statements(sql):
        tree = json.loads(con.execute("SELECT json_serialize_sql(?)", [_CREATE.sub("", statement.query)]).fetchone()[0])
        assert not tree.get("error"), tree
        _calls(tree, found, bare)
        parameters = parameters or '"VALUE_PARAMETER"' in json.dumps(tree)
    return found, bare, parameters


def _undeclared(con: duckdb.DuckDBPyConnection, sql: str) -> set[str]:
    """The functions of ``sql`` whose result may depend on more than their arguments: no overload
    DuckDB marks CONSISTENT (now, current_date, random, current_setting, getvariable, nextval…),
    unknown names, and table functions (a read outside the model's declared inputs)."""
    stability: dict[str, set] = {}
    for name, stable in con.execute("SELECT function_name, stability FROM duckdb_functions()").fetchall():
        stability.setdefault(name.lower(), set()).add(stable)
    called, bare, _ = _uses(con, sql)
    functions = called | {name for name in bare if name in stability}
    return {f for f in functions - _STRUCTURAL if "CONSISTENT" not in stability.get(f, set())}


def test_the_check_finds_clock_random_and_settings_functions():
    con = duckdb.connect()
    sql = (
        "CREATE OR REPLACE TABLE core.x AS SELECT now() AS a, current_date AS b, random() AS c, "
        "getvariable('today') AS d, current_setting('TimeZone') AS e, abs(-1) AS f FROM read_csv('x.csv')"
    )
    assert _undeclared(con, sql) == {
        "now",
        "current_date",
        "random",
        "getvariable",
        "current_setting",
        "read_csv",
    }


def test_no_model_sql_depends_on_anything_but_its_inputs_and_parameters():
    con = duckdb.connect()
    checked = 0
    for model in MODELS.values():
        if model.step:
            continue
        sql = load(model.package, model.table)
        assert _undeclared(con, sql) == set(), (
            f"{model.table}: pass the value as a bound parameter (Model.params), so it is in the build key"
        )
        # a parameter the SQL binds comes from Model.params (which is in the key), and only there
        assert _uses(con, sql)[2] == (model.params is not None), model.table
        checked += 1
    assert checked == 18


@pytest.fixture
def warehouse(published, tmp_path):
    """A copy of the pipeline's warehouse (its models built and keyed by that run)."""
    path = tmp_path / "warehouse.duckdb"
    shutil.copyfile(published["home"] / "warehouse.duckdb", path)
    with db.session(path) as con:
        yield con


def _builds(con, table: str) -> tuple[int, str]:
    return con.execute(
        "SELECT builds, build_key FROM audit.model_builds WHERE table_name = ?", [f"core.{table}"]
    ).fetchone()


def _monthly(con) -> dict:
    return {
        (m, c): t for m, c, t in con.execute("SELECT month, category, total FROM core.fact_losses_monthly").fetchall()
    }


def test_every_sql_model_was_keyed_by_the_run(warehouse):
    keyed = dict(warehouse.execute("SELECT table_name, row_count FROM audit.model_builds").fetchall())
    sql_models = {m.qualified for m in MODELS.values() if not m.step}
    assert set(keyed) == sql_models
    for table, rows in keyed.items():
        assert rows == warehouse.execute(f"SELECT count(*) FROM {table}").fetchone()[0], table  # noqa: S608


def test_a_model_whose_inputs_did_not_change_is_not_rebuilt(warehouse):
    before = _builds(warehouse, "fact_losses_monthly")
    months = "SELECT count(DISTINCT (date_trunc('month', date), category)) FROM core.fact_losses_daily"
    rows = warehouse.execute(months).fetchone()[0]
    assert run_model(warehouse, "fact_losses_monthly") == rows
    assert _builds(warehouse, "fact_losses_monthly") == before
    # nor any other SQL model, run in registry order (steps keep their own keys)
    counts = dict(warehouse.execute("SELECT table_name, builds FROM audit.model_builds").fetchall())
    for model in MODELS.values():
        if not model.step:
            run_model(warehouse, model.table)
    assert dict(warehouse.execute("SELECT table_name, builds FROM audit.model_builds").fetchall()) == counts


def test_one_changed_input_row_rebuilds_the_model(warehouse):
    builds, key = _builds(warehouse, "fact_losses_monthly")
    old = _monthly(warehouse)
    day, category = warehouse.execute(
        "SELECT date, category FROM core.fact_losses_daily WHERE daily IS NOT NULL ORDER BY date DESC, category LIMIT 1"
    ).fetchone()
    warehouse.execute(
        "UPDATE core.fact_losses_daily SET daily = daily + 7 WHERE date = ? AND category = ?", [day, category]
    )
    run_model(warehouse, "fact_losses_monthly")
    new_builds, new_key = _builds(warehouse, "fact_losses_monthly")
    assert (new_builds, new_key != key) == (builds + 1, True)
    month = day.replace(day=1)
    assert _monthly(warehouse) == {**old, (month, category): old[(month, category)] + 7}


def test_a_table_changed_behind_the_models_back_is_rebuilt(warehouse):
    builds, key = _builds(warehouse, "fact_losses_monthly")
    old = _monthly(warehouse)
    warehouse.execute(
        "DELETE FROM core.fact_losses_monthly WHERE month = (SELECT min(month) FROM core.fact_losses_monthly)"
    )
    assert run_model(warehouse, "fact_losses_monthly") == len(old)
    assert _builds(warehouse, "fact_losses_monthly") == (builds + 1, key)  # same inputs, same key
    assert _monthly(warehouse) == old


def test_a_changed_sql_text_rebuilds_the_model(warehouse, monkeypatch):
    builds, key = _builds(warehouse, "fact_losses_monthly")
    edited = load("transforms.losses", "fact_losses_monthly") + "\n-- an edit that changes no row\n"
    monkeypatch.setattr(
        models, "load", lambda package, name: edited if name == "fact_losses_monthly" else load(package, name)
    )
    old = _monthly(warehouse)
    run_model(warehouse, "fact_losses_monthly")
    new_builds, new_key = _builds(warehouse, "fact_losses_monthly")
    assert (new_builds, new_key != key) == (builds + 1, True)
    assert _monthly(warehouse) == old
    run_model(warehouse, "fact_losses_monthly")  # and then it is skipped again
    assert _builds(warehouse, "fact_losses_monthly") == (new_builds, new_key)


def test_changed_parameters_rebuild_the_model(warehouse, monkeypatch):
    model = MODELS["fact_settlement_control_daily"]
    builds, key = _builds(warehouse, model.table)
    monkeypatch.setitem(MODELS, model.table, models.Model(model.table, model.package, params=lambda: [999.0]))
    run_model(warehouse, model.table)
    new_builds, new_key = _builds(warehouse, model.table)
    assert (new_builds, new_key != key) == (builds + 1, True)
