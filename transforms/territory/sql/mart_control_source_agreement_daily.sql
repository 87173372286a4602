-- The whole occupied area of Ukraine by each pair of sources on the days both observed it fully
-- (coverage 'observed': a partial API snapshot without Crimea is not compared).
CREATE OR REPLACE TABLE marts.mart_control_source_agreement_daily AS
WITH whole AS (
    SELECT date, source, area_km2
    FROM core.fact_control_daily
    WHERE region_code = 'UA' AND class = 'occupied_total' AND coverage = 'observed'
),
pairs (source_a, source_b) AS (
    VALUES ('deepstate', 'isw'), ('deepstate_api', 'isw'), ('deepstate', 'deepstate_api')
)
SELECT a.date,
       p.source_a,
       p.source_b,
       a.area_km2 AS area_a_km2,
       b.area_km2 AS area_b_km2,
       a.area_km2 - b.area_km2 AS difference_km2,
       a.area_km2 / b.area_km2 AS ratio
FROM pairs AS p
JOIN whole AS a ON a.source = p.source_a
JOIN whole AS b ON b.source = p.source_b AND b.date = a.date
ORDER BY a.date, p.source_a, p.source_b;
