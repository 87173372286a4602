"""Writing a whole table: one transaction, then the catalog's comments on it.

Every model (:mod:`transforms.models`) writes through here, whether its rows come from a SQL file
or from Python (a frame of rows measured with pyproj or shapely).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import duckdb
import pyarrow as pa

from warehouse.store import catalog
from warehouse.store.db import comment_on, registered


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    con.begin()
    try:
        yield
        con.commit()
    except BaseException:
        con.rollback()
        raise


def comment(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """The catalog's descriptions on ``name`` (a published table); internal tables have none."""
    if name in catalog.BY_NAME:
        comment_on(con, catalog.table(name).qualified, catalog.table(name))


def replace_from_frame(con: duckdb.DuckDBPyConnection, name: str, frame: pa.Table, order_by: str = "1") -> None:
    """``CREATE OR REPLACE`` the catalog table ``name`` with the rows of ``frame``, sorted."""
    table = catalog.table(name)
    with registered(con, "incoming_rows", frame), transaction(con):
        con.execute(f"CREATE OR REPLACE TABLE {table.qualified} AS SELECT * FROM incoming_rows ORDER BY {order_by}")
        comment(con, name)


def row_count(con: duckdb.DuckDBPyConnection, qualified: str) -> int:
    return con.execute(f"SELECT count(*) FROM {qualified}").fetchall()[0][0]  # noqa: S608 - registry names only
