"""A run's check results reach publishing through the run's rows in audit.check_results, keyed by
its run id: the checks may run in another process (a multiprocess executor, a re-execution) and
publishing still reports exactly what they found, without validating again."""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from expectations import run_suite, run_suites
from tests.test_expectations import TODAY, warehouse  # noqa: F401 - the module fixture

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def path(warehouse, tmp_path) -> Path:  # noqa: F811 - the imported fixture
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(warehouse, copy)
    return copy


def _plain(outcome) -> dict:
    return json.loads(json.dumps(dataclasses.asdict(outcome), default=str))


def test_a_session_builds_its_report_from_the_checks_validations(path, tmp_path):
    # what a pipeline run does: each check validates its table in the run's session, publishing
    # builds the report from those results (every suite runs once per run)
    con = duckdb.connect(str(path))
    session = f"run-{tmp_path.name}"
    checked = run_suite(con, "dim_source", today=TODAY, session=session)
    con.execute("UPDATE core.dim_source SET licence = NULL")  # after the check: not seen again
    outcomes = run_suites(con, ["dim_source", "fact_losses_daily"], TODAY, session=session)
    assert outcomes["dim_source"] == checked and checked.passed
    assert outcomes["fact_losses_daily"].passed  # not checked in the session: validated here
    # a retried check in the same session validates afresh; another session never sees these
    again = run_suite(con, "dim_source", today=TODAY, session=session)
    assert not again.passed and "licence" in again.summary_text()
    assert run_suites(con, ["dim_source"], TODAY, session=session)["dim_source"] == again
    other = run_suites(con, ["dim_source"], TODAY, session=f"other-{tmp_path.name}")
    assert not other["dim_source"].passed
    # another day is another validation (the time-relative expectations moved)
    earlier = TODAY.replace(day=TODAY.day - 1)
    assert run_suites(con, ["dim_source"], earlier, session=session)["dim_source"].today == earlier.isoformat()
    con.close()


CHECK_IN_ANOTHER_PROCESS = """
import dataclasses, datetime as dt, json, sys
import duckdb
from expectations import run_suite
con = duckdb.connect(sys.argv[1])
# a failing result too: fact_losses_daily's negative day without its correction flag
con.execute("UPDATE core.fact_losses_daily SET is_correction = false "
            "WHERE category = 'tanks' AND date = DATE '2026-10-05'")
out = {n: dataclasses.asdict(run_suite(con, n, today=dt.date.fromisoformat(sys.argv[2]), session=sys.argv[3]))
       for n in ("dim_source", "fact_losses_daily")}
con.close()
print(json.dumps(out, default=str))
"""


def test_publishing_reads_the_check_results_another_process_recorded(path):
    run_id = "run-in-another-process"
    done = subprocess.run(
        [sys.executable, "-c", CHECK_IN_ANOTHER_PROCESS, str(path), TODAY.isoformat(), run_id],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    checked = json.loads(done.stdout)
    assert all(r["success"] for r in checked["dim_source"]["results"])
    failed = [r for r in checked["fact_losses_daily"]["results"] if not r["success"]]
    assert [r["name"] for r in failed] == ["negative_daily_is_correction"]
    assert failed[0]["examples"][0]["date"] == "2026-10-05" and failed[0]["examples"][0]["category"] == "tanks"

    con = duckdb.connect(str(path))
    # the data changes after the checks ran: what publishing reports is still what they found
    con.execute("UPDATE core.fact_losses_daily SET is_correction = true WHERE date = DATE '2026-10-05'")
    con.execute("UPDATE core.dim_source SET licence = NULL")
    assert not run_suites(con, ["dim_source"], TODAY)["dim_source"].passed  # a new validation would differ
    outcomes = run_suites(con, ["dim_source", "fact_losses_daily"], TODAY, session=run_id)
    assert {n: _plain(o) for n, o in outcomes.items()} == checked  # every field, seconds included
    assert outcomes["dim_source"].passed and not outcomes["fact_losses_daily"].passed
    con.close()
