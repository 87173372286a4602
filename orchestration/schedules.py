import dagster as dg

from orchestration.partitions import default_range
from warehouse.store.config import Settings

daily_refresh_job = dg.define_asset_job(
    "daily_refresh",
    selection=dg.AssetSelection.all(),
    description="Fetch today's files, rebuild facts, check, publish.",
)


# FRONTLINE_SCHEDULE_CRON (default 07:30 UTC, see warehouse.store.config). Running by default: a
# `dagster-daemon` on the instance (`frontline daemon`) fires it without a click in the UI.
@dg.schedule(
    job=daily_refresh_job,
    cron_schedule=Settings.from_env().schedule_cron,
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def daily_refresh_schedule(context: dg.ScheduleEvaluationContext):
    unfinished = context.instance.get_runs(
        filters=dg.RunsFilter(
            job_name=daily_refresh_job.name,
            statuses=[dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED],
        ),
        limit=1,
    )
    if unfinished:  # a frequent cron must not pile up runs behind a long one
        return dg.SkipReason(f"run {unfinished[0].run_id} of {daily_refresh_job.name} has not finished yet")
    # Re-fetch the last few days too: upstream sometimes republishes a recent file. The daemon
    # does not open the warehouse (a run may be writing it): the tick's day stands for the newest held.
    settings = Settings.from_env()
    day = settings.today_override or context.scheduled_execution_time.date()
    start, _ = default_range(settings, newest_held=day, today=day)
    return dg.RunRequest(
        run_key=context.scheduled_execution_time.isoformat(),  # once per tick
        tags={
            "dagster/asset_partition_range_start": start.isoformat(),
            "dagster/asset_partition_range_end": day.isoformat(),
        },
    )
