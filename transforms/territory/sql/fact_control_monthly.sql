CREATE OR REPLACE TABLE core.fact_control_monthly AS
SELECT date_trunc('month', date)::DATE AS month,
       source,
       region_code,
       class,
       arg_max(area_km2, date) FILTER (WHERE is_observed) AS area_end_km2,
       sum(gained_km2) AS gained_km2,
       sum(lost_km2) AS lost_km2,
       sum(net_change_km2) AS net_change_km2,
       count(*) FILTER (WHERE is_observed)::INTEGER AS observed_days,
       date_diff('day', date_trunc('month', min(date)), date_trunc('month', min(date)) + INTERVAL 1 MONTH)::INTEGER AS days_in_month
FROM core.fact_control_daily
GROUP BY ALL
ORDER BY source, region_code, class, month;
