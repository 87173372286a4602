-- Area held per day and source for the whole country ('UA'), with gaps made explicit:
-- every calendar day between a source's first and last snapshot has a row; a day without a
-- snapshot has is_observed = false and NULL measures, and the next observed day carries the
-- change over the whole gap (days_since_previous > 1).
CREATE OR REPLACE TABLE core.fact_control_daily AS
WITH deepstate AS (
    SELECT date, 'deepstate' AS source, area_km2, gained_km2, lost_km2
    FROM core.deepstate_daily_area
),
isw AS (
    SELECT date, 'isw' AS source, area_m2 / 1e6 AS area_km2,
           NULL::DOUBLE AS gained_km2, NULL::DOUBLE AS lost_km2
    FROM raw.isw_area
    WHERE version = (SELECT max(version) FROM raw.isw_area)
),
observed AS (
    SELECT *,
           area_km2 - lag(area_km2) OVER w AS net_change_km2,
           date_diff('day', lag(date) OVER w, date) AS days_since_previous
    FROM (SELECT * FROM deepstate UNION ALL SELECT * FROM isw)
    WINDOW w AS (PARTITION BY source ORDER BY date)
),
calendar AS (
    SELECT source, unnest(generate_series(min(date), max(date), INTERVAL 1 DAY))::DATE AS date
    FROM observed
    GROUP BY source
)
SELECT c.date,
       c.source,
       'UA' AS region_code,
       o.area_km2,
       o.gained_km2,
       o.lost_km2,
       o.net_change_km2,
       o.date IS NOT NULL AS is_observed,
       o.days_since_previous::INTEGER AS days_since_previous
FROM calendar AS c
LEFT JOIN observed AS o USING (source, date)
ORDER BY c.source, c.date;
