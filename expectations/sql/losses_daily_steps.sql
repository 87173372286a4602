-- Each report's cumulative next to the previous report's, per category, so the day-over-day step
-- can be compared with the stored daily and any decrease traced to a flagged correction.
SELECT
    date,
    category,
    cumulative,
    lag(cumulative) OVER (PARTITION BY category ORDER BY date) AS previous_cumulative,
    cumulative - lag(cumulative) OVER (PARTITION BY category ORDER BY date) AS cumulative_step,
    daily,
    correction,
    is_correction
FROM {fact_losses_daily}
ORDER BY category, date
