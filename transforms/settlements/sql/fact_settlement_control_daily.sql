-- Settlement status and distance per source and calendar day, for the front zone: settlements
-- within $front_zone_km km of the source's front on an observed day, or whose status ever changed in it.
-- Gap days (no snapshot) are present with is_observed = false and NULL measures. A status that
-- ever changed: min(status) <> max(status) (status is never NULL in the step's rows).
CREATE OR REPLACE TABLE core.fact_settlement_control_daily AS
WITH front_zone AS (
    SELECT source, settlement_id
    FROM core.settlement_day_status
    GROUP BY source, settlement_id
    HAVING min(abs(distance_to_front_km)) <= $front_zone_km OR min(status) <> max(status)
),
calendar AS (
    SELECT source, date, status AS coverage
    FROM core.fact_control_coverage_daily
    WHERE source IN (SELECT DISTINCT source FROM core.settlement_day_status)
),
-- the zone's rows only: the join below then hashes ~1/6 of the status rows, not all of them
zone_status AS (
    SELECT s.*
    FROM core.settlement_day_status AS s
    SEMI JOIN front_zone AS z ON z.source = s.source AND z.settlement_id = s.settlement_id
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
LEFT JOIN zone_status AS s
  ON s.source = c.source AND s.date = c.date AND s.settlement_id = z.settlement_id
ORDER BY c.source, z.settlement_id, c.date;
