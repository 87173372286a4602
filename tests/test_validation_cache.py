"""A frame whose fingerprint did not change is not validated again: its stored outcomes are
reused, and what the run reports (outcomes, report pages) is what a re-validation gives."""

from __future__ import annotations

import re
import shutil

import duckdb
import pytest

from expectations import report, run_suites
from tests.test_expectations import TODAY, warehouse  # noqa: F401 - the module fixture
from warehouse.store.sqlfiles import load

TABLES = ["dim_source", "fact_losses_daily"]


def test_a_frame_with_wkb_cells_has_a_fingerprint_that_follows_its_content():
    import pandas as pd

    from expectations import cache

    df = pd.DataFrame({"region_code": ["UA-14"], "geometry_wkb": [b"\x01\x03\x00"]})
    same = pd.DataFrame({"region_code": ["UA-14"], "geometry_wkb": [b"\x01\x03\x00"]})
    other = pd.DataFrame({"region_code": ["UA-14"], "geometry_wkb": [b"\x01\x03\x01"]})
    key = cache.fingerprint("dim_region", "table", df, [])
    assert key is not None and key == cache.fingerprint("dim_region", "table", same, [])
    assert key != cache.fingerprint("dim_region", "table", other, [])


@pytest.fixture
def con(warehouse, tmp_path):  # noqa: F811 - the imported fixture
    path = tmp_path / "warehouse.duckdb"
    shutil.copy(warehouse, path)
    c = duckdb.connect(str(path))
    c.execute(load("warehouse", "raw_schema"))  # the audit schema, validation_cache included
    yield c
    c.close()


def _stored(con) -> dict[tuple[str, str], tuple]:
    rows = con.execute("SELECT table_name, frame, fingerprint, stored_at FROM audit.validation_cache").fetchall()
    return {(t, f): (fp, at) for t, f, fp, at in rows}


def _plain(outcomes) -> dict:
    return {n: [r.to_dict() for r in o.results] for n, o in outcomes.items()}


def _pages(outcomes, folder) -> dict[str, str]:
    """The report's pages for these outcomes, with the seconds each suite took taken out."""
    index = report.write(folder, outcomes, run_id="run", version="v")
    return {p.name: re.sub(r"\d+\.\d+ s", "<s>", p.read_text()) for p in sorted(index.parent.glob("*.html"))}


def test_an_unchanged_table_reuses_its_validation_and_reports_the_same(con, tmp_path):
    first = run_suites(con, TABLES, TODAY, session="run-a")
    stored = _stored(con)
    assert {t for t, _ in stored} == set(TABLES) and len(stored) == 2 + 7  # every frame of both suites

    second = run_suites(con, TABLES, TODAY, session="run-b")
    assert _stored(con) == stored  # nothing validated again: no row rewritten
    assert _plain(second) == _plain(first)
    assert _pages(second, tmp_path / "b") == _pages(first, tmp_path / "a")
    # and it is what validating afresh (no session, no store) says
    assert _plain(run_suites(con, TABLES, TODAY)) == _plain(first)
    assert _plain(run_suites(con, TABLES, TODAY, session="run-c")) == _plain(first)
    assert _stored(con) == stored


def test_a_changed_table_or_day_is_validated_again(con, tmp_path):
    run_suites(con, TABLES, TODAY, session="run-a")
    before = _stored(con)
    con.execute("UPDATE core.dim_source SET licence = NULL")
    outcomes = run_suites(con, TABLES, TODAY, session="run-b")
    after = _stored(con)
    assert not outcomes["dim_source"].passed and "licence" in outcomes["dim_source"].summary_text()
    assert after[("dim_source", "table")][0] != before[("dim_source", "table")][0]
    assert {k: v for k, v in after.items() if k[0] == "fact_losses_daily"} == {
        k: v for k, v in before.items() if k[0] == "fact_losses_daily"
    }
    # another "today" moves the time-relative expectations: validated again
    run_suites(con, ["fact_losses_daily"], TODAY.replace(day=TODAY.day - 1), session="run-c")
    assert _stored(con)[("fact_losses_daily", "freshness")] != after[("fact_losses_daily", "freshness")]


def test_every_query_frame_reads_its_rows_in_a_fixed_order():
    """A query frame's fingerprint is taken in DuckDB over its rows in any order: the frame must
    be the same for the same rows, so each query orders them (a 1.3M-row references frame without
    ORDER BY came back shuffled and was re-validated on every run)."""
    from expectations.runner import frame_query
    from expectations.suites import specs_for
    from warehouse.store import catalog

    queries = {(t.name, s.frame): frame_query(t, s.frame) for t in catalog.PUBLISHED for s in specs_for(t.name, TODAY)}
    queries = {k: q for k, q in queries.items() if q is not None}
    assert {f for _, f in queries} == {"table", "references", "anomaly", "reconcile", "steps"}
    unordered = sorted(k for k, q in queries.items() if "ORDER BY" not in q.split(")")[-1].upper())
    assert unordered == []


def test_a_fingerprint_is_taken_without_the_final_order_by_and_is_the_same(con):
    """DuckDB sorts an ordered subquery even under an aggregate: the fingerprint drops a final
    ORDER BY of plain columns (never one followed by LIMIT/OFFSET, which chooses the rows); what
    it sums over is the same rows."""
    from expectations import cache
    from expectations.runner import frame_query
    from expectations.suites import specs_for
    from warehouse.store import catalog

    assert cache.unordered("SELECT a FROM t ORDER BY a, b.c") == "SELECT a FROM t"
    assert cache.unordered('SELECT a FROM t\nORDER BY "a"\n') == "SELECT a FROM t"
    for kept in (
        "SELECT a FROM t ORDER BY a LIMIT 3",
        "SELECT a FROM t ORDER BY a OFFSET 1",
        "SELECT lower(a) FROM t ORDER BY lower(a)",
    ):
        assert cache.unordered(kept) == kept

    queries = {frame_query(t, s.frame) for t in catalog.PUBLISHED for s in specs_for(t.name, TODAY)} - {None}
    assert len(queries) >= 30
    for query in queries:
        assert cache.unordered(query) != query  # every frame query drops its sort
        unordered, ordered = cache.content_sql(cache.unordered(query)), cache.content_sql(query)
        assert con.execute(unordered).fetchone() == con.execute(ordered).fetchone()


def test_frames_built_in_code_are_built_only_when_their_rows_changed(con, monkeypatch):
    """The schema, freshness and bounds frames are computed in pandas from a query's rows: their
    key is those rows' fingerprint (with the catalog entry, today and the code), so an unchanged
    table builds none of them; a changed schema, a new acceptance or another day builds them again
    and reports what a fresh validation reports."""
    from expectations import runner

    built: list[tuple[str, str]] = []
    real = dict(runner._FRAME_BUILDERS)

    def counted(frame):
        def build(c, table, today):
            built.append((table.name, frame))
            return real[frame](c, table, today)

        return build

    monkeypatch.setattr(runner, "_FRAME_BUILDERS", {f: counted(f) for f in real})
    in_code = {("dim_source", "schema"), ("fact_losses_daily", "schema"), ("fact_losses_daily", "freshness")}
    in_code.add(("fact_losses_daily", "bounds"))
    run_suites(con, TABLES, TODAY, session="run-a")
    assert in_code <= set(built)

    built.clear()
    first = run_suites(con, TABLES, TODAY, session="run-b")
    assert built == []  # nothing built: every frame's stored outcomes reused

    con.execute("ALTER TABLE core.dim_source ADD COLUMN extra INTEGER")
    changed = run_suites(con, TABLES, TODAY, session="run-c")
    assert set(built) == {("dim_source", "schema"), ("dim_source", "table")}
    assert not changed["dim_source"].passed and "extra" in changed["dim_source"].summary_text()
    assert _plain(changed) == _plain(run_suites(con, TABLES, TODAY))  # what validating afresh says
    assert changed["fact_losses_daily"].results == first["fact_losses_daily"].results

    built.clear()
    later = TODAY.replace(day=TODAY.day + 1)
    run_suites(con, ["fact_losses_daily"], later, session="run-d")
    assert ("fact_losses_daily", "freshness") in built and ("fact_losses_daily", "schema") not in built

    # the bounds frame reads the raw payloads and the acceptances, beside the table
    built.clear()
    con.execute("INSERT INTO raw.payloads VALUES ('gs_personnel', 'all', 1, 'u', 'sha', now(), 1, 'x')")
    run_suites(con, ["fact_losses_daily"], later, session="run-e")
    assert built == [("fact_losses_daily", "bounds")]
    built.clear()
    con.execute("INSERT INTO audit.acceptances VALUES ('gs_personnel', 'all', 'sha', 'u', 'me', now(), 'why', NULL)")
    run_suites(con, ["fact_losses_daily"], later, session="run-f")
    assert built == [("fact_losses_daily", "bounds")]
    built.clear()
    run_suites(con, ["fact_losses_daily"], later, session="run-g")
    assert built == []


def test_gx_is_not_asked_to_hash_the_frames_it_validates(con):
    """GX would label each batch with an md5 of the whole frame (the full rebuild's memory peak on
    the settlement rows); frontline never reads that label, so GX is told not to compute it. The
    outcomes are GX's all the same: a frame with a bad row still fails on that row."""
    from expectations import runner
    from warehouse.store import catalog

    table = catalog.table("fact_losses_daily")
    specs = [s for s in runner.specs_for(table.name, TODAY) if s.frame == "table"]
    df = runner._prepared(runner.query_frame(con, runner.frame_query(table, "table")))
    vres = runner.validate_frame(table.name, "table", df, specs)
    assert vres.success
    assert "pandas_data_fingerprint" not in vres.meta["batch_markers"]
    bad = df.copy()
    bad.loc[3, "date"] = None
    failed = {
        r.expectation_config.meta["name"]
        for r in runner.validate_frame(table.name, "table", bad, specs).results
        if not r.success
    }
    assert failed and all("date" in name for name in failed), failed
