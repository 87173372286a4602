import datetime as dt

import dagster as dg

from warehouse.config import Settings

# The DeepState archive commits the day's file around 03:00 UTC; the General Staff figures
# appear in the morning Kyiv time. 07:30 UTC catches both on a normal day.
daily_refresh_job = dg.define_asset_job(
    "daily_refresh",
    selection=dg.AssetSelection.all(),
    description="Fetch today's files, rebuild facts, check, publish.",
)


@dg.schedule(job=daily_refresh_job, cron_schedule="30 7 * * *", execution_timezone="UTC")
def daily_refresh_schedule(context: dg.ScheduleEvaluationContext):
    # Re-fetch the last few days too: upstream sometimes republishes a recent file.
    day = context.scheduled_execution_time.date()
    start = day - dt.timedelta(days=Settings.from_env().recheck_days)
    return dg.RunRequest(
        run_key=day.isoformat(),
        tags={
            "dagster/asset_partition_range_start": start.isoformat(),
            "dagster/asset_partition_range_end": day.isoformat(),
        },
    )
