-- Internal: every General Staff cumulative value in every payload version we hold, by stable
-- category, with the payload's vintage (the newest report date inside it) and fetch time.
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
    SELECT source, version, max(date) AS payload_vintage
    FROM values_by_version
    GROUP BY ALL
)
SELECT v.source,
       v.version AS payload_version,
       v.date,
       v.category,
       v.cumulative::BIGINT AS cumulative,
       v.qualifier::VARCHAR AS qualifier,
       g.payload_vintage,
       p.fetched_at
FROM values_by_version AS v
JOIN vintages AS g USING (source, version)
JOIN raw.payloads AS p ON p.source = v.source AND p.key = 'all' AND p.version = v.version;
