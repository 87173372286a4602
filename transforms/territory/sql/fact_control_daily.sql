-- Area per day, source, region and class, with gaps made explicit: every calendar day between a
-- source's first and last snapshot has a row per (region, class) series the source ever reports;
-- a day without a snapshot has is_observed = false and NULL measures, and the next observed day
-- carries the change over the whole gap (days_since_previous > 1). On an observed day a series
-- without a stored row is a class that does not touch that region: area 0, change 0.
CREATE OR REPLACE TABLE core.fact_control_daily AS
WITH measured AS (
    SELECT date, source, region_code, class, area_km2, gained_km2, lost_km2
    FROM core.region_daily_area
    UNION ALL
    SELECT date, 'isw', 'UA', 'occupied_total', area_m2 / 1e6, NULL::DOUBLE, NULL::DOUBLE
    FROM raw.isw_area
    WHERE version = (SELECT max(version) FROM raw.isw_area)
),
series AS (
    SELECT DISTINCT source, region_code, class FROM measured
),
observed_days AS (
    SELECT source, date,
           date = min(date) OVER (PARTITION BY source) AS is_first,
           date_diff('day', lag(date) OVER (PARTITION BY source ORDER BY date), date) AS days_since_previous
    FROM (SELECT DISTINCT source, date FROM measured)
),
filled AS (
    SELECT d.date, s.source, s.region_code, s.class,
           coalesce(m.area_km2, 0) AS area_km2,
           CASE WHEN m.date IS NOT NULL THEN m.gained_km2 WHEN d.is_first OR s.source = 'isw' THEN NULL ELSE 0 END AS gained_km2,
           CASE WHEN m.date IS NOT NULL THEN m.lost_km2 WHEN d.is_first OR s.source = 'isw' THEN NULL ELSE 0 END AS lost_km2,
           d.days_since_previous
    FROM observed_days AS d
    JOIN series AS s USING (source)
    LEFT JOIN measured AS m USING (source, region_code, class, date)
),
with_net AS (
    SELECT *, area_km2 - lag(area_km2) OVER (PARTITION BY source, region_code, class ORDER BY date) AS net_change_km2
    FROM filled
),
calendar AS (
    SELECT source, unnest(generate_series(min(date), max(date), INTERVAL 1 DAY))::DATE AS date
    FROM observed_days
    GROUP BY source
)
SELECT c.date,
       c.source,
       s.region_code,
       s.class,
       o.area_km2,
       o.area_km2 / r.area_km2 AS share_of_region,
       o.gained_km2,
       o.lost_km2,
       o.net_change_km2,
       o.date IS NOT NULL AS is_observed,
       o.days_since_previous::INTEGER AS days_since_previous,
       coalesce(cov.status, CASE WHEN o.date IS NULL THEN 'missing' ELSE 'observed' END) AS coverage
FROM calendar AS c
JOIN series AS s USING (source)
LEFT JOIN with_net AS o USING (source, region_code, class, date)
LEFT JOIN core.dim_region AS r ON r.region_code = s.region_code AND r.area_km2 IS NOT NULL
LEFT JOIN core.fact_control_coverage_daily AS cov ON cov.source = c.source AND cov.date = c.date
ORDER BY c.source, s.region_code, s.class, c.date;
