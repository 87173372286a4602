"""Record quality-suite outcomes in ``audit.check_results`` and summarise them per run."""

from __future__ import annotations

import datetime as dt
import json

import duckdb


def record(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    table_name: str,
    results,
    today: dt.date | None = None,
    seconds: float | None = None,
) -> None:
    """``results``: objects with name, expectation_type, severity, success, unexpected_count,
    description, examples, reason, observed_value and exception (expectations.ExpectationOutcome),
    in their suite's order; ``today`` and ``seconds`` are the suite's. A table recorded again in
    the same run (a retried check) replaces its earlier rows."""
    now = dt.datetime.now(dt.UTC)
    rows = [
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
            position,
            r.reason,
            json.dumps(r.observed_value, default=str),
            r.exception,
            today,
            seconds,
        ]
        for position, r in enumerate(results)
    ]
    con.begin()
    try:
        con.execute("DELETE FROM audit.check_results WHERE run_id = ? AND table_name = ?", [run_id, table_name])
        if rows:  # one statement for the suite's rows: a statement each was most of a cached suite's time
            con.execute(
                "INSERT INTO audit.check_results (run_id, evaluated_at, table_name, expectation, expectation_type, "
                "severity, success, unexpected_count, description, examples, position, reason, observed_value, "
                "exception, suite_today, suite_seconds) VALUES "
                + ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"] * len(rows)),
                [value for row in rows for value in row],
            )
        con.commit()
    except BaseException:
        con.rollback()
        raise


def recorded(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, dict]:
    """What ``record`` stored for one run, by table: ``{"today", "seconds", "results": [...]}``
    with every result as a dict of ExpectationOutcome's fields, in suite order. Publishing reads
    the run's check results here, whichever process ran the checks."""
    rows = con.execute(
        "SELECT table_name, suite_today, suite_seconds, expectation, expectation_type, severity, success, "
        "unexpected_count, description, examples, reason, observed_value, exception "
        "FROM audit.check_results WHERE run_id = ? AND position IS NOT NULL ORDER BY table_name, position",
        [run_id],
    ).fetchall()
    tables: dict[str, dict] = {}
    for table, today, seconds, *r in rows:
        suite = tables.setdefault(table, {"today": today, "seconds": seconds, "results": []})
        name, expectation_type, severity, success, count, description, examples, reason, observed, exception = r
        suite["results"].append(
            {
                "name": name,
                "expectation_type": expectation_type,
                "severity": severity,
                "success": success,
                "description": description,
                "unexpected_count": count,
                "examples": json.loads(examples) if examples is not None else [],
                "reason": reason,
                "observed_value": json.loads(observed) if observed is not None else None,
                "exception": exception,
            }
        )
    return tables


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


def accept(
    con: duckdb.DuckDBPyConnection,
    *,
    source: str,
    key: str,
    sha256: str,
    uri: str | None,
    accepted_by: str,
    reason: str,
    refused_by: str | None,
    now: dt.datetime | None = None,
) -> None:
    """Record that an operator lets this exact payload through the plausibility rules and the
    fact bounds (``frontline accept``). Never a code edit; the next run publishes it."""
    con.execute(
        "INSERT INTO audit.acceptances VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [source, key, sha256, uri, accepted_by, now or dt.datetime.now(dt.UTC), reason, refused_by],
    )


def acceptances(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """Every acceptance, oldest first (for the manifest and the status page)."""
    rows = con.execute(
        "SELECT source, key, sha256, uri, accepted_by, accepted_at, reason, refused_by "
        "FROM audit.acceptances ORDER BY accepted_at, source, key"
    ).fetchall()
    names = ("source", "key", "sha256", "uri", "accepted_by", "accepted_at", "reason", "refused_by")
    return [dict(zip(names, r, strict=True)) | {"accepted_at": r[5].isoformat()} for r in rows]
