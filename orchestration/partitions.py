import dagster as dg

from warehouse.ingest.sources import DEEPSTATE_FIRST_DAY

# One partition per archive file. A file dated D appears upstream around 03:00 UTC on D, so
# the partition for "today" exists (end_offset=1); a 404 for it means "not published yet".
deepstate_days = dg.DailyPartitionsDefinition(start_date=DEEPSTATE_FIRST_DAY.isoformat(), end_offset=1, timezone="UTC")
