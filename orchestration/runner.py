"""Run the whole pipeline in-process on the persistent Dagster instance under FRONTLINE_HOME.

`frontline run` and the tests use this, so what they do is exactly what the UI shows: the same
assets, checks and run history.
"""

import datetime as dt
import os
import socket
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from orchestration.event_log import HeldEventLog
from orchestration.progress import Progress
from warehouse.ingest.sources import DEEPSTATE_FIRST_DAY
from warehouse.store import db
from warehouse.store.config import Settings
from warehouse.store.writer_lock import exclusive_writer

DAGSTER_YAML = """\
# Written by frontline (rewritten when its settings change; remove this line to keep your own file).
# Machines running frontline may have no internet: no telemetry.
telemetry:
  enabled: false
# DuckDB allows one writer process per warehouse file: one run at a time.
concurrency:
  runs:
    max_concurrent_runs: 1
"""
# With FRONTLINE_DAGSTER_PG_URL: runs, event logs and schedule ticks in PostgreSQL, so the
# webserver, the daemon and run workers can live on different hosts. The URL is read from the
# environment of each process: no password in the file.
POSTGRES_STORAGE = """\
storage:
  postgres:
    postgres_url:
      env: FRONTLINE_DAGSTER_PG_URL
"""


def instance_yaml(settings: Settings) -> str:
    return DAGSTER_YAML + (POSTGRES_STORAGE if settings.dagster_pg_url else "")


# The job name dg.materialize gives its runs (as before: the run history reads the same).
RUN_JOB = "__ephemeral_asset_job__"


def prepare_instance(settings: Settings) -> dg.DagsterInstance:
    home = settings.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    wanted = instance_yaml(settings)
    if not config.exists() or (
        config.read_text(encoding="utf-8").startswith("# Written by frontline")
        and config.read_text(encoding="utf-8") != wanted
    ):
        config.write_text(wanted, encoding="utf-8")
    os.environ["DAGSTER_HOME"] = str(home)
    if settings.dagster_pg_url:
        os.environ["FRONTLINE_DAGSTER_PG_URL"] = settings.dagster_pg_url
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    return dg.DagsterInstance.get()


def newest_held_day(settings: Settings) -> dt.date | None:
    """The newest DeepState day the warehouse holds (None on a first run)."""
    with db.session(settings.warehouse_path) as con:
        return con.execute("SELECT max(date) FROM raw.deepstate_snapshots").fetchall()[0][0]


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
            if meta.get("payloads_reparsed"):
                lines.append(
                    f"  reparsed {source:<26} {meta['payloads_reparsed']} stored payload(s) whose rows a new parser"
                    " version changed"
                )
            if meta.get("gap_days_filled", "-") != "-":
                lines.append(f"  filled   gap days upstream published late: {meta['gap_days_filled']}")
            if meta.get("gap_days_missing", "-") != "-":
                lines.append(f"  missing  gap days asked for again, still not published: {meta['gap_days_missing']}")
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

    def brief(self) -> str:
        """The final status and what went wrong, nothing else (`frontline run --quiet`, cron)."""
        if self.published:
            state = "new version" if self.published.get("new_version") else "unchanged, still"
            published = f"published {state} {self.published.get('version')}"
        else:
            published = "published nothing (previous version stays)"
        lines = [f"run {self.run_id}: {'succeeded' if self.success else 'FAILED'}; {published}"]
        for asset, check, passed, description in self.checks:
            if check == "contract" and not passed:
                lines.append(f"  check    {asset}.{check} FAILED")
                lines.extend("      " + line for line in (description or "").splitlines())
        lines.extend(f"  error: {f}" for f in self.failures)
        if self.blocked_report:
            lines.append(f"  validation report: {self.blocked_report}")
        return "\n".join(lines)


def new_progress(stream=None, bar: bool | None = None) -> Progress:
    """Progress of a whole run (every raw asset fetched, every published table checked)."""
    from orchestration.definitions import all_assets

    raw = sum(1 for a in all_assets for key in a.keys if key.path[0] == "raw")
    return Progress(raw_assets=raw, stream=stream, bar=bar)


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


# Tags of a `frontline run`'s Dagster run: which process runs it, so a later run can tell it died.
PID_TAG, HOST_TAG = "frontline/pid", "frontline/host"
# A run without those tags (started by the daemon or the UI) counts as dead once it has written no
# event for this long while writer.lock was free: between its start and taking the lock a live run
# writes events every few milliseconds (resource initialisation).
SILENT_FOR_S = 60.0


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def end_dead_runs(instance: dg.DagsterInstance) -> list[str]:
    """Mark failed the runs that a dead process left STARTED or CANCELING (SIGKILL, out of memory,
    a reboot; or NOT_STARTED: a `frontline run` killed while Dagster created it), and return their ids. Call it holding writer.lock: a live run holds that lock from
    its first step to its last, so no other run is executing. Left STARTED, such a run would stay
    "in progress" in the UI forever, block the daemon's queue (max_concurrent_runs 1) and the
    schedule's "has not finished yet" guard."""
    ended = []
    statuses = [dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING]
    for dagster_run in instance.get_runs(filters=dg.RunsFilter(statuses=statuses)):
        pid, host = dagster_run.tags.get(PID_TAG), dagster_run.tags.get(HOST_TAG)
        if dagster_run.status == dg.DagsterRunStatus.NOT_STARTED and not pid:
            continue  # created by the UI or the daemon, not launched yet: not ours to judge
        if pid and host == socket.gethostname():
            if (
                int(pid) != os.getpid()
                and _process_alive(int(pid))
                and _newest_event_age(instance, dagster_run) < SILENT_FOR_S
            ):
                continue  # its PID was reused meanwhile? only if the run is still writing events
            why = f"its process (PID {pid} on {host}) is gone"
        else:
            age = _newest_event_age(instance, dagster_run)
            if age < SILENT_FOR_S:
                continue
            why = f"it wrote no event for {age:.0f} s while no process held writer.lock"
        instance.report_run_failed(
            dagster_run,
            message=(
                f"frontline run found this run still {dagster_run.status.value} but {why}: it died without "
                "ending (killed, a crash, a reboot). Marked failed; it published nothing that did not pass "
                "its checks, and the next run redoes its work."
            ),
        )
        ended.append(dagster_run.run_id)
    return ended


def _newest_event_age(instance: dg.DagsterInstance, dagster_run) -> float:
    records = instance.get_records_for_run(dagster_run.run_id, limit=1, ascending=False).records
    return time.time() - records[0].event_log_entry.timestamp if records else float("inf")


def run(
    settings: Settings,
    start: dt.date | None = None,
    end: dt.date | None = None,
    console_level: str = "CRITICAL",
    progress: Progress | None = None,
    quiet: bool = False,
) -> RunSummary:
    """Materialize what is missing or changed. `console_level` only filters what Dagster prints;
    its event log (the UI) keeps every event. `progress` follows the run's events as they are
    written; `quiet` drops the opening line too. Raises WarehouseBusy if another run is writing."""
    with exclusive_writer(settings.home):
        return _run(settings, start, end, console_level, progress, quiet)


def _run(
    settings: Settings,
    start: dt.date | None,
    end: dt.date | None,
    console_level: str,
    progress: Progress | None = None,
    quiet: bool = False,
) -> RunSummary:
    from orchestration.checks import suite_checks
    from orchestration.definitions import all_assets, resources
    from orchestration.partitions import default_range

    instance = prepare_instance(settings)
    for dead in end_dead_runs(instance):
        if not quiet:
            print(f"frontline run: run {dead} had died without ending; marked failed", file=sys.stderr, flush=True)
    default_start, default_end = default_range(settings, newest_held_day(settings))
    start, end = start or default_start, end or default_end
    _check_range(start, end, settings.today)
    if not quiet:
        print(
            f"frontline run: DeepState days {start} … {end}; every Dagster event is kept for `frontline dev`"
            " (the UI), --verbose prints them",
            file=sys.stderr,
            flush=True,
        )
    # dg.materialize, with the run id chosen here so that progress can follow the run's events
    run_id = str(uuid.uuid4())
    if progress is not None:
        instance.add_event_listener(run_id, progress.on_event)
    job = dg.Definitions(
        assets=[*all_assets, *suite_checks], jobs=[dg.define_asset_job(RUN_JOB)], resources=resources(settings)
    ).resolve_job_def(RUN_JOB)
    # One warehouse connection held for the run: each step's own connection then joins the open
    # database instead of opening the file, and closing it does not checkpoint (once at the end).
    warehouse = db.connect(settings.warehouse_path)
    try:
        with HeldEventLog(instance, run_id):  # its events through held connections (event_log.py)
            result = job.execute_in_process(
                instance=instance,
                run_id=run_id,
                tags={
                    "dagster/asset_partition_range_start": start.isoformat(),
                    "dagster/asset_partition_range_end": end.isoformat(),
                    PID_TAG: str(os.getpid()),
                    HOST_TAG: socket.gethostname(),
                },
                raise_on_error=False,
                run_config={"loggers": {"console": {"config": {"log_level": console_level}}}},
            )
    finally:
        warehouse.close()
        if progress is not None:
            progress.finish()
    summary = RunSummary(success=result.success, run_id=result.run_id, start=start, end=end)
    for event in result.get_asset_materialization_events():
        materialization = event.event_specific_data.materialization
        key = materialization.asset_key.path
        meta = {k: _value(v) for k, v in materialization.metadata.items()}
        if key[0] == "raw":
            summary.ingested[key[1]] = meta
        elif "days_computed" in meta:
            summary.days_computed = meta["days_computed"]
        elif key[0] in ("core", "marts") and "dagster/row_count" in meta:
            summary.rows[key[1]] = meta["dagster/row_count"]
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
    if not result.success:  # the daemon's sensor does this for the runs it sees
        from orchestration.alerting import run_failure_alert
        from warehouse.serve.alerts import raise_alert

        raise_alert(settings, run_failure_alert(instance, instance.get_run_by_id(result.run_id), settings))
    return summary


def _blocked_report(settings: Settings, run_id: str) -> Path:
    """The validation report of a run whose checks blocked publishing, under $FRONTLINE_HOME/reports/."""
    from expectations import report, run_suites

    with db.session(settings.warehouse_path) as con:
        outcomes = run_suites(con, today=settings.today, session=run_id)
    return report.write(settings.home / "reports" / run_id, outcomes, run_id=run_id, version=None)


def dagster_ui_command(settings: Settings, port: int = 3000) -> list[str]:
    """`dagster dev` of this interpreter (it starts its webserver and daemon with the same
    interpreter), so the installed `frontline` works whatever PATH holds."""
    prepare_instance(settings)
    root = Path(__file__).resolve().parent.parent
    return [
        sys.executable,
        "-m",
        "dagster",
        "dev",
        "-m",
        "orchestration.definitions",
        "--working-directory",
        str(root),
        "--host",
        "127.0.0.1",
        "-p",
        str(port),
    ]


def service_command(settings: Settings, service: str, host: str = "127.0.0.1", port: int = 3000) -> list[str]:
    """`dagster-daemon run` (schedules, sensors, the run queue; runs execute on its host, next to
    the warehouse) or `dagster-webserver` (the UI) on the FRONTLINE_HOME instance, from this
    interpreter's own environment whatever PATH holds."""
    prepare_instance(settings)
    root = Path(__file__).resolve().parent.parent
    location = ["-m", "orchestration.definitions", "--working-directory", str(root)]
    bin_dir = Path(sys.executable).parent
    if service == "daemon":
        return [str(bin_dir / "dagster-daemon"), "run", *location]
    if service == "webserver":
        return [str(bin_dir / "dagster-webserver"), *location, "--host", host, "--port", str(port)]
    raise ValueError(f"unknown service {service!r}")
