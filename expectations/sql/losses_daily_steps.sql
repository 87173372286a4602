-- Each report's cumulative next to the previous report's, per category, so the day-over-day step
-- can be compared with the stored daily and any decrease traced to a flagged correction.
SELECT
    date,
    category,
    cumulative,
    lag(cumulative) OVER (PARTITION BY category ORDER BY date) AS previous_cumulative,
    cumulative - lag(cumulative) OVER (PARTITION BY category ORDER BY date) AS cumulative_step,
    daily,
    -- NULL-safe: a first report has neither; a daily without a previous report is a mismatch.
    daily IS NOT DISTINCT FROM cumulative - lag(cumulative) OVER (PARTITION BY category ORDER BY date) AS daily_matches,
    correction,
    is_correction
FROM {fact_losses_daily}
ORDER BY category, date
