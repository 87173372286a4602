"""Optional publish target: every published table of a version in a real PostgreSQL database, for
BI tools that speak only the Postgres protocol over the network.

Layout in the target database:

* one schema per version (``v_<version id>``, e.g. ``v_20261125t131721z_c3149fad``) holding a table
  per published table, loaded from the version's Parquet extracts in a single transaction, with
  the catalog's descriptions (and units) as ``COMMENT``s and NOT NULL on the manifest's
  ``"nullable": false`` columns;
* schema ``frontline``: one view per published table (``frontline.fact_control_daily`` …) over the
  current version's schema, plus ``frontline.published_versions`` / ``frontline.current_version``.
  The views are replaced in one transaction (PostgreSQL DDL is transactional): a reader sees the
  old version or the new one, never a mix and never a missing view;
* a read-only role for BI users (``FRONTLINE_POSTGRES_READER``): USAGE and SELECT only, sessions
  default to read-only transactions, ``search_path = frontline`` and a statement time limit.

Configured by ``FRONTLINE_POSTGRES_DSN`` (the loading role needs CREATE on the database, and
CREATEROLE if the reader role does not exist yet). Loading the same version again changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pyarrow.parquet as pq
from psycopg import sql

from warehouse.publish import publish
from warehouse.store.sqlfiles import load

PG_TYPES = {
    "BOOLEAN": "boolean",
    "SMALLINT": "smallint",
    "INTEGER": "integer",
    "BIGINT": "bigint",
    "HUGEINT": "numeric(39,0)",
    "DOUBLE": "double precision",
    "FLOAT": "real",
    "REAL": "real",
    "VARCHAR": "text",
    "DATE": "date",
    "TIMESTAMP": "timestamp",
    "TIMESTAMPTZ": "timestamptz",
    "TIMESTAMP WITH TIME ZONE": "timestamptz",
    "BLOB": "bytea",
    "JSON": "jsonb",
}
_DECIMAL = re.compile(r"^DECIMAL\((\d+),\s*(\d+)\)$")
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
ADVISORY_LOCK = 7_461_023_114  # one publisher at a time per database
SWAP_LOCK_TIMEOUT = "5s"
SWAP_ATTEMPTS = 6


@dataclass(frozen=True)
class Loaded:
    version: str
    schema: str
    loaded: bool  # False: the version was already in the database
    switched: bool  # False: it was already current
    tables: dict[str, int]  # rows per table


def pg_type(duckdb_type: str, where: str) -> str:
    """The PostgreSQL type for a catalog (DuckDB) type; lists map to arrays."""
    text = duckdb_type.strip().upper()
    if text.endswith("[]"):
        return pg_type(text[:-2], where) + "[]"
    if text in PG_TYPES:
        return PG_TYPES[text]
    match = _DECIMAL.match(text)
    if match:
        return f"numeric({int(match[1])},{int(match[2])})"
    raise ValueError(f"{where}: no PostgreSQL type for DuckDB type {duckdb_type!r}")


def schema_name(version: str) -> str:
    """``v_`` + the version id in lower case with every other character as ``_``."""
    name = "v_" + re.sub(r"[^a-z0-9]", "_", version.lower())
    return _identifier(name[:63], "version schema")


def _identifier(name: str, what: str) -> str:
    if not _IDENTIFIER.match(name):
        raise ValueError(f"{what} {name!r} is not a plain lower-case identifier")
    return name


def _template(name: str, **identifiers: str | sql.Composable) -> sql.Composed:
    parts = {k: v if isinstance(v, sql.Composable) else sql.Identifier(v) for k, v in identifiers.items()}
    return sql.SQL(load("warehouse", name).strip()).format(**parts)


def _comment(doc: str) -> sql.Literal:
    """The manifest's column description (it already names the unit)."""
    return sql.Literal(doc)


def _column_definition(table: str, column: dict) -> sql.Composed:
    """``name type``, NOT NULL where the manifest says ``"nullable": false`` (the catalog's key
    columns): PostgreSQL refuses a NULL there, naming the column and the table."""
    definition = sql.SQL("{} {}").format(
        sql.Identifier(column["name"]), sql.SQL(pg_type(column["type"], f"{table}.{column['name']}"))
    )
    return definition if column["nullable"] else sql.SQL("{} NOT NULL").format(definition)


def _rows(path: Path, columns: list[str]) -> Iterator[tuple]:
    for batch in pq.ParquetFile(path).iter_batches(batch_size=20_000, columns=columns):
        yield from zip(*(c.to_pylist() for c in batch.columns), strict=True)


def _load_version(cur: psycopg.Cursor, folder: Path, manifest: dict, schema: str) -> dict[str, int]:
    cur.execute(_template("postgres_drop_schema", schema=schema))  # leftovers of a crash
    cur.execute(_template("postgres_create_schema", schema=schema))
    counts = {}
    for name, entry in manifest["tables"].items():
        table = _identifier(name, "table")
        columns = [_identifier(c["name"], f"column of {name}") for c in entry["columns"]]
        definition = sql.SQL(", ").join(_column_definition(name, c) for c in entry["columns"])
        cur.execute(_template("postgres_create_table", schema=schema, table=table, columns=definition))
        column_list = sql.SQL(", ").join(map(sql.Identifier, columns))
        copy = _template("postgres_copy_table", schema=schema, table=table, columns=column_list)
        n = 0
        with cur.copy(copy) as out:
            for row in _rows(folder / entry["file"], columns):
                out.write_row(row)
                n += 1
        if n != entry["rows"]:
            raise RuntimeError(f"{name}: loaded {n} rows, the manifest says {entry['rows']}")
        counts[name] = n
        cur.execute(
            _template(
                "postgres_comment_table",
                schema=schema,
                table=table,
                text=sql.Literal(entry["description"]),
            )
        )
        for c in entry["columns"]:
            cur.execute(
                _template(
                    "postgres_comment_column",
                    schema=schema,
                    table=table,
                    column=c["name"],
                    text=_comment(c["description"]),
                )
            )
    return counts


def _ensure_reader(cur: psycopg.Cursor, role: str, password: str | None, timeout: str) -> None:
    if not cur.execute(load("warehouse", "postgres_role_exists"), {"role": role}).fetchall():
        cur.execute(_template("postgres_create_reader", role=role))
    cur.execute(_template("postgres_configure_reader", role=role, statement_timeout=sql.Literal(timeout)))
    if password:
        cur.execute(_template("postgres_reader_password", role=role, password=sql.Literal(password)))


def _swap(conn: psycopg.Connection, manifest: dict, schema: str, role: str, version: str) -> None:
    """Point every frontline view at `schema` and grant the reader, in one transaction. A reader
    holding a long transaction on a view blocks the swap; rather than queue every new reader
    behind it, give up after SWAP_LOCK_TIMEOUT and try again."""
    tables = [_identifier(n, "table") for n in manifest["tables"]]
    for attempt in range(1, SWAP_ATTEMPTS + 1):
        try:
            with conn.transaction(), conn.cursor() as cur:
                cur.execute(sql.SQL("SET LOCAL lock_timeout = {}").format(sql.Literal(SWAP_LOCK_TIMEOUT)))
                for table in tables:
                    cur.execute(_template("postgres_swap_view", schema=schema, table=table))
                    entry = manifest["tables"][table]
                    cur.execute(
                        _template(
                            "postgres_comment_view",
                            table=table,
                            text=sql.Literal(entry["description"]),
                        )
                    )
                    for c in entry["columns"]:
                        cur.execute(
                            _template(
                                "postgres_comment_column",
                                schema="frontline",
                                table=table,
                                column=c["name"],
                                text=_comment(c["description"]),
                            )
                        )
                stale = cur.execute(load("warehouse", "postgres_stale_views"), {"keep": tables})
                for (view,) in stale.fetchall():
                    cur.execute(_template("postgres_drop_view", table=view))
                cur.execute(load("warehouse", "postgres_set_current"), {"version": version})
                database = cur.execute("SELECT current_database()").fetchall()[0][0]
                cur.execute(_template("postgres_grant_reader", database=database, role=role, schema=schema))
            return
        except psycopg.errors.LockNotAvailable:
            if attempt == SWAP_ATTEMPTS:
                raise


def _prune(conn: psycopg.Connection, keep: int) -> None:
    with conn.transaction(), conn.cursor() as cur:
        old = cur.execute(load("warehouse", "postgres_old_versions"), {"keep": keep}).fetchall()
        for version, schema in old:
            cur.execute(_template("postgres_drop_schema", schema=_identifier(schema, "schema")))
            cur.execute(load("warehouse", "postgres_forget_version"), {"version": version})


def publish_version(
    dsn: str,
    published_dir: Path,
    version: str | None = None,
    *,
    reader_role: str = "frontline_reader",
    reader_password: str | None = None,
    statement_timeout: str = "60s",
    keep_versions: int = 3,
) -> Loaded:
    """Load a published version (default: the latest) into the database at `dsn` unless it is
    there already, make it current and (re)grant `reader_role`; keep `keep_versions` schemas."""
    version = version or publish.latest_version(published_dir)
    folder = publish.version_path(published_dir, version)
    manifest = publish.read_manifest(published_dir, version)
    role = _identifier(reader_role, "reader role")
    schema = schema_name(version)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", [ADVISORY_LOCK])
        try:
            with conn.transaction(), conn.cursor() as cur:
                cur.execute(load("warehouse", "postgres_meta"))
                _ensure_reader(cur, role, reader_password, statement_timeout)
            with conn.cursor() as cur:
                found = cur.execute(load("warehouse", "postgres_version_loaded"), {"version": version}).fetchall()
            counts = {n: t["rows"] for n, t in manifest["tables"].items()}
            loaded = False
            if not found:
                with conn.transaction(), conn.cursor() as cur:
                    counts = _load_version(cur, folder, manifest, schema)
                    cur.execute(
                        load("warehouse", "postgres_record_version"),
                        {
                            "version": version,
                            "schema_name": schema,
                            "created_at": manifest["created_at"],
                            "fingerprint": manifest["fingerprint"],
                        },
                    )
                loaded = True
            switched = not (found and found[0][1])
            if switched:
                _swap(conn, manifest, schema, role, version)
            else:  # already current: only make sure the reader (maybe new) can read it
                with conn.transaction(), conn.cursor() as cur:
                    database = cur.execute("SELECT current_database()").fetchall()[0][0]
                    cur.execute(_template("postgres_grant_reader", database=database, role=role, schema=schema))
            _prune(conn, keep_versions)
        finally:
            # A session that died (server stopped, backend terminated) has released its lock with
            # it; unlocking there would only hide the real error behind "the connection is lost".
            if not conn.broken:
                conn.execute("SELECT pg_advisory_unlock(%s)", [ADVISORY_LOCK])
    return Loaded(version, schema, loaded, switched, counts)
