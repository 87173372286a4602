-- Changes of status that held: runs of one status over consecutive observed (non-partial) days.
-- A run is held when it lasts the source's N observed days ($1 = deepstate's N, $2 =
-- deepstate_api's) and, for ukraine and occupied, the settlement gets at least $3 km from the
-- front on that side at least once or the run lasts $4 (deepstate) / $5 (deepstate_api) observed
-- days; other runs are flicker at a polygon's edge and dropped. The
-- first run of a series is its baseline, held whatever its length.
-- A change is two successive held runs with different statuses.
CREATE OR REPLACE TABLE core.fact_settlement_control_changes AS
WITH observed AS (
    SELECT s.source, s.settlement_id, s.date, s.status, s.distance_to_front_km,
           lag(s.status) OVER w AS previous_status,
           lag(s.date) OVER w AS previous_date
    FROM core.settlement_day_status AS s
    JOIN core.fact_control_coverage_daily AS c ON c.source = s.source AND c.date = s.date
    WHERE c.status = 'observed'
      AND s.settlement_id IN (SELECT settlement_id FROM core.fact_settlement_status_flips)
    WINDOW w AS (PARTITION BY s.source, s.settlement_id ORDER BY s.date)
),
numbered AS (
    SELECT *,
           sum(CASE WHEN previous_status IS DISTINCT FROM status THEN 1 ELSE 0 END)
               OVER (PARTITION BY source, settlement_id ORDER BY date) AS run
    FROM observed
),
runs AS (
    SELECT source, settlement_id, run, any_value(status) AS status,
           min(date) AS first_day, max(date) AS last_day, count(*) AS days,
           arg_min(previous_date, date) AS day_before,
           max(abs(distance_to_front_km)) AS depth_km
    FROM numbered
    GROUP BY source, settlement_id, run
),
held AS (
    SELECT *,
           lag(status) OVER w AS held_before,
           lag(last_day) OVER w AS held_before_until
    FROM runs
    WHERE run = 1  -- the first run is the baseline a change is counted from
       OR (days >= CASE source WHEN 'deepstate' THEN $1 ELSE $2 END
           AND (status = 'grey_zone' OR depth_km >= $3 OR days >= CASE source WHEN 'deepstate' THEN $4 ELSE $5 END))
    WINDOW w AS (PARTITION BY source, settlement_id ORDER BY run)
),
changes AS (
    SELECT source, settlement_id, held_before AS from_status, status AS to_status,
           first_day AS first_seen, day_before AS last_seen_before, held_before_until
    FROM held
    WHERE held_before IS NOT NULL AND held_before <> status
)
SELECT c.source, c.settlement_id, c.from_status, c.to_status, c.first_seen, c.last_seen_before,
       min(f.date) AS flicker_from,
       count(f.date)::INTEGER AS raw_flips
FROM changes AS c
JOIN core.fact_settlement_status_flips AS f
  ON f.source = c.source AND f.settlement_id = c.settlement_id
 AND f.date > c.held_before_until AND f.date <= c.first_seen
GROUP BY ALL
ORDER BY c.source, c.first_seen, c.settlement_id;
