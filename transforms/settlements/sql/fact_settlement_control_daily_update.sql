-- Replace the days whose inputs changed (temp table model_changed_days, transforms/build_keys.py)
-- and the settlements that entered or left the front zone: the same rows
-- fact_settlement_control_daily.sql builds whole (the zone spans every day: it is recomputed).
CREATE OR REPLACE TEMP TABLE settlement_front_zone AS
SELECT source, settlement_id
FROM core.settlement_day_status
GROUP BY source, settlement_id
HAVING min(abs(distance_to_front_km)) <= $front_zone_km OR min(status) <> max(status);

CREATE OR REPLACE TEMP TABLE settlement_front_zone_before AS
SELECT DISTINCT source, settlement_id
FROM core.fact_settlement_control_daily;

DELETE FROM core.fact_settlement_control_daily AS f
USING model_changed_days AS d
WHERE f.source = d.source AND f.date = d.date;

DELETE FROM core.fact_settlement_control_daily AS f
USING (SELECT * FROM settlement_front_zone_before EXCEPT SELECT * FROM settlement_front_zone) AS gone
WHERE f.source = gone.source AND f.settlement_id = gone.settlement_id;

INSERT INTO core.fact_settlement_control_daily
WITH calendar AS (
    SELECT source, date, status AS coverage
    FROM core.fact_control_coverage_daily
    WHERE source IN (SELECT DISTINCT source FROM core.settlement_day_status)
),
entered AS (
    SELECT * FROM settlement_front_zone
    EXCEPT
    SELECT * FROM settlement_front_zone_before
),
wanted AS (
    SELECT c.source, c.date, c.coverage, z.settlement_id
    FROM calendar AS c
    SEMI JOIN model_changed_days AS d ON d.source = c.source AND d.date = c.date
    JOIN settlement_front_zone AS z ON z.source = c.source
    UNION ALL
    SELECT c.source, c.date, c.coverage, e.settlement_id
    FROM calendar AS c
    ANTI JOIN model_changed_days AS d ON d.source = c.source AND d.date = c.date
    JOIN entered AS e ON e.source = c.source
)
SELECT w.source,
       w.date,
       w.settlement_id,
       s.status,
       s.api_class,
       s.distance_to_front_km,
       s.date IS NOT NULL AS is_observed,
       w.coverage
FROM wanted AS w
LEFT JOIN core.settlement_day_status AS s
  ON s.source = w.source AND s.date = w.date AND s.settlement_id = w.settlement_id
ORDER BY w.source, w.settlement_id, w.date;

DROP TABLE settlement_front_zone;
DROP TABLE settlement_front_zone_before;
