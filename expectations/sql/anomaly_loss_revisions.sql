-- Anomaly guard on upstream rewrites of the General Staff's past totals. A revision is
-- implausible when it moves a total by more than four weeks of that category's typical reports:
-- bound = max(10, 28 × the median |daily| of the category over its whole published history).
-- The June 2026 cruise-missile rewrite (+40, where a typical day adds 0–1) is flagged: exactly
-- the kind of change a newsroom wants looked at before it quotes the new total. A dropped or
-- restored date (change NULL) is always flagged.
WITH typical AS (
    SELECT category, median(abs(daily)) AS median_abs_daily
    FROM {fact_losses_daily}
    WHERE daily IS NOT NULL
    GROUP BY category
)
SELECT r.*,
       greatest(10, 28 * coalesce(t.median_abs_daily, 0)) AS bound,
       coalesce(abs(r.change) <= greatest(10, 28 * coalesce(t.median_abs_daily, 0)), false) AS within_bound
FROM {fact_loss_revisions} AS r
LEFT JOIN typical AS t USING (category)
ORDER BY r.date, r.category
