-- Anomaly guard on DeepState's daily gains for the whole country. A gain after a gap covers
-- several days, so it is compared per day covered. The bound comes from the series itself:
-- 8 × the median gain per day of the previous 28 observed days, never below 150 km², and no
-- bound before 28 days of history. In the mirror (2024-07-08 … 2026-06-30) the median gain is
-- 8 km²/day, the 99th percentile 51 and the largest 92 (2025-07-04): history never crosses the
-- bound, while a doubled or mis-projected polygon (thousands of km²) always does.
WITH series AS (
    SELECT *, gained_km2 / days_since_previous AS gained_per_day_km2
    FROM {fact_control_daily}
    WHERE region_code = 'UA' AND source = 'deepstate' AND gained_km2 IS NOT NULL
),
bounded AS (
    SELECT *,
           CASE WHEN count(*) OVER w = 28 THEN greatest(150.0, 8 * median(gained_per_day_km2) OVER w) END AS bound_km2
    FROM series
    WINDOW w AS (PARTITION BY source ORDER BY date ROWS BETWEEN 28 PRECEDING AND 1 PRECEDING)
)
SELECT *, coalesce(gained_per_day_km2 <= bound_km2, true) AS within_bound
FROM bounded
ORDER BY date
