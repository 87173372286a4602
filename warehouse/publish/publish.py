"""Publish a checked version: Parquet extracts, a manifest and a read-only DuckDB snapshot.

A version is written into a temporary folder, fsynced, renamed into ``versions/<id>`` and only
then does the ``LATEST`` pointer move (``os.replace``), so a reader sees either the old version
or the new one, never half of one. The pipeline writes only its own warehouse file and the new
folder: readers of published snapshots never wait for it, and it never waits for them.

Nothing is published when the content equals the latest version's (same fingerprint): running
twice leaves ``LATEST`` and every file byte-identical.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from warehouse.ingest import sources
from warehouse.publish import geoparquet
from warehouse.store import catalog
from warehouse.store.db import comment_on, release_freed_memory, sql_literal
from warehouse.store.sqlfiles import load

MANIFEST = "manifest.json"
SNAPSHOT = "frontline.duckdb"
LATEST = "LATEST"
REPORT_DIR = "report"
# BI drivers often embed an older DuckDB; 2.0's default storage cannot be opened by 1.x.
SNAPSHOT_STORAGE_VERSION = "v1.5.0"


@dataclass(frozen=True)
class Published:
    version: str
    path: Path
    is_new: bool


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def versions_dir(published_dir: Path) -> Path:
    return published_dir / "versions"


def latest_version(published_dir: Path) -> str | None:
    pointer = published_dir / LATEST
    return pointer.read_text(encoding="utf-8").strip() if pointer.exists() else None


def version_path(published_dir: Path, version: str | None = None) -> Path:
    version = version or latest_version(published_dir)
    if version is None:
        raise FileNotFoundError(f"nothing published yet under {published_dir}")
    path = versions_dir(published_dir) / version
    if not (path / MANIFEST).exists():
        raise FileNotFoundError(f"no published version {version!r} under {published_dir}")
    return path


def latest_snapshot(published_dir: Path) -> Path:
    return version_path(published_dir) / SNAPSHOT


def read_manifest(published_dir: Path, version: str | None = None) -> dict:
    return json.loads((version_path(published_dir, version) / MANIFEST).read_text(encoding="utf-8"))


def list_versions(published_dir: Path) -> list[str]:
    root = versions_dir(published_dir)
    if not root.exists():
        return []
    # a dot-folder is a staging folder (maybe with its manifest already written), never a version
    return sorted(p.name for p in root.iterdir() if not p.name.startswith(".") and (p / MANIFEST).exists())


def _remove_dead_staging(root: Path) -> None:
    """Staging folders of a publish that died (SIGKILL, power cut) are left behind; the next
    publish (one at a time: the run holds writer.lock) removes them."""
    for leftover in root.glob(".staging-*"):
        shutil.rmtree(leftover, ignore_errors=True)


def _select(table: catalog.Table) -> str:
    # Identifiers come from the catalog whitelist only.
    return f"SELECT {', '.join(table.column_names)} FROM {table.qualified} ORDER BY {', '.join(table.sort_keys)}"


def _arrow_with_docs(con: duckdb.DuckDBPyConnection, table: catalog.Table) -> pa.Table:
    data = con.sql(_select(table)).arrow()
    if isinstance(data, pa.RecordBatchReader):
        data = data.read_all()
    fields = []
    for field in data.schema:
        column = table.column(field.name)
        meta = {"description": column.doc}
        if column.unit:
            meta["unit"] = column.unit
        fields.append(field.with_metadata(meta))
    schema = pa.schema(fields, metadata={"description": table.description, "table": table.name})
    return data.cast(schema)


def _date_range(data: pa.Table, table: catalog.Table) -> list[str] | None:
    if table.date_column is None or data.num_rows == 0:
        return None
    column = data.column(table.date_column)
    return [pa.compute.min(column).as_py().isoformat(), pa.compute.max(column).as_py().isoformat()]


def _write_extracts(con, folder: Path) -> dict[str, dict]:
    entries = {}
    for table in catalog.PUBLISHED:
        data = geoparquet.with_geo_metadata(table.name, _arrow_with_docs(con, table))
        path = folder / f"{table.name}.parquet"
        pq.write_table(data, path, compression="zstd", compression_level=9)
        entries[table.name] = {
            "file": path.name,
            "description": table.description,
            "grain": list(table.grain),
            "rows": data.num_rows,
            "bytes": path.stat().st_size,
            "sha256": _sha256(path),
            "date_range": _date_range(data, table),
            "sources": list(table.sources),
            "columns": [
                {"name": c.name, "type": c.type, "unit": c.unit, "nullable": c.nullable, "description": c.doc}
                for c in table.columns
            ],
            **geoparquet.manifest_entry(table.name),
        }
        if data.nbytes > 64 << 20:  # a large table's frame and DuckDB's sort for it, gone before the next
            del data
            release_freed_memory(con)
    return entries


def _write_snapshot(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    con.execute(
        f"ATTACH {sql_literal(str(path))} AS publish_snapshot (STORAGE_VERSION {sql_literal(SNAPSHOT_STORAGE_VERSION)})"
    )
    try:
        for table in catalog.PUBLISHED:
            con.execute(f"CREATE TABLE publish_snapshot.main.{table.name} AS {_select(table)}")
            comment_on(con, f"publish_snapshot.main.{table.name}", table)
        _create_snapshot_macros(con)
        con.execute(load("warehouse", "snapshot_bi_compat"))  # SQLAlchemy reflection (Superset)
    finally:
        con.execute("DETACH publish_snapshot")


def _create_snapshot_macros(con: duckdb.DuckDBPyConnection) -> None:
    """As-of table macros (sql/snapshot_macros.sql) inside the snapshot. Macros bind their tables
    when created, so they are created with the snapshot as the current database."""
    home = con.execute("SELECT current_database()").fetchall()[0][0]
    con.execute("USE publish_snapshot")
    try:
        con.execute(load("warehouse", "snapshot_macros"))
    finally:
        con.execute(f"USE {_quote_identifier(home)}")


def _quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _fingerprint(tables: dict[str, dict]) -> str:
    return hashlib.sha256(json.dumps({n: t["sha256"] for n, t in sorted(tables.items())}).encode()).hexdigest()


def _switch_latest(published_dir: Path, version: str) -> None:
    tmp = published_dir / f".{LATEST}.tmp"
    tmp.write_text(version + "\n", encoding="utf-8")
    _fsync(tmp)
    os.replace(tmp, published_dir / LATEST)
    link_tmp = published_dir / ".latest.tmp"
    link_tmp.unlink(missing_ok=True)
    link_tmp.symlink_to(Path("versions") / version)
    os.replace(link_tmp, published_dir / "latest")
    _fsync(published_dir)


def _prune(published_dir: Path, keep: int) -> None:
    current = latest_version(published_dir)
    for old in list_versions(published_dir)[:-keep] if keep > 0 else []:
        if old != current:
            shutil.rmtree(versions_dir(published_dir) / old)


def publish(
    con: duckdb.DuckDBPyConnection,
    published_dir: Path,
    *,
    checks: dict | None = None,
    write_report: Callable[[Path, str], object] | None = None,
    keep_versions: int = 10,
    now: dt.datetime | None = None,
) -> Published:
    """Write a new version if the content changed; move ``LATEST`` to it.

    ``write_report(folder, version)``: writes the run's validation report into the version's
    ``report/`` folder (it names the version, known only here); linked from the manifest."""
    now = now or dt.datetime.now(dt.UTC)
    root = versions_dir(published_dir)
    root.mkdir(parents=True, exist_ok=True)
    _remove_dead_staging(root)
    staging = root / f".staging-{os.getpid()}-{now.strftime('%Y%m%dT%H%M%S%f')}"
    staging.mkdir()
    try:
        tables = _write_extracts(con, staging)
        fingerprint = _fingerprint(tables)
        current = latest_version(published_dir)
        if current and read_manifest(published_dir, current).get("fingerprint") == fingerprint:
            shutil.rmtree(staging)
            return Published(current, root / current, is_new=False)
        version = f"{now:%Y%m%dT%H%M%SZ}-{fingerprint[:8]}"
        _write_snapshot(con, staging / SNAPSHOT)
        if write_report is not None:
            write_report(staging / REPORT_DIR, version)
        manifest = {
            "version": version,
            "created_at": now.isoformat(),
            "fingerprint": fingerprint,
            "format": {"extracts": "Parquet (zstd)", "snapshot": f"DuckDB, storage {SNAPSHOT_STORAGE_VERSION}"},
            "snapshot": {"file": SNAPSHOT, "sha256": _sha256(staging / SNAPSHOT)},
            "tables": tables,
            "sources": [
                {
                    "name": s.name,
                    "description": s.description,
                    "publisher": s.publisher,
                    "licence": s.licence,
                    "upstream_url": s.live_url,
                }
                for s in sources.ALL
            ],
            "checks": checks or {},
            "report": f"{REPORT_DIR}/index.html" if write_report is not None else None,
            # Every file of the version but this manifest, for `frontline verify`.
            "files": {str(p.relative_to(staging)): _sha256(p) for p in sorted(staging.rglob("*")) if p.is_file()},
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        for path in staging.rglob("*"):
            if path.is_file():
                _fsync(path)
        _fsync(staging)
        target = root / version
        os.rename(staging, target)
        _fsync(root)
        _switch_latest(published_dir, version)
        _prune(published_dir, keep_versions)
        return Published(version, target, is_new=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def verify(published_dir: Path, version: str | None = None) -> list[str]:
    """Re-hash every file of a version against its manifest; the list of problems (empty = ok)."""
    folder = version_path(published_dir, version)
    manifest = read_manifest(published_dir, version)
    problems = []
    expected = manifest.get("files", {})
    for relative, sha in sorted(expected.items()):
        path = folder / relative
        if not path.is_file():
            problems.append(f"{relative}: missing")
        elif _sha256(path) != sha:
            problems.append(f"{relative}: sha256 differs from the manifest")
    extra = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST)
    problems += [f"{relative}: not in the manifest" for relative in extra if relative not in expected]
    for name, table in manifest["tables"].items():
        if expected.get(table["file"]) != table["sha256"]:
            problems.append(f"{table['file']}: table {name} sha256 disagrees with the file list")
    return problems
