"""End to end on slices of the real mirror: real Dagster runs into a real DuckDB file,
real GX validations, real Parquet; every figure checked against the raw files."""

import csv
import datetime as dt
import hashlib
import json
import re

import dagster as dg
import duckdb
import pyarrow.parquet as pq
import pytest
import shapely
from shapely.geometry import shape

from orchestration.cli import main
from tests.conftest import MIRROR, add_day, deepstate_file, make_mirror
from tests.test_geometry import GEOD, _ring_area_km2
from warehouse.ingest import sources
from warehouse.publish import publish

DAYS = [dt.date(2024, 7, 8), dt.date(2024, 7, 9), dt.date(2024, 7, 10)]


def frontline(monkeypatch, capsys, home, sources, today, *args):
    monkeypatch.setenv("FRONTLINE_HOME", str(home))
    monkeypatch.setenv("FRONTLINE_SOURCES", str(sources))
    monkeypatch.setenv("FRONTLINE_TODAY", today.isoformat())
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out + out.err


def file_hashes(published_dir):
    return {
        str(p.relative_to(published_dir)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(published_dir.rglob("*"))
        if p.is_file()
    }


def geodesic_km2(geom) -> float:
    return abs(GEOD.geometry_area_perimeter(shapely.orient_polygons(geom))[0]) / 1e6


def read(published, table):
    return pq.read_table(published["dir"] / f"{table}.parquet").to_pylist()


def test_deepstate_area_is_geodesic(published):
    rows = {
        r["date"]: r
        for r in read(published, "fact_control_daily")
        if r["source"] == "deepstate" and r["region_code"] == "UA"
    }
    coordinates = json.loads(deepstate_file(DAYS[0]).read_text())["features"][0]["geometry"]["coordinates"]
    independent = sum(_ring_area_km2(p[0]) - sum(_ring_area_km2(h) for h in p[1:]) for p in coordinates)
    assert rows[DAYS[0]]["area_km2"] == pytest.approx(independent, rel=1e-3)
    assert rows[DAYS[0]]["gained_km2"] is None and rows[DAYS[0]]["days_since_previous"] is None


def test_deepstate_gained_and_lost_are_the_geodesic_differences(published):
    rows = {
        r["date"]: r
        for r in read(published, "fact_control_daily")
        if r["source"] == "deepstate" and r["region_code"] == "UA"
    }
    before, after = (shape(json.loads(deepstate_file(d).read_text())["features"][0]["geometry"]) for d in DAYS[:2])
    day = rows[DAYS[1]]
    assert day["gained_km2"] == pytest.approx(geodesic_km2(after.difference(before)), rel=1e-6)
    assert day["lost_km2"] == pytest.approx(geodesic_km2(before.difference(after)), rel=1e-6)
    assert day["net_change_km2"] == pytest.approx(geodesic_km2(after) - geodesic_km2(before), abs=1e-6)
    assert day["days_since_previous"] == 1 and day["is_observed"]


def test_isw_net_change_over_2023_equals_the_difference_of_areas(published):
    with (MIRROR / "isw/area_assessed_as_controlled_by_russia.csv").open() as f:
        area = {r["date"]: float(r["area_assessed_as_russia_controlled"]) / 1e6 for r in csv.DictReader(f)}
    total = sum(
        r["net_change_km2"]
        for r in read(published, "fact_control_daily")
        if r["source"] == "isw" and r["date"].year == 2023
    )
    assert total == pytest.approx(area["2023-12-31"] - area["2022-12-31"], abs=1e-6)
    assert all(r["gained_km2"] is None for r in read(published, "fact_control_daily") if r["source"] == "isw")


def test_personnel_total_for_june_2026_is_a_difference_of_cumulatives(published):
    cumulative = {
        r["date"]: r["personnel"] for r in json.loads((MIRROR / "losses/russia_losses_personnel.json").read_text())
    }
    row = next(
        r
        for r in read(published, "fact_losses_monthly")
        if r["category"] == "personnel" and r["month"] == dt.date(2026, 6, 1)
    )
    assert row["total"] == cumulative["2026-06-30"] - cumulative["2026-05-31"] == 39490
    assert row["cumulative_end"] == cumulative["2026-06-30"] and row["reported_days"] == 30


def test_negative_daily_values_are_kept_and_flagged(published):
    rows = read(published, "fact_losses_daily")
    negative = sorted(
        (r["date"].isoformat(), r["category"], r["daily"]) for r in rows if r["daily"] is not None and r["daily"] < 0
    )
    # The 13 day-over-day decreases of the equipment file (../shared/NOTES.md), never clipped.
    assert len(negative) == 13
    equipment = {r["date"]: r for r in json.loads((MIRROR / "losses/russia_losses_equipment.json").read_text())}
    special = [equipment[d].get("special equipment") for d in ("2024-11-29", "2024-11-30")]
    assert special == [3700, 3617]  # read from the raw file: a fall of 83
    assert ("2024-11-30", "special_equipment", special[1] - special[0]) in negative
    assert all(r["is_correction"] for r in rows if r["daily"] is not None and r["daily"] < 0)
    apc = next(r for r in rows if r["date"] == dt.date(2022, 10, 13) and r["category"] == "armoured_combat_vehicles")
    assert (apc["daily"], apc["correction"], apc["is_correction"]) == (-14, -25, True)


def test_merged_categories_sum_their_upstream_fields(published):
    first = json.loads((MIRROR / "losses/russia_losses_equipment.json").read_text())[0]
    row = next(
        r
        for r in read(published, "fact_losses_daily")
        if r["date"] == dt.date(2022, 2, 25) and r["category"] == "vehicles_and_fuel_tanks"
    )
    assert row["cumulative"] == first["military auto"] + first["fuel tank"] == 160


def test_manifest_describes_every_file(published):
    manifest = json.loads((published["dir"] / "manifest.json").read_text())
    for entry in manifest["tables"].values():
        path = published["dir"] / entry["file"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"]
        assert pq.read_metadata(path).num_rows == entry["rows"]
        assert pq.read_schema(path).names == [c["name"] for c in entry["columns"]]
    assert manifest["tables"]["fact_control_daily"]["date_range"] == ["2022-02-22", "2026-06-30"]
    assert (
        {s["name"] for s in manifest["sources"]}
        == {s.name for s in sources.ALL}
        >= {
            "deepstate",
            "isw",
            "gs_personnel",
            "gs_equipment",
            "gs_equipment_corrections",
            "mediazona_2026",
            "official_estimates",
        }
    )
    assert manifest["checks"]["failed"] == 0 and manifest["checks"]["expectations_run"] > 50
    snapshot = duckdb.connect(str(published["dir"] / "frontline.duckdb"), read_only=True)
    try:
        assert (
            snapshot.execute("SELECT count(*) FROM fact_losses_daily").fetchall()[0][0]
            == manifest["tables"]["fact_losses_daily"]["rows"]
        )
    finally:
        snapshot.close()


def test_running_again_changes_nothing(published, monkeypatch, capsys):
    before = file_hashes(published["home"] / "published")
    code, out = frontline(
        monkeypatch,
        capsys,
        published["home"],
        published["mirror"],
        dt.date(2026, 7, 1),
        "run",
        "--start",
        "2024-07-08",
        "--end",
        "2024-07-10",
    )
    assert code == 0, out
    assert "new=0 unchanged=3" in out and "published unchanged" in out
    assert file_hashes(published["home"] / "published") == before
    # The console gets the summary, not Dagster's step-by-step events; the instance (the UI) keeps them.
    assert " - DEBUG - " not in out and "STEP_SUCCESS" not in out
    run_id = re.search(r"^run ([0-9a-f-]{36}): succeeded", out, re.M)[1]
    instance = dg.DagsterInstance.from_config(str(published["home"] / "dagster"))
    steps = [
        e for e in instance.all_logs(run_id) if e.dagster_event and e.dagster_event.event_type_value == "STEP_SUCCESS"
    ]
    assert len(steps) > 20


def test_query_reads_the_latest_snapshot(published, monkeypatch, capsys):
    code, out = frontline(
        monkeypatch,
        capsys,
        published["home"],
        published["mirror"],
        dt.date(2026, 7, 1),
        "query",
        "SELECT category, total FROM fact_losses_monthly WHERE month = DATE '2026-06-01' AND category = 'personnel'",
        "--format",
        "csv",
    )
    assert code == 0 and out == "category,total\npersonnel,39490\n"
    code, out = frontline(
        monkeypatch,
        capsys,
        published["home"],
        published["mirror"],
        dt.date(2026, 7, 1),
        "query",
        "DELETE FROM dim_date",
    )
    assert code == 2 and "DELETE" in out


def test_a_gap_day_upstream_publishes_late_is_landed_by_the_next_run(tmp_path, monkeypatch, capsys):
    """A day missing between held days whose file appears later than FRONTLINE_RECHECK_DAYS
    after newer days (07-09 here, with a range of one day before the newest held) is asked for
    again by the next run (FRONTLINE_GAP_RECHECK_DAYS), and its figures are published."""
    days = [dt.date(2024, 7, 8) + dt.timedelta(days=i) for i in range(5)]
    late = days[1]
    mirror = make_mirror(tmp_path / "mirror", [d for d in days if d != late], cut=days[-1])
    home = tmp_path / "home"
    monkeypatch.setenv("FRONTLINE_RECHECK_DAYS", "1")
    code, out = frontline(monkeypatch, capsys, home, mirror, days[-1], "run")
    assert code == 0, out
    add_day(mirror, late, cut_whole_files=False)  # upstream fills the gap after newer days

    def observed(table="fact_control_daily"):
        rows = pq.read_table(publish.version_path(home / "published") / f"{table}.parquet").to_pylist()
        return {r["date"]: r["area_km2"] for r in rows if r["source"] == "deepstate" and r["region_code"] == "UA"}

    monkeypatch.setenv("FRONTLINE_GAP_RECHECK_DAYS", "0")  # as before: the range alone misses it
    code, out = frontline(monkeypatch, capsys, home, mirror, days[-1], "run")
    assert code == 0, out
    assert observed()[late] is None and "filled" not in out and "missing  gap days" not in out

    monkeypatch.delenv("FRONTLINE_GAP_RECHECK_DAYS")
    late_file = mirror / sources.DEEPSTATE.relative_path(late)
    late_file.unlink()  # upstream takes it back: asked for again, and said to be missing
    code, out = frontline(monkeypatch, capsys, home, mirror, days[-1], "run")
    assert code == 0, out
    assert f"missing  gap days asked for again, still not published: {late}" in out
    # then it serves the day before's file under the gap's name: refused
    late_file.write_bytes(deepstate_file(days[0]).read_bytes())
    before = file_hashes(home / "published")
    code, out = frontline(monkeypatch, capsys, home, mirror, days[-1], "run")
    assert code == 1 and late_file.name in out and "published nothing (previous version stays)" in out, out
    assert file_hashes(home / "published") == before and observed()[late] is None
    kept = json.loads(next((home / "quarantine").glob("deepstate*/*.error.json")).read_text())
    assert late_file.name in kept["uri"]

    late_file.unlink()
    late_file.symlink_to(deepstate_file(late))
    code, out = frontline(monkeypatch, capsys, home, mirror, days[-1], "run")
    assert code == 0, out
    assert "ingested deepstate_snapshots        new=1 unchanged=2 not_yet=0" in out
    assert f"filled   gap days upstream published late: {late}" in out
    coordinates = json.loads(deepstate_file(late).read_text())["features"][0]["geometry"]["coordinates"]
    independent = sum(_ring_area_km2(p[0]) - sum(_ring_area_km2(h) for h in p[1:]) for p in coordinates)
    assert observed()[late] == pytest.approx(independent, rel=1e-3)

    code, out = frontline(monkeypatch, capsys, home, mirror, days[-1], "run")  # nothing missing now
    assert code == 0, out
    assert "ingested deepstate_snapshots        new=0 unchanged=2 not_yet=0" in out and "filled" not in out


def test_adding_a_day_processes_only_that_day(tmp_path, monkeypatch, capsys):
    mirror = make_mirror(tmp_path / "mirror", DAYS[:2], cut=DAYS[1])
    home = tmp_path / "home"
    code, out = frontline(monkeypatch, capsys, home, mirror, DAYS[1], "run")
    assert code == 0, out
    first = publish.version_path(home / "published")
    add_day(mirror, DAYS[2])
    code, out = frontline(monkeypatch, capsys, home, mirror, DAYS[2], "run")
    assert code == 0, out
    assert "ingested deepstate_snapshots        new=1 unchanged=2" in out
    assert "computed DeepState day geometries         1\n" in out
    second = publish.version_path(home / "published")
    assert first != second
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        # The geometry step ran for the new day only (its metadata is kept by Dagster; the
        # stored result says which snapshots each day was computed from).
        inputs = con.execute(
            "SELECT date, previous_date FROM core.region_day_inputs WHERE source = 'deepstate' ORDER BY date"
        ).fetchall()
        assert inputs == [(DAYS[0], None), (DAYS[1], DAYS[0]), (DAYS[2], DAYS[1])]
    for table in ("fact_control_daily", "fact_losses_daily", "fact_control_monthly"):
        old = pq.read_table(first / f"{table}.parquet").to_pylist()
        new = pq.read_table(second / f"{table}.parquet").to_pylist()
        date_key = "date" if "date" in old[0] else "month"
        if date_key == "month":  # the month containing the new day changes; the others must not
            old = [r for r in old if r["month"] < dt.date(2024, 7, 1)]
        assert [
            r for r in new if r[date_key] <= DAYS[1] and (date_key == "date" or r[date_key] < dt.date(2024, 7, 1))
        ] == old
