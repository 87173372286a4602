"""What GX is handed (expectations/runner.py validate_specs): only the columns each expectation
reads and the row id, a row_condition's rows filtered once, on a large frame one expectation per
validation. The outcomes (counts, examples, observed values, exceptions) must be GX's own on the
whole frame, as the suites have always been validated: checked here on the failing case of one
expectation of each GX type and of each row_condition, with frames validated together and one
expectation at a time (the way frames of ``SEPARATE_ROWS`` rows or more are; the test slices are
smaller than that).
"""

from __future__ import annotations

import pytest

from expectations import runner, specs_for
from expectations.suites import frame_keys
from tests.test_expectation_cases import failing_frame
from tests.test_expectations import TODAY, warehouse  # noqa: F401 (module fixture)
from warehouse.store import catalog

ALL = [(t.name, s) for t in catalog.PUBLISHED for s in specs_for(t.name, TODAY)]
# the first expectation of each GX type, and of each row_condition
_seen: set = set()
SAMPLE = []
for _table, _spec in ALL:
    _kind = (_spec.expectation_type, _spec.row_condition)
    if _kind not in _seen:
        _seen.add(_kind)
        SAMPLE.append((_table, _spec))


def _gx_whole_frame(table: catalog.Table, frame: str, df, specs):
    """GX's own validation of the whole frame: every column, row_conditions applied by GX,
    unexpected rows reported by the frame's keys and row id."""
    vres = runner.validate_frame(table.name, frame, df, specs)
    by_name = {r.expectation_config.meta["name"]: r for r in vres.results}
    keys = frame_keys(table, frame)
    return {s.name: runner._outcome(s, keys, df, by_name[s.name]) for s in specs}


@pytest.mark.parametrize(("table", "spec"), SAMPLE, ids=[f"{t}.{s.name}" for t, s in SAMPLE])
def test_narrow_frames_report_what_gx_reports_on_the_whole_frame(warehouse, table, spec, monkeypatch):  # noqa: F811
    t, df, specs = failing_frame(warehouse, table, spec)
    whole = _gx_whole_frame(t, spec.frame, df, specs)
    assert not whole[spec.name].success and whole[spec.name].exception is None
    assert whole[spec.name].unexpected_count > 0 or whole[spec.name].observed_value == 0

    assert runner.validate_specs(t.name, spec.frame, df, specs) == whole  # together (a small frame)
    monkeypatch.setattr(runner, "SEPARATE_ROWS", 0)
    assert runner.validate_specs(t.name, spec.frame, df, specs) == whole  # one at a time (a large frame)


@pytest.mark.parametrize("separate_rows", [10**9, 0], ids=["together", "one_at_a_time"])
def test_missing_columns_are_reported_as_gx_reports_them(warehouse, monkeypatch, separate_rows):  # noqa: F811
    """A frame without a key column, or without a row_condition's column, with an unexpected row:
    the same exceptions and outcomes as GX's own validation of the whole frame (GX names the
    missing key only when it has an unexpected row to report)."""
    import duckdb

    monkeypatch.setattr(runner, "SEPARATE_ROWS", separate_rows)
    t = catalog.table("fact_control_daily")
    specs = [s for s in specs_for(t.name, TODAY) if s.frame == "table"]
    con = duckdb.connect(warehouse, read_only=True)
    try:
        df = runner._prepared(runner._table_frame(con, t, TODAY))
    finally:
        con.close()
    observed = df.index[df["is_observed"]]
    df.loc[observed[0], "area_km2"] = None  # fails area_present_when_observed
    df.loc[observed[1], "class"] = "nonsense"  # fails class_known
    for missing in ("region_code", "is_observed"):
        part = df.drop(columns=[missing])
        whole = _gx_whole_frame(t, "table", part, specs)
        assert any(o.exception and missing in o.exception for o in whole.values()), missing
        assert runner.validate_specs(t.name, "table", part, specs) == whole


def test_query_frame_leaves_the_connection_as_it_was(warehouse):  # noqa: F811
    """query_frame asks DuckDB for 64-bit string offsets for its own query only."""
    import duckdb

    con = duckdb.connect(warehouse, read_only=True)
    try:
        setting = "SELECT current_setting('arrow_large_buffer_size')"
        assert con.execute(setting).fetchall() == [(False,)]
        df = runner.query_frame(con, runner.frame_query(catalog.table("dim_source"), "table"))
        assert len(df) > 0 and con.execute(setting).fetchall() == [(False,)]
        con.execute("SET arrow_large_buffer_size = true")
        runner.query_frame(con, runner.frame_query(catalog.table("dim_source"), "table"))
        assert con.execute(setting).fetchall() == [(True,)]
    finally:
        con.close()
