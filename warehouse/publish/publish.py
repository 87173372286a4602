"""Publish a checked version: Parquet extracts, a manifest and a read-only DuckDB snapshot.

A version is written into a temporary folder, fsynced, renamed into ``versions/<id>`` and only
then does the ``LATEST`` pointer move (``os.replace``), so a reader sees either the old version
or the new one, never half of one. The pipeline writes only its own warehouse file and the new
folder: readers of published snapshots never wait for it, and it never waits for them.

Nothing is published when the content equals the latest version's (same fingerprint): running
twice leaves ``LATEST`` and every file byte-identical.

A table is encoded only when its content changed: each extract's key (its rows hashed inside
DuckDB, the catalog docs, the writer's versions and settings) is remembered with the file's sha256
in ``audit.published_extracts``; a table whose key is unchanged gets the latest version's file,
hard-linked into the new version (same bytes, no encoding). When every key is unchanged, nothing
is written at all. A file to reuse that is missing or damaged in the latest version is encoded
again, into a new whole version even though the content is the same.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from warehouse.ingest import sources
from warehouse.publish import geoparquet
from warehouse.store import catalog
from warehouse.store.db import comment_on, registered, release_freed_memory, sql_identifier, sql_literal
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


class NullInRequiredColumn(ValueError):
    """A NULL in a column the catalog declares ``nullable=False``: the suites refuse it before
    publishing, so it means a bug; the extract and snapshot are not written (they say NOT NULL)."""


def _refuse_nulls(table: catalog.Table, data: pa.Table) -> None:
    for column in table.columns:
        if not column.nullable and (nulls := data.column(column.name).null_count):
            raise NullInRequiredColumn(
                f"published table {table.name}, column {column.name}: {nulls} NULL value(s) in a column "
                "the catalog declares nullable=False; not published"
            )


def _arrow_with_docs(con: duckdb.DuckDBPyConnection, table: catalog.Table) -> pa.Table:
    """The table's rows in its sort order, each field with its catalog description, unit and
    nullability (a ``nullable=False`` column is a REQUIRED Parquet field)."""
    data = con.sql(_select(table)).arrow()
    if isinstance(data, pa.RecordBatchReader):
        data = data.read_all()
    _refuse_nulls(table, data)
    fields = []
    for field in data.schema:
        column = table.column(field.name)
        meta = {"description": column.doc}
        if column.unit:
            meta["unit"] = column.unit
        fields.append(field.with_metadata(meta).with_nullable(column.nullable))
    schema = pa.schema(fields, metadata={"description": table.description, "table": table.name})
    return data.cast(schema)


def _date_range(data: pa.Table, table: catalog.Table) -> list[str] | None:
    if table.date_column is None or data.num_rows == 0:
        return None
    column = data.column(table.date_column)
    return [pa.compute.min(column).as_py().isoformat(), pa.compute.max(column).as_py().isoformat()]


# Everything the bytes of an extract depend on besides the table's rows: bump EXTRACT_FORMAT when
# how _write_extracts encodes a table changes in a way the versions below do not capture.
# 2: GeoParquet geometries in ISO WKB, " Z" geometry types; 3: the catalog's nullable=False columns
# are REQUIRED fields (they were all OPTIONAL, contradicting the manifest's "nullable")
EXTRACT_FORMAT = "3"
COMPRESSION = {"compression": "zstd", "compression_level": 9}


@cache
def _writer_versions() -> tuple[str, ...]:
    """pyarrow writes the bytes; DuckDB types the Arrow columns; shapely and pyproj (PROJ's CRS
    JSON) make the GeoParquet metadata."""
    from importlib.metadata import version

    return (pa.__version__, duckdb.__version__, version("shapely"), version("pyproj"))


def _extract_key(con: duckdb.DuckDBPyConnection, table: catalog.Table) -> str | None:
    """sha256 of everything the table's Parquet file is encoded from: its rows (counted and hashed
    inside DuckDB by :func:`expectations.cache.query_fingerprint`, no Arrow built), the catalog
    entry (descriptions become the file's metadata), the GeoParquet settings and the versions of
    the libraries that write the bytes. None when the rows cannot be hashed (always encoded)."""
    from expectations.cache import query_fingerprint

    # The rows without ORDER BY (sorting 1.8 M settlement rows costs 8× hashing them): the sums are
    # blind to order, and the sort keys are each table's grain, so the same rows make the same file.
    rows = f"SELECT {', '.join(table.column_names)} FROM {table.qualified}"
    content = query_fingerprint(con, table.name, "published extract", rows, [])
    if content is None:
        return None
    head = [
        EXTRACT_FORMAT,
        content,
        repr(table),
        COMPRESSION,
        *_writer_versions(),
        geoparquet.VERSION,
        geoparquet.CRS_NAME,
        geoparquet.GEOMETRY_COLUMNS.get(table.name),
        geoparquet.SECONDARY_COLUMNS.get(table.name),
    ]
    return hashlib.sha256(json.dumps(head, default=str).encode()).hexdigest()


def _has_extract_memory(con: duckdb.DuckDBPyConnection) -> bool:
    """False for a database without the warehouse schema (a test's bare tables): always encode."""
    return bool(
        con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'audit' AND table_name = 'published_extracts'"
        ).fetchall()[0][0]
    )


def _reusable(
    con: duckdb.DuckDBPyConnection, folder: Path | None, manifest: dict | None, keys: dict[str, str | None]
) -> tuple[dict[str, dict], set[str]]:
    """The latest version's manifest entry of every table whose key is the one its file there was
    encoded from (audit.published_extracts) and whose file is still there with that sha256; and
    the tables whose file should be reused but is missing or damaged (encoded again)."""
    if folder is None or manifest is None or not keys:
        return {}, set()
    remembered = {
        name: (key, sha)
        for name, key, sha in con.execute(
            "SELECT table_name, extract_key, sha256 FROM audit.published_extracts"
        ).fetchall()
    }
    reusable, damaged = {}, set()
    for name, key in keys.items():
        entry = manifest["tables"].get(name)
        if key is None or entry is None or remembered.get(name) != (key, entry["sha256"]):
            continue
        path = folder / entry["file"]
        if path.is_file() and _sha256(path) == entry["sha256"]:  # ~7 MB in all: cheap next to encoding
            reusable[name] = entry
        else:
            damaged.add(name)
    return reusable, damaged


def _remember(
    con: duckdb.DuckDBPyConnection, keys: dict[str, str | None], tables: dict[str, dict], version: str
) -> None:
    """Record which file (sha256, version) each table's key was encoded to: one statement, atomic
    on its own and inside a caller's transaction."""
    rows = [(name, key, tables[name]["sha256"], version) for name, key in keys.items() if key is not None]
    if rows:
        con.execute(
            "INSERT OR REPLACE INTO audit.published_extracts VALUES " + ", ".join(["(?, ?, ?, ?, now())"] * len(rows)),
            [value for row in rows for value in row],
        )


def _link_or_copy(source: Path, target: Path) -> None:
    """The same file in the new version: a hard link (no bytes written), a copy across devices."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def _entry(table: catalog.Table, file: str, rows: int, size: int, sha256: str, date_range) -> dict:
    return {
        "file": file,
        "description": table.description,
        "grain": list(table.grain),
        "rows": rows,
        "bytes": size,
        "sha256": sha256,
        "date_range": date_range,
        "sources": list(table.sources),
        "columns": [
            {"name": c.name, "type": c.type, "unit": c.unit, "nullable": c.nullable, "description": c.doc}
            for c in table.columns
        ],
        **geoparquet.manifest_entry(table.name),
    }


def _write_extracts(con, folder: Path, reuse: dict[str, dict], previous: Path | None) -> dict[str, dict]:
    """Encode every published table into ``folder``, but link the previous version's file of the
    tables in ``reuse`` (their previous manifest entries, by name): same bytes, no encoding. Each
    encoded table also goes into the attached ``publish_snapshot`` from its sorted Arrow rows
    (:func:`_snapshot_table`)."""
    entries = {}
    for table in catalog.PUBLISHED:
        path = folder / f"{table.name}.parquet"
        old = reuse.get(table.name)
        if old is not None:
            _link_or_copy(previous / old["file"], path)
            entries[table.name] = _entry(table, path.name, old["rows"], old["bytes"], old["sha256"], old["date_range"])
            continue
        rows = _arrow_with_docs(con, table)
        data = geoparquet.with_geo_metadata(table.name, rows)
        pq.write_table(data, path, **COMPRESSION)
        _snapshot_table(con, table, rows)  # the warehouse's bytes, as when written from SQL
        entries[table.name] = _entry(
            table, path.name, data.num_rows, path.stat().st_size, _sha256(path), _date_range(data, table)
        )
        if data.nbytes > 64 << 20:  # a large table's frame and DuckDB's sort for it, gone before the next
            del data, rows
            release_freed_memory(con)
    return entries


SNAPSHOT_ARROW = "publish_snapshot_rows"  # the name an encoded table's Arrow rows are read by


def _snapshot_table(con: duckdb.DuckDBPyConnection, table: catalog.Table, data: pa.Table) -> None:
    """``table`` in the snapshot from ``data``, its rows already read and sorted for its extract:
    reading and sorting them again in SQL was most of a snapshot's time (the settlement table's
    1.8 M rows: 1.4 s, from Arrow 0.6 s; issue 12). Written from SQL instead if a column's type
    did not come back from Arrow as it is in the warehouse."""
    target = f"publish_snapshot.main.{table.name}"
    with registered(con, SNAPSHOT_ARROW, data):
        con.execute(f"CREATE TABLE {target} AS SELECT * FROM {SNAPSHOT_ARROW}")
    written, wanted = con.sql(f"SELECT * FROM {target}"), con.sql(_select(table))  # bound, not run
    if (written.columns, [str(t) for t in written.types]) != (wanted.columns, [str(t) for t in wanted.types]):
        con.execute(f"CREATE OR REPLACE TABLE {target} AS {_select(table)}")
    _not_null(con, target, table)
    comment_on(con, target, table)


def _not_null(con: duckdb.DuckDBPyConnection, target: str, table: catalog.Table) -> None:
    """NOT NULL on the catalog's ``nullable=False`` columns of ``target`` (a snapshot table; DuckDB
    checks the rows already there): what BI tools read in information_schema.columns."""
    for column in table.columns:
        if not column.nullable:
            try:
                con.execute(f"ALTER TABLE {target} ALTER COLUMN {column.name} SET NOT NULL")
            except duckdb.ConstraintException as e:
                raise NullInRequiredColumn(
                    f"published table {table.name}, column {column.name}: NULL value(s) in a column the "
                    f"catalog declares nullable=False; not published ({e})"
                ) from e


def _attach_snapshot(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    con.execute(
        f"ATTACH {sql_literal(str(path))} AS publish_snapshot (STORAGE_VERSION {sql_literal(SNAPSHOT_STORAGE_VERSION)})"
    )


def _write_snapshot(con: duckdb.DuckDBPyConnection, written: set[str]) -> None:
    """Complete the attached ``publish_snapshot``: the tables not in ``written`` (their extract
    reused) from SQL, the as-of macros and the BI type."""
    for table in catalog.PUBLISHED:
        if table.name not in written:
            target = f"publish_snapshot.main.{table.name}"
            con.execute(f"CREATE TABLE {target} AS {_select(table)}")
            _not_null(con, target, table)
            comment_on(con, target, table)
    _create_snapshot_macros(con)
    con.execute(load("warehouse", "snapshot_bi_compat"))  # SQLAlchemy reflection (Superset)


def _create_snapshot_macros(con: duckdb.DuckDBPyConnection) -> None:
    """As-of table macros (sql/snapshot_macros.sql) inside the snapshot. Macros bind their tables
    when created, so they are created with the snapshot as the current database."""
    home = con.execute("SELECT current_database()").fetchall()[0][0]
    con.execute("USE publish_snapshot")
    try:
        con.execute(load("warehouse", "snapshot_macros"))
    finally:
        con.execute(f"USE {sql_identifier(home)}")


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
    current = latest_version(published_dir)
    previous = read_manifest(published_dir, current) if current else None
    keys = {t.name: _extract_key(con, t) for t in catalog.PUBLISHED} if _has_extract_memory(con) else {}
    con.complete()  # query_fingerprint's one-row result: DuckDB 2 refuses other work until it is finished
    reuse, damaged = _reusable(con, root / current if current else None, previous, keys)
    if len(reuse) == len(catalog.PUBLISHED) and previous.get("fingerprint") == _fingerprint(reuse):
        return Published(current, root / current, is_new=False)  # every file as it is: none written
    staging = root / f".staging-{os.getpid()}-{now.strftime('%Y%m%dT%H%M%S%f')}"
    staging.mkdir()
    try:
        _attach_snapshot(con, staging / SNAPSHOT)
        try:
            tables = _write_extracts(con, staging, reuse, root / current if current else None)
            fingerprint = _fingerprint(tables)
            # same content; but a latest version whose file was lost or damaged is replaced by a whole one
            same = previous is not None and previous.get("fingerprint") == fingerprint and not damaged
            if not same:
                _write_snapshot(con, {name for name in tables if name not in reuse})
        finally:
            con.execute("DETACH publish_snapshot")
        if same:
            shutil.rmtree(staging)
            _remember(con, keys, tables, current)
            return Published(current, root / current, is_new=False)
        version = f"{now:%Y%m%dT%H%M%SZ}-{fingerprint[:8]}"
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
        _remember(con, keys, tables, version)
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
