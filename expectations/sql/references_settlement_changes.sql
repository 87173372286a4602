-- fact_settlement_control_changes → dim_settlement.
SELECT f.source, f.settlement_id, f.first_seen, d.settlement_id IS NOT NULL AS settlement_known
FROM {fact_settlement_control_changes} AS f
LEFT JOIN {dim_settlement} AS d ON d.settlement_id = f.settlement_id
ORDER BY f.source, f.first_seen, f.settlement_id
