"""The warehouse connection's memory bounds (issue 12): DuckDB's limit is set on every connect (by
default 80 % of RAM, which let the settlement models' joins and sorts take what they found), an
invalid override is refused by name, and giving freed memory back leaves the limit and the data as
they were."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb

from warehouse.store import db

ROOT = Path(__file__).resolve().parents[1]


def _limit_mib(con) -> str:
    return con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]


def test_connect_sets_the_memory_limit_and_release_keeps_it(tmp_path):
    with db.session(tmp_path / "w.duckdb") as con:
        # DuckDB shows a limit of 500 MB (10^6 bytes) in MiB, one decimal
        assert db.MEMORY_LIMIT == "500MB"
        assert _limit_mib(con) == f"{500e6 / 2**20:.1f} MiB"
        con.execute("CREATE TABLE t AS SELECT range AS i, range::VARCHAR AS s FROM range(2000000) ORDER BY i DESC")
        db.release_freed_memory(con)
        assert _limit_mib(con) == f"{500e6 / 2**20:.1f} MiB"
        assert con.execute("SELECT count(*), sum(i), min(s) FROM t").fetchall() == [(2_000_000, 1_999_999_000_000, "0")]


def _connect_with(value: str) -> subprocess.CompletedProcess:
    code = "import sys; from pathlib import Path; from warehouse.store import db; c = db.connect(Path(sys.argv[1]));"
    code += " print(c.execute(\"SELECT current_setting('memory_limit')\").fetchall()[0][0])"
    env = {**os.environ, "FRONTLINE_DUCKDB_MEMORY": value}
    return subprocess.run(
        [
            sys.executable,
            "-c",
            code,
            str(Path(os.environ.get("TMPDIR", "/tmp")) / f"mem-{os.getpid()}-{value[:3]}.duckdb"),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )


def test_memory_override_is_applied_or_refused_by_name(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    ok = _connect_with("1GiB")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip() == "1.0 GiB"
    bad = _connect_with("lots")
    assert bad.returncode != 0
    assert "FRONTLINE_DUCKDB_MEMORY='lots'" in bad.stderr and "500MB" in bad.stderr


def test_a_failed_session_keeps_its_error_and_the_limit(tmp_path):
    path = tmp_path / "w.duckdb"
    try:
        with db.session(path) as con:
            con.execute("CREATE TABLE t (i INTEGER PRIMARY KEY)")
            con.begin()
            con.execute("INSERT INTO t VALUES (1)")
            con.execute("INSERT INTO t VALUES (1)")  # the transaction is now aborted
    except duckdb.ConstraintException as e:
        assert "duplicate key" in str(e)
    else:
        raise AssertionError("the duplicate key was not reported")
    with db.session(path) as con:
        assert _limit_mib(con) == f"{500e6 / 2**20:.1f} MiB"
        assert con.execute("SELECT count(*) FROM t").fetchall() == [(0,)]
