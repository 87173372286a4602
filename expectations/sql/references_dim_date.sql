-- dim_date covers every date of the daily facts (in_dim_date false = a date users cannot join).
WITH fact_dates AS (
    SELECT DISTINCT 'fact_control_daily' AS fact_table, date FROM {fact_control_daily}
    UNION ALL
    SELECT DISTINCT 'fact_losses_daily', date FROM {fact_losses_daily}
)
SELECT f.fact_table, f.date, d.date IS NOT NULL AS in_dim_date
FROM fact_dates AS f
LEFT JOIN {dim_date} AS d ON d.date = f.date
ORDER BY f.fact_table, f.date
