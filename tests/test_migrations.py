"""Versioned migrations: a warehouse file built before migrations were numbered (by the DDL every
open applied until then) is brought to the current version once, keeps its rows, and is not
migrated again; a new file gets every migration in order."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from warehouse.store import audit, db, migrations
from warehouse.store.sqlfiles import load

ROOT = Path(__file__).resolve().parents[1]

# sha256 of the SQL each migration applied when it shipped. An applied migration never changes
# (existing warehouses would never run the edit): a schema change is a new migration.
SHIPPED = {
    1: "f989d6f63261a6535311729bd71a4808c20c8159ec0e86a32c2fcb9950e91637",
    2: "000128d5640a90c998ecbfacb2249b3d38c7724e750067b03c080729f23b979c",
    3: "d05d4144aa6b2892ab594974a5347cbadde34954471c5de7ab510cf3bc573062",
    4: "f714077c9bbbf83571467bdabb20da847be5c3ec3973aebec180dc01f10bf6a9",
    5: "99fd198a4ec678822c9d3760245e8e1b08c3cbe6625809011bedc1f6c969391d",
    6: "9866b67f923399dbe0a7ce035a06a3dd054aef0ad14f8b01c1076ecc396a67cf",
    7: "873be4934ab9f18a7019825ed8669806b583f2826eac916e9174f15949032256",
    8: "a23ad870694a0ab3f001c2578152cff73e053372f3cd6403a3117638af2561bf",
}


def _versions(con) -> list[tuple[int, str, dt.datetime]]:
    return con.execute("SELECT version, checksum, applied_at FROM audit.schema_migrations ORDER BY version").fetchall()


def _columns(con, table: str) -> list[str]:
    return [
        r[0]
        for r in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE schema_name = 'audit' AND table_name = ? "
            "ORDER BY column_index",
            [table],
        ).fetchall()
    ]


@pytest.fixture
def old_warehouse(tmp_path) -> Path:
    """A warehouse file as the previous commit left it: its DDL, a payload, a check result."""
    path = tmp_path / "old" / "warehouse.duckdb"
    path.parent.mkdir()
    con = duckdb.connect(str(path))
    for sql in migrations.MIGRATIONS[0].sql:  # what every open ran before migrations were versioned
        con.execute(sql)
    con.execute(
        "INSERT INTO raw.payloads VALUES ('isw', 'all', 1, 'file:///isw.csv', 'ab12', TIMESTAMPTZ '2026-11-01 07:30:00+00', 3, 'a,b'::BLOB)"
    )
    con.execute(
        "INSERT INTO audit.check_results VALUES ('old-run', TIMESTAMPTZ '2026-11-01 07:31:00+00', 'dim_source', "
        "'keys_unique', 'ExpectCompoundColumnsToBeUnique', 'error', true, 0, 'one row per source', '[]')"
    )
    con.close()
    return path


def test_the_shipped_migrations_are_never_edited():
    assert [m.version for m in migrations.MIGRATIONS] == sorted(SHIPPED)
    assert {m.version: m.checksum for m in migrations.MIGRATIONS} == SHIPPED, (
        "an applied migration changed: put the schema change in a new migration"
    )


def test_an_old_warehouse_is_migrated_once_and_keeps_its_rows(old_warehouse, monkeypatch):
    before = duckdb.connect(str(old_warehouse))
    old_columns = _columns(before, "check_results")
    assert "schema_migrations" not in {
        r[0] for r in before.execute("SELECT table_name FROM duckdb_tables()").fetchall()
    }
    before.close()

    monkeypatch.setattr(db, "_schema_applied", set())  # a fresh process
    with db.session(old_warehouse) as con:
        applied = _versions(con)
        assert [(v, c) for v, c, _ in applied] == sorted(SHIPPED.items())
        # the old rows are there, the new columns NULL on them
        assert con.execute("SELECT key, sha256, n_bytes FROM raw.payloads").fetchall() == [("all", "ab12", 3)]
        assert _columns(con, "check_results") == [
            *old_columns,
            "position",
            "reason",
            "observed_value",
            "exception",
            "suite_today",
            "suite_seconds",
        ]
        assert con.execute(
            "SELECT expectation, success, position, reason FROM audit.check_results WHERE run_id = 'old-run'"
        ).fetchall() == [("keys_unique", True, None, None)]
        # and what migration 2 is for: a whole outcome recorded and read back by run id
        from expectations import ExpectationOutcome

        outcome = ExpectationOutcome(
            name="rows_present",
            expectation_type="ExpectTableRowCountToBeBetween",
            severity="error",
            success=False,
            description="at least one row",
            unexpected_count=1,
            examples=[{"date": "2026-11-01"}],
            reason="an empty table is never right",
            observed_value=0,
            exception=None,
        )
        audit.record(con, "new-run", "dim_source", [outcome], today=dt.date(2026, 11, 2), seconds=0.5)
        assert audit.recorded(con, "new-run") == {
            "dim_source": {"today": dt.date(2026, 11, 2), "seconds": 0.5, "results": [outcome.__dict__]}
        }

    # another process opening it again applies nothing (same rows, same applied_at)
    code = (
        "import sys; from pathlib import Path; from warehouse.store import db, migrations\n"
        "con = db.connect(Path(sys.argv[1])); print(migrations.migrate(con))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(old_warehouse)], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert json.loads(done.stdout) == []
    with duckdb.connect(str(old_warehouse)) as con:
        assert _versions(con) == applied


def test_a_new_warehouse_gets_every_migration_in_order(tmp_path):
    with db.session(tmp_path / "warehouse.duckdb") as con:
        applied = _versions(con)
        assert [v for v, _, _ in applied] == sorted(SHIPPED)
        assert [a for _, _, a in applied] == sorted(a for _, _, a in applied)
        assert migrations.migrate(con) == []
        assert _versions(con) == applied


def test_a_migration_numbered_before_applied_ones_is_refused(tmp_path):
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    migrations.migrate(con, (migrations.MIGRATIONS[0],))
    late = migrations.Migration(3, "late", migrations.MIGRATIONS[1].files)
    migrations.migrate(con, (migrations.MIGRATIONS[0], late))
    with pytest.raises(RuntimeError, match="up to 3 but not 2"):
        migrations.migrate(con)
    con.close()


def test_a_failing_migration_leaves_the_previous_version(tmp_path):
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    migrations.migrate(con)
    again = migrations.Migration(
        max(SHIPPED) + 1, "adds columns migration 2 already added", migrations.MIGRATIONS[1].files
    )
    with pytest.raises(duckdb.CatalogException, match="position"):
        migrations.migrate(con, (*migrations.MIGRATIONS, again))
    assert [v for v, _, _ in _versions(con)] == sorted(SHIPPED)
    con.close()


def test_a_failed_insert_of_a_registered_frame_reports_its_own_error(tmp_path):
    """Inside a transaction, a failed statement aborts it and DuckDB then refuses to unregister the
    frame: that 'transaction is aborted' error used to replace the one that says what went wrong."""
    import pyarrow as pa

    from warehouse.store.db import registered

    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("CREATE TABLE t (a INTEGER PRIMARY KEY)")
    con.execute("INSERT INTO t VALUES (1)")
    con.begin()
    with (
        pytest.raises(duckdb.ConstraintException, match="Duplicate key"),
        registered(con, "incoming", pa.table({"a": [1]})),
    ):
        con.execute("INSERT INTO t SELECT * FROM incoming")
    con.rollback()
    with registered(con, "incoming", pa.table({"a": [2]})):  # the name is free again
        con.execute("INSERT INTO t SELECT * FROM incoming")
    assert con.execute("SELECT list(a ORDER BY a) FROM t").fetchone()[0] == [1, 2]
