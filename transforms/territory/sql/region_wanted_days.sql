-- The inputs every per-region day result should be computed from, per source and date:
-- the current archive snapshot of the day, or the API snapshot published last that day (Kyiv
-- date, latest listing), with its predecessor and the current boundaries file.
WITH api_day AS (
    SELECT date, snapshot_id
    FROM raw.deepstate_api_index
    WHERE version = (SELECT max(version) FROM raw.deepstate_api_index)
    QUALIFY row_number() OVER (PARTITION BY date ORDER BY created_at DESC) = 1
),
current AS (
    SELECT 'deepstate' AS source, date, sha256, NULL::BIGINT AS snapshot_id
    FROM raw.deepstate_snapshots
    QUALIFY version = max(version) OVER (PARTITION BY date)
    UNION ALL
    SELECT 'deepstate_api' AS source, a.date, p.sha256, a.snapshot_id
    FROM api_day AS a
    JOIN raw.current_payloads AS p
      ON p.source = 'deepstate_api' AND p.key = a.snapshot_id::VARCHAR
),
regions AS (
    SELECT sha256 FROM raw.current_payloads WHERE source = 'oblast_boundaries' AND key = 'all'
)
SELECT c.source,
       c.date,
       c.sha256,
       lag(c.date) OVER w AS previous_date,
       lag(c.sha256) OVER w AS previous_sha256,
       c.snapshot_id,
       lag(c.snapshot_id) OVER w AS previous_snapshot_id,
       r.sha256 AS regions_sha256
FROM current AS c
CROSS JOIN regions AS r
WINDOW w AS (PARTITION BY c.source ORDER BY c.date)
ORDER BY c.source, c.date;
