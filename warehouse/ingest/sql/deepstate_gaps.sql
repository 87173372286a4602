-- Days in [$since, $before) with no archive file held, later than the first day held: gaps
-- between held days, which upstream may still fill. Days before the first one held were never
-- asked for and stay so.
SELECT day::DATE AS day
FROM range($since::TIMESTAMP, $before::TIMESTAMP, INTERVAL 1 DAY) AS days(day)
WHERE day::DATE > (SELECT min(date) FROM raw.deepstate_snapshots)
  AND day::DATE NOT IN (SELECT date FROM raw.deepstate_snapshots)
ORDER BY day
