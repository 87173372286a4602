"""What BI tools and other clients see of the published snapshot: SQLAlchemy reflection through
duckdb-engine (Superset's route), a DuckDB 1.5 client (older drivers embed one), and the security
probes of the acceptance list run through the `frontline query` command itself."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import os
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.types import NullType

from orchestration.cli import main
from warehouse.publish import publish

ROOT = Path(__file__).resolve().parents[1]
PYTHON_TYPES = {
    "DATE": dt.date,
    "VARCHAR": str,
    "DOUBLE": float,
    "FLOAT": float,
    "BIGINT": int,
    "INTEGER": int,
    "SMALLINT": int,
    "BOOLEAN": bool,
    "TIMESTAMP": dt.datetime,
    "TIMESTAMPTZ": dt.datetime,
}


def _snapshot(published) -> Path:
    # The stable path a BI tool is configured with: it follows LATEST for new connections.
    return published["home"] / "published" / "latest" / publish.SNAPSHOT


def test_sqlalchemy_reflection_lists_every_table_and_column(published):
    manifest = json.loads((published["dir"] / "manifest.json").read_text())
    engine = sa.create_engine(f"duckdb:///{_snapshot(published)}?access_mode=read_only")
    try:
        inspector = sa.inspect(engine)
        assert set(inspector.get_table_names()) == set(manifest["tables"])
        for name, table in manifest["tables"].items():
            columns = inspector.get_columns(name)
            assert [c["name"] for c in columns] == [c["name"] for c in table["columns"]], name
            for reflected, documented in zip(columns, table["columns"], strict=True):
                assert not isinstance(reflected["type"], NullType), (name, reflected)
                expected = PYTHON_TYPES.get(documented["type"])
                if documented["type"].startswith("DECIMAL"):
                    expected = decimal.Decimal
                if expected is not None:
                    assert reflected["type"].python_type is expected, (name, reflected)
                assert reflected["comment"] == documented["description"], (name, reflected["name"])
                assert reflected["nullable"] is documented["nullable"], (name, reflected["name"])
            assert inspector.get_table_comment(name)["text"] == table["description"]
            # What Superset's SQL Lab table preview also asks for (needs the REGCLASS shim).
            assert inspector.get_pk_constraint(name)["constrained_columns"] == []
            assert inspector.get_foreign_keys(name) == []
            assert inspector.get_indexes(name) == []
        metadata = sa.MetaData()
        metadata.reflect(engine)
        assert set(metadata.tables) == set(manifest["tables"])
        with engine.connect() as conn:
            for name, table in manifest["tables"].items():
                count = conn.execute(sa.select(sa.func.count()).select_from(metadata.tables[name]))
                assert count.scalar_one() == table["rows"], name
    finally:
        engine.dispose()


def _duckdb15() -> str | None:
    explicit = os.environ.get("FRONTLINE_TEST_DUCKDB15")
    default = ROOT / ".tools" / "duckdb15" / "bin" / "python"
    if explicit:
        return explicit
    return str(default) if default.exists() else None


DUCKDB15_SCRIPT = """
import json, sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
tables = [r[0] for r in con.execute(
    "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() ORDER BY 1"
).fetchall()]
counts = {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchall()[0][0] for t in tables}
area = con.execute(
    "SELECT area_km2 FROM fact_control_daily WHERE source = 'deepstate' AND region_code = 'UA' "
    "AND date = DATE '2024-07-08'"
).fetchall()
print(json.dumps({"version": duckdb.__version__, "counts": counts, "area": area[0][0]}))
"""


def test_duckdb_15_client_opens_the_snapshot(published):
    python = _duckdb15()
    if python is None:
        if os.environ.get("FRONTLINE_TEST_REQUIRE_SERVICES"):
            pytest.fail("no DuckDB 1.5 client: .ci/services creates .tools/duckdb15")
        pytest.skip("no DuckDB 1.5 client in .tools/duckdb15 (run .ci/services to create it)")
    done = subprocess.run(
        [python, "-c", DUCKDB15_SCRIPT, str(_snapshot(published))],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["version"].startswith("1.5.")
    manifest = json.loads((published["dir"] / "manifest.json").read_text())
    assert answer["counts"] == {name: t["rows"] for name, t in manifest["tables"].items()}
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    daily = pq.read_table(published["dir"] / "fact_control_daily.parquet")
    row = daily.filter(
        (pc.field("source") == "deepstate")
        & (pc.field("region_code") == "UA")
        & (pc.field("date") == dt.date(2024, 7, 8))
    )
    assert answer["area"] == row["area_km2"][0].as_py()


# The acceptance list's probes, through the command a user types.
CLI_PROBES = {
    "SELECT * FROM read_csv('/etc/passwd')": "",
    "SELECT * FROM read_text('/etc/passwd')": "",
    "SELECT * FROM glob('/etc/*')": "",
    "COPY fact_losses_daily TO '{target}'": "COPY",
    "ATTACH '{other}' AS other": "ATTACH",
    "INSTALL httpfs": "LOAD",
    "LOAD httpfs": "LOAD",
    "SET memory_limit = '64GB'": "SET",
    "SET enable_external_access = true": "SET",
    "RESET lock_configuration": "",
    "CREATE TABLE x AS SELECT 1": "CREATE",
    "CREATE TEMP TABLE fact_losses_daily AS SELECT 1 AS fake": "CREATE",
    "INSERT INTO dim_source SELECT * FROM dim_source": "INSERT",
    "SELECT 1; DROP TABLE dim_source": "DROP",
    "SELECT count(*) FROM range(1000000) a, range(1000000) b": "maximum execution time",
}


def test_security_probes_through_frontline_query_fail_cleanly(published, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("FRONTLINE_HOME", str(published["home"]))
    manifest = json.loads((published["dir"] / "manifest.json").read_text())
    target, other = tmp_path / "stolen.csv", tmp_path / "other.duckdb"
    check = "SELECT count(*) AS n FROM fact_losses_daily"
    for probe, names in CLI_PROBES.items():
        sql = probe.format(target=target, other=other)
        code = main(["query", "--timeout", "0.5", "--memory-limit", "256MB", sql])
        out = capsys.readouterr()
        assert code == 2, (sql, out.out)
        assert out.out == "" and out.err.startswith("frontline query: "), (sql, out.err)
        assert "Traceback" not in out.err and names in out.err, (sql, out.err)
        # The next query in the same process still answers, from the real table.
        assert main(["query", "--format", "json", check]) == 0
        assert json.loads(capsys.readouterr().out) == [{"n": manifest["tables"]["fact_losses_daily"]["rows"]}]
    assert not target.exists() and not other.exists()


@pytest.mark.parametrize(
    ("flags", "named"),
    [
        (["--timeout", "0"], "--timeout"),  # 0 ms is DuckDB's "no limit": a runaway query would never stop
        (["--timeout", "-1"], "--timeout"),
        (["--timeout", "nan"], "--timeout"),
        (["--timeout", "inf"], "--timeout"),
        (["--max-rows", "0"], "--max-rows"),
        (["--max-rows", "-5"], "--max-rows"),
        (["--memory-limit", "lots"], "--memory-limit"),
    ],
)
def test_query_limits_that_would_disable_a_limit_are_refused(published, monkeypatch, capsys, flags, named):
    monkeypatch.setenv("FRONTLINE_HOME", str(published["home"]))
    with pytest.raises(SystemExit) as exit_:
        main(["query", *flags, "SELECT 1"])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and named in err and flags[1] in err and "Traceback" not in err, err


def test_a_sub_millisecond_timeout_still_stops_a_runaway_query(published):
    """--timeout 0.0001 is 0.1 ms: rounded down to 0 it would turn DuckDB's limit off."""
    import sys

    env = {**os.environ, "FRONTLINE_HOME": str(published["home"])}
    code = "import sys; from orchestration.cli import main; sys.exit(main(sys.argv[1:]))"
    bomb = "SELECT count(*) FROM range(1000000) a, range(1000000) b"
    done = subprocess.run(
        [sys.executable, "-c", code, "query", "--timeout", "0.0001", bomb],
        env=env,
        cwd=Path(__file__).resolve().parents[1],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and "maximum execution time" in done.stderr, done.stderr
