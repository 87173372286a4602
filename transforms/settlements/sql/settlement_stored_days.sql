-- The days the settlement step has rows for. Its three tables are written and deleted together,
-- but transforms/reparsed.py forgets a day by its inputs row alone (forget_settlement_days), so
-- a day can still have status and front rows without one.
SELECT source, date FROM core.settlement_day_inputs
UNION
SELECT source, date FROM core.front_line_day;
