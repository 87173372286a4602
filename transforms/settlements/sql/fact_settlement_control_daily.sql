-- Settlement status and distance per source and calendar day, for the front zone: settlements
-- within $front_zone_km km of the source's front on an observed day, or whose status ever changed in it.
-- Gap days (no snapshot) are present with is_observed = false and NULL measures. A status that
-- ever changed: min(status) <> max(status) (status is never NULL in the step's rows).
-- The step stores every settlement on every day it computes, so a (source, day) with status rows is
-- observed for every settlement: the zone's status rows take their coverage from the calendar
-- (~1.8 k rows to hash, not the zone's ~1.6 M status rows: issue 12's memory peak), and the gap
-- days add one row per zone settlement. fact_settlement_control_daily_update.sql makes the same rows.
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
observed_days AS (
    SELECT DISTINCT source, date FROM core.settlement_day_status
)
SELECT c.source,
       c.date,
       s.settlement_id,
       s.status,
       s.api_class,
       s.distance_to_front_km,
       true AS is_observed,
       c.coverage
FROM core.settlement_day_status AS s
SEMI JOIN front_zone AS z ON z.source = s.source AND z.settlement_id = s.settlement_id
JOIN calendar AS c ON c.source = s.source AND c.date = s.date
UNION ALL
SELECT c.source, c.date, z.settlement_id, NULL, NULL, NULL, false, c.coverage
FROM calendar AS c
ANTI JOIN observed_days AS o ON o.source = c.source AND o.date = c.date
JOIN front_zone AS z ON z.source = c.source
ORDER BY source, settlement_id, date;
