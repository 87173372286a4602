"""Publishing encodes only the tables whose content changed: the others are the latest version's
files, hard-linked (same inode, same bytes), and a publish with nothing new writes no file at all.
Every file a reusing publish leaves is byte-identical to what encoding everything afresh gives."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from orchestration.cli import main
from warehouse.publish import publish
from warehouse.store import catalog, db

EXTRACTS = sorted(f"{t.name}.parquet" for t in catalog.PUBLISHED)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _stats(folder: Path) -> dict[str, tuple[int, int, int]]:
    """(inode, mtime_ns, size) of every file under ``folder``."""
    return {
        str(p.relative_to(folder)): (p.stat().st_ino, p.stat().st_mtime_ns, p.stat().st_size)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


class Encoded:
    """Counts the tables publish encodes (the real pyarrow writer still writes each one)."""

    def __init__(self, monkeypatch):
        self.files: list[str] = []
        real = publish.pq.write_table

        def write_table(data, where, **kwargs):
            self.files.append(Path(where).name)
            return real(data, where, **kwargs)

        monkeypatch.setattr(publish.pq, "write_table", write_table)


@pytest.fixture
def home(published, tmp_path) -> Path:
    copy = tmp_path / "home"
    shutil.copytree(published["home"], copy, symlinks=True)
    return copy


def _at(second: int) -> dt.datetime:
    return dt.datetime(2030, 7, 2, 0, 0, second, tzinfo=dt.UTC)  # after the fixture run's version


def test_nothing_changed_writes_no_file(home, monkeypatch):
    out = home / "published"
    before, latest = _stats(out), publish.latest_version(out)
    encoded = Encoded(monkeypatch)
    with db.session(home / "warehouse.duckdb") as con:
        again = publish.publish(con, out, now=_at(1))
        remembered = dict(con.execute("SELECT table_name, sha256 FROM audit.published_extracts").fetchall())
    assert not again.is_new and again.version == latest
    assert encoded.files == []
    assert _stats(out) == before  # no file written, replaced or touched; no staging folder left
    manifest = publish.read_manifest(out)
    # the run that published it remembered each table's file
    assert remembered == {name: entry["sha256"] for name, entry in manifest["tables"].items()}
    assert {name: _sha(out / "latest" / entry["file"]) for name, entry in manifest["tables"].items()} == remembered


def test_a_changed_table_is_the_only_one_encoded_and_the_version_equals_a_fresh_encoding(
    home, tmp_path, monkeypatch, capsys
):
    out = home / "published"
    old = publish.version_path(out)
    old_manifest = publish.read_manifest(out)
    encoded = Encoded(monkeypatch)
    with db.session(home / "warehouse.duckdb") as con:
        con.execute("UPDATE core.dim_source SET description = 'revised' WHERE source = 'isw'")
        new = publish.publish(con, out, now=_at(2))
        assert encoded.files == ["dim_source.parquet"]
        # the same warehouse, every table encoded (nothing published before in this folder)
        fresh = publish.publish(con, tmp_path / "fresh", now=_at(2))
    assert new.is_new and fresh.is_new
    assert sorted(encoded.files) == sorted(["dim_source.parquet", *EXTRACTS])
    assert "revised" in pq.read_table(new.path / "dim_source.parquet").column("description").to_pylist()
    for name in EXTRACTS:
        assert _sha(new.path / name) == _sha(fresh.path / name), name  # byte-identical to encoding
        if name != "dim_source.parquet":
            assert (new.path / name).stat().st_ino == (old / name).stat().st_ino, name  # the same file
            assert _sha(new.path / name) == _sha(old / name)
    manifest, fresh_manifest = publish.read_manifest(out), publish.read_manifest(tmp_path / "fresh")
    assert manifest["tables"] == fresh_manifest["tables"]  # rows, bytes, sha256, date_range… as encoded
    assert manifest["fingerprint"] == fresh_manifest["fingerprint"] != old_manifest["fingerprint"]
    assert {k: v for k, v in manifest["files"].items() if k in EXTRACTS} == {
        k: v for k, v in fresh_manifest["files"].items() if k in EXTRACTS
    }
    assert publish.verify(out) == []
    monkeypatch.setenv("FRONTLINE_HOME", str(home))
    assert main(["verify"]) == 0
    assert new.version in capsys.readouterr().out


def test_a_lost_or_damaged_file_of_the_latest_version_is_encoded_again(home, tmp_path, monkeypatch):
    out = home / "published"
    fresh = tmp_path / "fresh"
    with db.session(home / "warehouse.duckdb") as con:
        publish.publish(con, fresh, now=_at(3))  # what encoding gives
    old = publish.version_path(out)
    (old / "fact_losses_daily.parquet").unlink()
    damaged = old / "dim_date.parquet"
    data = bytearray(damaged.read_bytes())
    data[len(data) // 2] ^= 0xFF  # same size, one byte flipped
    damaged.write_bytes(bytes(data))
    assert sorted(publish.verify(out)) == [
        "dim_date.parquet: sha256 differs from the manifest",
        "fact_losses_daily.parquet: missing",
    ]
    encoded = Encoded(monkeypatch)
    with db.session(home / "warehouse.duckdb") as con:
        repaired = publish.publish(con, out, now=_at(4))
    assert sorted(encoded.files) == ["dim_date.parquet", "fact_losses_daily.parquet"]
    # a new, whole version with the same content (the damaged one is left for the operator to see)
    assert repaired.is_new and repaired.version != old.name
    assert publish.read_manifest(out)["fingerprint"] == publish.read_manifest(fresh)["fingerprint"]
    assert publish.verify(out) == []
    for name in EXTRACTS:
        assert _sha(repaired.path / name) == _sha(publish.version_path(fresh) / name), name


def test_pruning_keeps_hard_linked_files_readable(home):
    out = home / "published"
    first = publish.version_path(out)
    made = []
    with db.session(home / "warehouse.duckdb") as con:
        for i in range(3):
            con.execute("UPDATE core.dim_source SET description = ? WHERE source = 'isw'", [f"revision {i}"])
            result = publish.publish(con, out, keep_versions=2, now=_at(10 + i))
            assert result.is_new
            made.append(result.version)
    assert publish.list_versions(out) == made[-2:] and not first.exists()
    latest = publish.version_path(out)
    for name in EXTRACTS:
        if name == "dim_source.parquet":
            continue
        # one inode for the file in both kept versions (the pruned ones' links are gone)
        assert (latest / name).stat().st_ino == (publish.version_path(out, made[-2]) / name).stat().st_ino
        assert os.stat(latest / name).st_nlink == 2, name
        assert pq.read_table(latest / name).num_rows == publish.read_manifest(out)["tables"][name[:-8]]["rows"]
    for version in made[-2:]:
        assert publish.verify(out, version) == []


def _snapshot_problems(snapshot: Path, warehouse: Path) -> list[str]:
    """Where ``snapshot`` differs from what it must hold: every published table with the
    warehouse's columns and types, its rows (EXCEPT ALL both ways) in the table's sort order, the
    catalog's comments, the as-of macros of snapshot_macros.sql and the BI type; nothing else."""
    import re

    import duckdb

    from warehouse.store.sqlfiles import load

    con = duckdb.connect()
    con.execute(f"ATTACH '{warehouse}' AS w (READ_ONLY)")
    con.execute(f"ATTACH '{snapshot}' AS s (READ_ONLY)")
    con.execute("USE w")
    problems = []
    names = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = 's'").fetchall()}
    if names != {t.name for t in catalog.PUBLISHED}:
        problems.append(f"tables {sorted(names)}")
    for table in catalog.PUBLISHED:
        order = ", ".join(table.sort_keys)
        wanted = f"SELECT {', '.join(table.column_names)} FROM {table.qualified}"
        held = con.sql(f"SELECT * FROM s.main.{table.name}")
        if (held.columns, held.types) != (con.sql(wanted).columns, con.sql(wanted).types):
            problems.append(f"{table.name}: columns {held.columns} {held.types}")
            continue
        for a, b in ((wanted, f"SELECT * FROM s.main.{table.name}"), (f"SELECT * FROM s.main.{table.name}", wanted)):
            if (n := con.execute(f"SELECT count(*) FROM ({a} EXCEPT ALL {b})").fetchone()[0]) != 0:
                problems.append(f"{table.name}: {n} rows of one side not in the other")
        con.execute("SET threads = 1")  # a scan in storage order
        if not held.to_arrow_table().equals(con.sql(f"{wanted} ORDER BY {order}").to_arrow_table()):
            problems.append(f"{table.name}: rows not in the sort order {order}")
        con.execute("RESET threads")
        comments = con.execute(
            "SELECT column_name, comment FROM duckdb_columns() WHERE database_name = 's' AND table_name = ? "
            "ORDER BY column_index",
            [table.name],
        ).fetchall()
        described = con.execute(
            "SELECT comment FROM duckdb_tables() WHERE database_name = 's' AND table_name = ?", [table.name]
        ).fetchone()[0]
        if comments != [(c.name, c.doc) for c in table.columns] or described != table.description:
            problems.append(f"{table.name}: comments")
    macros = con.execute(
        "SELECT function_name, function_type FROM duckdb_functions() WHERE database_name = 's' AND NOT internal"
    ).fetchall()
    expected = re.findall(r"CREATE OR REPLACE MACRO (\w+)", load("warehouse", "snapshot_macros"))
    if sorted(macros) != sorted((m, "table_macro") for m in expected):
        problems.append(f"macros {macros}")
    con.execute("USE s")  # as a reader of the snapshot: each macro binds its tables there
    for macro in expected:
        con.execute(f"SELECT count(*) FROM {macro}(DATE '2030-01-01')").fetchone()
    types = con.execute("SELECT type_name FROM duckdb_types() WHERE database_name = 's' AND NOT internal").fetchall()
    if types != [("regclass",)]:
        problems.append(f"types {types}")
    con.close()
    return problems


def test_every_snapshot_holds_the_warehouse_tables_whether_their_extract_was_encoded_or_reused(home, tmp_path):
    """A table whose extract is encoded goes into the snapshot from the Arrow rows just encoded;
    one whose extract is reused, from SQL: either way the snapshot holds what the warehouse does."""
    out = home / "published"
    warehouse = tmp_path / "warehouse.duckdb"
    with db.session(home / "warehouse.duckdb") as con:
        con.execute("UPDATE core.dim_source SET description = 'revised' WHERE source = 'isw'")
        new = publish.publish(con, out, now=_at(3))  # dim_source from Arrow, the others from SQL
        fresh = publish.publish(con, tmp_path / "fresh", now=_at(3))  # every table from Arrow
    shutil.copy(home / "warehouse.duckdb", warehouse)
    assert new.is_new and fresh.is_new
    assert _snapshot_problems(new.path / publish.SNAPSHOT, warehouse) == []
    assert _snapshot_problems(fresh.path / publish.SNAPSHOT, warehouse) == []
    old = publish.version_path(out, publish.list_versions(out)[0]) / publish.SNAPSHOT
    assert any("dim_source" in p for p in _snapshot_problems(old, warehouse))  # the check sees a change
