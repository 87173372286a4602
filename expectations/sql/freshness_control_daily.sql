-- Newest observed snapshot per control source (gap days do not count as fresh data).
SELECT
    source,
    max(date) FILTER (WHERE is_observed) AS newest
FROM {fact_control_daily}
-- DeepState's freshness is the daily archive's; the API series (deepstate_api) is a weekly sample.
WHERE source <> 'deepstate_api'
GROUP BY source
