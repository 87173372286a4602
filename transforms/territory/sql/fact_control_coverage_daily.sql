-- Which day each territory source observed. A day without a snapshot is 'missing' (never
-- invented); an API snapshot without an occupied_before_2022 layer (no Crimea/ORDLO drawn) is
-- 'partial': its occupied_total is not the whole occupied area.
CREATE OR REPLACE TABLE core.fact_control_coverage_daily AS
WITH api_features AS (
    SELECT f.snapshot_id, bool_or(f.class = 'occupied_before_2022') AS has_before_2022
    FROM raw.deepstate_api_features AS f
    JOIN raw.current_payloads AS p
      ON p.source = 'deepstate_api' AND p.key = f.snapshot_id::VARCHAR AND p.version = f.version
    GROUP BY f.snapshot_id
),
api AS (
    SELECT i.date,
           arg_max(i.snapshot_id, i.created_at) AS snapshot_id,
           count(*)::INTEGER AS snapshots_that_day
    FROM raw.deepstate_api_index AS i
    JOIN api_features AS f USING (snapshot_id)
    WHERE i.version = (SELECT max(version) FROM raw.deepstate_api_index)
    GROUP BY i.date
),
observed AS (
    SELECT DISTINCT 'deepstate' AS source, date, 'observed' AS status,
           NULL::BIGINT AS snapshot_id, NULL::INTEGER AS snapshots_that_day, NULL::VARCHAR AS note
    FROM raw.deepstate_snapshots
    UNION ALL
    SELECT 'deepstate_api', a.date,
           CASE WHEN f.has_before_2022 THEN 'observed' ELSE 'partial' END,
           a.snapshot_id, a.snapshots_that_day,
           CASE WHEN NOT f.has_before_2022 THEN 'no occupied_before_2022 layer (Crimea, ORDLO)' END
    FROM api AS a
    JOIN api_features AS f USING (snapshot_id)
    UNION ALL
    SELECT 'isw', date, 'observed', NULL, NULL, NULL
    FROM raw.isw_area
    WHERE version = (SELECT max(version) FROM raw.isw_area)
),
calendar AS (
    SELECT source, unnest(generate_series(min(date), max(date), INTERVAL 1 DAY))::DATE AS date
    FROM observed
    GROUP BY source
)
SELECT c.date,
       c.source,
       coalesce(o.status, 'missing') AS status,
       o.snapshot_id,
       o.snapshots_that_day,
       o.note
FROM calendar AS c
LEFT JOIN observed AS o USING (source, date)
ORDER BY c.source, c.date;
