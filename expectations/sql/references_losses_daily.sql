-- fact_losses_daily → dim_loss_category: category_known is false for an unknown category.
SELECT f.*, c.category IS NOT NULL AS category_known
FROM {fact_losses_daily} AS f
LEFT JOIN {dim_loss_category} AS c ON c.category = f.category
ORDER BY f.date, f.category
