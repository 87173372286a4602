-- Facts the blocking physical bounds of fact_control_daily look at (the numbers and their
-- derivation are in expectations/bounds.py): one row per (bound, source, date, region) with the
-- value, the raw payload the row was computed from (so a refusal names the file and quarantines
-- it) and whether an operator accepted that payload (`frontline accept`, audit.acceptances).
WITH api_days AS (
    -- the snapshot a DeepState API day uses: the last one published that day, Kyiv time
    SELECT i.date, max(i.snapshot_id) AS snapshot_id
    FROM raw.deepstate_api_index i
    JOIN raw.current_payloads l ON l.source = 'deepstate_api' AND l.key = 'index' AND i.version = l.version
    JOIN raw.current_payloads s ON s.source = 'deepstate_api' AND s.key = CAST(i.snapshot_id AS VARCHAR)
    GROUP BY i.date
),
payloads AS (
    SELECT 'deepstate' AS source, s.date, p.key, p.uri, p.sha256
    FROM raw.deepstate_snapshots s
    JOIN raw.current_payloads p ON p.source = 'deepstate' AND p.key = CAST(s.date AS VARCHAR) AND p.version = s.version
    UNION ALL
    SELECT 'deepstate_api', d.date, p.key, p.uri, p.sha256
    FROM api_days d
    JOIN raw.current_payloads p ON p.source = 'deepstate_api' AND p.key = CAST(d.snapshot_id AS VARCHAR)
    UNION ALL
    SELECT 'isw', NULL, key, uri, sha256 FROM raw.current_payloads WHERE source = 'isw' AND key = 'all'
),
ua AS (
    SELECT date, source, area_km2, gained_km2, lost_km2, days_since_previous,
           lag(area_km2) OVER (PARTITION BY source ORDER BY date) AS previous_area_km2
    FROM {fact_control_daily}
    WHERE region_code = 'UA' AND class = 'occupied_total' AND is_observed
),
checked AS (
    SELECT 'gained_km2_per_day' AS bound, source, date, 'UA' AS region_code, gained_km2 / days_since_previous AS value
    FROM ua WHERE gained_km2 IS NOT NULL
    UNION ALL
    SELECT 'lost_km2_per_day', source, date, 'UA', lost_km2 / days_since_previous
    FROM ua WHERE lost_km2 IS NOT NULL
    UNION ALL
    SELECT 'ua_area_ratio', source, date, 'UA', area_km2 / previous_area_km2
    FROM ua WHERE previous_area_km2 > 0
    UNION ALL
    SELECT 'unattributed_km2', source, date, region_code, area_km2
    FROM {fact_control_daily}
    WHERE region_code = 'UNATTRIBUTED' AND class = 'occupied_total' AND area_km2 IS NOT NULL
    UNION ALL
    SELECT 'isw_area_km2', source, date, 'UA', area_km2
    FROM ua WHERE source = 'isw'
)
SELECT c.bound, c.source, c.date, c.region_code, c.value,
       p.key AS payload_key, p.uri AS payload_uri, p.sha256 AS payload_sha256,
       EXISTS (SELECT 1 FROM audit.acceptances a WHERE a.source = c.source AND a.sha256 = p.sha256) AS accepted
FROM checked c
LEFT JOIN payloads p ON p.source = c.source AND (p.date = c.date OR p.date IS NULL)
ORDER BY c.bound, c.source, c.date
