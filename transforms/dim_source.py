"""dim_source: every upstream source frontline ingests, from the Source registry (shared by every
domain, so it lives at the top of transforms/ beside dim_date)."""

from __future__ import annotations

import duckdb
import pyarrow as pa

from transforms.tables import replace_from_frame
from warehouse.ingest import sources


def build(con: duckdb.DuckDBPyConnection) -> int:
    rows = [
        {
            "source": s.name,
            "description": s.description,
            "publisher": s.publisher,
            "licence": s.licence,
            "upstream_url": s.live_url,
        }
        for s in sources.ALL
    ]
    replace_from_frame(con, "dim_source", pa.Table.from_pylist(rows))
    return len(sources.ALL)
