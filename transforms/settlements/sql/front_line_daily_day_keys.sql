-- What each (source, day) of core.front_line_daily is copied from: the settlement step replaces a
-- day's front_line_day row exactly when that day's row in settlement_day_inputs changes.
SELECT source, date, hash(sha256, settlements_sha256, regions_sha256, method) AS day_key
FROM core.settlement_day_inputs;
