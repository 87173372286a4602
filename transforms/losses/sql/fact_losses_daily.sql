-- General Staff cumulative claims per report date and stable category; daily = difference of
-- cumulative (negative values kept); the corrections file's signed amounts are joined on
-- (date, category) and flag the row.
CREATE OR REPLACE TABLE core.fact_losses_daily AS
WITH personnel AS (
    SELECT date, 'personnel' AS category, personnel AS cumulative, qualifier
    FROM raw.gs_personnel
    WHERE version = (SELECT max(version) FROM raw.gs_personnel)
    UNION ALL
    SELECT date, 'pow', pow, NULL
    FROM raw.gs_personnel
    WHERE version = (SELECT max(version) FROM raw.gs_personnel) AND pow IS NOT NULL
),
equipment AS (
    SELECT e.date, m.category, sum(e.value) AS cumulative, NULL AS qualifier
    FROM raw.gs_equipment AS e
    JOIN core.loss_field_map AS m USING (upstream_field)
    WHERE e.version = (SELECT max(version) FROM raw.gs_equipment)
    GROUP BY ALL
),
corrections AS (
    SELECT c.date, m.category, sum(c.value) AS correction
    FROM raw.gs_equipment_corrections AS c
    JOIN core.loss_field_map AS m USING (upstream_field)
    WHERE c.version = (SELECT max(version) FROM raw.gs_equipment_corrections)
    GROUP BY ALL
),
series AS (
    SELECT *, cumulative - lag(cumulative) OVER (PARTITION BY category ORDER BY date) AS daily
    FROM (SELECT * FROM personnel UNION ALL SELECT * FROM equipment)
)
SELECT s.date,
       s.category,
       s.cumulative::BIGINT AS cumulative,
       s.daily::BIGINT AS daily,
       coalesce(c.correction, 0)::BIGINT AS correction,
       (coalesce(s.daily < 0, false) OR coalesce(c.correction, 0) <> 0) AS is_correction,
       s.qualifier::VARCHAR AS qualifier
FROM series AS s
LEFT JOIN corrections AS c USING (date, category)
ORDER BY s.category, s.date;
