"""A model is not built (a step not even called) while its build key — code version, SQL/method,
parameters, the keys of its inputs down to the landing ledger — is that of its last build and its
tables are as that build left them (transforms/build_keys.py); it is rebuilt otherwise, and only
the models downstream of what changed are. The keys cover only what the SQL reads: its SQL may call
no function whose result depends on anything else (the clock, randomness, settings, sequences) —
such a value must come in as a parameter. Real `frontline run`s on a slice of the mirror."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest

from orchestration.cli import main
from tests.conftest import MIRROR, add_day, make_mirror
from transforms import models
from transforms.models import MODELS, WRITER, run_model
from warehouse.ingest import sources
from warehouse.ingest.land import ingest
from warehouse.publish import publish
from warehouse.store import db
from warehouse.store.config import Settings
from warehouse.store.sqlfiles import load

ROOT = Path(__file__).resolve().parents[1]
DAYS = [dt.date(2024, 7, 8), dt.date(2024, 7, 9), dt.date(2024, 7, 10)]

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


def _builds(home: Path) -> dict[str, tuple[int, str]]:
    """Per model: (builds, key) from audit.model_builds."""
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        rows = con.execute("SELECT table_name, builds, build_key FROM audit.model_builds").fetchall()
    return {t: (b, k) for t, b, k in rows}


def _rebuilt(before: dict, after: dict) -> set[str]:
    assert set(after) == set(before)
    return {t.split(".")[1] for t in after if after[t][0] != before[t][0]}


def _downstream(raw_tables: set[str]) -> set[str]:
    """The models reading, directly or through other models, any of ``raw_tables``."""
    changed, out = set(raw_tables), set()
    for model in MODELS.values():  # registry order: each after what it reads
        if model.inputs & changed:
            out.add(model.table)
            changed.update(model.writes)
    return out


def _gs_personnel_cut(mirror: Path, cut: dt.date) -> None:
    """The General Staff personnel file of the mirror, rows up to ``cut`` (a new payload version)."""
    records = json.loads((MIRROR / sources.GS_PERSONNEL.relative_path()).read_text(encoding="utf-8"))
    target = mirror / sources.GS_PERSONNEL.relative_path()
    target.unlink()
    kept = [r for r in records if dt.date.fromisoformat(r["date"]) <= cut]
    target.write_text(json.dumps(kept, indent=4), encoding="utf-8")


def _tables(home: Path) -> dict[str, list]:
    """Every core and marts table's rows (geometry as WKB), in a fixed order."""
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        names = con.execute(
            "SELECT schema_name || '.' || table_name FROM duckdb_tables() WHERE schema_name IN ('core', 'marts')"
        ).fetchall()
        return {n: con.execute(f"SELECT * FROM {n} ORDER BY ALL").fetchall() for (n,) in names}  # noqa: S608


def _run_every_model(home: Path) -> None:
    """What a run's transform assets do, in registry order (each after what it reads)."""
    with db.session(home / "warehouse.duckdb") as con:
        for table in MODELS:
            run_model(con, table)


@pytest.fixture(scope="module")
def grown(tmp_path_factory):
    """One home: built and re-run with nothing new by `frontline run`; then a new DeepState day
    landed, then a new General Staff personnel payload, each followed by every model. Each stage's
    audit.model_builds (and the runs' published versions) are kept."""
    root = tmp_path_factory.mktemp("skip")
    mirror = make_mirror(root / "mirror", DAYS[:2], cut=DAYS[1])
    home = root / "home"
    mp = pytest.MonkeyPatch()
    stages: dict[str, dict] = {}

    def run(stage: str) -> None:
        assert main(["run"]) == 0, stage
        stages[stage] = {"builds": _builds(home), "version": publish.version_path(home / "published")}

    def land(stage: str, source: sources.Source, day: dt.date | None = None) -> None:
        settings = Settings.from_env()
        with db.session(home / "warehouse.duckdb") as con:
            assert ingest(con, settings, source, day).status == "new", stage
        _run_every_model(home)
        stages[stage] = {"builds": _builds(home)}

    try:
        mp.setenv("FRONTLINE_HOME", str(home))
        mp.setenv("FRONTLINE_SOURCES", str(mirror))
        mp.setenv("FRONTLINE_TODAY", DAYS[1].isoformat())
        run("first")
        run("again")
        mp.setenv("FRONTLINE_TODAY", DAYS[2].isoformat())
        add_day(mirror, DAYS[2], cut_whole_files=False)
        land("deepstate_day", sources.DEEPSTATE, DAYS[2])
        _gs_personnel_cut(mirror, DAYS[2])
        land("gs_payload", sources.GS_PERSONNEL)
    finally:
        mp.undo()
    return {"stages": stages, "home": home, "mirror": mirror}


def test_the_first_run_keys_every_model(grown):
    builds = grown["stages"]["first"]["builds"]
    assert set(builds) == {m.qualified for m in MODELS.values()}
    assert {b for b, _ in builds.values()} == {1}
    with duckdb.connect(str(grown["home"] / "warehouse.duckdb"), read_only=True) as con:
        for model in MODELS.values():
            if not model.step:  # a SQL model counted its table's rows
                counted = con.execute("SELECT counted FROM audit.model_builds WHERE table_name = ?", [model.qualified])
                assert counted.fetchone()[0] == con.execute(f"SELECT count(*) FROM {model.qualified}").fetchone()[0]  # noqa: S608


def test_a_run_with_nothing_new_builds_nothing(grown):
    first, again = grown["stages"]["first"], grown["stages"]["again"]
    assert again["builds"] == first["builds"]  # same keys, no build counted
    assert again["version"] == first["version"]  # and nothing new published


def test_a_new_deepstate_day_rebuilds_only_what_reads_deepstate(grown):
    stages = grown["stages"]
    rebuilt = _rebuilt(stages["again"]["builds"], stages["deepstate_day"]["builds"])
    assert rebuilt == _downstream({"raw.deepstate_snapshots"})
    assert {"region_daily_area", "settlement_day_status", "fact_control_daily", "dim_date"} <= rebuilt
    untouched = {"dim_source", "dim_region", "dim_settlement", "dim_loss_category", "loss_value_events"}
    untouched |= {"fact_losses_daily", "fact_losses_monthly", "fact_confirmed_deaths_weekly", "fact_casualty_estimates"}
    assert not rebuilt & untouched
    with duckdb.connect(str(grown["home"] / "warehouse.duckdb"), read_only=True) as con:
        days = con.execute("SELECT date FROM core.region_day_inputs WHERE source = 'deepstate' ORDER BY 1").fetchall()
        assert days == [(d,) for d in DAYS]  # the new day was computed


def test_a_new_general_staff_payload_rebuilds_no_territory_model(grown):
    stages = grown["stages"]
    rebuilt = _rebuilt(stages["deepstate_day"]["builds"], stages["gs_payload"]["builds"])
    assert rebuilt == _downstream({"raw.gs_personnel"})
    assert {"loss_value_events", "fact_losses_daily", "fact_losses_bitemporal"} <= rebuilt
    territory = {m.table for m in MODELS.values() if m.package == "transforms.territory"}
    settlements = {m.table for m in MODELS.values() if m.package == "transforms.settlements"}
    assert not rebuilt & (territory | settlements)
    with duckdb.connect(str(grown["home"] / "warehouse.duckdb"), read_only=True) as con:
        versions = con.execute("SELECT payload_version FROM core.loss_payloads WHERE source = 'gs_personnel'")
        assert sorted(v for (v,) in versions.fetchall()) == [1, 2]  # the new version was folded


def test_skipping_builds_what_a_full_build_does(grown, tmp_path):
    """The home built step by step (most models skipped) holds what building every model again
    from the same raw rows does (its keys forgotten: nothing skipped); what is published is read
    from these tables."""
    home = tmp_path / "home"
    home.mkdir()
    shutil.copyfile(grown["home"] / "warehouse.duckdb", home / "warehouse.duckdb")
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        con.execute("DELETE FROM audit.model_builds")
        con.execute("DELETE FROM core.region_day_inputs")  # the geometry of every day computed again too
        con.execute("DELETE FROM core.settlement_day_inputs")
    _run_every_model(home)
    assert {b for b, _ in _builds(home).values()} == {1}  # every model built
    assert _tables(home) == _tables(grown["home"])


def test_a_table_changed_behind_the_models_back_is_rebuilt(grown, tmp_path):
    path = tmp_path / "warehouse.duckdb"
    shutil.copyfile(grown["home"] / "warehouse.duckdb", path)
    monthly = "SELECT * FROM core.fact_losses_monthly ORDER BY ALL"
    with db.session(path) as con:
        old = con.execute(monthly).fetchall()
        (builds,) = con.execute(
            "SELECT builds FROM audit.model_builds WHERE table_name = 'core.fact_losses_monthly'"
        ).fetchone()
        con.execute(
            "DELETE FROM core.fact_losses_monthly WHERE month = (SELECT min(month) FROM core.fact_losses_monthly)"
        )
        assert run_model(con, "fact_losses_monthly") == len(old)
        assert con.execute(monthly).fetchall() == old
        # a step whose bookkeeping changed is called again (here: one day stored by another method)
        con.execute("UPDATE core.region_day_inputs SET method = 'old' WHERE date = ?", [DAYS[1]])
        assert run_model(con, "region_daily_area") == 1
        assert run_model(con, "region_daily_area") == 0
        rows = dict(con.execute("SELECT table_name, builds FROM audit.model_builds").fetchall())
        assert rows["core.fact_losses_monthly"] == builds + 1


def test_a_changed_sql_text_or_parameter_rebuilds_the_model(grown, tmp_path, monkeypatch):
    path = tmp_path / "warehouse.duckdb"
    shutil.copyfile(grown["home"] / "warehouse.duckdb", path)
    builds = "SELECT builds, build_key FROM audit.model_builds WHERE table_name = ?"
    with db.session(path) as con:
        (count, key) = con.execute(builds, ["core.fact_losses_monthly"]).fetchone()
        edited = load("transforms.losses", "fact_losses_monthly") + "\n-- an edit that changes no row\n"
        monkeypatch.setattr(models, "load", lambda p, n: edited if n == "fact_losses_monthly" else load(p, n))
        run_model(con, "fact_losses_monthly")
        (new_count, new_key) = con.execute(builds, ["core.fact_losses_monthly"]).fetchone()
        assert (new_count, new_key != key) == (count + 1, True)
        run_model(con, "fact_losses_monthly")  # and then it is skipped again
        assert con.execute(builds, ["core.fact_losses_monthly"]).fetchone() == (new_count, new_key)

        model = MODELS["fact_settlement_control_daily"]
        (count, key) = con.execute(builds, [model.qualified]).fetchone()
        monkeypatch.setitem(MODELS, model.table, replace(model, params=lambda: {"front_zone_km": 1e6}))
        run_model(con, model.table)
        (new_count, new_key) = con.execute(builds, [model.qualified]).fetchone()
        assert (new_count, new_key != key) == (count + 1, True)
        zone = "SELECT count(DISTINCT (source, settlement_id)) FROM "
        assert (
            con.execute(zone + model.qualified).fetchone()
            == con.execute(zone + "core.settlement_day_status").fetchone()
        )


RUN_EVERY_MODEL = """
import sys
from pathlib import Path
from transforms import build_keys
from transforms.models import MODELS, run_model
from warehouse.store import db
with db.session(Path(sys.argv[1])) as con:
    for table in MODELS:
        run_model(con, table)
print(build_keys.__file__)
"""


def test_a_code_change_rebuilds_every_model_once(grown, tmp_path):
    """Another process with the same code skips every model; with one .sql file of transforms/
    edited (a comment: no row changes), every model is built once, then skipped again."""
    path = tmp_path / "warehouse.duckdb"
    shutil.copyfile(grown["home"] / "warehouse.duckdb", path)
    code = tmp_path / "code"
    for package in ("transforms", "warehouse"):
        shutil.copytree(ROOT / package, code / package, ignore=shutil.ignore_patterns("__pycache__"))
    edited = code / "transforms" / "sql" / "dim_date.sql"
    edited.write_text(edited.read_text(encoding="utf-8") + "\n-- an edit\n", encoding="utf-8")

    def run_every_model(pythonpath: Path) -> dict:
        env = {**os.environ, "PYTHONPATH": f"{pythonpath}{os.pathsep}{ROOT}"}
        done = subprocess.run(
            [sys.executable, "-c", RUN_EVERY_MODEL, str(path)],
            env=env,
            cwd=tmp_path,  # not the checkout: `-c` puts the working directory first on sys.path
            capture_output=True,
            text=True,
            check=True,
        )
        assert done.stdout.strip().startswith(str(pythonpath)), done.stdout  # the code it was meant to run
        return {t: b for t, (b, _) in _builds(tmp_path).items()}

    before = {t: b for t, (b, _) in _builds(tmp_path).items()}
    assert run_every_model(ROOT) == before
    after = run_every_model(code)
    assert after == {t: b + 1 for t, b in before.items()}
    assert run_every_model(code) == after
    assert _tables(grown["home"]) == _tables(tmp_path)  # the same rows, built again
