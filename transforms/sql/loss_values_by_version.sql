-- Internal: every General Staff cumulative value in every payload version we hold, by stable
-- category, with the payload's vintage (the newest report date inside it) and fetch time, and
-- where the same (date, category) stands in the file's payloads just before and after this one
-- (a *_present_version that is not the file's neighbouring version: that payload dropped the date).
-- fact_losses_bitemporal and fact_loss_revisions are both read from it.
CREATE OR REPLACE TABLE core.loss_values_by_version AS
WITH values_by_version AS (
    SELECT 'gs_personnel' AS source, version, date, 'personnel' AS category, personnel AS cumulative, qualifier
    FROM raw.gs_personnel
    UNION ALL
    SELECT 'gs_personnel', version, date, 'pow', pow, NULL
    FROM raw.gs_personnel
    WHERE pow IS NOT NULL
    UNION ALL
    SELECT 'gs_equipment', e.version, e.date, m.category, sum(e.value), NULL
    FROM raw.gs_equipment AS e
    JOIN core.loss_field_map AS m USING (upstream_field)
    GROUP BY ALL
),
vintages AS (
    SELECT source,
           version,
           max(date) AS payload_vintage,
           lag(version) OVER (PARTITION BY source ORDER BY version) AS source_previous_version,
           lead(version) OVER (PARTITION BY source ORDER BY version) AS source_next_version
    FROM values_by_version
    GROUP BY source, version
)
SELECT v.source,
       v.version AS payload_version,
       v.date,
       v.category,
       v.cumulative::BIGINT AS cumulative,
       v.qualifier::VARCHAR AS qualifier,
       g.payload_vintage,
       p.fetched_at,
       g.source_previous_version,
       g.source_next_version,
       lag(v.version) OVER w AS previous_present_version,
       lead(v.version) OVER w AS next_present_version,
       CAST(lag(v.cumulative) OVER w AS BIGINT) AS previous_cumulative,
       CAST(lag(v.qualifier) OVER w AS VARCHAR) AS previous_qualifier,
       lag(g.payload_vintage) OVER w AS previous_vintage
FROM values_by_version AS v
JOIN vintages AS g USING (source, version)
JOIN raw.payloads AS p ON p.source = v.source AND p.key = 'all' AND p.version = v.version
WINDOW w AS (PARTITION BY v.source, v.date, v.category ORDER BY v.version);
