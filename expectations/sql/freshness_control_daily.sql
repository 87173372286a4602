-- Newest observed snapshot per control source (gap days do not count as fresh data).
SELECT
    source,
    max(date) FILTER (WHERE is_observed) AS newest
FROM {fact_control_daily}
GROUP BY source
