-- Days whose stored area/change is missing or was computed from snapshots that are no longer
-- the current ones (a new version of the day or of its predecessor, or a filled gap).
WITH current AS (
    SELECT date, sha256
    FROM raw.deepstate_snapshots
    QUALIFY version = max(version) OVER (PARTITION BY date)
),
wanted AS (
    SELECT date, sha256,
           lag(date) OVER (ORDER BY date) AS previous_date,
           lag(sha256) OVER (ORDER BY date) AS previous_sha256
    FROM current
)
SELECT w.date, w.sha256, w.previous_date, w.previous_sha256
FROM wanted AS w
LEFT JOIN core.deepstate_daily_area AS a
       ON a.date = w.date
      AND a.sha256 = w.sha256
      AND a.previous_date IS NOT DISTINCT FROM w.previous_date
      AND a.previous_sha256 IS NOT DISTINCT FROM w.previous_sha256
WHERE a.date IS NULL
ORDER BY w.date;
