import datetime as dt

import dagster as dg

from warehouse.ingest.sources import DEEPSTATE_FIRST_DAY
from warehouse.store.config import Settings

# One partition per archive file. A file dated D appears upstream around 03:00 UTC on D, so
# the partition for "today" exists (end_offset=1); a 404 for it means "not published yet".
deepstate_days = dg.DailyPartitionsDefinition(start_date=DEEPSTATE_FIRST_DAY.isoformat(), end_offset=1, timezone="UTC")


def default_range(
    settings: Settings, newest_held: dt.date | None, today: dt.date | None = None
) -> tuple[dt.date, dt.date]:
    """The DeepState days a run covers when none are given, the one place that says so (`frontline
    run`, the daily schedule): from `recheck_days` before the newest day held (upstream sometimes
    republishes recent files) to `today` (default Settings.today); the whole archive when nothing
    is held yet."""
    today = today or settings.today
    if newest_held is None:
        return DEEPSTATE_FIRST_DAY, today
    return max(DEEPSTATE_FIRST_DAY, newest_held - dt.timedelta(days=settings.recheck_days)), today
