"""Alerts from Dagster: a sensor on failed runs (publishing blocked by a check is one) and a
sensor on source staleness, both run by `dagster-daemon`. `frontline run` raises the same
run alert itself. What is sent and how it is deduplicated: warehouse.serve.alerts."""

import dagster as dg

from warehouse.serve import alerts
from warehouse.store.config import Settings


def _first_line(text: str | None) -> str:
    return (text or "").strip().splitlines()[0] if (text or "").strip() else ""


def run_failure_alert(instance: dg.DagsterInstance, run: dg.DagsterRun, settings: Settings) -> alerts.Alert:
    """What failed in a run, read from its event log: the failed step and its reason, the
    offending file when a parser named one, the blocking checks that failed."""
    from orchestration.runner import _root_cause

    steps, checks, file = [], [], None
    for entry in instance.all_logs(run.run_id):
        event = entry.dagster_event
        if event is None:
            continue
        if event.is_step_failure:
            user = event.step_failure_data.user_failure_data
            reason = (user.description if user else None) or _root_cause(event.step_failure_data.error)
            steps.append((event.step_key, reason))
            if user and "file" in user.metadata and file is None:
                file = getattr(user.metadata["file"], "value", user.metadata["file"])
        elif event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            if not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR:
                table = evaluation.asset_key.to_user_string()
                checks.append((f"{table}.{evaluation.check_name}", evaluation.description))
    link = alerts.run_link(settings, run.run_id)
    step, reason = steps[0] if steps else (None, "the run failed before any step did")
    fields = {
        "run_id": run.run_id,
        "job": run.job_name,
        "failed_step": step,
        "check": checks[0][0] if checks else None,
        "file": file,
        "reason": _first_line(checks[0][1] if checks else reason),
        "link": link,
    }
    if checks:
        text = (
            f"frontline: publishing blocked — check {checks[0][0]} failed in run {run.run_id} ({run.job_name}); "
            f"the previous version stays published. {fields['reason']}"
        )
        kind = "publish_blocked"
    else:
        text = f"frontline: run {run.run_id} ({run.job_name}) failed at step {step}: {fields['reason']}"
        kind = "run_failure"
    if file:
        text += f" File: {file}"
    if link:
        text += f" <{link}|run in Dagster>"
    return alerts.Alert(key=f"run:{run.run_id}", kind=kind, text=text, fields=fields)


@dg.run_failure_sensor(
    name="alert_on_run_failure",
    minimum_interval_seconds=5,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="POSTs a failed run (or publishing blocked by a check) to FRONTLINE_ALERT_WEBHOOK.",
)
def alert_on_run_failure(context: dg.RunFailureSensorContext):
    settings = Settings.from_env()
    record = alerts.raise_alert(settings, run_failure_alert(context.instance, context.dagster_run, settings))
    if record is not None:
        context.log.info(f"alert raised: {record['text']}")


@dg.sensor(
    name="alert_on_stale_sources",
    minimum_interval_seconds=3600,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Once a day per source: its newest published day is older than its cadence allows.",
)
def alert_on_stale_sources(context: dg.SensorEvaluationContext):
    raised = alerts.check_staleness(Settings.from_env())
    return dg.SkipReason(f"{len(raised)} staleness alert(s) raised" if raised else "no source is stale")


alert_sensors = [alert_on_run_failure, alert_on_stale_sources]
