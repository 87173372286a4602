"""dim_loss_category and the field map the General Staff models join on (``core.loss_field_map``).

Fails on any upstream field no category claims, naming the file and the first row that has it:
an unmapped field would silently drop out of every loss table.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from transforms.losses.loss_categories import CATEGORIES
from transforms.tables import replace_from_frame
from warehouse.ingest import sources
from warehouse.store.db import registered
from warehouse.store.sqlfiles import load


class UnmappedLossField(ValueError):
    pass


def build(con: duckdb.DuckDBPyConnection) -> int:
    rows = [
        {
            "category": c.name,
            "upstream_fields": " + ".join(c.upstream_fields),
            "file": c.file,
            "description": c.description,
        }
        for c in CATEGORIES
    ]
    replace_from_frame(con, "dim_loss_category", pa.Table.from_pylist(rows))
    field_map = pa.Table.from_pylist(
        [{"upstream_field": f, "category": c.name} for c in CATEGORIES for f in c.upstream_fields]
    )
    con.execute(load("transforms.losses", "loss_field_map"))
    with registered(con, "incoming_map", field_map):
        con.execute("INSERT INTO core.loss_field_map SELECT * FROM incoming_map")
    unmapped = con.execute(load("transforms.losses", "unmapped_loss_fields")).fetchall()
    if unmapped:
        source, element, day, field = unmapped[0]
        uri = sources.BY_NAME[source].mirror_path
        raise UnmappedLossField(
            f"{source}: {uri}, element {element} (date {day}): unknown field {field!r} "
            f"({len(unmapped)} unmapped in all); map it in transforms/losses/loss_categories.py"
        )
    return len(CATEGORIES)
