"""`frontline reparse`: the parsed raw rows rebuilt from the payload bytes stored in raw.payloads,
on a real warehouse built by `frontline run` from a mirror slice. Rebuilt rows are checked against
rows computed here from the mirror files, and the next run recomputes the days whose rows changed."""

import csv
import datetime as dt
import gzip
import hashlib
import json
import shutil

import duckdb
import pyarrow.parquet as pq
import pytest
import shapely
from shapely.geometry import shape

from tests.conftest import API_SNAPSHOTS, MIRROR, deepstate_file, make_mirror
from tests.test_pipeline import file_hashes, frontline, geodesic_km2
from warehouse.ingest import sources
from warehouse.publish import publish

DAYS = [dt.date(2024, 7, 8), dt.date(2024, 7, 9), dt.date(2024, 7, 10)]
TODAY = dt.date(2026, 7, 1)
RANGE = ("--start", DAYS[0].isoformat(), "--end", DAYS[-1].isoformat())
RAW_TABLES = (
    "deepstate_snapshots",
    "isw_area",
    "gs_personnel",
    "gs_equipment",
    "gs_equipment_corrections",
    "mediazona_weekly",
    "official_estimates",
    "deepstate_api_index",
    "deepstate_api_features",
    "oblast_boundaries",
    "settlements",
)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("reparse")
    mirror = make_mirror(root / "mirror", DAYS, cut=DAYS[-1])
    home = root / "home"
    mp = pytest.MonkeyPatch()
    try:
        mp.setenv("FRONTLINE_HOME", str(home))
        mp.setenv("FRONTLINE_SOURCES", str(mirror))
        mp.setenv("FRONTLINE_TODAY", TODAY.isoformat())
        from orchestration.cli import main

        assert main(["run", *RANGE]) == 0
    finally:
        mp.undo()
    return {"home": home, "mirror": mirror}


@pytest.fixture
def home(built, tmp_path):
    """A copy of the built FRONTLINE_HOME each test may change."""
    copy = tmp_path / "home"
    shutil.copytree(built["home"], copy, symlinks=True)
    return copy


def raw_rows(home) -> dict[str, list]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return {t: con.execute(f"SELECT * FROM raw.{t} ORDER BY ALL").fetchall() for t in RAW_TABLES}  # noqa: S608


def sql(home, statement: str, params=()):
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        return con.execute(statement, list(params)).fetchall()


def test_reparsing_every_source_gives_identical_rows(home, built, monkeypatch, capsys):
    before = raw_rows(home)
    assert all(before[t] for t in RAW_TABLES)  # every raw table holds rows to compare
    for source in sources.ALL:
        code, out = frontline(monkeypatch, capsys, home, built["mirror"], TODAY, "reparse", source.name)
        assert code == 0, out
        assert f"reparsed {source.name}: " in out and "; 0 changed" in out, out
    assert raw_rows(home) == before


def test_reparse_restores_corrupted_rows_as_computed_from_the_raw_files(home, built, monkeypatch, capsys):
    day = DAYS[1]
    snapshot_id = API_SNAPSHOTS[0]  # (the other is published after the slice's cut)
    untouched = raw_rows(home)
    assert sql(home, "SELECT count(*) FROM raw.deepstate_api_features WHERE snapshot_id = ?", [snapshot_id]) != [(0,)]
    sql(home, "DELETE FROM raw.deepstate_snapshots WHERE date = ?", [day])
    sql(home, "UPDATE raw.isw_area SET area_m2 = 0")
    sql(home, "DELETE FROM raw.gs_personnel WHERE element % 2 = 0")
    sql(home, "DELETE FROM raw.mediazona_weekly WHERE source = 'mediazona_2025'")
    sql(home, "DELETE FROM raw.deepstate_api_features WHERE snapshot_id = ?", [snapshot_id])

    def reparse(*args):
        code, out = frontline(monkeypatch, capsys, home, built["mirror"], TODAY, "reparse", *args)
        assert code == 0, out
        return out

    out = reparse("deepstate", "--since", day.isoformat())  # the days from 2024-07-09 on
    assert "reparsed deepstate: 2 stored payload version(s), 2 rows; 1 changed" in out
    assert "  deepstate 2024-07-09 v1: rows changed (1 now)" in out
    for name in ("isw", "gs_personnel", "mediazona_2024", "mediazona_2025", "deepstate_api"):
        reparse(name)
    assert raw_rows(home) == untouched

    # DeepState day: the payload's hash, and the area of the file's own geometry (pyproj)
    content = deepstate_file(day).read_bytes()
    ((sha, wkb),) = sql(home, "SELECT sha256, geometry_wkb FROM raw.deepstate_snapshots WHERE date = ?", [day])
    geometry = shapely.make_valid(shape(json.loads(content)["features"][0]["geometry"]))
    assert sha == hashlib.sha256(content).hexdigest()
    assert geodesic_km2(shapely.from_wkb(wkb)) == pytest.approx(geodesic_km2(geometry), rel=1e-9)

    # ISW: (line, date, area) of the CSV, a repeated date kept once (its first line)
    with (built["mirror"] / sources.ISW.relative_path()).open(encoding="utf-8-sig") as f:
        reader, expected = csv.DictReader(f), {}
        for r in reader:
            day_ = dt.date.fromisoformat(r["date"])
            expected.setdefault(day_, (reader.line_num, day_, float(r["area_assessed_as_russia_controlled"])))
    assert sql(home, "SELECT line, date, area_m2 FROM raw.isw_area ORDER BY date") == sorted(
        expected.values(), key=lambda r: r[1]
    )

    # General Staff personnel: every JSON element
    records = json.loads((built["mirror"] / sources.GS_PERSONNEL.relative_path()).read_text(encoding="utf-8"))
    assert sql(home, "SELECT element, date, personnel, qualifier, pow FROM raw.gs_personnel ORDER BY element") == [
        (i, dt.date.fromisoformat(r["date"]), r["personnel"], r.get("personnel*"), r.get("POW"))
        for i, r in enumerate(records)
    ]

    # API snapshot: one row per non-point feature of the file, with its upstream name
    doc = json.loads(gzip.decompress((MIRROR / "deepstate_api" / f"{snapshot_id}.geojson.gz").read_bytes()))
    polygons = [(i, f["properties"]["name"]) for i, f in enumerate(doc["features"]) if f["geometry"]["type"] != "Point"]
    assert (
        sql(
            home, "SELECT feature, name FROM raw.deepstate_api_features WHERE snapshot_id = ? ORDER BY 1", [snapshot_id]
        )
        == polygons
    )


def test_the_next_run_recomputes_the_days_whose_rows_changed(home, built, monkeypatch, capsys):
    first = publish.version_path(home / "published")
    hashes = file_hashes(first)
    # a parser fix in reverse: day 2's rows hold another geometry than its payload's
    sql(
        home,
        "UPDATE raw.deepstate_snapshots SET geometry_wkb = (SELECT geometry_wkb FROM raw.deepstate_snapshots"
        " WHERE date = ?) WHERE date = ?",
        [DAYS[0], DAYS[1]],
    )
    code, out = frontline(monkeypatch, capsys, home, built["mirror"], TODAY, "reparse", "deepstate")
    assert code == 0 and "reparsed deepstate: 3 stored payload version(s)" in out and "; 1 changed" in out, out
    region_days = "SELECT date, previous_date FROM core.region_day_inputs WHERE source = 'deepstate' ORDER BY 1"
    settlement_days = "SELECT date FROM core.settlement_day_inputs WHERE source = 'deepstate' ORDER BY 1"
    assert sql(home, region_days) == [(DAYS[0], None)]  # day 2 and the day after it are forgotten
    assert sql(home, settlement_days) == [(DAYS[0],), (DAYS[2],)]
    code, out = frontline(monkeypatch, capsys, home, built["mirror"], TODAY, "run", *RANGE)
    assert code == 0, out
    assert sql(home, region_days) == [(DAYS[0], None), (DAYS[1], DAYS[0]), (DAYS[2], DAYS[1])]  # recomputed
    assert sql(home, settlement_days) == [(d,) for d in DAYS]
    assert "published unchanged" in out
    assert publish.version_path(home / "published") == first and file_hashes(first) == hashes


def test_every_raw_table_declares_the_columns_of_its_schema(tmp_path):
    """A source's RawTable names the columns of its sql/<module>.sql table, version aside, in order."""
    from warehouse.store import db

    declared = {}
    for source in sources.ALL:
        tables = source.table.values() if isinstance(source.table, dict) else [source.table]
        declared.update({t.name: t.columns for t in tables})
    with db.session(tmp_path / "warehouse.duckdb") as con:
        for name, columns in declared.items():
            schema, table = name.split(".")
            actual = con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ?"
                " ORDER BY ordinal_position",
                [schema, table],
            ).fetchall()
            assert [c for (c,) in actual if c != "version"] == list(columns), name
    assert len(declared) == len(RAW_TABLES)


def test_a_model_built_from_rows_a_reparse_replaced_is_rebuilt(home, built, monkeypatch, capsys):
    """Models are skipped while their inputs' keys are unchanged (transforms/build_keys.py): raw rows
    deleted behind the ledger's back change the raw table's key (its row count), and rows a reparse
    replaces do too (audit.raw_rewrites), so what was built from the old rows is built again."""
    from transforms.models import run_model
    from warehouse.store import db

    weekly = "SELECT * FROM core.fact_confirmed_deaths_weekly ORDER BY ALL"
    builds = "SELECT builds FROM audit.model_builds WHERE table_name = 'core.fact_confirmed_deaths_weekly'"
    with db.session(home / "warehouse.duckdb") as con:
        original, (first,) = con.execute(weekly).fetchall(), con.execute(builds).fetchone()
        run_model(con, "fact_confirmed_deaths_weekly")  # nothing changed: skipped
        assert con.execute(builds).fetchone() == (first,)
        # rows an older parser left out: the model is built from what is there
        lost = con.execute("SELECT count(*) FROM raw.mediazona_weekly WHERE source = 'mediazona_2025'").fetchone()[0]
        assert lost > 0
        con.execute("DELETE FROM raw.mediazona_weekly WHERE source = 'mediazona_2025'")
        run_model(con, "fact_confirmed_deaths_weekly")
        assert con.execute(builds).fetchone() == (first + 1,)
        assert con.execute(weekly).fetchall() == [r for r in original if "mediazona_2025" not in r]
    code, out = frontline(monkeypatch, capsys, home, built["mirror"], TODAY, "reparse", "mediazona_2025")
    assert code == 0, out
    with db.session(home / "warehouse.duckdb") as con:
        run_model(con, "fact_confirmed_deaths_weekly")
        assert con.execute(builds).fetchone() == (first + 2,)
        assert con.execute(weekly).fetchall() == original
        # values rewritten in place (the row count unchanged), as a parser fix in reverse: the
        # reparse restoring them changes the raw table's key (no new payload version is landed)
        con.execute("UPDATE raw.mediazona_weekly SET value = value + 1 WHERE source = 'mediazona_2024'")
    code, out = frontline(monkeypatch, capsys, home, built["mirror"], TODAY, "reparse", "mediazona_2024")
    assert code == 0 and "; 0 changed" not in out, out
    with db.session(home / "warehouse.duckdb") as con:
        rewrites = "SELECT rewrites FROM audit.raw_rewrites WHERE table_name = 'raw.mediazona_weekly'"
        assert con.execute(rewrites).fetchall() == [(2,)]  # by each reparse that changed rows
        run_model(con, "fact_confirmed_deaths_weekly")
        assert con.execute(builds).fetchone() == (first + 3,)
        assert con.execute(weekly).fetchall() == original


def test_a_new_parser_version_rebuilds_the_stored_rows_on_the_next_run(home, built, monkeypatch, capsys):
    """A warehouse whose settlement rows an older parser made (version 1 picked the Russian form
    Новая Ушица for Nova Ushytsya): the next run rebuilds them from the stored payload, recomputes
    what depended on them and publishes the fixed name, with no `frontline reparse`. A source whose
    version did not change, on a home that recorded none yet (made before versions were kept), is
    not parsed again."""
    nova_ushytsya = 699899
    assert sources.SETTLEMENTS.parser_version == 2 and sources.ISW.parser_version == 1
    recorded = "SELECT source, parser_version FROM audit.parser_versions ORDER BY source"
    assert sql(home, recorded) == sorted((s.name, s.parser_version) for s in sources.ALL)  # a first run records them
    sql(home, "UPDATE raw.settlements SET name_uk = 'Новая Ушица' WHERE geonameid = ?", [nova_ushytsya])
    sql(home, "UPDATE audit.parser_versions SET parser_version = 1 WHERE source = 'settlements'")
    sql(home, "DELETE FROM audit.parser_versions WHERE source = 'isw'")
    isw_rewrites = "SELECT count(*) FROM audit.raw_rewrites WHERE table_name = 'raw.isw_area'"
    before = sql(home, isw_rewrites)

    code, out = frontline(monkeypatch, capsys, home, built["mirror"], TODAY, "run", *RANGE)
    assert code == 0, out
    assert "reparsed settlements" in out and "1 stored payload(s)" in out, out
    assert sql(home, "SELECT name_uk FROM raw.settlements WHERE geonameid = ?", [nova_ushytsya]) == [("Нова Ушиця",)]
    assert sql(home, recorded) == sorted((s.name, s.parser_version) for s in sources.ALL)
    assert sql(home, isw_rewrites) == before and "reparsed isw" not in out
    names = pq.read_table(publish.version_path(home / "published") / "dim_settlement.parquet").to_pylist()
    assert {r["settlement_id"]: r["name_uk"] for r in names}[nova_ushytsya] == "Нова Ушиця"

    code, out = frontline(monkeypatch, capsys, home, built["mirror"], TODAY, "run", *RANGE)
    assert code == 0 and "reparsed" not in out and "published unchanged" in out, out


def test_a_stored_payload_the_new_parser_refuses_fails_the_run_and_keeps_its_rows(home, built, monkeypatch, capsys):
    """The rebuild a new parser version asks for meets stored bytes it refuses (here: settlements'
    stored payload cut short): the run fails naming the source and saying the rows stay, the rows
    and the published version are untouched, and the version is not recorded (the next run tries
    again)."""
    sql(home, "UPDATE audit.parser_versions SET parser_version = 1 WHERE source = 'settlements'")
    sql(home, "UPDATE raw.payloads SET content = content[:100] WHERE source = 'settlements'")
    rows = "SELECT * FROM raw.settlements ORDER BY ALL"
    before, published = sql(home, rows), file_hashes(home / "published")
    code, out = frontline(monkeypatch, capsys, home, built["mirror"], TODAY, "run", *RANGE)
    assert code == 1 and "settlements" in out and "no longer parses with parser version 2" in out, out
    assert "its rows stay as the earlier parser made them" in out
    assert sql(home, rows) == before and file_hashes(home / "published") == published
    assert sql(home, "SELECT parser_version FROM audit.parser_versions WHERE source = 'settlements'") == [(1,)]
