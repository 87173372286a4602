"""The query path runs untrusted SQL on the published snapshot: results, formats, and that every
escape route fails cleanly while the connection stays usable."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from warehouse.serve.query import (
    QueryRefused,
    ResultTooLarge,
    check_statements,
    execute,
    format_result,
    open_snapshot,
    run_query,
)

ROWS = [
    {"id": 1, "day": dt.date(2024, 7, 8), "oblast": "Donetsk", "area_km2": 1234.5},
    {"id": 2, "day": dt.date(2024, 7, 9), "oblast": "Kharkiv, north", "area_km2": None},
    {"id": 3, "day": None, "oblast": 'Luhansk "east"', "area_km2": 0.25},
]


def _make_snapshot(path: Path) -> Path:
    con = duckdb.connect(str(path))
    try:
        con.execute(
            "CREATE TABLE t (id INTEGER, day DATE, oblast VARCHAR, area_km2 DOUBLE);"
            "INSERT INTO t VALUES (1, DATE '2024-07-08', 'Donetsk', 1234.5),"
            " (2, DATE '2024-07-09', 'Kharkiv, north', NULL), (3, NULL, 'Luhansk \"east\"', 0.25);"
            "COMMENT ON TABLE t IS 'Test table';"
            "COMMENT ON COLUMN t.area_km2 IS 'Area in km²';"
        )
    finally:
        con.close()
    return path


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory) -> Path:
    """Used only through run_query (which opens and closes its own connection)."""
    return _make_snapshot(tmp_path_factory.mktemp("snap") / "snapshot.duckdb")


@pytest.fixture(scope="module")
def probe_path(tmp_path_factory) -> Path:
    return _make_snapshot(tmp_path_factory.mktemp("probe") / "probe.duckdb")


@pytest.fixture(scope="module")
def con(probe_path):
    """One hardened connection shared by every probe: each probe must leave it usable."""
    c = open_snapshot(probe_path, memory_limit="256MB", threads=1, max_execution_time_ms=500)
    yield c
    c.close()


def _assert_usable(con) -> None:
    assert execute(con, "SELECT count(*) AS n FROM t").to_pylist() == [{"n": 3}]
    assert execute(con, "SELECT 1 AS one").to_pylist() == [{"one": 1}]


# --- results --------------------------------------------------------------------------------


def test_select_returns_exact_rows(snapshot):
    table = run_query(snapshot, "SELECT * FROM t ORDER BY id")
    assert table.column_names == ["id", "day", "oblast", "area_km2"]
    assert table.to_pylist() == ROWS


def test_parameters_positional_and_named(snapshot):
    by_pos = run_query(snapshot, "SELECT id FROM t WHERE day >= ? ORDER BY id", [dt.date(2024, 7, 9)])
    assert by_pos.to_pylist() == [{"id": 2}]
    by_name = run_query(snapshot, "SELECT oblast FROM t WHERE id = $id", {"id": 3})
    assert by_name.to_pylist() == [{"oblast": 'Luhansk "east"'}]


def test_comments_are_readable(snapshot):
    table = run_query(
        snapshot,
        "SELECT c.comment AS col, tb.comment AS tab FROM duckdb_columns() c "
        "JOIN duckdb_tables() tb USING (table_name) WHERE c.column_name = 'area_km2'",
    )
    assert table.to_pylist() == [{"col": "Area in km²", "tab": "Test table"}]


def test_run_query_releases_the_file(snapshot):
    # A leaked connection would make the next open with other settings fail ("different
    # configuration than existing connections").
    run_query(snapshot, "SELECT 1")
    assert run_query(snapshot, "SELECT 2 AS x", max_execution_time_ms=1000).to_pylist() == [{"x": 2}]


def test_explain_and_read_only_statement_forms(con):
    plan = execute(con, "EXPLAIN SELECT * FROM t WHERE id > 1")
    assert plan.column_names == ["explain_key", "explain_value"]
    assert "Seq Scan" in plan.column("explain_value")[0].as_py()
    assert execute(con, "EXPLAIN (ANALYZE, FORMAT json) /* c */ SELECT 1").num_rows == 1
    assert execute(con, "FROM t SELECT id ORDER BY id DESC LIMIT 1").to_pylist() == [{"id": 3}]
    assert execute(con, "DESCRIBE t").num_rows == 4
    assert execute(con, "WITH x AS (SELECT 41 AS v) SELECT v + 1 AS v FROM x").to_pylist() == [{"v": 42}]


def test_duplicate_column_names_are_kept(con):
    assert execute(con, "SELECT 1 AS a, 2 AS a").column_names == ["a", "a"]


def test_max_rows(con):
    assert execute(con, "SELECT * FROM range(10)", max_rows=10).num_rows == 10
    with pytest.raises(ResultTooLarge, match="more than 10 rows"):
        execute(con, "SELECT * FROM range(11)", max_rows=10)
    _assert_usable(con)


# --- formats --------------------------------------------------------------------------------


def test_format_table(snapshot):
    table = run_query(snapshot, "SELECT * FROM t ORDER BY id")
    assert format_result(table, "table") == (
        "id  day         oblast          area_km2\n"
        "--  ----------  --------------  --------\n"
        " 1  2024-07-08  Donetsk           1234.5\n"
        " 2  2024-07-09  Kharkiv, north      NULL\n"
        ' 3  NULL        Luhansk "east"      0.25\n'
        "(3 rows)\n"
    )


def test_format_csv(snapshot):
    table = run_query(snapshot, "SELECT * FROM t ORDER BY id")
    assert format_result(table, "csv") == (
        "id,day,oblast,area_km2\n"
        "1,2024-07-08,Donetsk,1234.5\n"
        '2,2024-07-09,"Kharkiv, north",\n'
        '3,,"Luhansk ""east""",0.25\n'
    )


def test_format_json(snapshot):
    table = run_query(snapshot, "SELECT * FROM t ORDER BY id")
    assert format_result(table, "json") == (
        "[\n"
        '{"id": 1, "day": "2024-07-08", "oblast": "Donetsk", "area_km2": 1234.5},\n'
        '{"id": 2, "day": "2024-07-09", "oblast": "Kharkiv, north", "area_km2": null},\n'
        '{"id": 3, "day": null, "oblast": "Luhansk \\"east\\"", "area_km2": 0.25}\n'
        "]\n"
    )


def test_format_other_types_and_empty(con):
    table = execute(
        con,
        "SELECT TIMESTAMP '2024-07-08 03:04:05' AS ts, 2.50::DECIMAL(5, 2) AS dec, true AS ok,"
        " [1, 2] AS l, 'nan'::DOUBLE AS nan",
    )
    assert format_result(table, "json") == (
        '[\n{"ts": "2024-07-08T03:04:05", "dec": 2.5, "ok": true, "l": [1, 2], "nan": null}\n]\n'
    )
    assert format_result(table, "csv") == 'ts,dec,ok,l,nan\n2024-07-08T03:04:05,2.50,true,"[1, 2]",nan\n'
    empty = execute(con, "SELECT id, oblast FROM t WHERE false")
    assert format_result(empty, "table") == "id  oblast\n--  ------\n(0 rows)\n"
    assert format_result(empty, "csv") == "id,oblast\n"
    assert format_result(empty, "json") == "[]\n"
    with pytest.raises(ValueError, match="unknown format"):
        format_result(empty, "xml")  # type: ignore[arg-type]


# --- refusals and security probes -------------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "kind"),
    [
        ("COPY t TO 'x.csv'", "COPY"),
        ("ATTACH 'other.duckdb'", "ATTACH"),
        ("INSTALL httpfs", "LOAD"),  # DuckDB reports INSTALL as a LOAD statement
        ("CREATE TABLE x (a INT)", "CREATE"),
        ("INSERT INTO t VALUES (9, NULL, 'x', 0)", "INSERT"),
        ("SET memory_limit = '10GB'", "SET"),
        ("PRAGMA version", "PRAGMA"),
        ("SELECT 1; DELETE FROM t", "DELETE"),
    ],
)
def test_check_statements_names_refused_type(con, sql, kind):
    with pytest.raises(QueryRefused, match=rf"\b{kind}\b"):
        check_statements(con, sql)


def test_check_statements_rejects_empty_and_reports_syntax_errors(con):
    with pytest.raises(QueryRefused, match="no SQL statement"):
        check_statements(con, "  -- nothing\n ; ")
    with pytest.raises(duckdb.ParserException):
        check_statements(con, "SELEC 1")
    check_statements(con, "SELECT 1; EXPLAIN SELECT 2")  # allowed: returns None


def test_one_statement_at_a_time(con):
    with pytest.raises(QueryRefused, match="one statement at a time"):
        execute(con, "SELECT 1; SELECT 2")
    _assert_usable(con)


FS_OFF = "file system operations are disabled by configuration"
LOCKED = "the configuration has been locked"
READ_ONLY = 'on database "probe" which is attached in read-only mode'
# (probe, why `execute` refuses it, why DuckDB itself refuses it with the statement check bypassed)
PROBES = [
    ("SELECT * FROM read_csv('/etc/passwd')", f'Cannot access file "/etc/passwd" - {FS_OFF}', FS_OFF),
    ("SELECT * FROM read_text('/etc/passwd')", f'Cannot access file "/etc/passwd" - {FS_OFF}', FS_OFF),
    ("SELECT * FROM glob('/*')", f'Cannot access file "/*" - {FS_OFF}', FS_OFF),
    # no replacement scan of a file path: the name is looked up as a table
    ("SELECT * FROM '/etc/passwd'", "Table with name /etc/passwd does not exist", "Table with name /etc/passwd"),
    ("INSTALL httpfs", "the statement is LOAD", "Cannot access directory"),
    ("LOAD httpfs", "the statement is LOAD", "Loading external extensions is disabled through configuration"),
    ("SET memory_limit = '10GB'", "the statement is SET", f'"memory_limit" - {LOCKED}'),
    ("SET enable_external_access = true", "the statement is SET", f'"enable_external_access" - {LOCKED}'),
    ("RESET lock_configuration", "the statement is SET", f'"lock_configuration" - {LOCKED}'),
    ("SET lock_configuration = false", "the statement is SET", f'"lock_configuration" - {LOCKED}'),
    ("CREATE TABLE x (a INT)", "the statement is CREATE", f'type "CREATE" {READ_ONLY}'),
    ("INSERT INTO t VALUES (9, NULL, 'x', 0)", "the statement is INSERT", f'type "INSERT" {READ_ONLY}'),
    ("UPDATE t SET oblast = 'x'", "the statement is UPDATE", f'type "UPDATE" {READ_ONLY}'),
    ("DROP TABLE t", "the statement is DROP", f'type "DROP" {READ_ONLY}'),
    # DuckDB refuses to detach the default database; nothing else stops a DETACH there
    ("DETACH probe", "the statement is DETACH", 'Cannot detach database "probe" because it is the default database'),
]
IDS = [p[0] for p in PROBES]


@pytest.mark.parametrize(("sql", "reason", "_"), PROBES, ids=IDS)
def test_probe_fails_cleanly_and_connection_survives(con, sql, reason, _):
    with pytest.raises((QueryRefused, duckdb.Error)) as refused:
        execute(con, sql)
    assert reason in str(refused.value)
    if isinstance(refused.value, QueryRefused):
        assert str(refused.value).startswith("only SELECT and EXPLAIN statements are allowed on the snapshot")
    _assert_usable(con)


@pytest.mark.parametrize(("sql", "_", "reason"), PROBES, ids=IDS)
def test_engine_itself_refuses_probe(con, sql, _, reason):
    """Defence in depth: with the statement check bypassed, DuckDB's own settings still refuse."""
    with pytest.raises(duckdb.Error) as refused:
        con.execute(sql).fetchall()
    assert reason in str(refused.value)
    _assert_usable(con)


def test_settings_stay_locked(con):
    for sql in ("SET memory_limit = '10GB'", "SET threads = 8", "RESET max_execution_time"):
        with pytest.raises(duckdb.Error, match="locked"):
            con.execute(sql)
    settings = dict(
        con.execute(
            "SELECT name, value FROM duckdb_settings() WHERE name IN ('enable_external_access',"
            " 'lock_configuration', 'max_execution_time', 'threads', 'access_mode')"
        ).fetchall()
    )
    assert settings == {
        "access_mode": "read_only",
        "enable_external_access": "false",
        "lock_configuration": "true",
        "max_execution_time": "500",
        "threads": "1",
    }


def test_copy_to_refused_and_no_file_written(con, tmp_path):
    target = tmp_path / "x.csv"
    with pytest.raises(QueryRefused, match="COPY"):
        execute(con, f"COPY t TO '{target}'")
    with pytest.raises(duckdb.PermissionException):
        con.execute(f"COPY t TO '{target}'")
    assert not target.exists()
    _assert_usable(con)


def test_attach_refused(con, tmp_path):
    other = tmp_path / "other.duckdb"
    c = duckdb.connect(str(other))
    c.execute("CREATE TABLE secret AS SELECT 42 AS v")
    c.close()
    with pytest.raises(QueryRefused, match="ATTACH"):
        execute(con, f"ATTACH '{other}' AS other")
    with pytest.raises(duckdb.PermissionException):
        con.execute(f"ATTACH '{other}' AS other (READ_ONLY)")
    with pytest.raises(duckdb.Error):
        execute(con, "SELECT * FROM other.secret")
    _assert_usable(con)


def test_python_replacement_scan_disabled(con):
    secret_df = pd.DataFrame({"v": [42]})  # noqa: F841 - what a replacement scan would find
    # Control: an ordinary connection in this frame does read the local DataFrame.
    plain = duckdb.connect()
    try:
        assert plain.sql("SELECT v FROM secret_df").fetchall() == [(42,)]
    finally:
        plain.close()
    with pytest.raises(duckdb.CatalogException):
        execute(con, "SELECT * FROM secret_df")
    with pytest.raises(duckdb.CatalogException):
        con.sql("SELECT * FROM secret_df").fetchall()
    _assert_usable(con)


def test_explain_analyze_cannot_create_temp_objects(con):
    # EXPLAIN ANALYZE executes its statement, and a read-only database accepts TEMP objects: a
    # temp table named t would shadow the snapshot's t for every later query on the connection.
    for sql in (
        "EXPLAIN ANALYZE CREATE TEMP TABLE t AS SELECT 'fake' AS oblast",
        "EXPLAIN (ANALYZE) CREATE TEMP MACRO m(x) AS x + 1",
        # DuckDB nests block comments; a regex-based check would see `SELECT $$ … $$` here.
        "/* /* */ EXPLAIN SELECT $$ */ EXPLAIN ANALYZE CREATE TEMP TABLE t AS SELECT 1 -- $$",
    ):
        with pytest.raises(QueryRefused, match="EXPLAIN of a SELECT"):
            execute(con, sql)
    assert execute(con, "SELECT count(*) AS n FROM duckdb_tables() WHERE temporary").to_pylist() == [{"n": 0}]
    _assert_usable(con)


def test_cross_join_bomb_stopped_by_max_execution_time(con):
    # 10^12 pairs, tiny build side: only the 500 ms execution limit can stop it.
    start = time.monotonic()
    with pytest.raises(duckdb.InterruptException, match="maximum execution time"):
        execute(con, "SELECT count(*) FROM range(1000000) a, range(1000000) b")
    assert time.monotonic() - start < 10
    _assert_usable(con)


def test_huge_cross_join_bomb_stopped(con):
    # With 10^9-row sides the build side outgrows memory_limit before the time limit: either
    # limit may stop it, depending on memory_limit; what matters is that it stops, cleanly.
    start = time.monotonic()
    with pytest.raises((duckdb.InterruptException, duckdb.OutOfMemoryException)):
        execute(con, "SELECT count(*) FROM range(1000000000) a, range(1000000000) b")
    assert time.monotonic() - start < 10
    _assert_usable(con)


def test_memory_bomb_stopped_by_memory_limit(tmp_path):
    # Its own snapshot with a time limit it cannot reach first: on a busy machine the shared
    # connection's 500 ms ran out before the 256 MB did, and the test failed for the wrong limit.
    roomy = _make_snapshot(tmp_path / "memory.duckdb")
    con = open_snapshot(roomy, memory_limit="256MB", threads=1, max_execution_time_ms=600_000)
    try:
        with pytest.raises(duckdb.OutOfMemoryException):
            execute(con, "SELECT length(string_agg(repeat('x', 1000), '')) FROM range(1000000)")
        _assert_usable(con)
    finally:
        con.close()


def test_reopen_in_same_process_reuses_hardened_instance(con, probe_path):
    again = open_snapshot(probe_path, memory_limit="256MB", threads=1, max_execution_time_ms=500)
    try:
        _assert_usable(again)
    finally:
        again.close()
    _assert_usable(con)
    with pytest.raises(duckdb.ConnectionException):
        open_snapshot(probe_path, max_execution_time_ms=999)  # other settings: refused by DuckDB


def test_missing_snapshot(tmp_path):
    with pytest.raises(FileNotFoundError):
        open_snapshot(tmp_path / "nope.duckdb")


def test_other_process_can_read_while_hardened_connection_open(con, probe_path):
    code = (
        "import duckdb, sys\n"
        "c = duckdb.connect(sys.argv[1], read_only=True)\n"
        "print(c.execute('SELECT count(*) FROM t').fetchone()[0])\n"
    )
    uv = shutil.which("uv")
    python = [uv, "run", "--no-sync", "python"] if uv else [sys.executable]
    done = subprocess.run(
        [*python, "-c", code, str(probe_path)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "3"
    _assert_usable(con)
