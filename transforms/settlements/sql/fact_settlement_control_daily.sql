-- Settlement status and distance per source and calendar day, for the front zone: settlements
-- within $front_zone_km km of the source's front on an observed day, or whose status ever changed in it.
-- Gap days (no snapshot) are present with is_observed = false and NULL measures.
CREATE OR REPLACE TABLE core.fact_settlement_control_daily AS
WITH front_zone AS (
    SELECT source, settlement_id
    FROM core.settlement_day_status
    GROUP BY source, settlement_id
    HAVING min(abs(distance_to_front_km)) <= $front_zone_km OR count(DISTINCT status) > 1
),
calendar AS (
    SELECT source, date, status AS coverage
    FROM core.fact_control_coverage_daily
    WHERE source IN (SELECT DISTINCT source FROM core.settlement_day_status)
)
SELECT c.source,
       c.date,
       z.settlement_id,
       s.status,
       s.api_class,
       s.distance_to_front_km,
       s.date IS NOT NULL AS is_observed,
       c.coverage
FROM calendar AS c
JOIN front_zone AS z USING (source)
LEFT JOIN core.settlement_day_status AS s
  ON s.source = c.source AND s.date = c.date AND s.settlement_id = z.settlement_id
ORDER BY c.source, z.settlement_id, c.date;
