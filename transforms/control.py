"""Incremental day-over-day areas of the DeepState snapshots.

Geometry is the only expensive work in the warehouse, so it is done once per day and kept in
``core.deepstate_daily_area`` together with the hashes of the two snapshots it was computed from.
A day is recomputed only when its own snapshot or its predecessor's changed (a new version, or a
gap filled in), so adding one day costs one day of work and re-running costs none.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import shapely

from transforms.geometry import area_km2, change_km2
from warehouse.sqlfiles import load


@dataclass(frozen=True)
class DayArea:
    date: object
    sha256: str
    previous_date: object | None
    previous_sha256: str | None
    area_km2: float
    gained_km2: float | None
    lost_km2: float | None


def stale_days(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """(date, sha256, previous_date, previous_sha256) of days whose stored result is missing or
    was computed from other snapshots than the current ones."""
    return con.execute(load("transforms", "deepstate_stale_days")).fetchall()


def compute(con: duckdb.DuckDBPyConnection, todo: list[tuple]) -> list[DayArea]:
    dates = sorted({d for row in todo for d in (row[0], row[2]) if d is not None})
    wkb = dict(con.execute(load("transforms", "deepstate_current_geometries"), [dates]).fetchall())
    geoms = {d: shapely.from_wkb(b) for d, b in wkb.items()}
    out = []
    for day, sha, prev_day, prev_sha in todo:
        today = geoms[day]
        gained, lost = change_km2(geoms[prev_day], today) if prev_day is not None else (None, None)
        out.append(DayArea(day, sha, prev_day, prev_sha, area_km2(today), gained, lost))
    return out


def update(con: duckdb.DuckDBPyConnection) -> int:
    """Bring ``core.deepstate_daily_area`` up to date; returns how many days were computed."""
    todo = stale_days(con)
    results = compute(con, todo) if todo else []
    con.begin()
    try:
        con.execute(load("transforms", "deepstate_drop_orphans"))
        for r in results:
            con.execute("DELETE FROM core.deepstate_daily_area WHERE date = ?", [r.date])
            con.execute(
                "INSERT INTO core.deepstate_daily_area VALUES (?, ?, ?, ?, ?, ?, ?)",
                [r.date, r.sha256, r.previous_date, r.previous_sha256, r.area_km2, r.gained_km2, r.lost_km2],
            )
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return len(results)
