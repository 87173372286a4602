"""Casualty reports in depth, end to end on slices of the real mirror: two real Dagster runs
(a copy of the General Staff file cut at 2026-06-05 with a past value rewritten, then the real
files), real GX, real publishing; every figure checked against the raw files."""

import csv
import datetime as dt
import json

import duckdb
import pyarrow.parquet as pq
import pytest
from shapely.geometry import shape

from orchestration.cli import main
from tests.conftest import MIRROR, deepstate_file, make_mirror
from tests.test_pipeline import frontline, geodesic_km2
from warehouse.ingest import land, quarantine, sources
from warehouse.ingest.parse import ParseError
from warehouse.ingest.sources import estimates
from warehouse.publish import publish
from warehouse.store.config import Settings
from warehouse.store.db import connect

DAYS = [dt.date(2024, 10, 1), dt.date(2024, 10, 2), dt.date(2024, 10, 3)]
CUT = dt.date(2026, 6, 5)
REWRITTEN = dt.date(2026, 6, 3)  # upstream rewrote cruise missiles 2026-06-03 … 06-10 in June 2026


def _equipment():
    return json.loads((MIRROR / sources.GS_EQUIPMENT.relative_path()).read_text())


def _run(home, mirror, today):
    mp = pytest.MonkeyPatch()
    mp.setenv("FRONTLINE_HOME", str(home))
    mp.setenv("FRONTLINE_SOURCES", str(mirror))
    mp.setenv("FRONTLINE_TODAY", today.isoformat())
    try:
        return main(["run", "--start", DAYS[0].isoformat(), "--end", DAYS[-1].isoformat()])
    finally:
        mp.undo()


@pytest.fixture(scope="module")
def revised(tmp_path_factory):
    """The General Staff equipment file cut at 2026-06-05 with its 2026-06-03 cruise-missile total
    as it was before upstream's rewrite (40 lower) is ingested first (the raw step of the pipeline,
    run directly to keep the test short); then one real pipeline run on the real files."""
    root = tmp_path_factory.mktemp("casualties")
    old = make_mirror(root / "old", [], cut=CUT)
    path = old / sources.GS_EQUIPMENT.relative_path()
    records = json.loads(path.read_text())
    row = next(r for r in records if r["date"] == REWRITTEN.isoformat())
    new_value = row["cruise missiles"]
    row["cruise missiles"] = new_value - 40
    path.write_text(json.dumps(records, indent=4))
    home = root / "home"
    settings = Settings(home=home, sources=str(old), today_override=CUT)
    con = connect(settings.warehouse_path)
    try:
        assert land.ingest(con, settings, sources.GS_EQUIPMENT).version == 1
    finally:
        con.close()
    assert _run(home, make_mirror(root / "new", DAYS), dt.date(2026, 7, 1)) == 0
    return {
        "home": home,
        "mirror": root / "new",
        "dir": publish.version_path(home / "published"),
        "old_value": new_value - 40,
        "new_value": new_value,
    }


def read(published, table):
    return pq.read_table(published["dir"] / f"{table}.parquet").to_pylist()


@pytest.fixture
def q(revised, capsys, monkeypatch):
    def _q(sql):
        code, out = frontline(
            monkeypatch,
            capsys,
            revised["home"],
            revised["mirror"],
            dt.date(2026, 7, 1),
            "query",
            sql,
            "--format",
            "csv",
        )
        assert code == 0, out
        return list(csv.reader(out.splitlines()))[1:]

    return _q


def test_rewriting_a_past_value_records_one_revision(revised):
    revisions = read(revised, "fact_loss_revisions")
    assert [(r["date"], r["category"], r["old_cumulative"], r["new_cumulative"], r["change"]) for r in revisions] == [
        (REWRITTEN, "cruise_missiles", revised["old_value"], revised["new_value"], 40)
    ]
    assert (revisions[0]["old_vintage"], revisions[0]["new_vintage"]) == (CUT, dt.date(2026, 6, 30))
    assert (revisions[0]["old_payload_version"], revisions[0]["new_payload_version"]) == (1, 2)


def test_as_of_before_the_rewrite_returns_the_old_value_latest_the_new(revised, q):
    sql = (
        "SELECT cumulative FROM losses_as_of(DATE '{}') WHERE date = DATE '2026-06-03' AND category = 'cruise_missiles'"
    )
    assert q(sql.format("2026-06-10")) == [[str(revised["old_value"])]]
    assert q(sql.format("2026-07-01")) == [[str(revised["new_value"])]]
    # Known from its report date on: nothing for 2026-06-03 as of 2026-06-02.
    assert q(sql.format("2026-06-02")) == []
    # Parquet users: the same filter on the bitemporal extract.
    rows = [
        r["cumulative"]
        for r in read(revised, "fact_losses_bitemporal")
        if r["date"] == REWRITTEN
        and r["category"] == "cruise_missiles"
        and r["known_from"] <= dt.date(2026, 6, 10)
        and (r["known_to"] is None or r["known_to"] > dt.date(2026, 6, 10))
    ]
    assert rows == [revised["old_value"]]


def test_the_latest_daily_figures_use_the_new_value(revised):
    daily = {(r["date"], r["category"]): r for r in read(revised, "fact_losses_daily")}
    previous = next(r for r in _equipment() if r["date"] == "2026-06-02")["cruise missiles"]
    assert daily[(REWRITTEN, "cruise_missiles")]["daily"] == revised["new_value"] - previous == 40


def test_named_deaths_for_2022_w08_in_every_vintage(q):
    rows = q(
        "SELECT vintage, vintage_label, named_deaths, is_latest_vintage "
        "FROM fact_confirmed_deaths_weekly "
        "WHERE week_start = DATE '2022-02-21' ORDER BY vintage"
    )
    with (MIRROR / sources.MEDIAZONA_2026.relative_path()).open() as f:
        w08 = next(r for r in csv.DictReader(f) if (r["Year"], r["Week"]) == ("2022", "8"))
    by_label = {label: (vintage, int(named), latest) for vintage, label, named, latest in rows}
    for column, year_end in (
        ("Bmz2022", "2022-12-31"),
        ("Bmz2023", "2023-12-31"),
        ("Bmz2024", "2024-12-31"),
        ("Bmz2025", "2025-12-31"),
    ):
        assert by_label[f"meduza_2026_weekly.csv:{column}"] == (year_end, int(w08[column]), "false")
    assert by_label["meduza_2026_weekly.csv:BmzNow"] == ("2026-01-01", int(w08["BmzNow"]), "true")
    assert by_label["meduza_2026_weekly.csv:Bmz2022"][1] == 388 and by_label["meduza_2026_weekly.csv:BmzNow"][1] == 427
    # The 2025 file (DD/MM/YYYY, BOM) and the 2024 file (running totals) are vintages too.
    assert by_label["meduza_2025_weekly.csv"] == ("2025-08-17", 426, "false")
    assert by_label["meduza_2024.csv"][0] == "2024-06-23"
    assert [r[0] for r in rows] == sorted(r[0] for r in rows)


def test_cumulative_named_deaths_by_week_in_the_latest_vintage(q):
    with (MIRROR / sources.MEDIAZONA_2026.relative_path()).open() as f:
        now = {dt.date.fromisocalendar(int(r["Year"]), int(r["Week"]), 1): int(r["BmzNow"]) for r in csv.DictReader(f)}
    rows = q(
        "SELECT week_start, named_deaths_cumulative FROM fact_confirmed_deaths_weekly "
        "WHERE vintage = (SELECT max(vintage) FROM fact_confirmed_deaths_weekly) "
        "ORDER BY week_start"
    )
    running, expected = 0, []
    for week in sorted(now):
        running += now[week]
        expected.append([week.isoformat(), str(running)])
    assert rows == expected and running == 205470


def test_the_2024_running_totals_become_weekly_counts(revised):
    with (MIRROR / sources.MEDIAZONA_2024.relative_path()).open(encoding="utf-8-sig") as f:
        totals = [
            (dt.date.fromisoformat(r["Date"]), int(float(r["Число погибших в поименных списках"])))
            for r in csv.DictReader(f)
        ]
    rows = {
        r["week_start"]: r for r in read(revised, "fact_confirmed_deaths_weekly") if r["source"] == "mediazona_2024"
    }
    assert rows[totals[0][0]]["named_deaths"] == totals[0][1]
    for (_, a), (week, b) in zip(totals, totals[1:], strict=False):
        assert (rows[week]["named_deaths"], rows[week]["named_deaths_cumulative"]) == (b - a, b)


def test_monthly_personnel_equals_cumulative_differences_except_labelled_corrections(revised):
    cumulative = {
        dt.date.fromisoformat(r["date"]): r["personnel"]
        for r in json.loads((MIRROR / sources.GS_PERSONNEL.relative_path()).read_text())
    }
    ends = {}
    for day, value in cumulative.items():
        month = day.replace(day=1)
        if day >= ends.get(month, (day, 0))[0]:
            ends[month] = (day, value)
    months = sorted(ends)
    monthly = {r["month"]: r["total"] for r in read(revised, "fact_losses_monthly") if r["category"] == "personnel"}
    for previous, month in zip(months, months[1:], strict=False):
        assert monthly[month] == ends[month][1] - ends[previous][1], month
    # Equipment: a fall of a cumulative total is always a labelled correction.
    for r in read(revised, "fact_losses_daily"):
        if r["daily"] is not None and r["daily"] < 0:
            assert r["is_correction"]


def test_cost_of_advance_for_october_2024(revised, q):
    geoms = [shape(json.loads(deepstate_file(d).read_text())["features"][0]["geometry"]) for d in DAYS]
    gained = sum(geodesic_km2(after.difference(before)) for before, after in zip(geoms, geoms[1:], strict=False))
    personnel = {
        r["date"]: r["personnel"] for r in json.loads((MIRROR / sources.GS_PERSONNEL.relative_path()).read_text())
    }
    claimed = personnel["2024-10-31"] - personnel["2024-09-30"]
    with (MIRROR / sources.MEDIAZONA_2026.relative_path()).open() as f:
        named = sum(
            int(r["BmzNow"])
            for r in csv.DictReader(f)
            if dt.date.fromisocalendar(int(r["Year"]), int(r["Week"]), 1).strftime("%Y-%m") == "2024-10"
        )
    with (MIRROR / sources.ISW.relative_path()).open() as f:
        area = {r["date"]: float(r["area_assessed_as_russia_controlled"]) / 1e6 for r in csv.DictReader(f)}
    [row] = q(
        "SELECT deepstate_gained_km2, isw_net_change_km2, personnel_claimed, named_deaths, "
        "named_deaths_vintage, personnel_claimed_per_km2_gained, named_deaths_per_km2_gained "
        "FROM mart_cost_of_advance_monthly WHERE month = DATE '2024-10-01'"
    )
    assert float(row[0]) == pytest.approx(gained, rel=1e-6)
    assert float(row[1]) == pytest.approx(area["2024-10-31"] - area["2024-09-30"], abs=1e-6)
    assert (int(row[2]), int(row[3]), row[4]) == (claimed, named, "2026-01-01")
    assert float(row[5]) == pytest.approx(claimed / gained) and float(row[6]) == pytest.approx(named / gained)


def test_estimates_keep_their_ranges_and_flag_warring_parties(revised):
    with (MIRROR / sources.OFFICIAL_ESTIMATES.relative_path()).open(encoding="utf-8-sig") as f:
        upstream = list(csv.DictReader(f))
    rows = read(revised, "fact_casualty_estimates")
    assert len(rows) == len(upstream) == 124
    newest = max(dt.datetime.strptime(u["date"], "%d/%m/%Y").date() for u in upstream)
    assert {(r["payload_version"], r["payload_vintage"]) for r in rows} == {(1, newest)}
    for r in rows:
        present = [v for v in (r["estimate_low"], r["estimate"], r["estimate_high"]) if v is not None]
        assert present == sorted(present) and present, r
        assert r["source_name"] and r["source_url"]
    flagged_upstream = {
        (dt.datetime.strptime(u["date"], "%d/%m/%Y").date(), u["source"].strip())
        for u in upstream
        if u[estimates.WARRING_FLAG] == "yes"
    }
    assert len(flagged_upstream) == 4
    assert flagged_upstream <= {(r["report_date"], r["source_name"]) for r in rows if r["is_warring_party"]}
    # 'US DoD' 700,000 casualties (thousands separator upstream) is read as a number, not dropped.
    dod = next(r for r in rows if r["source_name"] == "US DoD" and r["report_date"] == dt.date(2024, 12, 7))
    assert (dod["estimate_low"], dod["estimate"], dod["is_warring_party"]) == (700000, None, False)


def test_as_of_macros_for_mediazona_and_estimates(q):
    assert q(
        "SELECT vintage, named_deaths FROM confirmed_deaths_as_of(DATE '2024-01-01') "
        "WHERE week_start = DATE '2022-02-21'"
    ) == [["2023-12-31", "414"]]
    [[count]] = q("SELECT count(*) FROM casualty_estimates_as_of(DATE '2022-12-31')")
    with (MIRROR / sources.OFFICIAL_ESTIMATES.relative_path()).open(encoding="utf-8-sig") as f:
        expected = sum(
            dt.datetime.strptime(r["date"], "%d/%m/%Y").date() <= dt.date(2022, 12, 31) for r in csv.DictReader(f)
        )
    assert int(count) == expected


def test_a_broken_mediazona_file_is_quarantined_with_file_and_line(tmp_path):
    mirror = tmp_path / "mirror"
    target = mirror / sources.MEDIAZONA_2025.relative_path()
    target.parent.mkdir(parents=True)
    content = (MIRROR / sources.MEDIAZONA_2025.relative_path()).read_bytes().replace(b"07/03/2022,", b"2022-03-07,", 1)
    target.write_bytes(content)
    settings = Settings(home=tmp_path / "home", sources=str(mirror))
    con = connect(settings.warehouse_path)
    try:
        with pytest.raises(ParseError, match=r"meduza_2025_weekly\.csv, line 4: bad date '2022-03-07'"):
            land.ingest(con, settings, sources.MEDIAZONA_2025)
        assert con.execute("SELECT count(*) FROM raw.mediazona_weekly").fetchall() == [(0,)]
    finally:
        con.close()
    [entry] = quarantine.entries(settings.quarantine_dir)
    assert entry["source"] == "mediazona_2025" and "line 4" in entry["error"]


def test_snapshot_macros_survive_a_plain_read_only_open(revised):
    con = duckdb.connect(str(revised["dir"] / publish.SNAPSHOT), read_only=True)
    try:
        names = {
            r[0]
            for r in con.execute(
                "SELECT function_name FROM duckdb_functions() WHERE function_type = 'table_macro'"
            ).fetchall()
        }
    finally:
        con.close()
    assert {"losses_as_of", "confirmed_deaths_as_of", "casualty_estimates_as_of"} <= names
