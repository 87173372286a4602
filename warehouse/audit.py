"""Record quality-suite outcomes in ``audit.check_results`` and summarise them per run."""

from __future__ import annotations

import datetime as dt
import json

import duckdb


def record(con: duckdb.DuckDBPyConnection, run_id: str, table_name: str, results) -> None:
    """``results``: objects with name, expectation_type, severity, success, unexpected_count,
    description and examples (expectations.ExpectationOutcome)."""
    now = dt.datetime.now(dt.UTC)
    con.begin()
    try:
        con.execute("DELETE FROM audit.check_results WHERE run_id = ? AND table_name = ?", [run_id, table_name])
        for r in results:
            con.execute(
                "INSERT INTO audit.check_results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    run_id,
                    now,
                    table_name,
                    r.name,
                    r.expectation_type,
                    r.severity,
                    r.success,
                    r.unexpected_count,
                    r.description,
                    json.dumps(r.examples, default=str),
                ],
            )
        con.commit()
    except BaseException:
        con.rollback()
        raise


def run_summary(con: duckdb.DuckDBPyConnection, run_id: str) -> dict:
    """Counts and the failed expectations of one run, for the manifest."""
    rows = con.execute(
        "SELECT table_name, expectation, severity, success, unexpected_count, description "
        "FROM audit.check_results WHERE run_id = ? ORDER BY table_name, expectation",
        [run_id],
    ).fetchall()
    failed = [
        {"table": t, "expectation": e, "severity": s, "unexpected_count": n, "description": d}
        for t, e, s, ok, n, d in rows
        if not ok
    ]
    return {
        "run_id": run_id,
        "expectations_run": len(rows),
        "passed": sum(1 for r in rows if r[3]),
        "warned": sum(1 for f in failed if f["severity"] == "warn"),
        "failed": sum(1 for f in failed if f["severity"] == "error"),
        "tables": sorted({r[0] for r in rows}),
        "not_passed": failed,
    }
