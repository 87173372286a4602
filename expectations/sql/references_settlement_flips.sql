-- fact_settlement_status_flips → dim_settlement.
SELECT f.source, f.settlement_id, f.date, d.settlement_id IS NOT NULL AS settlement_known
FROM {fact_settlement_status_flips} AS f
LEFT JOIN {dim_settlement} AS d ON d.settlement_id = f.settlement_id
ORDER BY f.source, f.settlement_id, f.date
