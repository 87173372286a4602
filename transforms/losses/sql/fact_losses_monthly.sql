CREATE OR REPLACE TABLE core.fact_losses_monthly AS
SELECT date_trunc('month', date)::DATE AS month,
       category,
       sum(daily)::BIGINT AS total,
       arg_max(cumulative, date)::BIGINT AS cumulative_end,
       count(*)::INTEGER AS reported_days
FROM core.fact_losses_daily
GROUP BY ALL
ORDER BY category, month;
