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
