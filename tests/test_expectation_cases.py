"""Every expectation of every suite, shown failing once (cases: tests/expectation_cases.py).

One test per expectation, named ``table.expectation``: the good warehouse passes it; its case's
defect fails it with its severity, for a real reason (no GX exception), and fails nothing else
but the expectations the case names in `also`.

Speed: GX costs ~40 ms per expectation whatever the frame's size, and a defect touches one or two
columns. So each frame is rebuilt from the broken warehouse, and an expectation is validated
again (for real, by GX) only when the columns it reads (or the frame's row count) differ from
the good frame's; the others keep the good warehouse's verdict, which identical input cannot
change.
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

import duckdb
import pytest

from expectations import specs_for
from expectations.outcome import ExpectationOutcome
from expectations.runner import (
    _FRAME_BUILDERS,
    ROW_ID,
    _failed_frame,
    _outcome,
    validate_frame,
    validate_specs,
)
from expectations.suites import Spec, frame_keys
from tests.expectation_cases import ALSO, CASES, case_for
from tests.test_expectations import TODAY, warehouse  # noqa: F401 (module fixture)
from warehouse.store import catalog


@contextmanager
def defect_applied(warehouse, case):
    """A connection to the warehouse with the case's defect applied, rolled back on exit."""
    con = duckdb.connect(warehouse)
    con.execute("BEGIN")
    try:
        for sql in case.sql:
            con.execute(sql)
        yield con
    finally:
        con.execute("ROLLBACK")
        con.close()


ALL = [(t.name, s) for t in catalog.PUBLISHED for s in specs_for(t.name, TODAY)]


def _inputs(spec: Spec) -> list[str]:
    cols = list(spec.columns)
    if spec.row_condition is not None:
        cols.append(spec.row_condition[0])
    return list(dict.fromkeys(cols))


def _frames(con, table: catalog.Table, frames, today):
    out = {}
    for frame in frames:
        try:
            df = _FRAME_BUILDERS[frame](con, table, today).reset_index(drop=True)
            df[ROW_ID] = range(len(df))
            out[frame] = df
        except Exception as e:  # what run_suite does: reported as a failed expectation
            out[frame] = e
    return out


def failing_frame(warehouse, table_name: str, spec: Spec):
    """(table, frame of ``spec`` on the case that fails it, every spec of that frame): what the
    tests comparing frontline's validation with GX's own start from."""
    t = catalog.table(table_name)
    c = case_for(t, spec)
    today = c.today or TODAY
    with defect_applied(warehouse, c) as con:
        df = _frames(con, t, [spec.frame], today)[spec.frame]
    return t, df, [s for s in specs_for(table_name, today) if s.frame == spec.frame]


def evaluate(con, table_name: str, today: dt.date, good=None) -> dict[str, ExpectationOutcome]:
    """The table's suite on `con`, as run_suite would report it; with `good` (frames and outcomes
    of the good warehouse, same `today`), expectations whose inputs are unchanged keep their verdict."""
    table = catalog.table(table_name)
    specs = specs_for(table_name, today)
    by_frame: dict[str, list[Spec]] = {}
    for s in specs:
        by_frame.setdefault(s.frame, []).append(s)
    frames = _frames(con, table, by_frame, today)
    outcomes: dict[str, ExpectationOutcome] = {}
    for frame, frame_specs in by_frame.items():
        df = frames[frame]
        if isinstance(df, Exception):
            outcomes.update({s.name: _failed_frame(s, df) for s in frame_specs})
            continue
        todo = []
        for s in frame_specs:
            base = good[0][frame] if good else None
            cols = _inputs(s)
            same = (
                base is not None
                and not isinstance(base, Exception)
                and len(base) == len(df)
                and all(c in df.columns and c in base.columns for c in cols)
                and df[cols].equals(base[cols])
            )
            if same:
                outcomes[s.name] = good[1][s.name]
            else:
                todo.append(s)
        if todo:
            outcomes.update(validate_specs(table.name, frame, df, todo))
    return {s.name: outcomes[s.name] for s in specs}


@pytest.fixture(scope="module")
def good(warehouse):  # noqa: F811
    """Per table: the good warehouse's frames and outcomes (every expectation validated)."""
    con = duckdb.connect(warehouse, read_only=True)
    try:
        out = {}
        for t in catalog.PUBLISHED:
            frames = _frames(con, t, {s.frame for s in specs_for(t.name, TODAY)}, TODAY)
            out[t.name] = (frames, evaluate(con, t.name, TODAY))
        return out
    finally:
        con.close()


def test_every_expectation_has_a_failing_case():
    missing = [f"{t}.{s.name}" for t, s in ALL if case_for(catalog.table(t), s) is None]
    assert missing == [], "no failing case (add one to tests/expectation_cases.py): " + ", ".join(missing)
    known = {(t, s.name) for t, s in ALL}
    stale = sorted(f"{t}.{n}" for t, n in [*CASES, *ALSO] if (t, n) not in known)
    assert stale == [], "cases for expectations that no longer exist: " + ", ".join(stale)


@pytest.mark.parametrize(("table", "spec"), ALL, ids=[f"{t}.{s.name}" for t, s in ALL])
def test_expectation_fails_on_its_case(warehouse, good, table, spec):  # noqa: F811
    good_outcome = good[table][1][spec.name]
    assert good_outcome.success and good_outcome.exception is None, good_outcome

    c = case_for(catalog.table(table), spec)
    assert c is not None, f"no failing case for {table}.{spec.name}: add one to tests/expectation_cases.py"
    today = c.today or TODAY
    with defect_applied(warehouse, c) as con:
        outcomes = evaluate(con, table, today, good[table] if today == TODAY else None)

    r = outcomes[spec.name]
    failed = {n for n, o in outcomes.items() if not o.success}
    assert sorted(failed) == sorted({spec.name, *c.also}), [
        (n, o.unexpected_count, o.exception, o.examples[:2]) for n, o in outcomes.items() if n in failed
    ]
    assert (r.severity, r.exception) == (spec.severity, None), r.to_dict()
    if spec.expectation_type == "ExpectTableRowCountToBeBetween":
        assert r.observed_value == 0
    else:
        assert r.unexpected_count >= 1 and r.examples, r.to_dict()


@pytest.mark.parametrize(
    ("table", "name"),
    [
        ("fact_control_monthly", "observed_days_within_month"),
        ("fact_losses_daily", "keys_unique"),
        # a frame joined by SQL to another table, whose defect lies in that other table
        ("fact_settlement_control_daily", "references_dim_settlement"),
        ("fact_control_daily", "bound_isw_area_km2"),
    ],
)
def test_shortcut_agrees_with_run_suite(warehouse, good, table, name):  # noqa: F811
    """The unchanged-input shortcut reports what a full run_suite reports on the same defect."""
    from expectations import run_suite

    t = catalog.table(table)
    spec = next(s for s in specs_for(table, TODAY) if s.name == name)
    c = case_for(t, spec)
    with defect_applied(warehouse, c) as con:
        full = run_suite(con, table, today=TODAY)
        short = evaluate(con, table, TODAY, good[table])
    assert [(r.name, r.success, r.unexpected_count) for r in full.results] == [
        (n, o.success, o.unexpected_count) for n, o in short.items()
    ]
    assert sorted(r.name for r in full.failed) == sorted({name, *c.also})


CONDITIONED = [(t, s) for t, s in ALL if s.row_condition is not None]


@pytest.mark.parametrize(("table", "spec"), CONDITIONED, ids=[f"{t}.{s.name}" for t, s in CONDITIONED])
def test_row_condition_filtered_once_reports_what_gx_reports(warehouse, table, spec):  # noqa: F811
    """validate_specs filters each row_condition's rows once and validates them without it; on the
    case that fails this expectation, every outcome of its frame (counts, examples, observed values,
    exceptions) equals GX's own row_condition validation of the whole frame."""
    t, df, specs = failing_frame(warehouse, table, spec)
    keys = frame_keys(t, spec.frame)
    vres = validate_frame(t.name, spec.frame, df, specs)
    by_name = {r.expectation_config.meta["name"]: r for r in vres.results}
    gx_own = {s.name: _outcome(s, keys, df, by_name[s.name]) for s in specs}

    grouped = validate_specs(t.name, spec.frame, df, specs)

    assert not gx_own[spec.name].success and gx_own[spec.name].unexpected_count > 0
    assert grouped == gx_own
