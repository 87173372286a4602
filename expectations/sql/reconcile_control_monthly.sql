-- fact_control_monthly against the days it rolls up. One row per (month, source, region_code, class)
-- found on either side; every *_diff is the monthly value minus the value rebuilt from
-- fact_control_daily (a missing side counts as 0, so a missing month shows its full value).
WITH days AS (
    SELECT
        date_trunc('month', date)::DATE AS month,
        source,
        region_code,
        class,
        sum(gained_km2) AS gained_km2_days,
        sum(lost_km2) AS lost_km2_days,
        sum(net_change_km2) AS net_change_km2_days,
        arg_max(area_km2, date) FILTER (WHERE is_observed) AS area_end_km2_days,
        count(*) FILTER (WHERE is_observed) AS observed_days_days
    FROM {fact_control_daily}
    GROUP BY ALL
)
SELECT
    coalesce(m.month, d.month) AS month,
    coalesce(m.source, d.source) AS source,
    coalesce(m.region_code, d.region_code) AS region_code,
    coalesce(m.class, d.class) AS class,
    m.month IS NOT NULL AS in_monthly,
    d.month IS NOT NULL AS in_daily,
    m.month IS NOT NULL AND d.month IS NOT NULL AS in_both,
    m.gained_km2,
    d.gained_km2_days,
    coalesce(m.gained_km2, 0) - coalesce(d.gained_km2_days, 0) AS gained_km2_diff,
    m.lost_km2,
    d.lost_km2_days,
    coalesce(m.lost_km2, 0) - coalesce(d.lost_km2_days, 0) AS lost_km2_diff,
    m.net_change_km2,
    d.net_change_km2_days,
    coalesce(m.net_change_km2, 0) - coalesce(d.net_change_km2_days, 0) AS net_change_km2_diff,
    m.area_end_km2,
    d.area_end_km2_days,
    coalesce(m.area_end_km2, 0) - coalesce(d.area_end_km2_days, 0) AS area_end_km2_diff,
    m.observed_days,
    d.observed_days_days,
    coalesce(m.observed_days, 0) - coalesce(d.observed_days_days, 0) AS observed_days_diff,
    m.days_in_month,
    day(last_day(coalesce(m.month, d.month))) AS calendar_days,
    m.days_in_month - day(last_day(coalesce(m.month, d.month))) AS days_in_month_diff
FROM {fact_control_monthly} AS m
FULL OUTER JOIN days AS d
    ON m.month = d.month AND m.source = d.source AND m.region_code = d.region_code AND m.class = d.class
ORDER BY month, source, region_code, class
