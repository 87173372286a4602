-- Front length per source and calendar day; gap days present with NULL length.
CREATE OR REPLACE TABLE core.fact_front_line_daily AS
SELECT c.source, c.date, f.length_km, f.date IS NOT NULL AS is_observed, c.status AS coverage
FROM core.fact_control_coverage_daily AS c
LEFT JOIN core.front_line_day AS f ON f.source = c.source AND f.date = c.date
WHERE c.source IN (SELECT DISTINCT source FROM core.front_line_day)
ORDER BY c.source, c.date;
