"""The SQLite event log of one `frontline run`, written through connections held for the run.

Dagster's SQLite event log storage creates an SQLAlchemy engine, opens a connection, commits with
a full fsync, closes and disposes it for every event it stores or reads (two of each per asset or
check event: the run's shard and the cross-run index), and opens one more engine per check event
to ask whether a table exists. A run writes a few hundred events (one per step start, output and
success, per asset planned and materialized, per check planned and evaluated, per partition of a
partition range): that was most of the time Dagster took of a run with nothing new.

While a run executes, `HeldEventLog` routes the storage's connections to the run's shard and to
the index through one engine per file holding one open connection. The rows written are the same
(same statements, same transactions, same order, under the storage's own lock); the UI, the
daemon and later runs read the same files. What changes:
- No engine or connection per event; closing no longer checkpoints the WAL on every event (SQLite
  checkpoints automatically, and once when the run ends and the held connections close).
- The held connections commit with `synchronous=NORMAL` (the files are in WAL mode): a commit
  is no longer fsynced, the WAL is synced at each checkpoint. A killed process loses nothing
  (committed pages are in the OS cache); a power cut or kernel crash during a run can lose its
  last events but never corrupts the file (SQLite's guarantee for WAL + NORMAL). The event log is
  the UI's record of the run, not the warehouse: the DuckDB warehouse, the published files and
  the run storage (runs.db, the run's status) keep their own durability; a run whose events were
  cut short is marked failed by the next run like any run that died (runner.end_dead_runs).
PostgreSQL storage is left as it is.

Uses the storage's private `_connect`, `_db_lock` and `_initialized_dbs` (Dagster 1.13): checked
by tests/test_event_log.py (held and Dagster's own path store the same events) and
tests/test_orchestration.py, which reads a run's events back.
"""

from __future__ import annotations

import functools
from contextlib import contextmanager

import dagster as dg


class HeldEventLog:
    """Hold the connections to `run_id`'s shard and the index for the duration of a `with`."""

    def __init__(self, instance: dg.DagsterInstance, run_id: str):
        from dagster._core.storage.event_log.sqlite.sqlite_event_log import INDEX_SHARD_NAME, SqliteEventLogStorage

        storage = instance.event_log_storage
        self.storage = storage if type(storage) is SqliteEventLogStorage else None
        self.shards = {INDEX_SHARD_NAME, run_id}
        self.engines: dict = {}

    def __enter__(self) -> HeldEventLog:
        if self.storage is not None:
            # Instance attributes shadow the class's methods for this storage object only.
            self.storage._connect = self._connect
            self.storage.has_table = functools.cache(self.storage.has_table)  # asked per check event
        return self

    def __exit__(self, *exc) -> None:
        if self.storage is None:
            return
        del self.storage._connect, self.storage.has_table
        with self.storage._db_lock:
            for engine in self.engines.values():
                engine.dispose()  # the last connection to close checkpoints the WAL
            self.engines.clear()

    @contextmanager
    def _connect(self, shard: str):
        storage = self.storage
        if shard not in self.shards or shard not in storage._initialized_dbs:
            # Other runs' shards, and a shard's first use (Dagster creates and migrates the file).
            with type(storage)._connect(storage, shard) as conn:
                yield conn
            return
        with storage._db_lock:
            engine = self.engines.get(shard) or self._engine(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def _engine(self, shard: str):
        import sqlalchemy as sa
        from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
        from sqlalchemy.pool import StaticPool

        engine = sa.create_engine(
            self.storage.conn_string_for_shard(shard),
            poolclass=StaticPool,  # one connection, kept open until __exit__
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
        )

        @sa.event.listens_for(engine, "connect")
        def _commit_without_fsync(dbapi_connection, _record) -> None:
            dbapi_connection.execute("PRAGMA synchronous=NORMAL")

        self.engines[shard] = engine
        return engine
