-- Newest General Staff report date (all categories come from the same daily report).
SELECT
    'general_staff' AS source,
    max(date) AS newest
FROM {fact_losses_daily}
