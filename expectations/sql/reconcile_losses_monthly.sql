-- fact_losses_monthly against the reports it rolls up. One row per (month, category) found on
-- either side; every *_diff is the monthly value minus the value rebuilt from fact_losses_daily
-- (a missing side counts as 0). cumulative_end must equal the cumulative of the month's last report.
WITH days AS (
    SELECT
        date_trunc('month', date)::DATE AS month,
        category,
        sum(daily)::BIGINT AS total_days,
        arg_max(cumulative, date) AS cumulative_end_days,
        count(*)::INTEGER AS reported_days_days
    FROM {fact_losses_daily}
    GROUP BY ALL
)
SELECT
    coalesce(m.month, d.month) AS month,
    coalesce(m.category, d.category) AS category,
    m.month IS NOT NULL AS in_monthly,
    d.month IS NOT NULL AS in_daily,
    m.month IS NOT NULL AND d.month IS NOT NULL AS in_both,
    m.total,
    d.total_days,
    coalesce(m.total, 0) - coalesce(d.total_days, 0) AS total_diff,
    m.cumulative_end,
    d.cumulative_end_days,
    coalesce(m.cumulative_end, 0) - coalesce(d.cumulative_end_days, 0) AS cumulative_end_diff,
    m.reported_days,
    d.reported_days_days,
    coalesce(m.reported_days, 0) - coalesce(d.reported_days_days, 0) AS reported_days_diff
FROM {fact_losses_monthly} AS m
FULL OUTER JOIN days AS d
    ON m.month = d.month AND m.category = d.category
ORDER BY month, category
