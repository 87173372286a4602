-- The days the per-region step has rows for. Its tables are written and deleted together, but
-- transforms/reparsed.py forgets a day by its inputs row alone (forget_region_days), so a day can
-- still have area and change rows without one.
SELECT source, date FROM core.region_day_inputs
UNION
SELECT source, date FROM core.region_daily_area
UNION
SELECT source, date FROM core.region_changes;
