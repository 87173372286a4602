"""Run the whole pipeline in-process on the persistent Dagster instance under FRONTLINE_HOME.

`frontline run` and the tests use this, so what they do is exactly what the UI shows: the same
assets, checks and run history.
"""

import datetime as dt
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from warehouse import db
from warehouse.config import Settings
from warehouse.sources import DEEPSTATE_FIRST_DAY
from warehouse.writer_lock import exclusive_writer

DAGSTER_YAML = """\
# Written by frontline. Machines running frontline may have no internet: no telemetry.
telemetry:
  enabled: false
# DuckDB allows one writer process per warehouse file: one run at a time.
concurrency:
  runs:
    max_concurrent_runs: 1
"""


def prepare_instance(settings: Settings) -> dg.DagsterInstance:
    home = settings.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML, encoding="utf-8")
    os.environ["DAGSTER_HOME"] = str(home)
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    return dg.DagsterInstance.get()


def default_range(settings: Settings) -> tuple[dt.date, dt.date]:
    """From a few days before the newest DeepState day we hold (upstream sometimes republishes
    recent files) to today; the whole archive on a first run."""
    with db.session(settings.warehouse_path) as con:
        newest = con.execute("SELECT max(date) FROM raw.deepstate_snapshots").fetchall()[0][0]
    today = settings.today
    if newest is None:
        return DEEPSTATE_FIRST_DAY, today
    return max(DEEPSTATE_FIRST_DAY, newest - dt.timedelta(days=settings.recheck_days)), today


@dataclass
class RunSummary:
    success: bool
    run_id: str
    start: dt.date
    end: dt.date
    ingested: dict[str, dict] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    checks: list[tuple[str, str, bool, str | None]] = field(default_factory=list)
    published: dict | None = None
    days_computed: int | None = None
    blocked_report: Path | None = None
    failures: list[str] = field(default_factory=list)

    def text(self) -> str:
        lines = [
            f"run {self.run_id}: {'succeeded' if self.success else 'FAILED'} (DeepState days {self.start} … {self.end})"
        ]
        for source, meta in self.ingested.items():
            lines.append(
                f"  ingested {source:<26} new={meta.get('payloads_new', 0)} unchanged={meta.get('payloads_unchanged', 0)}"
                f" not_yet={meta.get('payloads_not_yet', 0)}"
            )
        if self.days_computed is not None:
            lines.append(f"  computed DeepState day geometries         {self.days_computed}")
        for table, rows in self.rows.items():
            lines.append(f"  rows     {table:<26} {rows}")
        for asset, check, passed, description in self.checks:
            state = "passed" if passed else "warned" if check == "warnings" else "FAILED"
            lines.append(f"  check    {asset + '.' + check:<40} {state}")
            if description and not passed:
                lines.extend("      " + line for line in description.splitlines())
        if self.published:
            state = "new version" if self.published.get("new_version") else "unchanged, still"
            lines.append(f"  published {state} {self.published.get('version')}")
        else:
            lines.append("  published nothing (previous version stays)")
        lines.extend(f"  error: {f}" for f in self.failures)
        if self.blocked_report:
            lines.append(f"  validation report: {self.blocked_report}")
        return "\n".join(lines)


def _root_cause(error) -> str:
    """The error that started a step failure ("Exceeded max_retries of 3" says nothing by itself)."""
    if error is None:
        return ""
    message = error.message.strip()
    while error.cause is not None:
        error = error.cause
    return message if error.message.strip() == message else f"{message} — {error.message.strip()}"


def _value(meta_value):
    return getattr(meta_value, "value", meta_value)


class RunRangeError(ValueError):
    """`--start`/`--end` outside the days frontline has partitions for."""


def _check_range(start: dt.date, end: dt.date, today: dt.date) -> None:
    """A clear error instead of Dagster's invariant traceback for days it has no partition for.
    `today` is Settings.today (FRONTLINE_TODAY when set), the same day the checks are run against."""
    from orchestration.partitions import deepstate_days

    if end < start:
        raise RunRangeError(f"--end {end} is before --start {start}")
    if start < DEEPSTATE_FIRST_DAY:
        raise RunRangeError(
            f"--start {start} is before {DEEPSTATE_FIRST_DAY}, the first day of the DeepState daily archive"
        )
    if end > today:
        raise RunRangeError(f"--end {end} is after {today}, the newest day that can have been published (today)")
    # A FRONTLINE_TODAY after the real date: Dagster has no partition for those days yet.
    last = dt.date.fromisoformat(deepstate_days.get_last_partition_key())
    if end > last:
        raise RunRangeError(f"--end {end} is after {last}, the newest day Dagster has a partition for (UTC)")


def run(
    settings: Settings, start: dt.date | None = None, end: dt.date | None = None, console_level: str = "CRITICAL"
) -> RunSummary:
    """Materialize what is missing or changed. `console_level` only filters what Dagster prints;
    its event log (the UI) keeps every event. Raises WarehouseBusy if another run is writing."""
    with exclusive_writer(settings.home):
        return _run(settings, start, end, console_level)


def _run(settings: Settings, start: dt.date | None, end: dt.date | None, console_level: str) -> RunSummary:
    from orchestration.checks import suite_checks
    from orchestration.definitions import all_assets, resources

    instance = prepare_instance(settings)
    default_start, default_end = default_range(settings)
    start, end = start or default_start, end or default_end
    _check_range(start, end, settings.today)
    print(
        f"frontline run: DeepState days {start} … {end}; every Dagster event is kept for `frontline dev`"
        " (the UI), --verbose prints them",
        file=sys.stderr,
        flush=True,
    )
    result = dg.materialize(
        [*all_assets, *suite_checks],
        instance=instance,
        resources=resources(settings),
        tags={
            "dagster/asset_partition_range_start": start.isoformat(),
            "dagster/asset_partition_range_end": end.isoformat(),
        },
        raise_on_error=False,
        run_config={"loggers": {"console": {"config": {"log_level": console_level}}}},
    )
    summary = RunSummary(success=result.success, run_id=result.run_id, start=start, end=end)
    for event in result.get_asset_materialization_events():
        materialization = event.event_specific_data.materialization
        key = materialization.asset_key.path
        meta = {k: _value(v) for k, v in materialization.metadata.items()}
        if key[0] == "raw":
            summary.ingested[key[1]] = meta
        elif "days_computed" in meta:
            summary.days_computed = meta["days_computed"]
        elif key[0] in ("core", "marts") and "rows" in meta:
            summary.rows[key[1]] = meta["rows"]
        elif key == ["published", "extracts"]:
            summary.published = meta
    for evaluation in result.get_asset_check_evaluations():
        summary.checks.append(
            (evaluation.asset_key.path[-1], evaluation.check_name, evaluation.passed, evaluation.description)
        )
    for event in result.all_events:
        if event.is_step_failure:
            error = event.step_failure_data.error
            user = event.step_failure_data.user_failure_data
            summary.failures.append(f"{event.step_key}: {(user.description if user else None) or _root_cause(error)}")
    if any(check == "contract" and not passed for _, check, passed, _ in summary.checks):
        summary.blocked_report = _blocked_report(settings, summary.run_id)
    return summary


def _blocked_report(settings: Settings, run_id: str) -> Path:
    """Data Docs of a run whose checks blocked publishing, under $FRONTLINE_HOME/reports/."""
    from expectations import run_suites

    folder = settings.home / "reports" / run_id
    with db.session(settings.warehouse_path) as con:
        run_suites(con, today=settings.today, docs_dir=folder, session=run_id)
    return folder / "index.html"


def dagster_ui_command(settings: Settings, port: int = 3000) -> list[str]:
    prepare_instance(settings)
    root = Path(__file__).resolve().parent.parent
    return ["dagster", "dev", "-m", "orchestration.definitions", "--working-directory", str(root), "-p", str(port)]
