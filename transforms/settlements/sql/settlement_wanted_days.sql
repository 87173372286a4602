-- The days the settlement step computes, as the per-region step picks them (region_wanted_days):
-- the current archive snapshot of each day, or the API snapshot published last that Kyiv day.
-- No predecessor: a settlement day depends on its own snapshot only.
WITH api_day AS (
    SELECT date, snapshot_id
    FROM raw.deepstate_api_index
    WHERE version = (SELECT max(version) FROM raw.deepstate_api_index)
    QUALIFY row_number() OVER (PARTITION BY date ORDER BY created_at DESC) = 1
)
SELECT 'deepstate' AS source, date, sha256, NULL::BIGINT AS snapshot_id
FROM raw.deepstate_snapshots
QUALIFY version = max(version) OVER (PARTITION BY date)
UNION ALL
SELECT 'deepstate_api', a.date, p.sha256, a.snapshot_id
FROM api_day AS a
JOIN raw.current_payloads AS p ON p.source = 'deepstate_api' AND p.key = a.snapshot_id::VARCHAR
ORDER BY 1, 2;
