-- Anomaly guard on the General Staff's daily personnel claim: above 3 × the median of the
-- previous 28 reports (and at least 500) is flagged. Over 2022-02 … 2026-06 no day crosses it
-- (the largest daily claim is 3,160), so a flag means a typo-sized jump.
WITH bounded AS (
    SELECT *,
           -- no bound until 28 reports of history exist
           CASE WHEN count(*) OVER w = 28 THEN greatest(500, 3 * median(daily) OVER w) END AS bound
    FROM {fact_losses_daily}
    WHERE category = 'personnel' AND daily IS NOT NULL
    WINDOW w AS (PARTITION BY category ORDER BY date ROWS BETWEEN 28 PRECEDING AND 1 PRECEDING)
)
SELECT *, coalesce(daily <= bound, true) AS within_bound
FROM bounded
ORDER BY date
