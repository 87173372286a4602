"""Versioned schema migrations: numbered, applied in order, each exactly once per warehouse file.

`audit.schema_migrations` records which versions a warehouse file holds (with the sha256 of the
SQL that was applied and when). Migration 1 is the DDL every warehouse got before migrations were
versioned (the idempotent `*_schema.sql` files): a warehouse built by an older commit has no
migrations table, gets migration 1 (a no-op on its tables) and then the newer ones.

A schema change is a NEW migration appended to MIGRATIONS, never an edit of an applied one:
an existing warehouse would never run the edit (tests/test_migrations.py pins the applied SQL).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

import duckdb

from warehouse.store.sqlfiles import load


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    files: tuple[tuple[str, str], ...]  # (package, name) of .sql files under <package>/sql/, in order

    @property
    def sql(self) -> list[str]:
        return [load(package, name) for package, name in self.files]

    @property
    def checksum(self) -> str:
        return hashlib.sha256("\n".join(self.sql).encode()).hexdigest()


MIGRATIONS = (
    Migration(
        1,
        "baseline schema (raw, audit, core, marts)",
        (
            ("warehouse", "raw_schema"),
            # each source's raw tables (warehouse/ingest/sources/sql/): a new source's file is a
            # new migration, appended below
            *(
                ("warehouse.ingest.sources", name)
                for name in (
                    "boundaries",
                    "deepstate_api",
                    "deepstate_archive",
                    "estimates",
                    "general_staff",
                    "isw",
                    "mediazona",
                    "settlements",
                )
            ),
            ("transforms", "core_schema"),
            ("transforms", "territory_core_schema"),
            ("transforms", "settlement_core_schema"),
        ),
    ),
    Migration(
        2,
        "check results keep the whole outcome (publishing reads them back by run id)",
        (("warehouse.store", "migration_002_check_results_detail"),),
    ),
    Migration(
        3,
        "what each SQL model was last built from (a model whose inputs did not change is not rebuilt)",
        (("warehouse.store", "migration_003_model_builds"),),
    ),
    Migration(
        4,
        "the extract each published table was last encoded to (publishing reuses unchanged files)",
        (("warehouse.store", "migration_004_published_extracts"),),
    ),
    Migration(
        5,
        "the per-day input keys of each incremental SQL model (a new day replaces that day's rows only)",
        (("warehouse.store", "migration_005_model_days"),),
    ),
    Migration(
        6,
        "what each suite frame held, day by day, when last validated (a changed day alone is validated again)",
        (("warehouse.store", "migration_006_validation_days"),),
    ),
    Migration(
        7,
        "each API snapshot's occupied layers as the per-region step unites them (the settlement step reads them)",
        (("warehouse.store", "migration_007_api_occupied_layers"),),
    ),
    Migration(
        8,
        "the parser version each source's stored raw rows were made with (a parser fix rebuilds them)",
        (("warehouse.store", "migration_008_parser_versions"),),
    ),
)

BOOTSTRAP = load("warehouse.store", "schema_migrations")


def applied(con: duckdb.DuckDBPyConnection) -> dict[int, str]:
    """Version → checksum of every migration this warehouse file holds."""
    return dict(con.execute("SELECT version, checksum FROM audit.schema_migrations").fetchall())


def migrate(con: duckdb.DuckDBPyConnection, migrations: tuple[Migration, ...] = MIGRATIONS) -> list[int]:
    """Apply the migrations this file does not hold yet, in order, each in its own transaction
    with its audit.schema_migrations row (a crash leaves the file at the previous version).
    Returns the versions applied now."""
    con.execute(BOOTSTRAP)
    done = applied(con)
    newer = [m.version for m in migrations if m.version not in done]
    if done and newer and min(newer) < max(done):
        raise RuntimeError(
            f"warehouse holds schema migrations up to {max(done)} but not {min(newer)}: "
            "migrations must be appended with a new number, never inserted before applied ones"
        )
    now = []
    for m in sorted(migrations, key=lambda m: m.version):
        if m.version in done:
            continue
        con.begin()
        try:
            for statement_block in m.sql:
                con.execute(statement_block)
            con.execute(
                "INSERT INTO audit.schema_migrations VALUES (?, ?, ?, ?)",
                [m.version, m.name, m.checksum, dt.datetime.now(dt.UTC)],
            )
            con.commit()
        except BaseException:
            con.rollback()
            raise
        now.append(m.version)
    return now
