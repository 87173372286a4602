CREATE OR REPLACE TABLE core.dim_date AS
WITH bounds AS (
    SELECT min(d) AS first_day, max(d) AS last_day
    FROM (SELECT date AS d FROM core.fact_control_daily UNION ALL SELECT date FROM core.fact_losses_daily)
),
days AS (
    SELECT unnest(generate_series(first_day, last_day, INTERVAL 1 DAY))::DATE AS date FROM bounds
)
SELECT date,
       year(date)::INTEGER AS year,
       date_trunc('month', date)::DATE AS month,
       isoyear(date)::INTEGER AS iso_year,
       week(date)::INTEGER AS iso_week,
       date_trunc('week', date)::DATE AS week_start,
       (date_diff('day', DATE '2022-02-24', date) + 1)::INTEGER AS day_of_war
FROM days
ORDER BY date;
