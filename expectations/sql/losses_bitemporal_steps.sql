-- fact_losses_bitemporal with the number of current values (known_to IS NULL) of its
-- (date, category): an as-of query on the latest state finds one, or none once the latest
-- payload dropped the date.
SELECT
    date,
    category,
    payload_version,
    count(*) FILTER (WHERE known_to IS NULL) OVER (PARTITION BY date, category) AS current_values
FROM {fact_losses_bitemporal}
ORDER BY category, date, payload_version
